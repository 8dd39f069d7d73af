// MPEG-TS segment of one fragment, with every supported track (HLS with
// ContainerFormat MPEG_TS: getTSFragment.ts). Muxed by libavformat's mpegts
// muxer into memory (no temporary files); H.264/H.265 go from AVCC/HVCC to
// Annex B with parameter sets before each IDR (libav's automatic bitstream
// filters), AAC gets ADTS headers. Opus is left out (video only): HLS
// defines no Opus in MPEG-TS and players do not take libav's private
// mapping; fMP4 sessions carry it (docs/playback.md).
//
// Timestamps: PTS = the producer-timeline presentation time at 90 kHz,
// modulo 2^33 as MPEG-TS requires (players handle the wrap); no muxer delay
// is added (mpegts_copyts). DTS = the demuxed decode time shifted back by the
// track's largest (dts - pts), so DTS <= PTS with B-frames.
//
// Errors: InvalidArgument (no supported track or no samples), Internal
// (libav failed; the message has libav's error text).
//
// Thread safety: reentrant; each call has its own muxer.
#pragma once

#include <string>

#include "osprey/base/result.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {

// Whether BuildTsSegment muxes this track: H.264, H.265 and AAC.
bool TsCarries(const Track& track);

Result<std::string> BuildTsSegment(const DemuxedFragment& fragment);

}  // namespace osprey::playback
