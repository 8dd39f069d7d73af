#include "osprey/streams/sequence_number.h"

#include <gtest/gtest.h>

namespace osprey::streams {
namespace {

// Examples from spec/data-streams-api.md 4.4.
TEST(SequenceNumber, SpecStartingNumber) {
  EXPECT_EQ(EncodeSequenceNumber({1700000000, 0, 1700000000, 0}),
            "49646437577108476416916876405825929425585429676275269634");
}

TEST(SequenceNumber, SpecFirstRecord) {
  EXPECT_EQ(EncodeSequenceNumber({1700000000, 1, 1700000003, 0}),
            "49646437577108476416916876405827138351405044511608406018");
}

TEST(SequenceNumber, DecodesRealAwsValue) {
  // The spec prints the split as 2|054b6fffe|0|000000000000001d|50|..., but
  // its 47 hex digits split by the field widths are
  // 2|054b6fffe|0|00000000000001d5|00|054b7009a|00000000|2 (index 0x1d5).
  auto p = DecodeSequenceNumber("49546986683135544286507457936321625675700192471156785154");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->shard_create_s, 0x054b6fffe);
  EXPECT_EQ(p->seq_index, 0x1d5u);
  EXPECT_EQ(p->record_time_s, 0x054b7009a);
  EXPECT_EQ(p->shard_index, 0u);
}

TEST(SequenceNumber, RoundTrips) {
  for (SequenceNumberParts p :
       {SequenceNumberParts{1700000000, 1, 1700000003, 0},
        SequenceNumberParts{1, kMaxSeqIndex, 0xfffffffff, 0xffffffff},
        SequenceNumberParts{16025174999, 12345, 0, 17}, SequenceNumberParts{0, 0, 0, 0}}) {
    std::string s = EncodeSequenceNumber(p);
    auto back = DecodeSequenceNumber(s);
    ASSERT_TRUE(back.ok()) << s << " " << back.status().ToString();
    EXPECT_EQ(*back, p) << s;
  }
}

TEST(SequenceNumber, OrderFollowsIndexWithinAShard) {
  std::string a = EncodeSequenceNumber({1700000000, 9, 1700000100, 3});
  std::string b = EncodeSequenceNumber({1700000000, 10, 1700000000, 3});
  ASSERT_EQ(a.size(), b.size());
  EXPECT_LT(a, b);
}

TEST(SequenceNumber, RejectsBadInput) {
  for (const char* bad : {"", "abc", "012", "-1", "1.5",
                          "12345",  // legacy (< 2^124)
                          // 2^188: one hex digit too many
                          "392318858461667547739736838950479151006397215279002157056",
                          // version nibble 3 instead of 2
                          "49646437577108476416916876405825929425585429676275269635"}) {
    EXPECT_FALSE(DecodeSequenceNumber(bad).ok()) << bad;
  }
  // Seq nibble 8: hex 2|065f02e00|0|8000000000000000|00|065f02e00|00000000|2.
  EXPECT_FALSE(
      DecodeSequenceNumber("49650091057181397047267353766287581858671462168116854786").ok());
  // The largest index itself is fine.
  auto p = DecodeSequenceNumber(EncodeSequenceNumber({1700000000, kMaxSeqIndex, 1700000000, 0}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->seq_index, kMaxSeqIndex);
}

TEST(SequenceNumber, RejectsCreationTimeTooLate) {
  // hex 2|3bb2cc3d8|0|0000000000000001|00|000000000|00000000|2: created at
  // 16025175000 s, kinesalite's first invalid value.
  EXPECT_FALSE(
      DecodeSequenceNumber("54757830818698251126701659333929306107164861946614775810").ok());
  EXPECT_TRUE(DecodeSequenceNumber(EncodeSequenceNumber({16025174999, 1, 0, 0})).ok());
}

}  // namespace
}  // namespace osprey::streams
