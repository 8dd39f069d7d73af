#include "osprey/base/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace osprey::crc32c {
namespace {

TEST(Crc32c, StandardCheckValue) { EXPECT_EQ(Value("123456789"), 0xE3069283u); }

TEST(Crc32c, Rfc3720Vectors) {
  // iSCSI (RFC 3720 B.4) test patterns.
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62A8AB43u);
  std::string inc;
  for (int i = 0; i < 32; ++i) inc.push_back(static_cast<char>(i));
  EXPECT_EQ(Value(inc), 0x46DD794Eu);
  std::string dec;
  for (int i = 31; i >= 0; --i) dec.push_back(static_cast<char>(i));
  EXPECT_EQ(Value(dec), 0x113FDB5Cu);
}

TEST(Crc32c, EmptyIsZero) { EXPECT_EQ(Value(""), 0u); }

TEST(Crc32c, ExtendEqualsWholeAtEverySplit) {
  std::string s = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t i = 0; i <= s.size(); ++i) {
    uint32_t part = Extend(Extend(0, s.data(), i), s.data() + i, s.size() - i);
    EXPECT_EQ(part, Value(s)) << i;
  }
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  uint32_t c = Value("foo");
  EXPECT_NE(Mask(c), c);
  EXPECT_EQ(Unmask(Mask(c)), c);
}

}  // namespace
}  // namespace osprey::crc32c
