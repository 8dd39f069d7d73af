// StreamEngine control plane: create, describe, list, delete, persistence
// across reopen, status lifecycle, retention periods, tags, modes, limits,
// consumers, ARNs.
#include <filesystem>
#include <fstream>

#include "engine_test_util.h"

namespace osprey::streams::testing {
namespace {

TEST_F(EngineTest, CreateDescribeAndList) {
  Create("b-stream", 3);
  Create("a-stream", 1);
  auto d = engine_->DescribeStream("b-stream");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->arn, "arn:aws:kinesis:us-east-1:000000000000:stream/b-stream");
  EXPECT_EQ(d->status, StreamStatus::kActive);
  EXPECT_EQ(d->mode, StreamMode::kProvisioned);
  EXPECT_EQ(d->retention_hours, 24);
  EXPECT_EQ(d->created_ms, kStartMs);
  EXPECT_EQ(d->open_shard_count, 3u);
  ASSERT_EQ(d->shards.size(), 3u);
  EXPECT_EQ(d->shards[2].shard_id, "shardId-000000000002");
  EXPECT_EQ(FormatHashKey(d->shards[1].hash_key_range.start), "113427455640312821154458202477256070485");
  // Spec 4.4: shard 0 created at 1700000000 starts at this number.
  EXPECT_EQ(d->shards[0].starting_sequence_number, "49646437577108476416916876405825929425585429676275269634");
  EXPECT_FALSE(d->shards[0].ending_sequence_number);

  auto all = engine_->ListStreams("", 100);
  ASSERT_EQ(all.streams.size(), 2u);
  EXPECT_EQ(all.streams[0].name, "a-stream");
  EXPECT_FALSE(all.has_more);
  auto page = engine_->ListStreams("", 1);
  EXPECT_TRUE(page.has_more);
  auto next = engine_->ListStreams(page.streams.back().name, 1);
  ASSERT_EQ(next.streams.size(), 1u);
  EXPECT_EQ(next.streams[0].name, "b-stream");
  EXPECT_FALSE(next.has_more);
}

TEST_F(EngineTest, CreateErrors) {
  Create("s", 1);
  CreateStreamOptions o;
  o.shard_count = 1;
  Status dup = engine_->CreateStream("s", o);
  EXPECT_EQ(ErrorOf(dup), StreamError::kResourceInUse);
  EXPECT_EQ(dup.message(), "Stream s under account 000000000000 already exists.");
  EXPECT_EQ(ErrorOf(engine_->CreateStream("bad/name", o)), StreamError::kValidation);
  o.shard_count.reset();
  EXPECT_EQ(ErrorOf(engine_->CreateStream("t", o)), StreamError::kInvalidArgument);
  o.shard_count = 0;
  EXPECT_EQ(ErrorOf(engine_->CreateStream("t", o)), StreamError::kValidation);
  o.shard_count = 500;  // 1 already open
  Status limit = engine_->CreateStream("t", o);
  EXPECT_EQ(ErrorOf(limit), StreamError::kLimitExceeded);
  EXPECT_NE(limit.message().find("Limit: 500. Number of additional shards that would have resulted "
                                 "from this request: 500."),
            std::string::npos);
  EXPECT_EQ(ErrorOf(engine_->DescribeStream("nope").status()), StreamError::kResourceNotFound);
  EXPECT_EQ(engine_->DescribeStream("nope").status().message(),
            "Stream nope under account 000000000000 not found.");
}

TEST_F(EngineTest, OnDemandStartsWithFourShards) {
  CreateStreamOptions o;
  o.mode = StreamMode::kOnDemand;
  ASSERT_OK(engine_->CreateStream("od", o));
  auto d = engine_->DescribeStream("od");
  EXPECT_EQ(d->mode, StreamMode::kOnDemand);
  EXPECT_EQ(d->shards.size(), 4u);
  auto limits = engine_->DescribeLimits();
  EXPECT_EQ(limits.open_shard_count, 4u);
  EXPECT_EQ(limits.on_demand_stream_count, 1u);
  EXPECT_EQ(limits.shard_limit, 500u);
  ASSERT_OK(engine_->UpdateStreamMode(engine_->StreamNameFromArn(d->arn).value(), StreamMode::kProvisioned));
  EXPECT_EQ(engine_->DescribeStream("od")->mode, StreamMode::kProvisioned);
}

TEST_F(EngineTest, CreatingThenActiveAfterDelay) {
  options_.create_delay_ms = 500;
  options_.update_delay_ms = 500;
  Reopen();
  Create("s", 2);
  auto d = engine_->DescribeStream("s");
  EXPECT_EQ(d->status, StreamStatus::kCreating);
  EXPECT_TRUE(d->shards.empty());
  // Data operations treat a CREATING stream as absent; delete waits.
  auto put = engine_->PutRecords("s", {MakeInput("k", "v")});
  EXPECT_EQ(ErrorOf(put.status()), StreamError::kResourceNotFound);
  EXPECT_EQ(ErrorOf(engine_->DeleteStream("s", false)), StreamError::kResourceInUse);
  clock_.Advance(500);
  EXPECT_EQ(engine_->DescribeStream("s")->status, StreamStatus::kActive);
  ASSERT_OK(engine_->SplitShard("s", "shardId-000000000000", "1000"));
  EXPECT_EQ(engine_->DescribeStream("s")->status, StreamStatus::kUpdating);
  Status busy = engine_->SplitShard("s", "shardId-000000000001", "170141183460469231731687303715884106727");
  EXPECT_EQ(busy.message(), "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING");
  // Writes keep working while UPDATING.
  EXPECT_TRUE(engine_->PutRecords("s", {MakeInput("k", "v")}).ok());
  clock_.Advance(500);
  EXPECT_EQ(engine_->DescribeStream("s")->status, StreamStatus::kActive);
}

TEST_F(EngineTest, RegistryPersistsAcrossReopen) {
  Create("keep", 2);
  ASSERT_OK(engine_->AddTags("keep", {{"team", "video"}}));
  ASSERT_OK(engine_->IncreaseRetention("keep", 48));
  ASSERT_OK(engine_->SplitShard("keep", "shardId-000000000001", "200000000000000000000000000000000000000"));
  ASSERT_TRUE(engine_->RegisterConsumer("keep", "app").ok());
  auto put = Put("keep", "a", "hello");
  auto before = engine_->DescribeStream("keep");
  Reopen();
  auto after = engine_->DescribeStream("keep");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->retention_hours, 48);
  ASSERT_EQ(after->shards.size(), before->shards.size());
  for (size_t i = 0; i < after->shards.size(); ++i) {
    EXPECT_EQ(after->shards[i].shard_id, before->shards[i].shard_id);
    EXPECT_EQ(after->shards[i].hash_key_range, before->shards[i].hash_key_range);
    EXPECT_EQ(after->shards[i].parent_shard_id, before->shards[i].parent_shard_id);
    EXPECT_EQ(after->shards[i].ending_sequence_number, before->shards[i].ending_sequence_number);
  }
  EXPECT_EQ(engine_->ListTags("keep")->at("team"), "video");
  EXPECT_EQ(engine_->ListConsumers("keep")->size(), 1u);
  auto recs = ReadAll("keep", put.shard_id);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].sequence_number, put.sequence_number);
}

TEST_F(EngineTest, SecondEngineOnSameRootIsRefused) {
  auto second = OpenStreamEngine(options_);
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(EngineTest, CorruptRegistryIsReported) {
  Create("s", 1);
  ASSERT_OK(engine_->Close());
  engine_.reset();
  {
    std::ofstream f(dir_.Sub("registry"), std::ios::app);
    f << "garbage\n";
  }
  EXPECT_EQ(OpenStreamEngine(options_).status().code(), Status::Code::kCorruption);
}

TEST_F(EngineTest, DeleteRemovesFilesAndNameCanBeReused) {
  Create("s", 2);
  Put("s", "k", "old");
  ASSERT_OK(engine_->DeleteStream("s", false));
  EXPECT_EQ(ErrorOf(engine_->DescribeStream("s").status()), StreamError::kResourceNotFound);
  size_t dirs = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.Sub("streams"))) dirs += e.is_directory();
  EXPECT_EQ(dirs, 0u);
  Create("s", 1);
  EXPECT_TRUE(ReadAll("s", "shardId-000000000000").empty());
  Reopen();
  EXPECT_TRUE(engine_->DescribeStream("s").ok());
}

TEST_F(EngineTest, DeleteWithConsumersNeedsEnforce) {
  Create("s", 1);
  ASSERT_TRUE(engine_->RegisterConsumer("s", "c").ok());
  EXPECT_EQ(ErrorOf(engine_->DeleteStream("s", false)), StreamError::kResourceInUse);
  ASSERT_OK(engine_->DeleteStream("s", true));
  EXPECT_EQ(ErrorOf(engine_->ListConsumers("s").status()), StreamError::kResourceNotFound);
}

TEST_F(EngineTest, OrphanDirectoriesAreRemovedOnOpen) {
  Create("s", 1);
  std::filesystem::create_directories(dir_.Sub("streams/99-ghost/shardId-000000000000"));
  std::filesystem::create_directories(dir_.Sub("streams/1-s/shardId-000000000007"));
  Reopen();
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("streams/99-ghost")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("streams/1-s/shardId-000000000007")));
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("streams/1-s/shardId-000000000000")));
}

TEST_F(EngineTest, RetentionPeriodRules) {
  Create("s", 1);
  Status low = engine_->IncreaseRetention("s", 23);
  EXPECT_EQ(low.message(),
            "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.");
  EXPECT_EQ(ErrorOf(engine_->IncreaseRetention("s", 8761)), StreamError::kInvalidArgument);
  ASSERT_OK(engine_->IncreaseRetention("s", 24));  // equal is accepted
  ASSERT_OK(engine_->IncreaseRetention("s", 100));
  EXPECT_EQ(engine_->IncreaseRetention("s", 50).message(),
            "Requested retention period (50 hours) for stream s can not be shorter than existing "
            "retention period (100 hours). Use DecreaseRetentionPeriod API.");
  EXPECT_EQ(engine_->DecreaseRetention("s", 200).message(),
            "Requested retention period (200 hours) for stream s can not be longer than existing "
            "retention period (100 hours). Use IncreaseRetentionPeriod API.");
  ASSERT_OK(engine_->DecreaseRetention("s", 30));
  EXPECT_EQ(engine_->DescribeStream("s")->retention_hours, 30);
  EXPECT_EQ(ErrorOf(engine_->IncreaseRetention("nope", 30)), StreamError::kResourceNotFound);
}

TEST_F(EngineTest, Tags) {
  CreateStreamOptions o;
  o.shard_count = 1;
  o.tags = {{"a", "1"}};
  ASSERT_OK(engine_->CreateStream("s", o));
  ASSERT_OK(engine_->AddTags("s", {{"b", "2"}, {"a", "overwritten"}, {"with space", ""}}));
  auto tags = engine_->ListTags("s");
  ASSERT_EQ(tags->size(), 3u);
  EXPECT_EQ(tags->at("a"), "overwritten");
  ASSERT_OK(engine_->RemoveTags("s", {"b", "unknown"}));
  EXPECT_EQ(engine_->ListTags("s")->size(), 2u);
  EXPECT_EQ(engine_->AddTags("s", {{"bad*", "x"}}).message(),
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white "
            "space, _ . / = + - % @.");
  EXPECT_EQ(ErrorOf(engine_->AddTags("s", {{"pct%", "x"}})), StreamError::kInvalidArgument);
  std::map<std::string, std::string> many;
  for (int i = 0; i < 49; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(ErrorOf(engine_->AddTags("s", many)), StreamError::kInvalidArgument);  // 51 total
  many.erase("k0");
  ASSERT_OK(engine_->AddTags("s", many));  // exactly 50
}

TEST_F(EngineTest, Consumers) {
  Create("s", 1);
  options_.create_delay_ms = 0;
  auto c = engine_->RegisterConsumer("s", "analytics");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/analytics:1700000000");
  EXPECT_EQ(c->stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  EXPECT_EQ(c->status, ConsumerStatus::kActive);
  EXPECT_EQ(ErrorOf(engine_->RegisterConsumer("s", "analytics").status()), StreamError::kResourceInUse);
  EXPECT_EQ(ErrorOf(engine_->RegisterConsumer("s", "bad name").status()), StreamError::kValidation);
  auto by_arn = engine_->DescribeConsumerByArn(c->arn);
  ASSERT_TRUE(by_arn.ok()) << by_arn.status().ToString();
  EXPECT_EQ(by_arn->name, "analytics");
  EXPECT_EQ(ErrorOf(engine_->DescribeConsumerByArn(
                "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/analytics:1")
                        .status()),
            StreamError::kResourceNotFound);
  clock_.Advance(1000);
  ASSERT_TRUE(engine_->RegisterConsumer("s", "second").ok());
  auto list = engine_->ListConsumers("s");
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name, "second");
  ASSERT_OK(engine_->DeregisterConsumer("s", "analytics"));
  EXPECT_EQ(ErrorOf(engine_->DescribeConsumer("s", "analytics").status()), StreamError::kResourceNotFound);
  EXPECT_EQ(ErrorOf(engine_->DeregisterConsumer("s", "analytics")), StreamError::kResourceNotFound);
}

TEST_F(EngineTest, ConsumerLimitsAndCreatingStatus) {
  options_.create_delay_ms = 500;
  options_.max_consumers = 6;
  Reopen();
  Create("s", 1);
  clock_.Advance(500);
  for (int i = 0; i < 5; ++i) {
    auto c = engine_->RegisterConsumer("s", "c" + std::to_string(i));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->status, ConsumerStatus::kCreating);
  }
  EXPECT_EQ(ErrorOf(engine_->RegisterConsumer("s", "c5").status()), StreamError::kLimitExceeded);
  clock_.Advance(500);
  EXPECT_EQ(engine_->DescribeConsumer("s", "c0")->status, ConsumerStatus::kActive);
  ASSERT_TRUE(engine_->RegisterConsumer("s", "c5").ok());
  EXPECT_EQ(ErrorOf(engine_->RegisterConsumer("s", "c6").status()), StreamError::kLimitExceeded);
}

TEST_F(EngineTest, StreamArns) {
  EXPECT_EQ(engine_->StreamNameFromArn("arn:aws:kinesis:us-east-1:000000000000:stream/x").value(), "x");
  EXPECT_EQ(ErrorOf(engine_->StreamNameFromArn("arn:aws:kinesis:eu-west-1:000000000000:stream/x").status()),
            StreamError::kResourceNotFound);
  EXPECT_EQ(ErrorOf(engine_->StreamNameFromArn("arn:aws:kinesis:us-east-1:111111111111:stream/x").status()),
            StreamError::kResourceNotFound);
  EXPECT_EQ(ErrorOf(engine_->StreamNameFromArn("arn:aws:s3:::bucket").status()), StreamError::kInvalidArgument);
  EXPECT_EQ(ErrorOf(engine_->StreamNameFromArn("arn:aws:kinesis:us-east-1:000000000000:stream/x/consumer/c:1").status()),
            StreamError::kInvalidArgument);
}

}  // namespace
}  // namespace osprey::streams::testing
