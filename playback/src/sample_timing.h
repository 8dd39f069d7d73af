// Sample times of one track in MP4 ticks, shared by the fMP4 and clip
// writers (mp4_segments.h gives the rules).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "box_writer.h"
#include "osprey/base/result.h"
#include "osprey/playback/media_fragment.h"

namespace osprey::playback {

struct TrackTiming {
  int64_t base_decode_time = 0;              // ticks of the first decode time
  std::vector<uint32_t> durations;           // ticks, per sample
  std::vector<int32_t> composition_offsets;  // pts - dts in ticks (may be < 0)
};

// AAC frames last 1024 samples each (the timescale is the sampling rate);
// other tracks take every time from the sample's microseconds, converted
// from the absolute value so that rounding never accumulates.
inline Result<TrackTiming> ComputeTiming(const TrackSamples& track, uint32_t timescale) {
  TrackTiming t;
  const auto& s = track.samples;
  if (s.empty()) return t;
  t.base_decode_time = UsToTicks(s.front().dts_us, timescale);
  const bool aac = track.track.codec == Codec::kAac && track.track.sample_rate > 0;
  t.durations.reserve(s.size());
  t.composition_offsets.reserve(s.size());
  for (const Sample& x : s) {
    const int64_t dts = UsToTicks(x.dts_us, timescale);
    const int64_t duration =
        aac ? 1024 : UsToTicks(x.dts_us + x.duration_us, timescale) - dts;
    const int64_t offset = aac ? 0 : UsToTicks(x.pts_us, timescale) - dts;
    if (duration < 0 || duration > std::numeric_limits<uint32_t>::max() ||
        offset < std::numeric_limits<int32_t>::min() ||
        offset > std::numeric_limits<int32_t>::max()) {
      return Status::InvalidArgument("sample duration or composition offset out of range");
    }
    t.durations.push_back(uint32_t(duration));
    t.composition_offsets.push_back(int32_t(offset));
  }
  return t;
}

}  // namespace osprey::playback
