// Decoder configuration records (avcC, hvcC) and AAC codecs strings.
#include <cstdio>

#include "osprey/playback/codec_info.h"

namespace osprey::playback {
namespace {

uint32_t U16(std::string_view s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 8) | uint8_t(s[at + 1]);
}

}  // namespace

Result<VideoInfo> ParseAvcDecoderConfig(std::string_view avcc) {
  // ISO/IEC 14496-15 5.3.3.1: version, profile, compat, level,
  // lengthSizeMinusOne, numOfSequenceParameterSets, then (u16 length, SPS).
  if (avcc.size() < 8 || uint8_t(avcc[0]) != 1) {
    return Status::InvalidArgument("avcC: too short or not version 1");
  }
  if ((uint8_t(avcc[5]) & 0x1F) == 0) return Status::InvalidArgument("avcC: no SPS");
  const uint32_t len = U16(avcc, 6);
  if (len == 0 || avcc.size() - 8 < len) return Status::InvalidArgument("avcC: SPS truncated");
  return ParseH264Sps(avcc.substr(8, len));
}

Result<VideoInfo> ParseHevcDecoderConfig(std::string_view hvcc) {
  // ISO/IEC 14496-15 8.3.3.1: 22 bytes of fields, numOfArrays, then arrays
  // of (type byte, u16 count, count x (u16 length, NAL)).
  if (hvcc.size() < 23 || uint8_t(hvcc[0]) != 1) {
    return Status::InvalidArgument("hvcC: too short or not version 1");
  }
  const uint32_t arrays = uint8_t(hvcc[22]);
  size_t pos = 23;
  for (uint32_t a = 0; a < arrays; ++a) {
    if (hvcc.size() - pos < 3) break;
    const uint32_t type = uint8_t(hvcc[pos]) & 0x3F;
    const uint32_t count = U16(hvcc, pos + 1);
    pos += 3;
    for (uint32_t i = 0; i < count; ++i) {
      if (hvcc.size() - pos < 2) return Status::InvalidArgument("hvcC: truncated");
      const uint32_t len = U16(hvcc, pos);
      pos += 2;
      if (hvcc.size() - pos < len) return Status::InvalidArgument("hvcC: truncated");
      if (type == 33) return ParseH265Sps(hvcc.substr(pos, len));
      pos += len;
    }
  }
  return Status::InvalidArgument("hvcC: no SPS");
}

std::string AacCodecsString(std::string_view asc) {
  if (asc.empty()) return "mp4a.40.2";
  uint32_t aot = uint8_t(asc[0]) >> 3;
  if (aot == 31 && asc.size() >= 2) {  // escape: 32 + 6 more bits
    aot = 32 + (((uint8_t(asc[0]) & 7) << 3) | (uint8_t(asc[1]) >> 5));
  }
  if (aot == 0) aot = 2;
  return "mp4a.40." + std::to_string(aot);
}

std::string AudioCodecsString(const Track& track) {
  if (track.codec == Codec::kAac) return AacCodecsString(track.codec_private);
  if (track.codec == Codec::kOpus) return "opus";  // RFC 6381 / the Opus-in-MP4 spec
  return "";
}

Result<VideoInfo> DescribeTrack(const Track& track) {
  switch (track.codec) {
    case Codec::kH264:
      return ParseAvcDecoderConfig(track.codec_private);
    case Codec::kH265:
      return ParseHevcDecoderConfig(track.codec_private);
    case Codec::kAac:
    case Codec::kOpus: {
      VideoInfo info;
      info.codecs = AudioCodecsString(track);
      return info;
    }
    case Codec::kUnsupported:
      break;
  }
  return Status::InvalidArgument("unsupported codec " + track.codec_id);
}

}  // namespace osprey::playback
