// The private EBML primitives (src/ebml.h): vint edge cases both ways.
#include "ebml.h"

#include <string>

#include <gtest/gtest.h>

namespace osprey::fragments::ebml {
namespace {

std::string Size(uint64_t v, int len = 0) {
  std::string out;
  AppendSize(&out, v, len);
  return out;
}

Decode DecodeBytes(std::string_view s, ElementHeader* h, std::string* error) {
  return DecodeHeader(AsBytes(s), h, error);
}

TEST(EbmlTest, SizeVintsAreMinimalAndAvoidTheUnknownPattern) {
  EXPECT_EQ(Size(0), std::string("\x80", 1));
  EXPECT_EQ(Size(126), "\xFE");
  EXPECT_EQ(Size(127), std::string("\x40\x7F", 2));  // 0xFF would mean unknown
  EXPECT_EQ(Size(16382), "\x7F\xFE");
  EXPECT_EQ(Size(16383), std::string("\x20\x3F\xFF", 3));
  EXPECT_EQ(Size(6, 8), std::string("\x01\x00\x00\x00\x00\x00\x00\x06", 8));
  std::string unknown;
  AppendUnknownSize(&unknown);
  EXPECT_EQ(unknown, "\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF");
}

TEST(EbmlTest, DecodesHeadersIncrementally) {
  ElementHeader h;
  std::string error;
  const std::string cluster = "\x1F\x43\xB6\x75\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF";
  for (size_t n = 0; n < cluster.size(); ++n) {
    EXPECT_EQ(DecodeBytes(cluster.substr(0, n), &h, &error), Decode::kNeedMore) << n;
  }
  ASSERT_EQ(DecodeBytes(cluster, &h, &error), Decode::kOk);
  EXPECT_EQ(h.id, 0x1F43B675u);
  EXPECT_EQ(h.size, kUnknownSize);
  EXPECT_EQ(h.header_length, 12);
  ASSERT_EQ(DecodeBytes(std::string("\xA3\x40\x7F", 3), &h, &error), Decode::kOk);
  EXPECT_EQ(h.id, 0xA3u);
  EXPECT_EQ(h.size, 127u);
  EXPECT_EQ(h.header_length, 3);
  // A one-byte unknown size (0xFF), as the KVS producer writes for Segment.
  ASSERT_EQ(DecodeBytes("\x18\x53\x80\x67\xFF", &h, &error), Decode::kOk);
  EXPECT_EQ(h.size, kUnknownSize);
}

TEST(EbmlTest, RejectsInvalidHeadersAsSoonAsTheyAreKnown) {
  ElementHeader h;
  std::string error;
  EXPECT_EQ(DecodeBytes(std::string("\x00", 1), &h, &error), Decode::kInvalid);
  EXPECT_EQ(error, "invalid element ID (first byte 0x00)");
  EXPECT_EQ(DecodeBytes("\x08\x01\x02\x03\x04", &h, &error), Decode::kInvalid);  // 5-byte ID
  EXPECT_EQ(error, "invalid element ID (first byte 0x08)");
  EXPECT_EQ(DecodeBytes("\x7F\xFF", &h, &error), Decode::kInvalid);
  EXPECT_EQ(error, "reserved element ID 0x7FFF");
  EXPECT_EQ(DecodeBytes(std::string("\x40\x00", 2), &h, &error), Decode::kInvalid);
  EXPECT_EQ(error, "reserved element ID 0x4000");
  EXPECT_EQ(DecodeBytes(std::string("\xEC\x00", 2), &h, &error), Decode::kInvalid);
  EXPECT_EQ(error, "invalid element size (first byte 0x00)");
}

TEST(EbmlTest, ValueDecoders) {
  EXPECT_EQ(*ReadUint(AsBytes("")), 0u);
  EXPECT_EQ(*ReadUint(AsBytes("\x01\x02\x03\x04\x05\x06\x07\x08")), 0x0102030405060708u);
  EXPECT_EQ(ReadUint(AsBytes("123456789")).status().message(),
            "unsigned integer longer than 8 bytes");
  EXPECT_EQ(*ReadFloat(AsBytes(std::string("\x3F\x80\x00\x00", 4))), 1.0);
  EXPECT_EQ(*ReadFloat(AsBytes(std::string("\x40\xE7\x70\x00\x00\x00\x00\x00", 8))), 48000.0);
  EXPECT_EQ(ReadString(AsBytes(std::string("A_AAC\0\0\0", 8))), "A_AAC");
  EXPECT_EQ(ReadString(AsBytes(std::string("a\0b\0", 4))), std::string("a\0b", 3));
}

TEST(EbmlTest, UintsAndFloatsRoundTrip) {
  std::string out;
  AppendUint(&out, 0x2AD7B1, 1000000);
  EXPECT_EQ(out, "\x2A\xD7\xB1\x83\x0F\x42\x40");
  out.clear();
  AppendUint(&out, 0xE7, 5, 8);
  EXPECT_EQ(out, std::string("\xE7\x88\x00\x00\x00\x00\x00\x00\x00\x05", 10));
  out.clear();
  AppendFloat(&out, 0xB5, 44100.0);
  EXPECT_EQ(*ReadFloat(AsBytes(out).subspan(2)), 44100.0);
}

}  // namespace
}  // namespace osprey::fragments::ebml
