// Shard iterator tokens: round trip, forgery, expiry, key file.
#include <gtest/gtest.h>

#include <fstream>

#include "osprey/streams/iterator.h"
#include "test_util.h"

namespace osprey::streams {
namespace {

constexpr int64_t kNow = 1700000000000;

IteratorToken Sample() { return {42, std::string(128, 'n'), 7, 123456789, kNow}; }

TEST(Iterator, RoundTrip) {
  IteratorCodec codec(std::string(32, 'k'));
  const std::string token = codec.Encode(Sample());
  EXPECT_LE(token.size(), 512u);
  auto back = codec.Decode(token, kNow + 1000);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, Sample());
}

TEST(Iterator, RejectsForgedAndGarbage) {
  IteratorCodec codec(std::string(32, 'k'));
  IteratorCodec other(std::string(32, 'x'));
  std::string token = codec.Encode(Sample());
  EXPECT_EQ(other.Decode(token, kNow).status().message(), "Invalid ShardIterator.");
  std::string flipped = token;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(codec.Decode(flipped, kNow).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(codec.Decode("", kNow).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(codec.Decode("!!!!", kNow).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(codec.Decode(token.substr(0, token.size() - 4), kNow).status().code(),
            Status::Code::kInvalidArgument);
  // Issued in the future (clock skew beyond a second).
  EXPECT_EQ(codec.Decode(token, kNow - 5000).status().code(), Status::Code::kInvalidArgument);
}

TEST(Iterator, ExpiresAfterFiveMinutes) {
  IteratorCodec codec(std::string(32, 'k'));
  const std::string token = codec.Encode(Sample());
  EXPECT_TRUE(codec.Decode(token, kNow + 300000).ok());
  auto late = codec.Decode(token, kNow + 300001);
  EXPECT_EQ(late.status().code(), Status::Code::kDeadlineExceeded);
  EXPECT_EQ(late.status().message(),
            "Iterator expired. The iterator was created at time Tue Nov 14 22:13:20 UTC 2023 while "
            "right now it is Tue Nov 14 22:18:20 UTC 2023 which is further in the future than the "
            "tolerated delay of 300000 milliseconds.");
}

TEST(Iterator, KeyFileSurvivesReopen) {
  testing::TempDir dir;
  const std::string path = dir.Sub("iterator.key");
  auto a = IteratorCodec::OpenKeyFile(path);
  ASSERT_TRUE(a.ok());
  const std::string token = a->Encode(Sample());
  auto b = IteratorCodec::OpenKeyFile(path);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->Decode(token, kNow).ok());
  EXPECT_EQ(std::filesystem::file_size(path), IteratorCodec::kKeyBytes);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

}  // namespace
}  // namespace osprey::streams
