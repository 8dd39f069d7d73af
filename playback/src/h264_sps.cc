// H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1 and E.1.1): the
// fields up to the VUI timing information, nothing after.
#include <cstdio>

#include "bit_reader.h"
#include "osprey/playback/codec_info.h"

namespace osprey::playback {
namespace {

bool HasChromaInfo(uint32_t profile) {
  switch (profile) {
    case 100: case 110: case 122: case 244: case 44: case 83:
    case 86: case 118: case 128: case 138: case 139: case 134: case 135:
      return true;
    default:
      return false;
  }
}

void SkipScalingList(BitReader* r, int size) {
  int last = 8, next = 8;
  for (int j = 0; j < size; ++j) {
    if (next != 0) next = (last + r->Se() + 256) % 256;
    last = next == 0 ? last : next;
  }
}

// E.1.1 up to timing_info; returns the frame rate when present.
std::optional<double> ParseVuiTiming(BitReader* r) {
  if (r->Bit()) {                      // aspect_ratio_info_present_flag
    if (r->Bits(8) == 255) r->Skip(32);  // Extended_SAR: sar_width, sar_height
  }
  if (r->Bit()) r->Bit();              // overscan_info_present / appropriate
  if (r->Bit()) {                      // video_signal_type_present_flag
    r->Skip(4);                        // video_format, video_full_range_flag
    if (r->Bit()) r->Skip(24);         // colour description
  }
  if (r->Bit()) {                      // chroma_loc_info_present_flag
    r->Ue();
    r->Ue();
  }
  if (!r->Bit()) return std::nullopt;  // timing_info_present_flag
  const uint32_t num_units_in_tick = r->Bits(32);
  const uint32_t time_scale = r->Bits(32);
  if (r->failed() || num_units_in_tick == 0 || time_scale == 0) return std::nullopt;
  // A frame is two ticks (field-based timing, H.264 E.2.1).
  return double(time_scale) / (2.0 * num_units_in_tick);
}

}  // namespace

Result<VideoInfo> ParseH264Sps(std::string_view nal) {
  if (nal.size() < 4 || (uint8_t(nal[0]) & 0x1F) != 7) {
    return Status::InvalidArgument("not an H.264 SPS NAL unit");
  }
  const std::string rbsp = NalToRbsp(nal.substr(1));
  BitReader r(rbsp);
  const uint32_t profile = r.Bits(8);
  const uint32_t constraints = r.Bits(8);
  const uint32_t level = r.Bits(8);
  r.Ue();  // seq_parameter_set_id
  uint32_t chroma_format_idc = 1;
  bool separate_colour_plane = false;
  if (HasChromaInfo(profile)) {
    chroma_format_idc = r.Ue();
    if (chroma_format_idc > 3) return Status::InvalidArgument("SPS: bad chroma_format_idc");
    if (chroma_format_idc == 3) separate_colour_plane = r.Bit();
    r.Ue();  // bit_depth_luma_minus8
    r.Ue();  // bit_depth_chroma_minus8
    r.Bit();  // qpprime_y_zero_transform_bypass_flag
    if (r.Bit()) {  // seq_scaling_matrix_present_flag
      const int lists = chroma_format_idc == 3 ? 12 : 8;
      for (int i = 0; i < lists && !r.failed(); ++i) {
        if (r.Bit()) SkipScalingList(&r, i < 6 ? 16 : 64);
      }
    }
  }
  r.Ue();  // log2_max_frame_num_minus4
  const uint32_t poc_type = r.Ue();
  if (poc_type == 0) {
    r.Ue();  // log2_max_pic_order_cnt_lsb_minus4
  } else if (poc_type == 1) {
    r.Bit();
    r.Se();
    r.Se();
    const uint32_t cycle = r.Ue();
    if (cycle > 255) return Status::InvalidArgument("SPS: bad num_ref_frames_in_pic_order_cnt_cycle");
    for (uint32_t i = 0; i < cycle; ++i) r.Se();
  }
  r.Ue();   // max_num_ref_frames
  r.Bit();  // gaps_in_frame_num_value_allowed_flag
  const uint64_t width_mbs = uint64_t(r.Ue()) + 1;
  const uint64_t height_map_units = uint64_t(r.Ue()) + 1;
  const uint32_t frame_mbs_only = r.Bit();
  if (!frame_mbs_only) r.Bit();  // mb_adaptive_frame_field_flag
  r.Bit();                        // direct_8x8_inference_flag
  uint64_t crop_left = 0, crop_right = 0, crop_top = 0, crop_bottom = 0;
  if (r.Bit()) {  // frame_cropping_flag
    crop_left = r.Ue();
    crop_right = r.Ue();
    crop_top = r.Ue();
    crop_bottom = r.Ue();
  }
  if (r.failed()) return Status::InvalidArgument("SPS: truncated before the cropping window");
  VideoInfo info;
  // A truncated VUI only loses the frame rate: the size is what matters.
  if (r.Bit()) info.frame_rate = ParseVuiTiming(&r);  // vui_parameters_present_flag
  // 7.4.2.1.1: crop units depend on the chroma format (ChromaArrayType).
  const uint32_t chroma_array_type = separate_colour_plane ? 0 : chroma_format_idc;
  const uint64_t sub_width_c = chroma_array_type == 3 ? 1 : 2;
  const uint64_t sub_height_c = chroma_array_type == 1 ? 2 : 1;
  const uint64_t crop_unit_x = chroma_array_type == 0 ? 1 : sub_width_c;
  const uint64_t crop_unit_y =
      (chroma_array_type == 0 ? 1 : sub_height_c) * (2 - frame_mbs_only);
  const uint64_t coded_w = width_mbs * 16;
  const uint64_t coded_h = height_map_units * 16 * (2 - frame_mbs_only);
  const uint64_t cut_w = crop_unit_x * (crop_left + crop_right);
  const uint64_t cut_h = crop_unit_y * (crop_top + crop_bottom);
  if (cut_w >= coded_w || cut_h >= coded_h || coded_w > 16384 || coded_h > 16384) {
    return Status::InvalidArgument("SPS: cropping or size out of range");
  }
  info.width = uint32_t(coded_w - cut_w);
  info.height = uint32_t(coded_h - cut_h);
  char codecs[16];
  std::snprintf(codecs, sizeof(codecs), "avc1.%02x%02x%02x", profile, constraints, level);
  info.codecs = codecs;
  return info;
}

}  // namespace osprey::playback
