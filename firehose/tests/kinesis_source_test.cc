// KinesisStreamAsSource: a delivery stream fed by a real data-stream engine
// in a temp dir (kinesis_reader.h), driven step by step.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "osprey/firehose/engine.h"
#include "osprey/streams/stream_engine.h"
#include "test_util.h"

namespace osprey::firehose {
namespace {

using testing::DestSpec;

class KinesisSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("kinesis");
    ASSERT_FALSE(dir_.empty());
    streams::EngineOptions so;
    so.root_dir = dir_ + "/streams";
    so.create_delay_ms = 0;
    so.update_delay_ms = 0;
    so.clock = clock_.Fn();
    auto se = streams::OpenStreamEngine(so);
    ASSERT_TRUE(se.ok()) << se.status().ToString();
    data_ = std::move(*se);
    streams::CreateStreamOptions co;
    co.shard_count = 2;
    ASSERT_TRUE(data_->CreateStream("src", co).ok());
    Open();
  }
  void TearDown() override {
    if (engine_) (void)engine_->Close();
    if (data_) (void)data_->Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    FirehoseOptions o = testing::ManualOptions(dir_, clock_);
    o.data_streams = data_.get();
    auto e = FirehoseEngine::Open(std::move(o));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void Reopen() {
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    Open();
  }
  Status CreateFromSource(const std::string& arn) {
    DestSpec spec;
    spec.interval_s = 0;
    CreateRequest r = testing::S3Create("fh", spec);
    r.type = "KinesisStreamAsSource";
    r.source_stream_arn = arn;
    r.source_role_arn = "arn:aws:iam::000000000000:role/osprey";
    return engine_->Create(r);
  }
  // Puts "key:n\n" records, one PutRecords call per record (so the order
  // per key is the order of the calls).
  void Put(const std::string& key, int from, int to) {
    for (int n = from; n < to; ++n) {
      auto r = data_->PutRecords("src", {streams::RecordInput{key, std::nullopt,
                                                              key + ":" + std::to_string(n) + "\n"}});
      ASSERT_TRUE(r.ok() && (*r)[0].status.ok());
    }
  }
  // One reader pass and delivery step. Object names carry the write time
  // to the second, then a uuid: a second per step keeps them in order.
  void Deliver() {
    clock_.Advance(1000);
    engine_->TEST_RunDeliveryOnce();
  }
  // Every delivered line, objects in key (= time, then uuid) order.
  std::vector<std::string> Delivered() {
    std::vector<std::string> lines;
    for (const auto& [key, body] : testing::ReadTree(dir_ + "/s3/bucket")) {
      std::istringstream in(body);
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    return lines;
  }
  // Checks each key's records arrived once each, in order, 0..counts[key)-1.
  void ExpectExactlyOnceInOrder(const std::map<std::string, int>& counts) {
    std::map<std::string, int> next;
    for (const std::string& line : Delivered()) {
      std::string key = line.substr(0, line.find(':'));
      int n = std::stoi(line.substr(line.find(':') + 1));
      EXPECT_EQ(n, next[key]) << "key " << key;
      next[key] = n + 1;
    }
    for (const auto& [key, count] : counts) EXPECT_EQ(next[key], count) << "key " << key;
  }

  std::string dir_;
  testing::ManualClock clock_;
  std::unique_ptr<streams::StreamEngine> data_;
  std::unique_ptr<FirehoseEngine> engine_;
};

TEST_F(KinesisSourceTest, CreateNeedsAnExistingStream) {
  Status st = CreateFromSource(data_->StreamArn("nope"));
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();
  st = CreateFromSource("arn:aws:s3:::bucket");
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << st.ToString();
  EXPECT_TRUE(engine_->List("").empty());
}

TEST_F(KinesisSourceTest, DeliversNewRecordsInOrderAndRefusesPut) {
  Put("early", 0, 3);  // before the delivery start: not delivered (AT_TIMESTAMP)
  clock_.Advance(1000);
  ASSERT_TRUE(CreateFromSource(data_->StreamArn("src")).ok());
  auto info = engine_->Describe("fh");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->type, "KinesisStreamAsSource");
  EXPECT_EQ(info->source_stream_arn, data_->StreamArn("src"));
  EXPECT_EQ(info->delivery_start_ms, clock_.now->load());
  clock_.Advance(1);
  Put("a", 0, 20);
  Put("b", 0, 20);
  Deliver();
  ExpectExactlyOnceInOrder({{"a", 20}, {"b", 20}});

  auto put = testing::PutSync(engine_.get(), "fh", {"x"});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(put.status().message(),
            "This operation is not permitted on KinesisStreamAsSource delivery stream type.");
}

TEST_F(KinesisSourceTest, RestartNeitherRepeatsNorSkips) {
  ASSERT_TRUE(CreateFromSource(data_->StreamArn("src")).ok());
  Put("a", 0, 10);
  Deliver();
  Reopen();
  Put("a", 10, 20);
  Deliver();
  ExpectExactlyOnceInOrder({{"a", 20}});

  // A crash after the copy's log append but before the source checkpoint
  // was rewritten: the stale checkpoint plus the log's position tags must
  // still give the true positions.
  std::string checkpoint = dir_ + "/firehose/fh/source_checkpoint";
  auto before = testing::ReadTree(dir_ + "/firehose/fh");
  ASSERT_TRUE(before.count("source_checkpoint"));
  Put("a", 20, 25);
  Deliver();
  ASSERT_TRUE(engine_->Close().ok());
  engine_.reset();
  { std::ofstream(checkpoint, std::ios::trunc) << before["source_checkpoint"]; }
  Open();
  Put("a", 25, 30);
  Deliver();
  ExpectExactlyOnceInOrder({{"a", 30}});
}

TEST_F(KinesisSourceTest, ParentShardsDrainBeforeChildren) {
  ASSERT_TRUE(CreateFromSource(data_->StreamArn("src")).ok());
  Put("a", 0, 10);
  Put("b", 0, 10);
  auto shards = data_->ListShards("src", streams::ShardFilter{});
  ASSERT_TRUE(shards.ok());
  for (const auto& s : *shards) {
    // Split each shard at its middle, so every key moves to a child.
    streams::HashKey mid = s.hash_key_range.start + (s.hash_key_range.end - s.hash_key_range.start) / 2 + 1;
    ASSERT_TRUE(data_->SplitShard("src", s.shard_id, streams::FormatHashKey(mid)).ok());
  }
  Put("a", 10, 20);
  Put("b", 10, 20);
  Deliver();
  ExpectExactlyOnceInOrder({{"a", 20}, {"b", 20}});
  Put("a", 20, 25);
  Deliver();
  ExpectExactlyOnceInOrder({{"a", 25}, {"b", 20}});
}

TEST_F(KinesisSourceTest, DeleteStopsTheReader) {
  ASSERT_TRUE(CreateFromSource(data_->StreamArn("src")).ok());
  Put("a", 0, 3);
  Deliver();
  ASSERT_TRUE(engine_->Delete("fh").ok());
  Put("a", 3, 6);
  Deliver();
  ExpectExactlyOnceInOrder({{"a", 3}});
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/firehose/fh"));
}

}  // namespace
}  // namespace osprey::firehose
