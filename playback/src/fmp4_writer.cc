// fMP4/CMAF init and media segments (mp4_segments.h).
#include <algorithm>
#include <limits>
#include <vector>

#include "box_writer.h"
#include "moov_writer.h"
#include "osprey/playback/mp4_segments.h"
#include "sample_timing.h"

namespace osprey::playback {
namespace {

// ISO/IEC 14496-12 8.8.3.1 sample_flags.
constexpr uint32_t kSyncSampleFlags = 0x02000000;     // depends on no other sample
constexpr uint32_t kNonSyncSampleFlags = 0x01010000;  // depends on others; non-sync

}  // namespace

uint32_t TimescaleOf(const Track& track) {
  if (track.codec == Codec::kAac && track.sample_rate > 0) return track.sample_rate;
  if (track.codec == Codec::kOpus) return 48000;  // Opus always decodes at 48 kHz
  return kVideoTimescale;
}

Result<std::string> BuildInitSegment(const Track& track) {
  return BuildInitSegment(std::span<const Track>(&track, 1));
}

Result<std::string> BuildInitSegment(std::span<const Track> tracks) {
  if (tracks.empty()) return Status::InvalidArgument("init segment without a track");
  uint64_t next_track_id = 1;
  for (const Track& t : tracks) next_track_id = std::max(next_track_id, t.number + 1);
  std::string out;
  BoxWriter w(&out);
  WriteFtyp(&w, /*fragmented=*/true);
  const size_t moov = w.Begin("moov");
  WriteMvhd(&w, 0, uint32_t(next_track_id));
  for (const Track& t : tracks) OSPREY_RETURN_IF_ERROR(WriteTrak(&w, t, TrakTimes{}, nullptr));
  const size_t mvex = w.Begin("mvex");
  for (const Track& t : tracks) {
    const size_t trex = w.BeginFull("trex", 0, 0);
    w.U32(uint32_t(t.number));
    w.U32(1);  // default_sample_description_index
    w.U32(0);
    w.U32(0);
    w.U32(0);
    w.End(trex);
  }
  w.End(mvex);
  w.End(moov);
  return out;
}

Result<std::string> BuildMediaSegment(const DemuxedFragment& fragment, uint64_t track_number,
                                      uint32_t sequence_number) {
  return BuildMediaSegment(fragment, std::span<const uint64_t>(&track_number, 1), sequence_number);
}

Result<std::string> BuildMediaSegment(const DemuxedFragment& fragment,
                                      std::span<const uint64_t> track_numbers,
                                      uint32_t sequence_number) {
  struct Part {
    const TrackSamples* ts;
    TrackTiming timing;
    size_t data_offset_at = 0;
  };
  std::vector<Part> parts;
  uint64_t payload = 0;
  for (const uint64_t number : track_numbers) {
    const TrackSamples* ts = fragment.Find(number);
    if (ts == nullptr) {
      return Status::InvalidArgument("fragment has no track " + std::to_string(number));
    }
    if (ts->track.codec == Codec::kUnsupported) {
      return Status::InvalidArgument("unsupported codec " + ts->track.codec_id);
    }
    if (ts->samples.empty()) continue;  // a track may miss a fragment (audio stalled)
    OSPREY_ASSIGN_OR_RETURN(TrackTiming timing, ComputeTiming(*ts, TimescaleOf(ts->track)));
    for (const Sample& s : ts->samples) payload += s.data.size();
    parts.push_back(Part{ts, std::move(timing)});
  }
  if (parts.empty()) {
    return Status::InvalidArgument(
        "track " + std::to_string(track_numbers.empty() ? 0 : track_numbers.front()) +
        " has no samples in this fragment");
  }
  if (payload > std::numeric_limits<uint32_t>::max() - 64) {
    return Status::InvalidArgument("fragment too large for one mdat");
  }
  std::string out;
  out.reserve(payload + 64 + parts.size() * 64);
  BoxWriter w(&out);
  const size_t moof = w.Begin("moof");
  const size_t mfhd = w.BeginFull("mfhd", 0, 0);
  w.U32(sequence_number);
  w.End(mfhd);
  for (Part& p : parts) {
    const TrackSamples* ts = p.ts;
    const size_t traf = w.Begin("traf");
    const size_t tfhd = w.BeginFull("tfhd", 0, 0x020000);  // default-base-is-moof
    w.U32(uint32_t(ts->track.number));
    w.End(tfhd);
    const size_t tfdt = w.BeginFull("tfdt", 1, 0);
    w.U64(uint64_t(p.timing.base_decode_time));
    w.End(tfdt);
    // data-offset, sample duration, size, flags, composition offset present.
    const size_t trun =
        w.BeginFull("trun", 1, 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800);
    w.U32(uint32_t(ts->samples.size()));
    p.data_offset_at = w.size();
    w.U32(0);
    for (size_t i = 0; i < ts->samples.size(); ++i) {
      w.U32(p.timing.durations[i]);
      w.U32(uint32_t(ts->samples[i].data.size()));
      w.U32(ts->samples[i].sync ? kSyncSampleFlags : kNonSyncSampleFlags);
      w.U32(uint32_t(p.timing.composition_offsets[i]));
    }
    w.End(trun);
    w.End(traf);
  }
  w.End(moof);
  // Each track's samples follow the previous track's in the one mdat.
  uint64_t data_offset = out.size() - moof + 8;  // first byte in mdat
  for (const Part& p : parts) {
    w.PatchU32(p.data_offset_at, uint32_t(data_offset));
    for (const Sample& s : p.ts->samples) data_offset += s.data.size();
  }
  w.U32(uint32_t(payload + 8));
  w.Bytes("mdat");
  for (const Part& p : parts) {
    for (const Sample& s : p.ts->samples) w.Bytes(s.data);
  }
  return out;
}

}  // namespace osprey::playback
