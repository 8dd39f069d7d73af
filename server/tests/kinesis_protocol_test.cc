#include "kinesis/protocol.h"

#include <gtest/gtest.h>

#include "osprey/base/cbor.h"

namespace osprey::server::kinesis {
namespace {

TEST(KinesisProtocol, CodecFromContentType) {
  EXPECT_EQ(CodecFromContentType("application/x-amz-json-1.1"), Codec::kJson);
  EXPECT_EQ(CodecFromContentType("application/x-amz-json-1.1; charset=utf-8"), Codec::kJson);
  EXPECT_EQ(CodecFromContentType("Application/X-Amz-Cbor-1.1"), Codec::kCbor);
  EXPECT_EQ(CodecFromContentType("application/json"), std::nullopt);
  EXPECT_EQ(CodecFromContentType(""), std::nullopt);
}

TEST(KinesisProtocol, JsonMembersAndBlobs) {
  auto in = Input::Decode(Codec::kJson,
                          R"({"StreamName":"s","Data":"aGVsbG8=","ShardCount":5000000000,)"
                          R"("Timestamp":1700000003.123,"Tags":{"a":"1"},"Nothing":null})");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(**in->String("StreamName"), "s");
  EXPECT_EQ(**in->Blob("Data"), "hello");
  EXPECT_EQ(**in->Int("ShardCount"), 2147483647);  // clamped (spec 1)
  EXPECT_EQ(**in->TimestampMs("Timestamp"), 1700000003123);
  EXPECT_EQ((**in->StringMap("Tags")).at("a"), "1");
  EXPECT_FALSE(in->String("Nothing")->has_value());
  EXPECT_FALSE(in->String("Absent")->has_value());
}

TEST(KinesisProtocol, TypeErrorsAreSerializationExceptions) {
  auto in = Input::Decode(Codec::kJson, R"({"StreamName":1,"Data":"not base64!","Records":{}})");
  ASSERT_TRUE(in.ok());
  auto name = in->String("StreamName");
  ASSERT_FALSE(name.ok());
  ApiError e = ToApiError(name.status());
  EXPECT_EQ(e.type, "SerializationException");
  EXPECT_EQ(e.message, "class java.lang.Long can not be converted to String");
  EXPECT_EQ(ToApiError(in->Blob("Data").status()).type, "SerializationException");
  EXPECT_EQ(ToApiError(in->ObjectList("Records").status()).message,
            "Start of structure or map found where not expected.");
  EXPECT_EQ(ToApiError(Input::Decode(Codec::kJson, "").status()).type, "SerializationException");
  EXPECT_EQ(ToApiError(Input::Decode(Codec::kJson, "{").status()).type, "SerializationException");
  EXPECT_EQ(ToApiError(Input::Decode(Codec::kJson, "[]").status()).type, "SerializationException");
}

TEST(KinesisProtocol, CborBlobsAndMillisecondTimestamps) {
  std::string body;
  CborWriter w(&body);
  w.BeginObject();
  w.Key("Data").Bytes(std::string("\x00\x01", 2));
  w.Key("Timestamp").TimestampMs(1700000003123);
  w.Key("Untagged").Int64(1700000003123);
  w.EndObject();
  auto in = Input::Decode(Codec::kCbor, body);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(**in->Blob("Data"), std::string("\x00\x01", 2));
  EXPECT_EQ(**in->TimestampMs("Timestamp"), 1700000003123);
  EXPECT_EQ(**in->TimestampMs("Untagged"), 1700000003123);
}

TEST(KinesisProtocol, ValidationMessageGrammar) {
  Validation v;
  v.Range("ShardCount", int64_t{0}, 1, 100000);
  v.Length("StreamName", std::string(""), 1, 128);
  Status s = v.ToStatus();
  ApiError e = ToApiError(s);
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message,
            "2 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1; Value '' at 'streamName' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1");
  Validation one;
  one.Required("Records.1.PartitionKey", false);
  one.BlobLength("Records.2.Data", std::string(3, 'x'), 0, 2);
  EXPECT_EQ(ToApiError(one.ToStatus()).message,
            "2 validation errors detected: Value null at 'records.1.partitionKey' failed to satisfy "
            "constraint: Member must not be null; Value 'java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]' "
            "at 'records.2.data' failed to satisfy constraint: Member must have length less than or "
            "equal to 2");
  Validation many;
  for (int i = 0; i < 12; ++i) many.Required("Records." + std::to_string(i + 1) + ".Data", false);
  std::string m = ToApiError(many.ToStatus()).message;
  EXPECT_EQ(m.rfind("12 validation errors detected: ", 0), 0u);
  EXPECT_EQ(std::count(m.begin(), m.end(), ';'), 9);  // at most 10 entries
}

TEST(KinesisProtocol, OutputsInBothCodecs) {
  std::string json;
  auto out = Output::For(Codec::kJson, &json);
  out->BeginObject().Key("Data").Blob("hello").Key("At").TimestampMs(1700000003123).EndObject();
  EXPECT_EQ(json, R"({"Data":"aGVsbG8=","At":1700000003.123})");
  std::string cbor;
  auto out2 = Output::For(Codec::kCbor, &cbor);
  out2->BeginObject().Key("Data").Blob("hello").Key("At").TimestampMs(1700000003123).EndObject();
  auto back = DecodeCbor(cbor);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Find("Data")->type(), Value::Type::kBytes);
  EXPECT_EQ(*back->Find("At"), Value::TimestampMs(1700000003123));
}

TEST(KinesisProtocol, ErrorsInBothCodecs) {
  Response j = Failure(Codec::kJson, {400, "ResourceNotFoundException", "Stream s not found."});
  EXPECT_EQ(j.status, 400);
  EXPECT_EQ(j.body, R"({"__type":"ResourceNotFoundException","message":"Stream s not found."})");
  EXPECT_EQ(*j.headers.Get("x-amzn-ErrorType"), "ResourceNotFoundException");
  Response ser = Failure(Codec::kJson, {400, "SerializationException", "bad"});
  EXPECT_EQ(ser.body, R"({"__type":"SerializationException","Message":"bad"})");
  Response c = Failure(Codec::kCbor, {400, "ResourceNotFoundException", "x"});
  EXPECT_EQ(*c.headers.Get("Content-Type"), "application/x-amz-cbor-1.1");
  auto v = DecodeCbor(c.body);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->Find("__type")->as_string(), "ResourceNotFoundException");
  EXPECT_EQ(ToApiError(Status::ResourceExhausted("Rate exceeded for shard shardId-000000000001 in stream s")).type,
            "ProvisionedThroughputExceededException");
  EXPECT_EQ(ToApiError(Status::ResourceExhausted("Rate exceeded")).type, "LimitExceededException");
  EXPECT_EQ(ToApiError(Status::Internal("boom")).status, 500);
}

}  // namespace
}  // namespace osprey::server::kinesis
