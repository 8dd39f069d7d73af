// libFuzzer target for the remuxers on stored fragments, whose bytes come
// from producers (PutMedia): a stream header with an H.264 track and an
// AAC or Opus track whose CodecPrivate (avcC, AudioSpecificConfig,
// OpusHead: the OpusHead -> dOps conversion reads it) and frames come from
// the input, or (mode bit) the raw input split into header and Cluster.
// Whatever Demux accepts must go through every builder without a crash;
// errors are fine.
//
//   cmake -S . -B build-fuzz -G Ninja -DOSPREY_FUZZ=ON -DOSPREY_BUILD_TESTS=OFF \
//     -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
//   cmake --build build-fuzz --target fuzz_playback_remux
//   build-fuzz/fuzz/fuzz_playback_remux -max_total_time=30
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "osprey/fragments/mkv_writer.h"
#include "osprey/playback/codec_info.h"
#include "osprey/playback/media_fragment.h"
#include "osprey/playback/mp4_segments.h"
#include "osprey/playback/ts_segment.h"

namespace {

using namespace osprey;

constexpr int64_t kStart = 1700000000000;

// Stream header and Cluster built from the input: the shape the agent and
// kvssink produce, with hostile CodecPrivate and payloads.
void Structured(FuzzedDataProvider& in, std::string* header, std::string* cluster) {
  fragments::TrackEntry v;
  v.number = 1;
  v.uid = 1;
  v.type = 1;
  v.codec_id = "V_MPEG4/ISO/AVC";
  v.codec_private = in.ConsumeRandomLengthString(64);
  v.pixel_width = in.ConsumeIntegral<uint16_t>();
  v.pixel_height = in.ConsumeIntegral<uint16_t>();
  fragments::TrackEntry a;
  a.number = 2;
  a.uid = 2;
  a.type = 2;
  a.codec_id = in.ConsumeBool() ? "A_OPUS" : "A_AAC";
  a.codec_private = in.ConsumeRandomLengthString(40);
  a.sampling_frequency = static_cast<double>(in.ConsumeIntegralInRange<uint32_t>(0, 200000));
  a.channels = in.ConsumeIntegralInRange<uint64_t>(0, 255);
  *header = fragments::EncodeStreamHeader(fragments::SegmentInfo{}, {v, a});
  std::vector<std::string> payloads;
  std::vector<fragments::FrameSpec> frames;
  const size_t n = in.ConsumeIntegralInRange<size_t>(0, 24);
  payloads.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    payloads.push_back(in.ConsumeRandomLengthString(48));
    fragments::FrameSpec f;
    f.track_number = in.ConsumeBool() ? 1 : 2;
    f.timecode = kStart + in.ConsumeIntegralInRange<int64_t>(-100, 3000);
    f.keyframe = in.ConsumeBool();
    f.payload = payloads.back();
    frames.push_back(f);
  }
  Result<std::string> c = fragments::EncodeCluster(kStart, frames);
  *cluster = c.ok() ? *c : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool raw = in.ConsumeBool();
  const int64_t duration_ms = in.ConsumeIntegralInRange<int64_t>(0, 5000);
  std::string header, cluster;
  if (raw) {
    std::string rest = in.ConsumeRemainingBytesAsString();
    const size_t split = rest.empty() ? 0 : static_cast<uint8_t>(rest[0]) * rest.size() / 256;
    header = rest.substr(0, split);
    cluster = rest.substr(split);
  } else {
    Structured(in, &header, &cluster);
  }
  Result<playback::DemuxedFragment> d = playback::Demux({header, cluster, kStart, duration_ms});
  if (!d.ok()) return 0;
  std::vector<playback::Track> tracks;
  std::vector<uint64_t> numbers;
  for (const playback::TrackSamples& t : d->tracks) {
    (void)playback::DescribeTrack(t.track);
    (void)playback::AudioCodecsString(t.track);
    (void)playback::BuildInitSegment(t.track);
    (void)playback::BuildMediaSegment(*d, t.track.number, 1);
    if (t.track.codec != playback::Codec::kUnsupported) {
      tracks.push_back(t.track);
      numbers.push_back(t.track.number);
    }
  }
  if (!tracks.empty()) {
    (void)playback::BuildInitSegment(std::span<const playback::Track>(tracks));
    (void)playback::BuildMediaSegment(*d, numbers, 1);
  }
  (void)playback::BuildClipMp4(std::span<const playback::DemuxedFragment>(&*d, 1));
  (void)playback::BuildTsSegment(*d);
  return 0;
}
