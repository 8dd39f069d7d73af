// Fixture for the StreamEngine tests: an engine in a scratch directory on a
// manual clock, with the CREATING/UPDATING delays off unless a test sets
// them, and helpers to put and read.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "osprey/streams/stream_engine.h"
#include "osprey/streams/stream_errors.h"
#include "test_util.h"

namespace osprey::streams {
inline void PrintTo(const HashKeyRange& r, std::ostream* os) {
  *os << "[" << FormatHashKey(r.start) << ", " << FormatHashKey(r.end) << "]";
}
}  // namespace osprey::streams

namespace osprey::streams::testing {

#define ASSERT_OK(expr)                                  \
  do {                                                   \
    const ::osprey::Status s_ = (expr);                  \
    ASSERT_TRUE(s_.ok()) << s_.ToString();               \
  } while (0)
#define EXPECT_OK(expr)                                  \
  do {                                                   \
    const ::osprey::Status s_ = (expr);                  \
    EXPECT_TRUE(s_.ok()) << s_.ToString();               \
  } while (0)

inline constexpr int64_t kStartMs = 1700000000000;  // 2023-11-14T22:13:20Z

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : clock_(kStartMs) {
    options_.root_dir = dir_.path();
    options_.create_delay_ms = 0;
    options_.update_delay_ms = 0;
    options_.clock = clock_.AsFn();
  }
  void SetUp() override { Reopen(); }

  void Reopen() {
    if (engine_) ASSERT_OK(engine_->Close());
    engine_.reset();
    auto e = OpenStreamEngine(options_);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }

  void Create(const std::string& name, uint32_t shards) {
    CreateStreamOptions o;
    o.shard_count = shards;
    ASSERT_OK(engine_->CreateStream(name, o));
  }

  // Puts one record and returns its result (asserting success).
  PutRecordResult Put(const std::string& stream, const std::string& key, const std::string& data,
                      const char* explicit_hash_key = nullptr) {
    auto r = engine_->PutRecords(stream, {MakeInput(key, data, explicit_hash_key)});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_TRUE((*r)[0].status.ok()) << (*r)[0].status.ToString();
    return (*r)[0];
  }

  // Every record of a shard from TRIM_HORIZON, following iterators until
  // the tip (open shard) or the shard end (closed shard).
  std::vector<StreamRecord> ReadAll(const std::string& stream, const std::string& shard_id,
                                    GetRecordsResult* last = nullptr) {
    std::vector<StreamRecord> out;
    auto it = engine_->GetShardIterator(stream, shard_id, {IteratorType::kTrimHorizon, {}, {}});
    EXPECT_TRUE(it.ok()) << it.status().ToString();
    if (!it.ok()) return out;
    std::string token = *it;
    for (int i = 0; i < 1000; ++i) {
      auto r = engine_->GetRecords(token, 3);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return out;
      for (auto& rec : r->read.records) out.push_back(rec);
      if (last != nullptr) *last = *r;
      if (!r->next_shard_iterator || r->read.records.empty()) break;
      token = *r->next_shard_iterator;
    }
    return out;
  }

  TempDir dir_;
  ManualClock clock_;
  EngineOptions options_;
  std::unique_ptr<StreamEngine> engine_;
};

inline StreamError ErrorOf(const Status& s) { return ClassifyError(s); }

}  // namespace osprey::streams::testing
