// GoogleTest helper: parses one input whole, one byte at a time and in a few
// other splits, and requires the same events and the same Status each way.
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "event_recorder.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::fragments::testing {

inline ParseOutcome ParseEveryWay(std::string_view data, ParserOptions options = {}) {
  ParseOutcome whole = ParseInChunks(data, 0, options);
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{7}, size_t{64}}) {
    ParseOutcome split = ParseInChunks(data, chunk, options);
    EXPECT_EQ(split.recorder.events, whole.recorder.events) << "chunk size " << chunk;
    EXPECT_EQ(split.status, whole.status) << "chunk size " << chunk;
    EXPECT_EQ(split.recorder.frames, whole.recorder.frames) << "chunk size " << chunk;
  }
  // Every two-piece split of small inputs.
  if (data.size() <= 2048) {
    for (size_t at = 0; at <= data.size(); ++at) {
      ParseOutcome split = ParseSplit(data, at, options);
      EXPECT_EQ(split.recorder.events, whole.recorder.events) << "split at " << at;
      EXPECT_EQ(split.status, whole.status) << "split at " << at;
      if (split.recorder.events != whole.recorder.events) break;
    }
  }
  return whole;
}

// A GetMedia chunk with the values of the spec's section 5 example and one
// metadata tag, around the given stream header and cluster bytes (viewed,
// not copied: they must outlive the chunk).
inline GetMediaChunk SampleChunk(std::string_view stream_header, std::string_view cluster) {
  GetMediaChunk c;
  c.stream_header = stream_header;
  c.fragment_number = "91343852333181432392682062607743920146459484481";
  c.server_timestamp_ms = 1511852109126;
  c.producer_timestamp_ms = 1511852108513;
  c.cluster = cluster;
  c.fragment_metadata = {{"motion", "yes"}};
  c.millis_behind_now = 15858;
  c.continuation_token = c.fragment_number;
  return c;
}

}  // namespace osprey::fragments::testing
