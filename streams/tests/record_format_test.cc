#include "record_format.h"

#include <gtest/gtest.h>

#include <string>

namespace osprey::streams::format {
namespace {

RecordInput Input(const char* hash_key) {
  RecordInput in;
  in.partition_key = "pk";
  if (hash_key != nullptr) in.explicit_hash_key = hash_key;
  in.data = std::string("\0data\xff", 6);
  return in;
}

TEST(RecordFormat, RoundTripWithAndWithoutHashKey) {
  for (const char* hk : {static_cast<const char*>(nullptr), "12345"}) {
    std::string buf;
    EncodeRecord(42, 1700000000123, Input(hk), &buf);
    ASSERT_EQ(buf.size(), EncodedSize(Input(hk)));
    RecordView v;
    size_t frame = 0;
    std::string why;
    ASSERT_EQ(DecodeRecord(buf, 1 << 20, &v, &frame, &why), Decode::kOk) << why;
    EXPECT_EQ(frame, buf.size());
    Record r = v.ToRecord();
    EXPECT_EQ(r.sequence_index, 42u);
    EXPECT_EQ(r.arrival_ms, 1700000000123);
    EXPECT_EQ(r.partition_key, "pk");
    EXPECT_EQ(r.data, std::string("\0data\xff", 6));
    EXPECT_EQ(r.explicit_hash_key.has_value(), hk != nullptr);
  }
}

TEST(RecordFormat, EveryPrefixIsTruncated) {
  std::string buf;
  EncodeRecord(1, 2, Input("9"), &buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    RecordView v;
    size_t frame = 0;
    std::string why;
    EXPECT_EQ(DecodeRecord(std::string_view(buf).substr(0, n), 1 << 20, &v, &frame, &why),
              Decode::kTruncated)
        << n;
  }
}

TEST(RecordFormat, EveryFlippedByteIsCaught) {
  std::string good;
  EncodeRecord(7, 8, Input("77"), &good);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x10;
    RecordView v;
    size_t frame = 0;
    std::string why;
    // A flipped length byte can also make the frame look longer (truncated).
    EXPECT_NE(DecodeRecord(bad, 1 << 20, &v, &frame, &why), Decode::kOk) << i;
  }
}

TEST(RecordFormat, OversizedLengthIsCorrupt) {
  std::string buf;
  EncodeRecord(1, 2, Input(nullptr), &buf);
  RecordView v;
  size_t frame = 0;
  std::string why;
  EXPECT_EQ(DecodeRecord(buf, 8, &v, &frame, &why), Decode::kCorrupt);
}

TEST(RecordFormat, SegmentHeader) {
  std::string h;
  AppendSegmentHeader(123456789, &h);
  ASSERT_EQ(h.size(), kSegmentHeaderSize);
  uint64_t base = 0;
  ASSERT_TRUE(ParseSegmentHeader(h, &base));
  EXPECT_EQ(base, 123456789u);
  h[0] = 'X';
  EXPECT_FALSE(ParseSegmentHeader(h, &base));
}

}  // namespace
}  // namespace osprey::streams::format
