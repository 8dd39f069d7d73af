#include "osprey/firehose/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "osprey/firehose/compression.h"
#include "osprey/firehose/record_id.h"
#include "test_util.h"

namespace osprey::firehose {
namespace {

using testing::DestSpec;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("engine");
    ASSERT_FALSE(dir_.empty());
    Open();
  }
  void TearDown() override {
    if (engine_) (void)engine_->Close();
    std::filesystem::remove_all(dir_);
  }
  void Open(std::shared_ptr<ObjectStore> store = nullptr) {
    FirehoseOptions o = testing::ManualOptions(dir_, clock_);
    o.object_store = std::move(store);
    o.retry_initial_ms = 1000;
    o.s3_retry_duration_ms = 10'000;
    o.lambda_functions = functions_;
    auto e = FirehoseEngine::Open(std::move(o));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
  }
  void Reopen(std::shared_ptr<ObjectStore> store = nullptr) {
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    Open(std::move(store));
  }
  std::map<std::string, std::string> Objects(const std::string& bucket = "bucket") {
    return testing::ReadTree(dir_ + "/s3/" + bucket);
  }

  std::string dir_;
  testing::ManualClock clock_;
  std::map<std::string, std::string> functions_;
  std::unique_ptr<FirehoseEngine> engine_;
};

TEST_F(EngineTest, RecordIdsEncodeLogIndices) {
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", DestSpec{})).ok());
  auto ids = testing::PutSync(engine_.get(), "s", {"a", "b"});
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 2u);
  auto first = DecodeRecordId((*ids)[0]), second = DecodeRecordId((*ids)[1]);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->index, 1u);
  EXPECT_EQ(second->index, 2u);
  EXPECT_EQ(first->incarnation, engine_->Describe("s")->incarnation);
}

TEST_F(EngineTest, UnknownStreamIsNotFound) {
  auto r = testing::PutSync(engine_.get(), "nope", {"a"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "Firehose nope under account 000000000000 not found.");
}

TEST_F(EngineTest, BuffersBySize) {
  DestSpec spec;
  spec.size_mb = 1;
  spec.interval_s = 900;
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  std::string big(600 * 1024, 'x');
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {big}).ok());
  engine_->TEST_RunDeliveryOnce();
  EXPECT_TRUE(Objects().empty());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {big}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->second, big + big);
}

TEST_F(EngineTest, BuffersByIntervalAndNamesObjects) {
  DestSpec spec;
  spec.interval_s = 60;
  ASSERT_TRUE(engine_->Create(testing::S3Create("cam-meta", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "cam-meta", {"one\n", "two\n"}).ok());
  engine_->TEST_RunDeliveryOnce();
  clock_.Advance(59'000);
  engine_->TEST_RunDeliveryOnce();
  EXPECT_TRUE(Objects().empty());
  clock_.Advance(1'000);
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  // Arrival 2024-05-01T13:07:42Z; written 60 s later.
  std::regex name(R"(2024/05/01/13/cam-meta-1-2024-05-01-13-08-42-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})");
  EXPECT_TRUE(std::regex_match(objects.begin()->first, name)) << objects.begin()->first;
  EXPECT_EQ(objects.begin()->second, "one\ntwo\n");
  EXPECT_EQ(engine_->TEST_Stats("cam-meta")->checkpoint, 3u);
}

TEST_F(EngineTest, EveryCompressionDecompresses) {
  const std::pair<std::string, Compression> formats[] = {
      {"GZIP", Compression::kGzip}, {"ZIP", Compression::kZip},
      {"Snappy", Compression::kSnappy}, {"HADOOP_SNAPPY", Compression::kHadoopSnappy},
      {"UNCOMPRESSED", Compression::kUncompressed}};
  for (const auto& [name, format] : formats) {
    DestSpec spec;
    spec.bucket = "b-" + name;
    spec.compression = name;
    spec.interval_s = 0;
    std::string stream = "s-" + name;
    std::replace(stream.begin(), stream.end(), '_', '-');
    ASSERT_TRUE(engine_->Create(testing::S3Create(stream, spec)).ok()) << name;
    ASSERT_TRUE(testing::PutSync(engine_.get(), stream, {"hello ", "world"}).ok());
  }
  engine_->TEST_RunDeliveryOnce();
  for (const auto& [name, format] : formats) {
    auto objects = Objects("b-" + name);
    ASSERT_EQ(objects.size(), 1u) << name;
    const std::string& key = objects.begin()->first;
    std::string ext(DefaultExtension(format));
    EXPECT_EQ(key.substr(key.size() - ext.size()), ext) << key;
    auto plain = Decompress(format, objects.begin()->second);
    ASSERT_TRUE(plain.ok()) << name;
    EXPECT_EQ(*plain, "hello world") << name;
  }
}

TEST_F(EngineTest, CheckpointSurvivesReopen) {
  DestSpec spec;
  spec.interval_s = 0;
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {"a", "b"}).ok());
  engine_->TEST_RunDeliveryOnce();
  ASSERT_EQ(Objects().size(), 1u);
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {"c"}).ok());
  Reopen();  // "c" is acknowledged but not delivered yet
  std::ifstream cp(dir_ + "/firehose/s/checkpoint");
  uint64_t checkpoint = 0;
  cp >> checkpoint;
  EXPECT_EQ(checkpoint, 3u);
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  std::string all;
  for (auto& [k, v] : objects) all += v;
  EXPECT_EQ(all.size(), 3u);  // "ab" + "c": nothing delivered twice
  EXPECT_NE(all.find('c'), std::string::npos);
}

TEST_F(EngineTest, RegistryPersistsConfigAndTags) {
  auto req = testing::S3Create("s", DestSpec{});
  req.tags = {{"team", "edge"}};
  ASSERT_TRUE(engine_->Create(req).ok());
  ASSERT_TRUE(engine_->Tag("s", {{"env", "test"}}).ok());
  Reopen();
  auto info = engine_->Describe("s");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->tags.size(), 2u);
  EXPECT_EQ(info->destination, req.destination);
  EXPECT_EQ(info->arn, "arn:aws:firehose:us-east-1:000000000000:deliverystream/s");
  EXPECT_EQ(engine_->List(""), std::vector<std::string>{"s"});
  EXPECT_EQ(engine_->Create(req).code(), Status::Code::kAlreadyExists);
  ASSERT_TRUE(engine_->Delete("s").ok());
  EXPECT_TRUE(engine_->List("").empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/firehose/s"));
}

TEST_F(EngineTest, UpdateDestinationChecksVersion) {
  DestSpec spec;
  spec.interval_s = 0;
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  DestSpec next = spec;
  next.prefix = "v2/";
  auto mutate = [&](const DeliveryStreamInfo&) -> Result<std::pair<std::string, Value>> {
    return std::make_pair(std::string(kExtendedS3), testing::Dest(next));
  };
  Status stale = engine_->UpdateDestination("s", 7, mutate);
  EXPECT_EQ(stale.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(stale.message(),
            "Cannot update firehose: s since the current version id: 1 and specified version id: 7 do not match");
  ASSERT_TRUE(engine_->UpdateDestination("s", 1, mutate).ok());
  EXPECT_EQ(engine_->Describe("s")->version_id, 2);
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {"x"}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.substr(0, 3), "v2/");
  EXPECT_NE(objects.begin()->first.find("/s-2-"), std::string::npos);
}

TEST_F(EngineTest, DynamicPartitioningByQuery) {
  DestSpec spec;
  spec.interval_s = 0;
  spec.dynamic_partitioning = true;
  spec.prefix = "site=!{partitionKeyFromQuery:site}/";
  spec.error_prefix = "errors/!{firehose:error-output-type}/";
  spec.processors = {testing::Processor("MetadataExtraction", {{"MetadataExtractionQuery", "{site:.site}"},
                                                               {"JsonParsingEngine", "JQ-1.6"}}),
                     testing::Processor("AppendDelimiterToRecord", {})};
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {R"({"site":"a","v":1})", R"({"site":"b"})",
                                                   R"({"site":"a","v":2})", "not json"}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 3u);
  int seen = 0;
  for (auto& [key, body] : objects) {
    if (key.rfind("site=a/", 0) == 0) {
      EXPECT_EQ(body, "{\"site\":\"a\",\"v\":1}\n{\"site\":\"a\",\"v\":2}\n");
      ++seen;
    } else if (key.rfind("site=b/", 0) == 0) {
      ++seen;
    } else {
      EXPECT_EQ(key.rfind("errors/partitioning-failed/", 0), 0u) << key;
      EXPECT_NE(body.find("\"rawData\":\"bm90IGpzb24=\""), std::string::npos) << body;
      ++seen;
    }
  }
  EXPECT_EQ(seen, 3);
}

// Fails every object outside "errors/".
class FlakyStore : public ObjectStore {
 public:
  explicit FlakyStore(std::unique_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}
  Status Put(const std::string& bucket, const std::string& key, std::string_view body) override {
    if (key.rfind("errors/", 0) != 0) return Status::Unavailable("injected failure");
    return inner_->Put(bucket, key, body);
  }
  std::unique_ptr<ObjectStore> inner_;
};

TEST_F(EngineTest, ErrorOutputAfterRetries) {
  Reopen(std::make_shared<FlakyStore>(OpenLocalFolderStore(dir_ + "/s3")));
  DestSpec spec;
  spec.interval_s = 0;
  spec.prefix = "data/";
  spec.error_prefix = "errors/!{firehose:error-output-type}/";
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {"payload"}).ok());
  engine_->TEST_RunDeliveryOnce();
  EXPECT_TRUE(Objects().empty());
  EXPECT_EQ(engine_->TEST_Stats("s")->checkpoint, 1u);
  for (int i = 0; i < 10 && Objects().empty(); ++i) {
    clock_.Advance(4'000);
    engine_->TEST_RunDeliveryOnce();
  }
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("errors/s3-failed/s-1-", 0), 0u) << objects.begin()->first;
  const std::string& line = objects.begin()->second;
  EXPECT_NE(line.find("\"errorCode\":\"S3.InternalError\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"rawData\":\"cGF5bG9hZA==\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"attemptsMade\":"), std::string::npos);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(engine_->TEST_Stats("s")->checkpoint, 2u);
  EXPECT_GE(engine_->TEST_Stats("s")->failed_attempts, 3u);
}

TEST_F(EngineTest, LambdaCommandProcessor) {
  std::string script = dir_ + "/lambda.py";
  std::ofstream(script) << R"(import sys, json, base64
ev = json.load(sys.stdin)
out = []
for r in ev["records"]:
    d = base64.b64decode(r["data"]).decode()
    if d == "drop":
        out.append({"recordId": r["recordId"], "result": "Dropped"})
    elif d == "fail":
        out.append({"recordId": r["recordId"], "result": "ProcessingFailed", "data": r["data"]})
    else:
        out.append({"recordId": r["recordId"], "result": "Ok",
                    "data": base64.b64encode(d.upper().encode()).decode()})
print(json.dumps({"records": out}))
)";
  functions_["arn:aws:lambda:us-east-1:000000000000:function:upper"] = "exec:python3 " + script;
  Reopen();
  DestSpec spec;
  spec.interval_s = 0;
  spec.prefix = "out/";
  spec.processors = {testing::Processor("Lambda", {{"LambdaArn", "arn:aws:lambda:us-east-1:000000000000:function:upper"}}),
                     testing::Processor("AppendDelimiterToRecord", {})};
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {"abc", "drop", "fail", "def"}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 2u);
  for (auto& [key, body] : objects) {
    if (key.rfind("out/processing-failed/", 0) == 0) {
      EXPECT_NE(body.find("\"errorCode\":\"Lambda.ProcessingFailed\""), std::string::npos) << body;
      EXPECT_NE(body.find("\"rawData\":\"ZmFpbA==\""), std::string::npos) << body;
      EXPECT_NE(body.find("\"lambdaArn\":\"arn:aws:lambda:us-east-1:000000000000:function:upper\""),
                std::string::npos);
    } else {
      EXPECT_EQ(key.rfind("out/2024/05/01/13/", 0), 0u) << key;
      EXPECT_EQ(body, "ABC\nDEF\n");
    }
  }
}

TEST_F(EngineTest, LambdaFunctionErrorGoesToProcessingFailed) {
  functions_["arn:aws:lambda:us-east-1:000000000000:function:broken"] = "exec:cat >/dev/null; exit 3";
  Reopen();
  DestSpec spec;
  spec.interval_s = 0;
  spec.processors = {testing::Processor("Lambda", {{"LambdaArn", "arn:aws:lambda:us-east-1:000000000000:function:broken"},
                                                   {"NumberOfRetries", "1"}})};
  ASSERT_TRUE(engine_->Create(testing::S3Create("s", spec)).ok());
  ASSERT_TRUE(testing::PutSync(engine_.get(), "s", {"x"}).ok());
  engine_->TEST_RunDeliveryOnce();
  auto objects = Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.begin()->first.rfind("processing-failed/2024/05/01/13/", 0), 0u) << objects.begin()->first;
  EXPECT_NE(objects.begin()->second.find("\"attemptsMade\":2"), std::string::npos) << objects.begin()->second;
  EXPECT_NE(objects.begin()->second.find("\"errorCode\":\"Lambda.FunctionError\""), std::string::npos);
}

TEST_F(EngineTest, RejectsBadConfiguration) {
  DestSpec spec;
  spec.prefix = "a/!{timestamp:yyyy}/";
  Status s = engine_->Create(testing::S3Create("s", spec));
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "ErrorOutputPrefix can't be null when Prefix contains expressions");
  spec = DestSpec{};
  spec.bucket = "bad/bucket";
  EXPECT_EQ(engine_->Create(testing::S3Create("s", spec)).code(), Status::Code::kInvalidArgument);
  CreateRequest k = testing::S3Create("k", DestSpec{});
  k.type = "KinesisStreamAsSource";
  EXPECT_EQ(engine_->Create(k).code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace osprey::firehose
