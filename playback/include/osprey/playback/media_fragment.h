// Demuxing one stored fragment (stream header + Cluster bytes, as the
// FragmentStore keeps them) into per-track samples with exact timestamps,
// the common input of every packager in this module (mp4_segments.h,
// ts_segment.h).
//
// Timeline: every time is in microseconds on the producer's timeline. The
// first frame of the Cluster sits at `start_ms` (normally
// FragmentMeta::producer_timestamp_ms, which is the Cluster Timecode in epoch
// ms), and later frames at start + (block timecode - cluster timecode) x
// TimecodeScale. Consecutive fragments of a stream therefore line up without
// gaps, and a fragment's segment always decodes at the same time whatever
// playlist or session asks for it (so cached segments are reusable).
//
// Decode order and B-frames: Matroska stores presentation times only. The
// decode times of a track are its presentation times sorted ascending (the
// i-th frame in storage order decodes at the i-th smallest presentation
// time), so without B-frames dts == pts, and with them the first dts is still
// the fragment start (the first frame is an IDR). The fMP4 writer then needs
// signed composition offsets (trun version 1); MPEG-TS and the clip writer
// shift decode times back by the largest (dts - pts) of the track.
//
// Sync samples: for H.264 a frame is a sync sample when it holds an IDR NAL
// (type 5), for H.265 an IRAP NAL (16..23): the SimpleBlock key flag alone is
// not safe (GStreamer marks non-IDR I frames key; video-api.md appendix B).
// When the NALs cannot be read, the key flag is used. Audio frames are all
// sync samples.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::playback {

enum class Codec { kH264, kH265, kAac, kOpus, kUnsupported };

// "V_MPEG4/ISO/AVC" -> kH264, "V_MPEGH/ISO/HEVC" -> kH265, "A_AAC*" -> kAac,
// "A_OPUS" -> kOpus.
Codec CodecFromMatroska(std::string_view codec_id);

struct Track {
  uint64_t number = 0;        // Matroska TrackNumber; also the MP4 track_ID
  Codec codec = Codec::kUnsupported;
  std::string codec_id;       // as in the Matroska TrackEntry
  std::string codec_private;  // avcC / hvcC / AudioSpecificConfig / OpusHead bytes
  uint32_t width = 0;         // PixelWidth/Height (the SPS wins for playlists)
  uint32_t height = 0;
  uint32_t sample_rate = 0;   // audio
  uint32_t channels = 0;
  bool is_video() const { return codec == Codec::kH264 || codec == Codec::kH265; }
  bool is_audio() const { return codec == Codec::kAac || codec == Codec::kOpus; }
};

struct Sample {
  int64_t pts_us = 0;       // presentation time, producer timeline
  int64_t dts_us = 0;       // decode time (see above)
  int64_t duration_us = 0;  // dts of the next sample minus this dts; the last
                            // sample reaches the fragment end (see Demux)
  bool sync = false;
  std::string data;         // AVCC/HVCC length-prefixed NALs, a raw AAC frame or an Opus packet
};

struct TrackSamples {
  Track track;
  std::vector<Sample> samples;  // decode order (= storage order)
};

struct DemuxedFragment {
  int64_t start_us = 0;     // start_ms x 1000
  int64_t duration_us = 0;  // duration_ms x 1000, or the samples' span when 0
  std::vector<TrackSamples> tracks;  // in Tracks order; tracks without frames kept

  // The track with this number, or nullptr.
  const TrackSamples* Find(uint64_t track_number) const;
};

// One stored fragment, by view (the bytes must outlive the call only).
struct FragmentBytes {
  std::string_view stream_header;  // Info + Tracks elements
  std::string_view cluster;        // one Cluster element (known or unknown size)
  int64_t start_ms = 0;            // FragmentMeta::producer_timestamp_ms
  int64_t duration_ms = 0;         // FragmentMeta::duration_ms (0: unknown)
};

// Parses the bytes with fragments::MkvParser. The last sample of each track
// lasts until start + duration_ms when that is later than its decode time,
// otherwise as long as the sample before it (or 1 ms for a lone sample).
// Errors: Corruption (malformed Matroska, no Tracks, a frame of an undeclared
// track), InvalidArgument (a frame before the Cluster start).
Result<DemuxedFragment> Demux(const FragmentBytes& fragment);

// Only the track list of a stream header (for init segments and the master
// playlist, without reading a Cluster).
Result<std::vector<Track>> ParseTracks(std::string_view stream_header);

}  // namespace osprey::playback
