// libFuzzer target for the writers: builds tracks, frames and tags from the
// input, writes a producer stream and a GetMedia chunk of them, parses both
// back (whole and byte by byte) and requires exactly what was written.
//
//   cmake --build build-frag-fuzz --target fuzz_mkv_writer
//   cp -r fragments/fuzz/corpus/mkv_writer /tmp/mkv-writer-corpus
//   build-frag-fuzz/fuzz/fuzz_mkv_writer -max_total_time=30 /tmp/mkv-writer-corpus
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "event_recorder.h"
#include "osprey/fragments/mkv_writer.h"

namespace {

using namespace osprey::fragments;
using osprey::fragments::testing::OwnedFrame;
using osprey::fragments::testing::ParseInChunks;
using osprey::fragments::testing::ParseOutcome;

[[noreturn]] void Fail(const char* what, const osprey::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::abort();
}

// Strings round-trip except for trailing NULs, which the parser strips on
// purpose (old producers pad with them): never generate them.
std::string Text(FuzzedDataProvider& in, size_t max) {
  std::string s = in.ConsumeRandomLengthString(max);
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

ParseOutcome ParseChecked(const std::string& bytes, bool multiple) {
  ParserOptions options;
  options.allow_multiple_segments = multiple;
  ParseOutcome whole = ParseInChunks(bytes, 0, options);
  if (!whole.status.ok()) Fail("writer output does not parse", whole.status);
  // Byte by byte for small outputs; fuzz_mkv_parser covers splits in depth.
  ParseOutcome split = ParseInChunks(bytes, bytes.size() < 4096 ? 1 : 13, options);
  if (split.recorder.events != whole.recorder.events) Fail("split parse differs", {});
  return whole;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  SegmentInfo info;
  info.timecode_scale_ns = in.ConsumeIntegralInRange<uint64_t>(1, 1'000'000'000);
  info.writing_app = Text(in, 40);
  std::vector<TrackEntry> tracks(in.ConsumeIntegralInRange<int>(1, 3));
  for (size_t i = 0; i < tracks.size(); ++i) {
    tracks[i].number = i + 1;
    tracks[i].uid = in.ConsumeIntegral<uint64_t>();
    tracks[i].type = in.ConsumeBool() ? 1 : 2;
    tracks[i].codec_id = Text(in, 20);
    tracks[i].name = Text(in, 20);
    tracks[i].codec_private = in.ConsumeRandomLengthString(64);
    if (tracks[i].type == 1) {
      tracks[i].pixel_width = in.ConsumeIntegral<uint16_t>();
      tracks[i].pixel_height = in.ConsumeIntegral<uint16_t>();
    } else {
      tracks[i].sampling_frequency = in.ConsumeIntegralInRange<int>(1, 192000);
      tracks[i].channels = in.ConsumeIntegralInRange<int>(1, 8);
    }
  }
  ProducerMkvWriter writer(info, tracks);
  std::string stream;
  writer.WriteHeader(&stream);
  std::vector<OwnedFrame> expected;
  std::vector<std::vector<Tag>> expected_tags;
  std::vector<FrameSpec> last_cluster;
  std::vector<std::string> payloads;  // keeps FrameSpec views alive
  payloads.reserve(64);
  uint64_t cluster_tc = in.ConsumeIntegralInRange<uint64_t>(0, uint64_t{1} << 40);
  writer.StartCluster(cluster_tc, &stream);
  for (int i = 0; i < 64 && in.remaining_bytes() > 0; ++i) {
    const int action = in.ConsumeIntegralInRange<int>(0, 9);
    if (action == 0) {  // Tags, then a new Cluster at a later timecode
      std::vector<Tag> tags(1);
      for (int t = in.ConsumeIntegralInRange<int>(0, 3); t > 0; --t) {
        tags[0].simple_tags.push_back({Text(in, 16), Text(in, 32)});
      }
      writer.WriteTags(tags, &stream);
      expected_tags.push_back(tags);
      cluster_tc += in.ConsumeIntegralInRange<uint64_t>(0, 100000);
      writer.StartCluster(cluster_tc, &stream);
      last_cluster.clear();
      continue;
    }
    payloads.push_back(in.ConsumeRandomLengthString(300));
    const FrameSpec f{in.ConsumeIntegralInRange<uint64_t>(1, tracks.size()),
                      static_cast<int64_t>(cluster_tc) + in.ConsumeIntegral<int16_t>(),
                      in.ConsumeBool(), payloads.back()};
    if (!writer.WriteFrame(f, &stream).ok()) Fail("valid frame rejected", {});
    expected.push_back({f.track_number, f.timecode, f.keyframe, payloads.back()});
    last_cluster.push_back(f);
  }
  const ParseOutcome p = ParseChecked(stream, false);
  if (p.recorder.frames != expected) Fail("frames differ", {});
  if (p.recorder.tags != expected_tags) Fail("tags differ", {});
  if (p.recorder.tracks != tracks) Fail("tracks differ", {});

  // The last Cluster again as one GetMedia chunk, with the ingested header.
  auto cluster = EncodeCluster(cluster_tc, last_cluster);
  if (!cluster.ok()) Fail("EncodeCluster", cluster.status());
  GetMediaChunk chunk;
  const std::string header = p.recorder.info_raw + p.recorder.tracks_raw;
  chunk.stream_header = header;
  chunk.fragment_number = Text(in, 48);
  chunk.server_timestamp_ms = in.ConsumeIntegral<int64_t>();
  chunk.producer_timestamp_ms = in.ConsumeIntegral<int64_t>();
  chunk.cluster = *cluster;
  chunk.continuation_token = chunk.fragment_number;
  const ParseOutcome c = ParseChecked(WriteGetMediaChunk(chunk) + WriteGetMediaErrorChunk(
                                          chunk.fragment_number, 4000, "X"), true);
  if (c.recorder.frames.size() != last_cluster.size()) Fail("chunk frames differ", {});
  if (c.recorder.tags.size() != 3 ||
      c.recorder.tags[0][0].simple_tags[1].value != FormatEpochSeconds(chunk.server_timestamp_ms)) {
    Fail("chunk tags differ", {});
  }
  return 0;
}
