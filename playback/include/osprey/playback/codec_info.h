// What the playlists say about a track, read from its CodecPrivate:
// RESOLUTION from the SPS (with the cropping window applied, so 1920x1080
// coded as 1088 lines and 160x120 coded as 160x128 come out right;
// video-api.md section 8), the RFC 6381 CODECS string, and the frame rate
// when the SPS carries VUI timing.
//
// Errors: InvalidArgument for a record too short or malformed, Unimplemented
// features are reported as InvalidArgument with the reason (for example an
// SPS with an unknown profile extension). Never reads past the input.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {

struct VideoInfo {
  uint32_t width = 0;        // displayed size: coded size minus cropping
  uint32_t height = 0;
  std::string codecs;        // "avc1.4d401f", "hvc1.1.6.L93.B0"
  std::optional<double> frame_rate;  // from VUI timing_info, when present
};

// H.264: an SPS NAL unit (header byte included, emulation prevention bytes
// still in place, as in avcC).
Result<VideoInfo> ParseH264Sps(std::string_view nal);
// H.264: an AVCDecoderConfigurationRecord (avcC); parses its first SPS.
Result<VideoInfo> ParseAvcDecoderConfig(std::string_view avcc);
// H.265: an SPS NAL unit (2-byte header included).
Result<VideoInfo> ParseH265Sps(std::string_view nal);
// H.265: an HEVCDecoderConfigurationRecord (hvcC); parses its first SPS.
Result<VideoInfo> ParseHevcDecoderConfig(std::string_view hvcc);

// AAC: "mp4a.40.<audioObjectType>" from an AudioSpecificConfig ("mp4a.40.2"
// when it is too short to say).
std::string AacCodecsString(std::string_view audio_specific_config);

// The CODECS value of an audio track: AacCodecsString for AAC, "opus" for
// Opus, "" for anything else.
std::string AudioCodecsString(const Track& track);

// The video info of a track (by codec), or the CODECS string of an audio
// track with width = height = 0. InvalidArgument for unsupported codecs.
Result<VideoInfo> DescribeTrack(const Track& track);

}  // namespace osprey::playback
