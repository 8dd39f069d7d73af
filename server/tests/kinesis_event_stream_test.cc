#include "kinesis/event_stream.h"

#include <gtest/gtest.h>

namespace osprey::server::kinesis {
namespace {

TEST(EventStream, EmptyMessageHasKnownCrcs) {
  // A message with no headers and no payload: 16 bytes, whose prelude CRC is
  // the CRC-32 of 00000010 00000000 (computed with python zlib.crc32).
  std::string m = EncodeEventStreamMessage({}, "");
  ASSERT_EQ(m.size(), 16u);
  EXPECT_EQ(m.substr(0, 8), std::string("\x00\x00\x00\x10\x00\x00\x00\x00", 8));
  EXPECT_EQ(m.substr(8, 4), std::string("\x05\xc2\x48\xeb", 4));
  EXPECT_EQ(m.substr(12, 4), std::string("\x7d\x98\xc8\xff", 4));
}

TEST(EventStream, EventRoundTrip) {
  std::string m = EncodeEvent("initial-response", "application/json", "{}");
  auto d = DecodeEventStreamMessage(m + "trailing");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->encoded_size, m.size());
  EXPECT_EQ(d->payload, "{}");
  ASSERT_EQ(d->headers.size(), 3u);
  EXPECT_EQ(d->headers[0], (std::pair<std::string, std::string>{":message-type", "event"}));
  EXPECT_EQ(d->headers[1].second, "initial-response");
  EXPECT_EQ(d->headers[2].second, "application/json");
  auto e = DecodeEventStreamMessage(EncodeException("ResourceInUseException", "application/json",
                                                    R"({"message":"x"})"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->headers[1], (std::pair<std::string, std::string>{":exception-type",
                                                                 "ResourceInUseException"}));
}

TEST(EventStream, DetectsDamageAndPartialInput) {
  std::string m = EncodeEvent("SubscribeToShardEvent", "application/json", R"({"Records":[]})");
  for (size_t cut = 0; cut < m.size(); ++cut) {
    auto d = DecodeEventStreamMessage(m.substr(0, cut));
    EXPECT_FALSE(d.ok());
  }
  for (size_t i = 0; i < m.size(); ++i) {
    std::string bad = m;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto d = DecodeEventStreamMessage(bad);
    EXPECT_FALSE(d.ok()) << "flip at " << i;
  }
}

}  // namespace
}  // namespace osprey::server::kinesis
