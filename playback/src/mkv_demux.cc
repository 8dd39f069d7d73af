// Demux of one stored fragment with the fragments MkvParser (media_fragment.h).
#include <algorithm>
#include <optional>
#include <string>

#include "osprey/fragments/mkv_parser.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {
namespace {

// Segment of unknown size: what the stored header and Cluster sit inside.
constexpr char kSegmentUnknownSize[] = "\x18\x53\x80\x67\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF";

// NAL length size of an avcC (byte 4) or hvcC (byte 21) record; 0 if unknown.
int NalLengthSize(const Track& t) {
  const std::string& cp = t.codec_private;
  if (t.codec == Codec::kH264 && cp.size() >= 7) return (uint8_t(cp[4]) & 3) + 1;
  if (t.codec == Codec::kH265 && cp.size() >= 23) return (uint8_t(cp[21]) & 3) + 1;
  return 0;
}

// True/false when the NALs say IDR/IRAP or not; nullopt when unreadable.
std::optional<bool> HasRandomAccessNal(const Track& t, std::string_view data) {
  const int len_size = NalLengthSize(t);
  if (len_size == 0 || len_size == 3) return std::nullopt;
  size_t pos = 0;
  bool found = false;
  while (pos < data.size()) {
    if (data.size() - pos < size_t(len_size)) return std::nullopt;
    uint64_t n = 0;
    for (int i = 0; i < len_size; ++i) n = (n << 8) | uint8_t(data[pos + i]);
    pos += len_size;
    if (n == 0 || n > data.size() - pos) return std::nullopt;
    const uint8_t h = uint8_t(data[pos]);
    if (t.codec == Codec::kH264 && (h & 0x1F) == 5) found = true;
    if (t.codec == Codec::kH265) {
      const int type = (h >> 1) & 0x3F;
      if (type >= 16 && type <= 23) found = true;
    }
    pos += n;
  }
  return found;
}

class DemuxHandler : public fragments::MkvHandler {
 public:
  Status OnInfo(const fragments::SegmentInfo& info, std::span<const uint8_t>) override {
    scale_ns_ = info.timecode_scale_ns;
    return Status::Ok();
  }
  Status OnTracks(const std::vector<fragments::TrackEntry>& entries,
                  std::span<const uint8_t>) override {
    tracks_.clear();
    for (const auto& e : entries) {
      Track t;
      t.number = e.number;
      t.codec = CodecFromMatroska(e.codec_id);
      t.codec_id = e.codec_id;
      t.codec_private = e.codec_private;
      t.width = uint32_t(e.pixel_width.value_or(0));
      t.height = uint32_t(e.pixel_height.value_or(0));
      t.sample_rate = uint32_t(e.sampling_frequency.value_or(0));
      t.channels = uint32_t(e.channels.value_or(0));
      tracks_.push_back(TrackSamples{std::move(t), {}});
    }
    return Status::Ok();
  }
  Status OnClusterStart(const fragments::ClusterStart& c) override {
    if (cluster_timecode_) return Status::Corruption("more than one Cluster in a fragment");
    cluster_timecode_ = c.timecode;
    return Status::Ok();
  }
  Status OnFrame(const fragments::Frame& f) override {
    if (!cluster_timecode_) return Status::InvalidArgument("frame outside a Cluster");
    auto it = std::find_if(tracks_.begin(), tracks_.end(),
                           [&](const TrackSamples& t) { return t.track.number == f.track_number; });
    if (it == tracks_.end()) {
      return Status::Corruption("frame of undeclared track " + std::to_string(f.track_number));
    }
    Sample s;
    const int64_t rel_ticks = f.timecode - int64_t(*cluster_timecode_);
    // ticks x ns-per-tick / 1000 = us; exact for every scale that is a
    // multiple of 1 us, rounded towards zero otherwise.
    s.pts_us = rel_ticks * int64_t(scale_ns_) / 1000;
    s.data.assign(reinterpret_cast<const char*>(f.payload.data()), f.payload.size());
    if (it->track.is_video()) {
      s.sync = HasRandomAccessNal(it->track, s.data).value_or(f.keyframe);
    } else {
      s.sync = true;
    }
    it->samples.push_back(std::move(s));
    return Status::Ok();
  }

  std::vector<TrackSamples> tracks_;
  uint64_t scale_ns_ = fragments::kDefaultTimecodeScaleNs;
  std::optional<uint64_t> cluster_timecode_;
};

Status RunParser(DemuxHandler* handler, std::string_view stream_header, std::string_view cluster) {
  fragments::MkvParser parser(handler);
  OSPREY_RETURN_IF_ERROR(parser.Feed(fragments::EncodeEbmlHeader()));
  OSPREY_RETURN_IF_ERROR(parser.Feed(std::string_view(kSegmentUnknownSize, 12)));
  OSPREY_RETURN_IF_ERROR(parser.Feed(stream_header));
  OSPREY_RETURN_IF_ERROR(parser.Feed(cluster));
  OSPREY_RETURN_IF_ERROR(parser.Finish());
  if (handler->tracks_.empty()) return Status::Corruption("stream header has no Tracks");
  return Status::Ok();
}

// Decode times = sorted presentation times; durations from their spacing.
void AssignDecodeTimes(TrackSamples* t, int64_t end_us) {
  auto& s = t->samples;
  std::vector<int64_t> sorted;
  sorted.reserve(s.size());
  for (const Sample& x : s) sorted.push_back(x.pts_us);
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < s.size(); ++i) s[i].dts_us = sorted[i];
  for (size_t i = 0; i + 1 < s.size(); ++i) s[i].duration_us = s[i + 1].dts_us - s[i].dts_us;
  if (s.empty()) return;
  Sample& last = s.back();
  if (end_us > last.dts_us) {
    last.duration_us = end_us - last.dts_us;
  } else if (s.size() >= 2) {
    last.duration_us = s[s.size() - 2].duration_us;
  } else {
    last.duration_us = 1000;
  }
}

}  // namespace

Codec CodecFromMatroska(std::string_view codec_id) {
  if (codec_id == "V_MPEG4/ISO/AVC") return Codec::kH264;
  if (codec_id == "V_MPEGH/ISO/HEVC") return Codec::kH265;
  if (codec_id.substr(0, 5) == "A_AAC") return Codec::kAac;
  if (codec_id == "A_OPUS") return Codec::kOpus;
  return Codec::kUnsupported;
}

const TrackSamples* DemuxedFragment::Find(uint64_t track_number) const {
  for (const TrackSamples& t : tracks) {
    if (t.track.number == track_number) return &t;
  }
  return nullptr;
}

Result<DemuxedFragment> Demux(const FragmentBytes& fragment) {
  DemuxHandler handler;
  OSPREY_RETURN_IF_ERROR(RunParser(&handler, fragment.stream_header, fragment.cluster));
  if (!handler.cluster_timecode_) return Status::Corruption("fragment has no Cluster");
  DemuxedFragment out;
  out.start_us = fragment.start_ms * 1000;
  int64_t span_end = 0;
  for (TrackSamples& t : handler.tracks_) {
    for (Sample& s : t.samples) s.pts_us += out.start_us;
  }
  const int64_t end_us = fragment.duration_ms > 0 ? out.start_us + fragment.duration_ms * 1000 : 0;
  for (TrackSamples& t : handler.tracks_) {
    AssignDecodeTimes(&t, end_us);
    for (const Sample& s : t.samples) span_end = std::max(span_end, s.dts_us + s.duration_us);
  }
  out.duration_us = fragment.duration_ms > 0 ? fragment.duration_ms * 1000
                                             : std::max<int64_t>(0, span_end - out.start_us);
  out.tracks = std::move(handler.tracks_);
  return out;
}

Result<std::vector<Track>> ParseTracks(std::string_view stream_header) {
  DemuxHandler handler;
  OSPREY_RETURN_IF_ERROR(RunParser(&handler, stream_header, {}));
  std::vector<Track> tracks;
  for (TrackSamples& t : handler.tracks_) tracks.push_back(std::move(t.track));
  return tracks;
}

}  // namespace osprey::playback
