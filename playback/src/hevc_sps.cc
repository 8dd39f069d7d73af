// H.265 sequence parameter set (ITU-T H.265 7.3.2.2): the fields up to the
// conformance window. The frame rate (in the VUI, behind the reference
// picture sets) is not read.
#include <cstdio>

#include "bit_reader.h"
#include "osprey/playback/codec_info.h"

namespace osprey::playback {
namespace {

// RFC 6381 / ISO/IEC 14496-15 E.3 codecs string from profile_tier_level.
std::string HevcCodecs(uint32_t space, uint32_t tier, uint32_t profile, uint32_t compat,
                       const uint8_t constraints[6], uint32_t level) {
  uint32_t reversed = 0;
  for (int i = 0; i < 32; ++i) reversed |= ((compat >> i) & 1) << (31 - i);
  char buf[96];
  const char* space_str[] = {"", "A", "B", "C"};
  int n = std::snprintf(buf, sizeof(buf), "hvc1.%s%u.%X.%c%u", space_str[space & 3], profile,
                        reversed, tier ? 'H' : 'L', level);
  int last = 5;
  while (last >= 0 && constraints[last] == 0) --last;
  for (int i = 0; i <= last; ++i) {
    n += std::snprintf(buf + n, sizeof(buf) - size_t(n), ".%X", constraints[i]);
  }
  return buf;
}

}  // namespace

Result<VideoInfo> ParseH265Sps(std::string_view nal) {
  if (nal.size() < 6 || ((uint8_t(nal[0]) >> 1) & 0x3F) != 33) {
    return Status::InvalidArgument("not an H.265 SPS NAL unit");
  }
  const std::string rbsp = NalToRbsp(nal.substr(2));
  BitReader r(rbsp);
  r.Bits(4);  // sps_video_parameter_set_id
  const uint32_t max_sub_layers_minus1 = r.Bits(3);
  r.Bit();  // sps_temporal_id_nesting_flag
  // profile_tier_level(1, max_sub_layers_minus1)
  const uint32_t space = r.Bits(2);
  const uint32_t tier = r.Bit();
  const uint32_t profile = r.Bits(5);
  const uint32_t compat = r.Bits(32);
  uint8_t constraints[6];
  for (uint8_t& c : constraints) c = uint8_t(r.Bits(8));
  const uint32_t level = r.Bits(8);
  bool profile_present[8] = {}, level_present[8] = {};
  for (uint32_t i = 0; i < max_sub_layers_minus1; ++i) {
    profile_present[i] = r.Bit();
    level_present[i] = r.Bit();
  }
  if (max_sub_layers_minus1 > 0) {
    for (uint32_t i = max_sub_layers_minus1; i < 8; ++i) r.Skip(2);
  }
  for (uint32_t i = 0; i < max_sub_layers_minus1; ++i) {
    if (profile_present[i]) r.Skip(88);
    if (level_present[i]) r.Skip(8);
  }
  r.Ue();  // sps_seq_parameter_set_id
  const uint32_t chroma_format_idc = r.Ue();
  if (chroma_format_idc > 3) return Status::InvalidArgument("SPS: bad chroma_format_idc");
  bool separate_colour_plane = false;
  if (chroma_format_idc == 3) separate_colour_plane = r.Bit();
  const uint64_t width = r.Ue();
  const uint64_t height = r.Ue();
  uint64_t left = 0, right = 0, top = 0, bottom = 0;
  if (r.Bit()) {  // conformance_window_flag
    left = r.Ue();
    right = r.Ue();
    top = r.Ue();
    bottom = r.Ue();
  }
  if (r.failed()) return Status::InvalidArgument("SPS: truncated before the conformance window");
  // Table 6-1: SubWidthC/SubHeightC; 1 for monochrome or separate planes.
  const uint32_t cat = separate_colour_plane ? 0 : chroma_format_idc;
  const uint64_t sub_w = (cat == 1 || cat == 2) ? 2 : 1;
  const uint64_t sub_h = cat == 1 ? 2 : 1;
  const uint64_t cut_w = sub_w * (left + right);
  const uint64_t cut_h = sub_h * (top + bottom);
  if (width == 0 || height == 0 || width > 16888 || height > 16888 || cut_w >= width ||
      cut_h >= height) {
    return Status::InvalidArgument("SPS: size or conformance window out of range");
  }
  VideoInfo info;
  info.width = uint32_t(width - cut_w);
  info.height = uint32_t(height - cut_h);
  info.codecs = HevcCodecs(space, tier, profile, compat, constraints, level);
  return info;
}

}  // namespace osprey::playback
