// GoogleTest helper: parses one input whole, one byte at a time and in a few
// other splits, and requires the same events and the same Status each way.
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "event_recorder.h"

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

}  // namespace osprey::fragments::testing
