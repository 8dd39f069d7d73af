// Progressive MP4 for GetClip (mp4_segments.h): ftyp, moov, mdat. The moov
// size does not depend on the chunk offsets (co64 is fixed width), so the
// moov is written once to learn its size and again with the real offsets.
#include <algorithm>
#include <limits>

#include "box_writer.h"
#include "moov_writer.h"
#include "osprey/playback/mp4_segments.h"

namespace osprey::playback {
namespace {

struct ClipTrack {
  Track track;
  std::vector<const Sample*> samples;
  std::vector<uint32_t> chunk_samples;  // per fragment (0 when absent)
  SampleTables tables;
  TrakTimes times;
  int64_t start_us = 0;
};

Status BuildTables(ClipTrack* ct, int64_t origin_us) {
  const uint32_t timescale = TimescaleOf(ct->track);
  const bool aac = ct->track.codec == Codec::kAac && ct->track.sample_rate > 0;
  const auto& s = ct->samples;
  std::vector<int64_t> dts(s.size()), pts(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    dts[i] = aac ? UsToTicks(s[0]->dts_us, timescale) + int64_t(i) * 1024
                 : UsToTicks(s[i]->dts_us, timescale);
    pts[i] = aac ? dts[i] : UsToTicks(s[i]->pts_us, timescale);
  }
  // Shift decode times back so every composition offset is >= 0 (ctts v0).
  int64_t delay = 0;
  for (size_t i = 0; i < s.size(); ++i) delay = std::max(delay, dts[i] - pts[i]);
  uint64_t media_duration = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const int64_t d = i + 1 < s.size()
                          ? dts[i + 1] - dts[i]
                          : (aac ? 1024
                                 : UsToTicks(s[i]->dts_us + s[i]->duration_us, timescale) - dts[i]);
    const int64_t off = pts[i] - dts[i] + delay;
    if (d < 0 || d > std::numeric_limits<uint32_t>::max() ||
        off > std::numeric_limits<int32_t>::max()) {
      return Status::InvalidArgument("clip: sample timing out of range");
    }
    ct->tables.durations.push_back(uint32_t(d));
    ct->tables.composition_offsets.push_back(int32_t(off));
    ct->tables.sizes.push_back(uint32_t(s[i]->data.size()));
    ct->tables.sync.push_back(s[i]->sync);
    media_duration += uint64_t(d);
  }
  ct->times.media_duration = media_duration;
  ct->times.media_time = delay;
  ct->times.empty_edit = uint64_t((ct->start_us - origin_us + 500) / 1000);
  ct->times.movie_duration =
      ct->times.empty_edit + (media_duration * kMovieTimescale + timescale / 2) / timescale;
  return Status::Ok();
}

// moov with chunk offsets starting at `data_start`.
Status WriteMoov(std::vector<ClipTrack>* tracks, size_t fragments, uint64_t data_start,
                 std::string* out) {
  uint64_t offset = data_start;
  for (ClipTrack& ct : *tracks) {
    ct.tables.chunk_offsets.clear();
    ct.tables.chunk_samples.clear();
  }
  size_t next[64] = {};
  for (size_t f = 0; f < fragments; ++f) {
    for (size_t k = 0; k < tracks->size(); ++k) {
      ClipTrack& ct = (*tracks)[k];
      const uint32_t n = ct.chunk_samples[f];
      if (n == 0) continue;
      ct.tables.chunk_offsets.push_back(offset);
      ct.tables.chunk_samples.push_back(n);
      for (uint32_t i = 0; i < n; ++i) offset += ct.samples[next[k] + i]->data.size();
      next[k] += n;
    }
  }
  BoxWriter w(out);
  const size_t moov = w.Begin("moov");
  uint64_t duration = 0;
  for (const ClipTrack& ct : *tracks) duration = std::max(duration, ct.times.movie_duration);
  WriteMvhd(&w, duration, uint32_t(tracks->back().track.number + 1));
  for (const ClipTrack& ct : *tracks) {
    OSPREY_RETURN_IF_ERROR(WriteTrak(&w, ct.track, ct.times, &ct.tables));
  }
  w.End(moov);
  return Status::Ok();
}

}  // namespace

Result<std::string> BuildClipMp4(std::span<const DemuxedFragment> fragments) {
  if (fragments.empty()) return Status::InvalidArgument("clip: no fragments");
  std::vector<ClipTrack> tracks;
  for (const TrackSamples& ts : fragments[0].tracks) {
    if (ts.track.codec == Codec::kUnsupported) continue;
    tracks.push_back(ClipTrack{ts.track, {}, {}, {}, {}, 0});
  }
  if (tracks.empty() || tracks.size() > 64) {
    return Status::InvalidArgument("clip: no supported track");
  }
  uint64_t payload = 0;
  for (const DemuxedFragment& f : fragments) {
    for (ClipTrack& ct : tracks) {
      const TrackSamples* ts = f.Find(ct.track.number);
      const size_t n = ts ? ts->samples.size() : 0;
      ct.chunk_samples.push_back(uint32_t(n));
      for (size_t i = 0; i < n; ++i) {
        ct.samples.push_back(&ts->samples[i]);
        payload += ts->samples[i].data.size();
      }
    }
  }
  std::erase_if(tracks, [](const ClipTrack& ct) { return ct.samples.empty(); });
  if (tracks.empty()) return Status::InvalidArgument("clip: no samples");
  if (payload > std::numeric_limits<uint32_t>::max() - 16) {
    return Status::InvalidArgument("clip: more than 4 GB of media");
  }
  int64_t origin_us = std::numeric_limits<int64_t>::max();
  for (ClipTrack& ct : tracks) {
    ct.start_us = ct.samples.front()->dts_us;
    origin_us = std::min(origin_us, ct.start_us);
  }
  for (ClipTrack& ct : tracks) OSPREY_RETURN_IF_ERROR(BuildTables(&ct, origin_us));

  std::string out;
  BoxWriter w(&out);
  WriteFtyp(&w, /*fragmented=*/false);
  std::string moov;
  OSPREY_RETURN_IF_ERROR(WriteMoov(&tracks, fragments.size(), 0, &moov));
  const uint64_t data_start = out.size() + moov.size() + 8;
  moov.clear();
  OSPREY_RETURN_IF_ERROR(WriteMoov(&tracks, fragments.size(), data_start, &moov));
  out.reserve(out.size() + moov.size() + 8 + payload);
  out += moov;
  w.U32(uint32_t(payload + 8));
  w.Bytes("mdat");
  // Same order as the chunk offsets: per fragment, per track.
  size_t next[64] = {};
  for (size_t f = 0; f < fragments.size(); ++f) {
    for (size_t k = 0; k < tracks.size(); ++k) {
      ClipTrack& ct = tracks[k];
      for (uint32_t i = 0; i < ct.chunk_samples[f]; ++i) w.Bytes(ct.samples[next[k] + i]->data);
      next[k] += ct.chunk_samples[f];
    }
  }
  return out;
}

}  // namespace osprey::playback
