// ISO BMFF output written by hand (no libav): the CMAF/fMP4 init segment and
// media segments HLS and DASH serve, and the progressive MP4 of GetClip.
// Writing the boxes ourselves keeps every timestamp and sample flag exactly
// as the fragment has it (docs/playback.md explains the choice).
//
// Timescales: video tracks use 90000 (exact for ms and for 90 kHz sources);
// AAC tracks use their sampling rate, with 1024 samples per frame. A time t
// in microseconds becomes round(t x timescale / 1e6) ticks, computed from the
// absolute time so consecutive segments tile without drift.
//
// One track per segment for HLS/DASH: a session asks for the init and
// media segments of one TrackNumber at a time, and track_ID = the Matroska
// TrackNumber. GetClip streams video and audio together: the multi-track
// overloads write one trak/trex per track and one traf per track with
// samples, all samples in one mdat (track by track). Media segments carry baseMediaDecodeTime = the first decode
// time of the fragment on the producer timeline (epoch based, tfdt
// version 1), per-sample durations, sizes, flags (sync: depends on no other;
// non-sync: depends on others, non-sync flag) and signed composition offsets
// (trun version 1; zero without B-frames).
//
// Errors: InvalidArgument for an unsupported codec, an unknown track, a
// track without samples, or sizes beyond 32-bit fields.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "osprey/base/result.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {

inline constexpr uint32_t kVideoTimescale = 90000;

// The MP4 timescale of a track (see above).
uint32_t TimescaleOf(const Track& track);

// ftyp + moov (with mvex/trex) for one track. Depends only on the track's
// codec, CodecPrivate and size: cacheable per (stream, CodecPrivate).
Result<std::string> BuildInitSegment(const Track& track);
Result<std::string> BuildInitSegment(std::span<const Track> tracks);

// moof + mdat of one track of one fragment. `sequence_number` goes into
// mfhd (players ignore it; HLS uses the playlist's sequence).
Result<std::string> BuildMediaSegment(const DemuxedFragment& fragment, uint64_t track_number,
                                      uint32_t sequence_number);
// Several tracks; a listed track without samples in this fragment is left
// out (InvalidArgument only when none has samples, or a track is unknown
// or unsupported).
Result<std::string> BuildMediaSegment(const DemuxedFragment& fragment,
                                      std::span<const uint64_t> track_numbers,
                                      uint32_t sequence_number);

// A progressive MP4 with the moov first (fast start): every supported track
// of the first fragment, the fragments' samples in order, one chunk per
// fragment and track. The timeline starts at 0 at the earliest sample; a
// track that starts later gets an empty edit, B-frame delay an edit offset.
// The sample description is the first fragment's (CodecPrivate changes
// within a clip are not followed).
Result<std::string> BuildClipMp4(std::span<const DemuxedFragment> fragments);

}  // namespace osprey::playback
