#include "osprey/firehose/compression.h"

#include <snappy.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <random>

namespace osprey::firehose {
namespace {

std::string Sample(size_t n) {
  std::mt19937 rng(7);
  std::string out;
  while (out.size() < n) {
    out += "{\"cam\":" + std::to_string(rng() % 100) + ",\"site\":\"dock-" + std::to_string(rng() % 7) + "\"}\n";
  }
  out.resize(n);
  return out;
}

class CompressionTest : public ::testing::TestWithParam<Compression> {};

TEST_P(CompressionTest, RoundTrips) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{70'000}, size_t{600'000}}) {
    std::string data = Sample(n);
    auto packed = Compress(GetParam(), data, "entry");
    ASSERT_TRUE(packed.ok()) << packed.status().ToString();
    auto back = Decompress(GetParam(), *packed);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, data) << "size " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(All, CompressionTest,
                         ::testing::Values(Compression::kUncompressed, Compression::kGzip,
                                           Compression::kZip, Compression::kSnappy,
                                           Compression::kHadoopSnappy));

// Independent checks with the libraries themselves, not our inverse.
TEST(Compression, GzipIsOneMemberZlibCanRead) {
  std::string data = Sample(5000);
  std::string gz = Compress(Compression::kGzip, data, "").value();
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
  std::string out(data.size(), '\0');
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 31), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  inflateEnd(&zs);
  EXPECT_EQ(out, data);
}

TEST(Compression, SnappyFramingHeaderAndChunk) {
  std::string data = Sample(100);
  std::string framed = Compress(Compression::kSnappy, data, "").value();
  EXPECT_EQ(framed.substr(0, 10), std::string("\xff\x06\x00\x00sNaPpY", 10));
  uint8_t type = static_cast<uint8_t>(framed[10]);
  EXPECT_TRUE(type == 0x00 || type == 0x01);
}

TEST(Compression, HadoopSnappyBlockLayout) {
  std::string data = Sample(1000);
  std::string packed = Compress(Compression::kHadoopSnappy, data, "").value();
  auto be32 = [&](size_t at) {
    return (uint32_t(uint8_t(packed[at])) << 24) | (uint32_t(uint8_t(packed[at + 1])) << 16) |
           (uint32_t(uint8_t(packed[at + 2])) << 8) | uint32_t(uint8_t(packed[at + 3]));
  };
  EXPECT_EQ(be32(0), 1000u);
  uint32_t clen = be32(4);
  ASSERT_EQ(packed.size(), 8u + clen);
  std::string out;
  ASSERT_TRUE(snappy::Uncompress(packed.data() + 8, clen, &out));
  EXPECT_EQ(out, data);
}

TEST(Compression, Extensions) {
  EXPECT_EQ(DefaultExtension(Compression::kUncompressed), "");
  EXPECT_EQ(DefaultExtension(Compression::kGzip), ".gz");
  EXPECT_EQ(DefaultExtension(Compression::kZip), ".zip");
  EXPECT_EQ(DefaultExtension(Compression::kSnappy), ".snappy");
  EXPECT_EQ(DefaultExtension(Compression::kHadoopSnappy), ".snappy");
}

}  // namespace
}  // namespace osprey::firehose
