#include "osprey/firehose/naming.h"

#include <gtest/gtest.h>

#include "osprey/firehose/record_id.h"

namespace osprey::firehose {
namespace {

// 2018-08-27T10:30:05Z
constexpr int64_t kTime = 1535365805000;

TEST(FormatJavaTime, SupportedLetters) {
  EXPECT_EQ(FormatJavaTime("yyyy/MM/dd/HH/", kTime).value(), "2018/08/27/10/");
  EXPECT_EQ(FormatJavaTime("yy-M-d H:m:s", kTime).value(), "18-8-27 10:30:5");
  EXPECT_EQ(FormatJavaTime("yyyy'-'MM", kTime).value(), "2018-08");
  EXPECT_EQ(FormatJavaTime("DDD", kTime).value(), "239");
  EXPECT_EQ(FormatJavaTime("'year='yyyy", kTime).value(), "year=2018");
}

TEST(FormatJavaTime, RejectsOtherLetters) {
  EXPECT_FALSE(FormatJavaTime("yyyy-EEE", kTime).ok());
  EXPECT_FALSE(FormatJavaTime("'unterminated", kTime).ok());
}

TEST(EvaluatePrefix, EmptyPrefixGetsDefaultTime) {
  EXPECT_EQ(EvaluatePrefix("", PrefixContext{kTime, "", nullptr, nullptr}, true).value(), "2018/08/27/10/");
  EXPECT_EQ(EvaluatePrefix("logs/", PrefixContext{kTime, "", nullptr, nullptr}, true).value(),
            "logs/2018/08/27/10/");
}

TEST(EvaluatePrefix, SpecExample) {
  auto out = EvaluatePrefix("myFirehose/DeliveredYear=!{timestamp:yyyy}/rand=!{firehose:random-string}",
                            PrefixContext{kTime, "", nullptr, nullptr}, true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->substr(0, 35), "myFirehose/DeliveredYear=2018/rand=");
  EXPECT_EQ(out->size(), 35u + 11u);
}

TEST(EvaluatePrefix, SpecExampleRandomLength) {
  auto out = EvaluatePrefix("r=!{firehose:random-string}", PrefixContext{kTime, "", nullptr, nullptr}, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), 2u + 11u);
}

TEST(EvaluatePrefix, ErrorPrefix) {
  PrefixContext pc{kTime, "processing-failed", nullptr, nullptr};
  EXPECT_EQ(EvaluateErrorPrefix("x/", std::string("fail/!{firehose:error-output-type}/!{timestamp:yyyy}/"), pc)
                .value(),
            "fail/processing-failed/2018/");
  EXPECT_EQ(EvaluateErrorPrefix("x/", std::nullopt, pc).value(), "x/processing-failed/2018/08/27/10/");
}

TEST(EvaluatePrefix, PartitionKeys) {
  std::map<std::string, std::string> q{{"site", "dock-3"}};
  std::map<std::string, std::string> l{{"cam", "7"}};
  PrefixContext pc{kTime, "", &q, &l};
  EXPECT_EQ(EvaluatePrefix("s=!{partitionKeyFromQuery:site}/c=!{partitionKeyFromLambda:cam}/", pc, false).value(),
            "s=dock-3/c=7/");
  EXPECT_FALSE(EvaluatePrefix("!{partitionKeyFromQuery:missing}/", pc, false).ok());
}

TEST(ValidatePrefixes, SpecRules) {
  EXPECT_TRUE(ValidatePrefixes("", std::nullopt, false).ok());
  EXPECT_TRUE(ValidatePrefixes("a/!{timestamp:yyyy}/", std::string("e/!{firehose:error-output-type}/"), false).ok());
  // Rule 4.
  Status s = ValidatePrefixes("a/!{timestamp:yyyy}/", std::nullopt, false);
  EXPECT_EQ(s.message(), "ErrorOutputPrefix can't be null when Prefix contains expressions");
  // Rule 2 and 3.
  EXPECT_FALSE(ValidatePrefixes("!{firehose:error-output-type}/", std::string("e/!{firehose:error-output-type}"), false).ok());
  EXPECT_FALSE(ValidatePrefixes("", std::string("e/!{timestamp:yyyy}/"), false).ok());
  // Rule 1.
  EXPECT_FALSE(ValidatePrefixes("!{bogus:x}", std::string("e/!{firehose:error-output-type}"), false).ok());
  EXPECT_FALSE(ValidatePrefixes("!{timestamp:yyyy", std::nullopt, false).ok());
  // Dynamic partitioning needs partition keys, and they need it.
  EXPECT_FALSE(ValidatePrefixes("!{partitionKeyFromQuery:a}/", std::string("e/!{firehose:error-output-type}"), false).ok());
  EXPECT_TRUE(ValidatePrefixes("!{partitionKeyFromQuery:a}/", std::string("e/!{firehose:error-output-type}"), true).ok());
  EXPECT_FALSE(ValidatePrefixes("x/", std::string("e/"), true).ok());
}

TEST(ObjectSuffix, Format) {
  EXPECT_EQ(ObjectSuffix("cam-meta", 1, 1714568862000, "0f8e6a7c-3d5b-4a52-9d3e-6f1b2c8a9e10", ".gz"),
            "cam-meta-1-2024-05-01-13-07-42-0f8e6a7c-3d5b-4a52-9d3e-6f1b2c8a9e10.gz");
}

TEST(NewUuid, IsV4) {
  std::string u = NewUuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(u, NewUuid());
}

TEST(RecordId, RoundTrip) {
  std::string id = EncodeRecordId("0123456789abcdef", 42);
  EXPECT_EQ(id, "0123456789abcdef00000000000000000042");
  auto parts = DecodeRecordId(id);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->incarnation, "0123456789abcdef");
  EXPECT_EQ(parts->index, 42u);
  EXPECT_FALSE(DecodeRecordId("xyz").has_value());
}

}  // namespace
}  // namespace osprey::firehose
