// Hash keys (parse, format, MD5 routing, even splits), shard ids, enum
// names and the error classification.
#include <gtest/gtest.h>

#include "osprey/streams/hash_key.h"
#include "osprey/streams/stream_errors.h"
#include "osprey/streams/stream_types.h"

namespace osprey::streams {
namespace {

constexpr const char* kMax = "340282366920938463463374607431768211455";  // 2^128 - 1

TEST(HashKey, ParseAndFormatRoundTrip) {
  for (const char* s : {"0", "1", "9", "10", "18446744073709551615", "18446744073709551616", kMax}) {
    auto k = ParseHashKey(s);
    ASSERT_TRUE(k.has_value()) << s;
    EXPECT_EQ(FormatHashKey(*k), s);
  }
  EXPECT_EQ(*ParseHashKey(kMax), kMaxHashKey);
  EXPECT_EQ(*ParseHashKey("18446744073709551616"), HashKey{1} << 64);
  EXPECT_EQ(*ParseHashKey("007"), HashKey{7});
}

TEST(HashKey, ParseRejects) {
  EXPECT_FALSE(ParseHashKey(""));
  EXPECT_FALSE(ParseHashKey("-1"));
  EXPECT_FALSE(ParseHashKey("1a"));
  EXPECT_FALSE(ParseHashKey(" 1"));
  EXPECT_FALSE(ParseHashKey("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(ParseHashKey("340282366920938463463374607431768211460"));
  EXPECT_FALSE(ParseHashKey("1000000000000000000000000000000000000000"));
}

// Expected values computed independently with Python:
//   int.from_bytes(hashlib.md5(key.encode()).digest(), 'big')
TEST(HashKey, Md5OfPartitionKeyIsBigEndian) {
  struct Case {
    const char* key;
    const char* hash;
  };
  const Case cases[] = {
      {"a", "16955237001963240173058271559858726497"},  // also the spec's example
      {"cam-7", "22893945298333346576895035535166704663"},
      {"partition-1", "198019941650871988756153596255032211816"},
      {"", "281949768489412648962353822266799178366"},
      {"\xc3\xbc\xc3\xb1\xc3\xad", "185593386815409954498381636157031893961"},  // "üñí"
  };
  for (const auto& c : cases) EXPECT_EQ(FormatHashKey(HashPartitionKey(c.key)), c.hash) << c.key;
}

// Boundaries computed with Python: step = 2**128 // n; [i*step, (i+1)*step-1].
TEST(HashKey, EvenSplitMatchesAws) {
  auto one = EvenSplit(1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].start, 0u);
  EXPECT_EQ(one[0].end, kMaxHashKey);

  auto two = EvenSplit(2);
  EXPECT_EQ(FormatHashKey(two[0].end), "170141183460469231731687303715884105727");
  EXPECT_EQ(FormatHashKey(two[1].start), "170141183460469231731687303715884105728");

  auto three = EvenSplit(3);  // spec 4.3
  EXPECT_EQ(FormatHashKey(three[0].end), "113427455640312821154458202477256070484");
  EXPECT_EQ(FormatHashKey(three[1].start), "113427455640312821154458202477256070485");
  EXPECT_EQ(FormatHashKey(three[1].end), "226854911280625642308916404954512140969");
  EXPECT_EQ(FormatHashKey(three[2].start), "226854911280625642308916404954512140970");
  EXPECT_EQ(three[2].end, kMaxHashKey);

  auto four = EvenSplit(4);
  EXPECT_EQ(FormatHashKey(four[1].start), "85070591730234615865843651857942052864");
  auto seven = EvenSplit(7);
  EXPECT_EQ(FormatHashKey(seven[1].start), "48611766702991209066196372490252601636");

  for (uint32_t n = 1; n <= 64; ++n) {
    auto r = EvenSplit(n);
    ASSERT_EQ(r.size(), n);
    EXPECT_EQ(r.front().start, 0u);
    EXPECT_EQ(r.back().end, kMaxHashKey);
    for (uint32_t i = 1; i < n; ++i) EXPECT_EQ(r[i].start, r[i - 1].end + 1) << n << " " << i;
  }
}

TEST(ShardId, FormatAndLenientParse) {
  EXPECT_EQ(ShardIdFor(0), "shardId-000000000000");
  EXPECT_EQ(ShardIdFor(12), "shardId-000000000012");
  EXPECT_EQ(ParseShardId("shardId-000000000012"), 12u);
  EXPECT_EQ(ParseShardId("shardId-0"), 0u);
  EXPECT_EQ(ParseShardId("shardId-2147483647"), 2147483647u);
  EXPECT_FALSE(ParseShardId("shardId-2147483648"));
  EXPECT_FALSE(ParseShardId("shardId-"));
  EXPECT_FALSE(ParseShardId("shard-1"));
  EXPECT_FALSE(ParseShardId("shardId-1x"));
}

TEST(Enums, WireNames) {
  EXPECT_EQ(StreamModeName(StreamMode::kOnDemand), "ON_DEMAND");
  EXPECT_EQ(ParseStreamMode("PROVISIONED"), StreamMode::kProvisioned);
  EXPECT_FALSE(ParseStreamMode("provisioned"));
  EXPECT_EQ(StreamStatusName(StreamStatus::kUpdating), "UPDATING");
  EXPECT_EQ(ParseIteratorType("AFTER_SEQUENCE_NUMBER"), IteratorType::kAfterSequenceNumber);
  EXPECT_FALSE(ParseIteratorType("OLDEST"));
}

TEST(Errors, ClassifyMapsToExceptionNames) {
  auto name = [](const Status& s) { return std::string(ErrorTypeName(ClassifyError(s))); };
  EXPECT_EQ(name(Status::Ok()), "");
  EXPECT_EQ(name(Status::NotFound("x")), "ResourceNotFoundException");
  EXPECT_EQ(name(Status::AlreadyExists("x")), "ResourceInUseException");
  EXPECT_EQ(name(Status::FailedPrecondition("x")), "ResourceInUseException");
  EXPECT_EQ(name(Status::InvalidArgument("x")), "InvalidArgumentException");
  EXPECT_EQ(name(Status::InvalidArgument("1 validation error detected: Value")), "ValidationException");
  EXPECT_EQ(name(Status::InvalidArgument("2 validation errors detected: V")), "ValidationException");
  EXPECT_EQ(name(Status::ResourceExhausted("Rate exceeded for shard shardId-000000000001 in")),
            "ProvisionedThroughputExceededException");
  EXPECT_EQ(name(Status::ResourceExhausted("This request would exceed")), "LimitExceededException");
  EXPECT_EQ(name(Status::DeadlineExceeded("Iterator expired.")), "ExpiredIteratorException");
  EXPECT_EQ(name(Status::IOError("disk")), "InternalFailure");
}

}  // namespace
}  // namespace osprey::streams
