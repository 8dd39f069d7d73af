// fMP4/CMAF init and media segments (mp4_segments.h).
#include <limits>

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
  return kVideoTimescale;
}

Result<std::string> BuildInitSegment(const Track& track) {
  std::string out;
  BoxWriter w(&out);
  WriteFtyp(&w, /*fragmented=*/true);
  const size_t moov = w.Begin("moov");
  WriteMvhd(&w, 0, uint32_t(track.number + 1));
  OSPREY_RETURN_IF_ERROR(WriteTrak(&w, track, TrakTimes{}, nullptr));
  const size_t mvex = w.Begin("mvex");
  const size_t trex = w.BeginFull("trex", 0, 0);
  w.U32(uint32_t(track.number));
  w.U32(1);  // default_sample_description_index
  w.U32(0);
  w.U32(0);
  w.U32(0);
  w.End(trex);
  w.End(mvex);
  w.End(moov);
  return out;
}

Result<std::string> BuildMediaSegment(const DemuxedFragment& fragment, uint64_t track_number,
                                      uint32_t sequence_number) {
  const TrackSamples* ts = fragment.Find(track_number);
  if (ts == nullptr) {
    return Status::InvalidArgument("fragment has no track " + std::to_string(track_number));
  }
  if (ts->track.codec == Codec::kUnsupported) {
    return Status::InvalidArgument("unsupported codec " + ts->track.codec_id);
  }
  if (ts->samples.empty()) {
    return Status::InvalidArgument("track " + std::to_string(track_number) +
                                   " has no samples in this fragment");
  }
  const uint32_t timescale = TimescaleOf(ts->track);
  OSPREY_ASSIGN_OR_RETURN(const TrackTiming timing, ComputeTiming(*ts, timescale));
  uint64_t payload = 0;
  for (const Sample& s : ts->samples) payload += s.data.size();
  if (payload > std::numeric_limits<uint32_t>::max() - 64) {
    return Status::InvalidArgument("fragment too large for one mdat");
  }

  std::string out;
  out.reserve(payload + 64 + ts->samples.size() * 16);
  BoxWriter w(&out);
  const size_t moof = w.Begin("moof");
  const size_t mfhd = w.BeginFull("mfhd", 0, 0);
  w.U32(sequence_number);
  w.End(mfhd);
  const size_t traf = w.Begin("traf");
  const size_t tfhd = w.BeginFull("tfhd", 0, 0x020000);  // default-base-is-moof
  w.U32(uint32_t(track_number));
  w.End(tfhd);
  const size_t tfdt = w.BeginFull("tfdt", 1, 0);
  w.U64(uint64_t(timing.base_decode_time));
  w.End(tfdt);
  // data-offset, sample duration, size, flags, composition offset present.
  const size_t trun = w.BeginFull("trun", 1, 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800);
  w.U32(uint32_t(ts->samples.size()));
  const size_t data_offset_at = w.size();
  w.U32(0);
  for (size_t i = 0; i < ts->samples.size(); ++i) {
    w.U32(timing.durations[i]);
    w.U32(uint32_t(ts->samples[i].data.size()));
    w.U32(ts->samples[i].sync ? kSyncSampleFlags : kNonSyncSampleFlags);
    w.U32(uint32_t(timing.composition_offsets[i]));
  }
  w.End(trun);
  w.End(traf);
  w.End(moof);
  w.PatchU32(data_offset_at, uint32_t(out.size() - moof + 8));  // first byte in mdat
  w.U32(uint32_t(payload + 8));
  w.Bytes("mdat");
  for (const Sample& s : ts->samples) w.Bytes(s.data);
  return out;
}

}  // namespace osprey::playback
