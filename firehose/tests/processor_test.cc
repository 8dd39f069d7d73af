#include "osprey/firehose/processor.h"

#include <gtest/gtest.h>

#include "osprey/base/base64.h"

namespace osprey::firehose {
namespace {

// Answers with a canned body (or error) and records the last event.
class FakeInvoker : public LambdaInvoker {
 public:
  Result<std::string> Invoke(const std::string& arn, const std::string& event) override {
    last_arn = arn;
    last_event = event;
    ++calls;
    if (!error.ok()) return error;
    return response;
  }
  std::string response;
  Status error;
  std::string last_arn, last_event;
  int calls = 0;
};

S3Destination WithLambda(int retries) {
  S3Destination d;
  d.processors.push_back(Processor{"Lambda", {{"LambdaArn", "arn:fn"}, {"NumberOfRetries", std::to_string(retries)}}});
  return d;
}

std::vector<SourceRecord> Records() {
  return {SourceRecord{"id-1", 1700000003123, "a"}, SourceRecord{"id-2", 1700000003124, "b"},
          SourceRecord{"id-3", 1700000003125, "c"}};
}

TEST(Processor, LambdaEventShapeAndResults) {
  FakeInvoker invoker;
  invoker.response = R"({"records":[
    {"recordId":"id-1","result":"Ok","data":")" + base64::Encode("A") + R"(","metadata":{"partitionKeys":{"k":"v"}}},
    {"recordId":"id-2","result":"Dropped"},
    {"recordId":"id-3","result":"ProcessingFailed"}]})";
  ProcessResult r = RunProcessors(WithLambda(3), Records(), ProcessContext{"arn:stream", "us-east-1", &invoker});
  EXPECT_EQ(invoker.calls, 1);
  EXPECT_NE(invoker.last_event.find(R"("deliveryStreamArn":"arn:stream","region":"us-east-1","records":[{"recordId":"id-1","approximateArrivalTimestamp":1700000003123,"data":"YQ=="})"),
            std::string::npos) << invoker.last_event;
  ASSERT_EQ(r.ok.size(), 1u);
  EXPECT_EQ(r.ok[0].data, "A");
  EXPECT_EQ(r.ok[0].lambda_keys.at("k"), "v");
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].source, 2u);
  EXPECT_EQ(r.failed[0].error_code, "Lambda.ProcessingFailed");
  EXPECT_EQ(r.failed[0].output_type, "processing-failed");
}

TEST(Processor, WholeBatchFailuresAreRetriedThenFail) {
  struct Case {
    std::string response;
    Status error;
    std::string code;
  } cases[] = {
      {"not json", Status::Ok(), "Lambda.JsonProcessingException"},
      {R"({"records":[{"recordId":"id-1","result":"Ok","data":""}]})", Status::Ok(), "Lambda.MissingRecordId"},
      {R"({"records":[{"recordId":"id-1","result":"Ok","data":""},{"recordId":"id-1","result":"Ok","data":""},{"recordId":"id-2","result":"Ok","data":""}]})",
       Status::Ok(), "Lambda.DuplicatedRecordId"},
      {"", Status::Unavailable("Lambda.FunctionError: boom"), "Lambda.FunctionError"},
  };
  for (const Case& c : cases) {
    FakeInvoker invoker;
    invoker.response = c.response;
    invoker.error = c.error;
    ProcessResult r = RunProcessors(WithLambda(2), Records(), ProcessContext{"arn:s", "r", &invoker});
    EXPECT_EQ(invoker.calls, 3) << c.code;
    EXPECT_TRUE(r.ok.empty());
    ASSERT_EQ(r.failed.size(), 3u);
    EXPECT_EQ(r.failed[0].error_code, c.code);
    EXPECT_EQ(r.failed[0].attempts, 3);
    EXPECT_EQ(r.failed[0].lambda_arn, "arn:fn");
  }
}

TEST(Processor, MetadataExtraction) {
  auto keys = ExtractMetadata("{site: .site, cam:.meta.cam}", R"({"site":"dock-3","meta":{"cam":7}})");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->at("site"), "dock-3");
  EXPECT_EQ(keys->at("cam"), "7");
  EXPECT_FALSE(ExtractMetadata("{site:.site}", "nope").ok());
  EXPECT_FALSE(ExtractMetadata("{site:.missing}", "{}").ok());
  EXPECT_FALSE(ValidateMetadataQuery(".site | strftime").ok());
}

TEST(Processor, DeAggregationAndDelimiter) {
  S3Destination d;
  d.processors = {Processor{"RecordDeAggregation", {{"SubRecordType", "DELIMITED"}, {"Delimiter", base64::Encode("####")}}},
                  Processor{"AppendDelimiterToRecord", {}}};
  ProcessResult r = RunProcessors(d, {SourceRecord{"i", 0, "x####y####z"}}, ProcessContext{});
  ASSERT_EQ(r.ok.size(), 3u);
  EXPECT_EQ(r.ok[0].data, "x\n");
  EXPECT_EQ(r.ok[2].data, "z\n");
  d.processors[0] = Processor{"RecordDeAggregation", {{"SubRecordType", "JSON"}}};
  r = RunProcessors(d, {SourceRecord{"i", 0, R"({"a":"}"}{"b":2})"}}, ProcessContext{});
  ASSERT_EQ(r.ok.size(), 2u);
  EXPECT_EQ(r.ok[0].data, "{\"a\":\"}\"}\n");
}

TEST(Processor, CommandInvoker) {
  auto invoker = MakeMappedInvoker({{"arn:echo", "exec:cat"}, {"arn:fail", "exec:exit 2"}});
  auto r = invoker->Invoke("arn:echo", "hello");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello");
  EXPECT_EQ(invoker->Invoke("arn:fail", "x").status().message().rfind("Lambda.FunctionError", 0), 0u);
  EXPECT_EQ(invoker->Invoke("arn:none", "x").status().message().rfind("Lambda.ResourceNotFound", 0), 0u);
}

}  // namespace
}  // namespace osprey::firehose
