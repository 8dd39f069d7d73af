#include "osprey/fragments/fragment_number.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace osprey::fragments {
namespace {

TEST(FragmentNumber, FixedWidthAndRoundTrip) {
  std::string n = FormatFragmentNumber(1700000000123, 42);
  EXPECT_EQ(n.size(), kFragmentNumberDigits);
  EXPECT_EQ(n, "9" "1700000000123" "0000000000000" "00000000000000000042");
  auto parsed = ParseFragmentNumber(n);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->stream_creation_ms, 1700000000123);
  EXPECT_EQ(parsed->index, 42u);
}

TEST(FragmentNumber, StringOrderIsIndexOrder) {
  // Indices are microsecond clocks in practice; string comparison must agree
  // with numeric comparison across digit-count changes.
  uint64_t indices[] = {1, 9, 10, 999999, 1000000, 1700000000000000, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 1; i < std::size(indices); ++i) {
    EXPECT_LT(FormatFragmentNumber(1700000000123, indices[i - 1]),
              FormatFragmentNumber(1700000000123, indices[i]));
  }
  auto max = ParseFragmentNumber(FormatFragmentNumber(9999999999999, UINT64_MAX));
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->index, UINT64_MAX);
}

TEST(FragmentNumber, RejectsForeignAndMalformed) {
  std::string good = FormatFragmentNumber(1700000000123, 7);
  EXPECT_FALSE(ParseFragmentNumber("").ok());
  EXPECT_FALSE(ParseFragmentNumber(good.substr(1)).ok());
  EXPECT_FALSE(ParseFragmentNumber(good + "0").ok());
  // A real KVS number: 47 digits, but not our layout.
  EXPECT_FALSE(ParseFragmentNumber("91343852333181432392682062607743920146159169392").ok());
  std::string letter = good;
  letter[20] = 'a';
  EXPECT_FALSE(ParseFragmentNumber(letter).ok());
  // Index beyond uint64.
  std::string big = "9" "1700000000123" "0000000000000" "99999999999999999999";
  EXPECT_FALSE(ParseFragmentNumber(big).ok());
}

}  // namespace
}  // namespace osprey::fragments
