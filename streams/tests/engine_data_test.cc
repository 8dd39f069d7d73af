// StreamEngine data plane: routing, put/get, iterator types, errors,
// retention, throughput limits, concurrency.
#include <thread>

#include "engine_test_util.h"
#include "osprey/streams/sequence_number.h"

namespace osprey::streams::testing {
namespace {

TEST_F(EngineTest, RoutesByMd5OfPartitionKey) {
  Create("s", 3);
  // MD5("a") = 16955237001963240173058271559858726497 < 1/3 of the range.
  EXPECT_EQ(Put("s", "a", "x").shard_id, "shardId-000000000000");
  // MD5("partition-1") = 198019941650871988756153596255032211816: middle third.
  EXPECT_EQ(Put("s", "partition-1", "x").shard_id, "shardId-000000000001");
  // MD5("") = 281949768489412648962353822266799178366: last third.
  EXPECT_EQ(Put("s", "", "x").shard_id, "shardId-000000000002");
}

TEST_F(EngineTest, ExplicitHashKeyOverridesPartitionKey) {
  Create("s", 3);
  EXPECT_EQ(Put("s", "a", "x", "340282366920938463463374607431768211455").shard_id, "shardId-000000000002");
  EXPECT_EQ(Put("s", "a", "x", "113427455640312821154458202477256070485").shard_id, "shardId-000000000001");
  EXPECT_EQ(Put("s", "a", "x", "113427455640312821154458202477256070484").shard_id, "shardId-000000000000");
  auto bad = engine_->PutRecords("s", {MakeInput("a", "x", "340282366920938463463374607431768211456")});
  EXPECT_EQ(bad.status().message(),
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified "
            "value was 340282366920938463463374607431768211456");
  EXPECT_EQ(ErrorOf(bad.status()), StreamError::kInvalidArgument);
}

TEST_F(EngineTest, PutRecordsBatchAcrossShardsKeepsOrder) {
  Create("s", 4);
  std::vector<RecordInput> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(Numbered(static_cast<uint64_t>(i)));
  auto r = engine_->PutRecords("s", batch);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 100u);
  std::map<std::string, std::vector<std::string>> per_shard;
  std::map<std::string, uint64_t> last_index;
  for (size_t i = 0; i < r->size(); ++i) {
    const auto& res = (*r)[i];
    ASSERT_TRUE(res.status.ok());
    // Increasing per shard, in request order.
    EXPECT_GT(res.sequence_index, last_index[res.shard_id]);
    last_index[res.shard_id] = res.sequence_index;
    per_shard[res.shard_id].push_back(batch[i].data);
    auto parts = DecodeSequenceNumber(res.sequence_number);
    ASSERT_TRUE(parts.ok());
    EXPECT_EQ(parts->seq_index, res.sequence_index);
    EXPECT_EQ(ShardIdFor(parts->shard_index), res.shard_id);
  }
  EXPECT_GT(per_shard.size(), 1u);
  for (const auto& [shard, datas] : per_shard) {
    auto got = ReadAll("s", shard);
    ASSERT_EQ(got.size(), datas.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, datas[i]);
  }
}

TEST_F(EngineTest, PutErrors) {
  EXPECT_EQ(engine_->PutRecords("nope", {MakeInput("k", "v")}).status().message(),
            "Stream nope under account 000000000000 not found.");
  Create("s", 1);
  EXPECT_EQ(ErrorOf(engine_->PutRecords("s", {}).status()), StreamError::kInvalidArgument);
  std::string big((1 << 20) - 1, 'x');
  EXPECT_EQ(ErrorOf(engine_->PutRecords("s", {MakeInput("kk", big)}).status()), StreamError::kInvalidArgument);
  EXPECT_TRUE(engine_->PutRecords("s", {MakeInput("k", big)}).ok());  // exactly 1 MiB with the key
  std::vector<RecordInput> six;
  for (int i = 0; i < 6; ++i) six.push_back(MakeInput("k", big));
  EXPECT_EQ(ErrorOf(engine_->PutRecords("s", six).status()), StreamError::kInvalidArgument);  // > 5 MiB
}

TEST_F(EngineTest, IteratorTypes) {
  Create("s", 1);
  const std::string shard = "shardId-000000000000";
  std::vector<PutRecordResult> put;
  for (int i = 0; i < 5; ++i) {
    put.push_back(Put("s", "k", "r" + std::to_string(i)));
    clock_.Advance(1000);
  }
  auto read_from = [&](IteratorRequest req) -> std::vector<std::string> {
    auto it = engine_->GetShardIterator("s", shard, req);
    EXPECT_TRUE(it.ok()) << it.status().ToString();
    if (!it.ok()) return {};
    auto r = engine_->GetRecords(*it, 100);
    EXPECT_TRUE(r.ok());
    std::vector<std::string> out;
    for (const auto& rec : r->read.records) out.push_back(rec.data);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(read_from({IteratorType::kTrimHorizon, {}, {}}), (V{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(read_from({IteratorType::kLatest, {}, {}}), V{});
  EXPECT_EQ(read_from({IteratorType::kAtSequenceNumber, put[2].sequence_number, {}}), (V{"r2", "r3", "r4"}));
  EXPECT_EQ(read_from({IteratorType::kAfterSequenceNumber, put[2].sequence_number, {}}), (V{"r3", "r4"}));
  EXPECT_EQ(read_from({IteratorType::kAtTimestamp, {}, kStartMs + 2500}), (V{"r3", "r4"}));
  EXPECT_EQ(read_from({IteratorType::kAtTimestamp, {}, kStartMs - 99999}), (V{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(read_from({IteratorType::kAtTimestamp, {}, clock_.Now()}), V{});
  // The shard's StartingSequenceNumber reads from the start.
  auto d = engine_->DescribeStream("s");
  EXPECT_EQ(read_from({IteratorType::kAtSequenceNumber, d->shards[0].starting_sequence_number, {}}).size(), 5u);

  // LATEST then a new record: the iterator sees it.
  auto latest = engine_->GetShardIterator("s", shard, {IteratorType::kLatest, {}, {}});
  Put("s", "k", "r5");
  auto r = engine_->GetRecords(*latest, 10);
  ASSERT_EQ(r->read.records.size(), 1u);
  EXPECT_EQ(r->read.records[0].data, "r5");
  EXPECT_EQ(r->read.records[0].arrival_ms, clock_.Now());
  EXPECT_EQ(r->read.millis_behind_latest, 0);
  ASSERT_TRUE(r->next_shard_iterator);
  auto empty = engine_->GetRecords(*r->next_shard_iterator, 10);
  EXPECT_TRUE(empty->read.records.empty());
  EXPECT_TRUE(empty->next_shard_iterator) << "an open shard always gives a next iterator";
}

TEST_F(EngineTest, MillisBehindLatest) {
  Create("s", 1);
  Put("s", "k", "old");
  clock_.Advance(7000);
  Put("s", "k", "new");
  auto it = engine_->GetShardIterator("s", "shardId-000000000000", {IteratorType::kTrimHorizon, {}, {}});
  auto r = engine_->GetRecords(*it, 1);
  ASSERT_EQ(r->read.records.size(), 1u);
  EXPECT_EQ(r->read.millis_behind_latest, 7000);
  r = engine_->GetRecords(*r->next_shard_iterator, 1);
  EXPECT_EQ(r->read.millis_behind_latest, 0);
}

TEST_F(EngineTest, GetShardIteratorErrors) {
  Create("s", 1);
  auto err = [&](std::string_view shard, IteratorRequest req) {
    return engine_->GetShardIterator("s", shard, req).status();
  };
  EXPECT_EQ(err("shardId-000000000005", {}).message(),
            "Shard shardId-000000000005 in stream s under account 000000000000 does not exist");
  EXPECT_EQ(err("junk", {}).message(), "Could not find shard junk in stream s under account 000000000000.");
  EXPECT_TRUE(engine_->GetShardIterator("s", "shardId-0", {}).ok());
  EXPECT_EQ(err("shardId-0", {IteratorType::kAtSequenceNumber, {}, {}}).message(),
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
            "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
            "Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.");
  EXPECT_NE(err("shardId-0", {IteratorType::kLatest, "1", {}}).message().find("and also a StartingSequenceNumber."),
            std::string::npos);
  EXPECT_EQ(err("shardId-0", {IteratorType::kAtTimestamp, {}, {}}).message(),
            "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current "
            "request has no timestamp parameter.");
  EXPECT_EQ(err("shardId-0", {IteratorType::kAtTimestamp, {}, kStartMs + 1}).message(),
            "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
            "timestampInMillis: 1700000000001, currentTimestampInMillis: 1700000000000");
  EXPECT_EQ(err("shardId-0", {IteratorType::kAtSequenceNumber, "12", {}}).message(),
            "StartingSequenceNumber 12 used in GetShardIterator on shard shardId-000000000000 in "
            "stream s under account 000000000000 is invalid.");
  // A number of another shard, and one from a stream created at another time.
  const std::string other_shard = EncodeSequenceNumber({kStartMs / 1000, 1, kStartMs / 1000, 3});
  EXPECT_EQ(err("shardId-0", {IteratorType::kAtSequenceNumber, other_shard, {}}).message(),
            "Invalid StartingSequenceNumber. It encodes shardId-000000000003, while it was used in a "
            "call to a shard with shardId-000000000000");
  const std::string other_time = EncodeSequenceNumber({kStartMs / 1000 - 5, 1, kStartMs / 1000, 0});
  EXPECT_NE(err("shardId-0", {IteratorType::kAtSequenceNumber, other_time, {}}).message().find(
                "is invalid because it did not come from this stream."),
            std::string::npos);
}

TEST_F(EngineTest, IteratorOfDeletedOrRecreatedStreamIsNotFound) {
  Create("s", 1);
  auto it = engine_->GetShardIterator("s", "shardId-000000000000", {});
  ASSERT_OK(engine_->DeleteStream("s", false));
  EXPECT_EQ(ErrorOf(engine_->GetRecords(*it, 10).status()), StreamError::kResourceNotFound);
  Create("s", 1);
  EXPECT_EQ(ErrorOf(engine_->GetRecords(*it, 10).status()), StreamError::kResourceNotFound);
  clock_.Advance(300001);
  auto expired = engine_->GetRecords(*it, 10);
  EXPECT_EQ(ErrorOf(expired.status()), StreamError::kExpiredIterator);
  EXPECT_EQ(ErrorOf(engine_->GetRecords("bogus", 10).status()), StreamError::kInvalidArgument);
}

TEST_F(EngineTest, RetentionHidesOldRecords) {
  Create("s", 1);
  Put("s", "k", "day1");
  clock_.Advance(23 * 3600 * 1000);
  Put("s", "k", "day2");
  clock_.Advance(2 * 3600 * 1000);  // day1 is now 25 h old
  auto sweep = engine_->ApplyRetention(clock_.Now());
  ASSERT_TRUE(sweep.ok());
  auto recs = ReadAll("s", "shardId-000000000000");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].data, "day2");
}

TEST_F(EngineTest, ThroughputLimitFailsEntriesNotTheCall) {
  options_.enforce_throughput_limits = true;
  options_.shard_write_records_per_second = 10;
  Reopen();
  Create("s", 1);
  std::vector<RecordInput> batch;
  for (int i = 0; i < 15; ++i) batch.push_back(MakeInput("k", "v"));
  auto r = engine_->PutRecords("s", batch);
  ASSERT_TRUE(r.ok());
  int failed = 0;
  for (const auto& e : *r) {
    if (e.status.ok()) continue;
    ++failed;
    EXPECT_EQ(ErrorOf(e.status), StreamError::kProvisionedThroughputExceeded);
    EXPECT_EQ(e.status.message(),
              "Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.");
  }
  EXPECT_EQ(failed, 5);
  clock_.Advance(1000);  // a second later the bucket is full again
  EXPECT_TRUE(engine_->PutRecords("s", batch).value()[9].status.ok());
  // Bytes: 1 MiB per second.
  clock_.Advance(1000);
  std::string half(600 * 1024, 'x');
  EXPECT_TRUE(engine_->PutRecords("s", {MakeInput("k", half)}).value()[0].status.ok());
  EXPECT_FALSE(engine_->PutRecords("s", {MakeInput("k", half)}).value()[0].status.ok());
}

TEST_F(EngineTest, ManyThreadsPutting) {
  options_.clock = nullptr;  // real time: arrival stamps from several threads
  Reopen();
  Create("s", 4);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::vector<RecordInput> b = {MakeInput("t" + std::to_string(t) + "-" + std::to_string(i), "d"),
                                      MakeInput("u" + std::to_string(i), std::to_string(t))};
        auto r = engine_->PutRecords("s", b);
        if (!r.ok() || !(*r)[0].status.ok() || !(*r)[1].status.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  size_t total = 0;
  for (int s = 0; s < 4; ++s) {
    auto recs = ReadAll("s", ShardIdFor(static_cast<uint32_t>(s)));
    for (size_t i = 1; i < recs.size(); ++i) EXPECT_EQ(recs[i].sequence_index, recs[i - 1].sequence_index + 1);
    total += recs.size();
  }
  EXPECT_EQ(total, size_t{kThreads} * kPerThread * 2);
}

TEST_F(EngineTest, AsyncPutCallsBackOnce) {
  Create("s", 2);
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  engine_->PutRecordsAsync("s", {MakeInput("a", "1"), MakeInput("b", "2"), MakeInput("c", "3")},
                           [&](Result<std::vector<PutRecordResult>> r) {
                             EXPECT_TRUE(r.ok());
                             std::lock_guard lock(mu);
                             ++calls;
                             cv.notify_all();
                           });
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(10), [&] { return calls > 0; });
  lock.unlock();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace osprey::streams::testing
