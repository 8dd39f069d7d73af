// AudioFormatFromCaps (audio_caps.h).
#include "audio_caps.h"

#include <string>

namespace osprey::agent {
namespace {

std::string BufferBytes(GstBuffer* buffer) {
  std::string out;
  GstMapInfo map;
  if (buffer != nullptr && gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    out.assign(reinterpret_cast<const char*>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);
  }
  return out;
}

// The first buffer of the caps' streamheader array when it is an OpusHead.
std::string OpusHeadFromStreamheader(const GstStructure* s) {
  const GValue* v = gst_structure_get_value(s, "streamheader");
  if (v == nullptr || !GST_VALUE_HOLDS_ARRAY(v) || gst_value_array_get_size(v) == 0) return {};
  const GValue* first = gst_value_array_get_value(v, 0);
  if (!G_VALUE_HOLDS(first, GST_TYPE_BUFFER)) return {};
  std::string head = BufferBytes(gst_value_get_buffer(first));
  if (head.size() < 19 || head.compare(0, 8, "OpusHead") != 0) return {};
  return head;
}

}  // namespace

std::string BuildOpusHead(uint32_t input_rate, uint32_t channels, uint16_t pre_skip) {
  // RFC 7845 5.1, little-endian fields, channel mapping family 0.
  std::string h = "OpusHead";
  h.push_back(1);  // version
  h.push_back(static_cast<char>(channels));
  h.push_back(static_cast<char>(pre_skip & 0xff));
  h.push_back(static_cast<char>(pre_skip >> 8));
  for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((input_rate >> (8 * i)) & 0xff));
  h.push_back(0);  // output gain, 2 bytes
  h.push_back(0);
  h.push_back(0);  // mapping family 0: mono or stereo, no table
  return h;
}

Result<AudioFormat> AudioFormatFromCaps(const GstCaps* caps) {
  if (caps == nullptr || gst_caps_is_empty(caps)) return Status::InvalidArgument("no audio caps");
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const std::string name = gst_structure_get_name(s);
  AudioFormat f;
  int rate = 0, channels = 0;
  gst_structure_get_int(s, "rate", &rate);
  gst_structure_get_int(s, "channels", &channels);
  f.sample_rate = rate > 0 ? static_cast<uint32_t>(rate) : 0;
  f.channels = channels > 0 ? static_cast<uint32_t>(channels) : 0;
  if (name == "audio/mpeg") {
    f.codec = AudioCodec::kAac;
    const GValue* v = gst_structure_get_value(s, "codec_data");
    if (v != nullptr && G_VALUE_HOLDS(v, GST_TYPE_BUFFER)) {
      f.codec_private = BufferBytes(gst_value_get_buffer(v));
    }
    if (f.codec_private.size() < 2) {
      return Status::InvalidArgument("AAC caps without an AudioSpecificConfig (codec_data)");
    }
    if (f.sample_rate == 0 || f.channels == 0) {
      return Status::InvalidArgument("AAC caps without rate or channels");
    }
    return f;
  }
  if (name == "audio/x-opus") {
    f.codec = AudioCodec::kOpus;
    f.codec_private = OpusHeadFromStreamheader(s);
    if (f.codec_private.empty()) {
      if (f.channels == 0) f.channels = 2;  // RTP Opus is always signalled as 2 channels
      if (f.channels > 2) {
        return Status::InvalidArgument("Opus with " + std::to_string(f.channels) +
                                       " channels needs a streamheader (OpusHead)");
      }
      f.codec_private = BuildOpusHead(f.sample_rate ? f.sample_rate : 48000, f.channels, 0);
    } else {
      f.channels = static_cast<uint8_t>(f.codec_private[9]);
    }
    // Opus always decodes at 48 kHz; the header's rate is the input's.
    f.sample_rate = 48000;
    return f;
  }
  return Status::InvalidArgument("audio caps '" + name + "' are neither AAC nor Opus");
}

}  // namespace osprey::agent
