// The Firehose adapter (server/src/firehose/) against a real engine,
// through the Router, without sockets.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "firehose/firehose_routes.h"
#include "osprey/base/base64.h"

namespace osprey::server::firehose {
namespace {

class FirehoseApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "osprey-fhapi-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    osprey::firehose::FirehoseOptions o;
    o.root_dir = dir_ + "/firehose";
    o.s3_root = dir_ + "/s3";
    o.create_delay_ms = 0;
    o.poll_interval_ms = 20;
    o.allow_plain_http = true;
    engine_ = std::move(osprey::firehose::FirehoseEngine::Open(o).value());
    context_.engine = engine_.get();
    RegisterFirehoseRoutes(&router_, &context_);
  }
  void TearDown() override {
    (void)engine_->Close();
    std::filesystem::remove_all(dir_);
  }

  Response Call(const std::string& action, const std::string& body) {
    Unrouted unrouted;
    const Route* route = router_.Find("POST", "/", "Firehose_20150804." + action, &unrouted);
    EXPECT_NE(route, nullptr) << action;
    if (route == nullptr) return Response{};
    EXPECT_EQ(route->service, "firehose");
    Request req;
    req.method = "POST";
    req.path = "/";
    req.headers.Add("Content-Type", "application/x-amz-json-1.1");
    req.body = body;
    auto promise = std::make_shared<std::promise<Response>>();
    auto future = promise->get_future();
    route->buffered(std::move(req), [promise](Response r) { promise->set_value(std::move(r)); });
    return future.get();
  }

  std::string CreateBody(const std::string& name, const std::string& extra = "") {
    return R"({"DeliveryStreamName":")" + name +
           R"(","ExtendedS3DestinationConfiguration":{"RoleARN":"arn:aws:iam::000000000000:role/osprey",)"
           R"("BucketARN":"arn:aws:s3:::edge-archive","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":0})" +
           extra + "}}";
  }

  std::string dir_;
  std::unique_ptr<osprey::firehose::FirehoseEngine> engine_;
  FirehoseContext context_;
  Router router_;
};

TEST_F(FirehoseApiTest, CreateDescribeListDelete) {
  Response r = Call("CreateDeliveryStream", CreateBody("cam-meta"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"DeliveryStreamARN":"arn:aws:firehose:us-east-1:000000000000:deliverystream/cam-meta"})");
  r = Call("DescribeDeliveryStream", R"({"DeliveryStreamName":"cam-meta"})");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(r.body);
  auto d = parser.parse(padded)["DeliveryStreamDescription"];
  EXPECT_EQ(std::string_view(d["DeliveryStreamStatus"]), "ACTIVE");
  EXPECT_EQ(std::string_view(d["VersionId"]), "1");
  EXPECT_EQ(std::string_view(d["DeliveryStreamType"]), "DirectPut");
  auto dest = d["Destinations"].at(0);
  EXPECT_EQ(std::string_view(dest["DestinationId"]), "destinationId-000000000001");
  auto ext = dest["ExtendedS3DestinationDescription"];
  EXPECT_EQ(std::string_view(ext["CompressionFormat"]), "UNCOMPRESSED");
  EXPECT_EQ(int64_t(ext["BufferingHints"]["SizeInMBs"]), 1);
  EXPECT_EQ(std::string_view(ext["EncryptionConfiguration"]["NoEncryptionConfig"]), "NoEncryption");
  EXPECT_EQ(std::string_view(ext["S3BackupMode"]), "Disabled");
  EXPECT_EQ(std::string_view(dest["S3DestinationDescription"]["BucketARN"]), "arn:aws:s3:::edge-archive");
  EXPECT_FALSE(bool(d["HasMoreDestinations"]));

  r = Call("CreateDeliveryStream", CreateBody("cam-meta"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("ResourceInUseException"), std::string::npos);

  ASSERT_EQ(Call("CreateDeliveryStream", CreateBody("b-stream")).status, 200);
  r = Call("ListDeliveryStreams", R"({"Limit":1})");
  EXPECT_EQ(r.body, R"({"DeliveryStreamNames":["b-stream"],"HasMoreDeliveryStreams":true})");
  r = Call("ListDeliveryStreams", R"({"ExclusiveStartDeliveryStreamName":"b-stream"})");
  EXPECT_EQ(r.body, R"({"DeliveryStreamNames":["cam-meta"],"HasMoreDeliveryStreams":false})");

  r = Call("DeleteDeliveryStream", R"({"DeliveryStreamName":"cam-meta"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  r = Call("DescribeDeliveryStream", R"({"DeliveryStreamName":"cam-meta"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("__type":"ResourceNotFoundException","message":"Firehose cam-meta under account 000000000000 not found.")"),
            std::string::npos) << r.body;
}

TEST_F(FirehoseApiTest, ValidationAndArgumentErrors) {
  Response r = Call("CreateDeliveryStream", R"({"DeliveryStreamName":"bad name!"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("ValidationException"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("at 'deliveryStreamName' failed to satisfy constraint"), std::string::npos) << r.body;
  r = Call("CreateDeliveryStream", R"({"DeliveryStreamName":"x"})");
  EXPECT_NE(r.body.find("InvalidArgumentException"), std::string::npos) << r.body;
  r = Call("CreateDeliveryStream", CreateBody("x", R"(,"Prefix":"a/!{timestamp:yyyy}/")"));
  EXPECT_NE(r.body.find("ErrorOutputPrefix can't be null when Prefix contains expressions"), std::string::npos) << r.body;
  r = Call("CreateDeliveryStream", R"({"DeliveryStreamName":"x","ExtendedS3DestinationConfiguration":{"RoleARN":"arn:aws:iam::000000000000:role/o","BucketARN":"arn:aws:s3:::b","BufferingHints":{"SizeInMBs":1}}})");
  EXPECT_NE(r.body.find("InvalidArgumentException"), std::string::npos) << r.body;
  r = Call("PutRecord", R"({"DeliveryStreamName":"nope","Record":{"Data":"aGk="}})");
  EXPECT_NE(r.body.find("ResourceNotFoundException"), std::string::npos) << r.body;
  r = Call("PutRecord", R"({"DeliveryStreamName":"nope","Record":{"Data":5}})");
  EXPECT_NE(r.body.find("SerializationException"), std::string::npos) << r.body;
}

TEST_F(FirehoseApiTest, PutRecordsAreDelivered) {
  ASSERT_EQ(Call("CreateDeliveryStream", CreateBody("s")).status, 200);
  Response r = Call("PutRecord", R"({"DeliveryStreamName":"s","Record":{"Data":")" + base64::Encode("one\n") + R"("}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("RecordId":")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("Encrypted":false)"), std::string::npos);
  r = Call("PutRecordBatch", R"({"DeliveryStreamName":"s","Records":[{"Data":")" + base64::Encode("two\n") +
                                 R"("},{"Data":")" + base64::Encode("three\n") + R"("}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("FailedPutCount":0)"), std::string::npos) << r.body;
  std::string all;
  for (int i = 0; i < 200 && all.size() < 14; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    all.clear();
    if (!std::filesystem::exists(dir_ + "/s3/edge-archive")) continue;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_ + "/s3/edge-archive")) {
      if (!e.is_regular_file() || e.path().string().find(".tmp-") != std::string::npos) continue;
      std::ifstream in(e.path());
      all += std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  EXPECT_NE(all.find("one\n"), std::string::npos) << all;
  EXPECT_NE(all.find("two\nthree\n"), std::string::npos) << all;
}

TEST_F(FirehoseApiTest, UpdateDestinationVersionChecks) {
  ASSERT_EQ(Call("CreateDeliveryStream", CreateBody("s")).status, 200);
  std::string update = R"({"DeliveryStreamName":"s","CurrentDeliveryStreamVersionId":"2","DestinationId":"destinationId-000000000001","ExtendedS3DestinationUpdate":{"Prefix":"v2/","CompressionFormat":"GZIP"}})";
  Response r = Call("UpdateDestination", update);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("ConcurrentModificationException"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Cannot update firehose: s since the current version id: 1 and specified version id: 2 do not match"),
            std::string::npos);
  update.replace(update.find("\"2\""), 3, "\"1\"");
  r = Call("UpdateDestination", update);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("DescribeDeliveryStream", R"({"DeliveryStreamName":"s"})");
  EXPECT_NE(r.body.find(R"("VersionId":"2")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("Prefix":"v2/")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("CompressionFormat":"GZIP")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("BucketARN":"arn:aws:s3:::edge-archive")"), std::string::npos);
  EXPECT_NE(r.body.find("LastUpdateTimestamp"), std::string::npos);
  r = Call("UpdateDestination", R"({"DeliveryStreamName":"s","CurrentDeliveryStreamVersionId":"2","DestinationId":"destinationId-9","ExtendedS3DestinationUpdate":{"Prefix":"v3/"}})");
  EXPECT_NE(r.body.find("InvalidArgumentException"), std::string::npos) << r.body;
}

TEST_F(FirehoseApiTest, Tags) {
  ASSERT_EQ(Call("CreateDeliveryStream", CreateBody("s", "") .insert(1, R"("Tags":[{"Key":"a","Value":"1"}],)")).status, 200);
  ASSERT_EQ(Call("TagDeliveryStream", R"({"DeliveryStreamName":"s","Tags":[{"Key":"b","Value":"2"},{"Key":"a","Value":"3"}]})").status, 200);
  Response r = Call("ListTagsForDeliveryStream", R"({"DeliveryStreamName":"s"})");
  EXPECT_EQ(r.body, R"({"Tags":[{"Key":"a","Value":"3"},{"Key":"b","Value":"2"}],"HasMoreTags":false})");
  ASSERT_EQ(Call("UntagDeliveryStream", R"({"DeliveryStreamName":"s","TagKeys":["a","zzz"]})").status, 200);
  r = Call("ListTagsForDeliveryStream", R"({"DeliveryStreamName":"s","Limit":1})");
  EXPECT_EQ(r.body, R"({"Tags":[{"Key":"b","Value":"2"}],"HasMoreTags":false})");
}

TEST_F(FirehoseApiTest, HttpEndpointDestination) {
  std::string create = R"({"DeliveryStreamName":"h","HttpEndpointDestinationConfiguration":{)"
      R"("EndpointConfiguration":{"Url":"http://127.0.0.1:9/in","Name":"sink","AccessKey":"top-secret"},)"
      R"("RequestConfiguration":{"ContentEncoding":"GZIP"},)"
      R"("S3Configuration":{"RoleARN":"arn:aws:iam::000000000000:role/o","BucketARN":"arn:aws:s3:::failed"}}})";
  Response r = Call("CreateDeliveryStream", create);
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("DescribeDeliveryStream", R"({"DeliveryStreamName":"h"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("top-secret"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("HttpEndpointDestinationDescription":{"EndpointConfiguration":{"Url":"http://127.0.0.1:9/in","Name":"sink"},"BufferingHints":{"SizeInMBs":5,"IntervalInSeconds":300})"),
            std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("RetryOptions":{"DurationInSeconds":300},"S3BackupMode":"FailedDataOnly","S3DestinationDescription":{"RoleARN")"),
            std::string::npos) << r.body;
  r = Call("UpdateDestination", R"({"DeliveryStreamName":"h","CurrentDeliveryStreamVersionId":"1","DestinationId":"destinationId-000000000001","HttpEndpointDestinationUpdate":{"RetryOptions":{"DurationInSeconds":60},"S3Update":{"Prefix":"p/"}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("DescribeDeliveryStream", R"({"DeliveryStreamName":"h"})");
  EXPECT_NE(r.body.find(R"("RetryOptions":{"DurationInSeconds":60})"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("Prefix":"p/")"), std::string::npos) << r.body;
  r = Call("UpdateDestination", R"({"DeliveryStreamName":"h","CurrentDeliveryStreamVersionId":"2","DestinationId":"destinationId-000000000001","ExtendedS3DestinationUpdate":{"Prefix":"x/"}})");
  EXPECT_NE(r.body.find("InvalidArgumentException"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace osprey::server::firehose
