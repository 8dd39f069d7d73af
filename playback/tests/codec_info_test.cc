// SPS parsing on SPS units x264/x265 wrote for known sizes (hex below made
// with ffmpeg -f lavfi -i testsrc=size=WxH ... -c:v libx264 / libx265).
#include "osprey/playback/codec_info.h"

#include <gtest/gtest.h>

namespace osprey::playback {
namespace {

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// avcC around one SPS and an empty PPS list.
std::string Avcc(const std::string& sps) {
  std::string a = {1, sps[1], sps[2], sps[3], char(0xFF), char(0xE1)};
  a.push_back(char(sps.size() >> 8));
  a.push_back(char(sps.size() & 0xFF));
  a += sps;
  a.push_back(0);
  return a;
}

constexpr char kSps1080[] = "67640028acd940780227e5c044000003000400000300c83c60c658";
constexpr char kSps160x120[] = "6764000bacd942847e5c0440000003004000000c83c50a6580";
constexpr char kSps720[] = "6764001facd9405005bb011000000300100000030320f1831960";
constexpr char kSpsBaseline[] = "6742c00dd90141fb0110000003001000000303c0f142a480";
constexpr char kHevc1080[] =
    "420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000c84";
constexpr char kHevc160x120[] =
    "42010101600000030090000003000003001ea014207965959a4932bc05a02000000300200000030321";

TEST(H264Sps, CroppedTo1080) {
  // Coded as 120 x 68 macroblocks (1088 lines) with 8 lines cropped.
  Result<VideoInfo> info = ParseH264Sps(Hex(kSps1080));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->width, 1920u);
  EXPECT_EQ(info->height, 1080u);
  EXPECT_EQ(info->codecs, "avc1.640028");
  ASSERT_TRUE(info->frame_rate.has_value());
  EXPECT_DOUBLE_EQ(*info->frame_rate, 25.0);
}

TEST(H264Sps, Small160x120IsNot160x16) {
  // producer-sdk-cpp#282: coded as 160x128, cropped by 8 lines.
  Result<VideoInfo> info = ParseH264Sps(Hex(kSps160x120));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->width, 160u);
  EXPECT_EQ(info->height, 120u);
  EXPECT_EQ(info->codecs, "avc1.64000b");
}

TEST(H264Sps, NoCropping720p) {
  Result<VideoInfo> info = ParseH264Sps(Hex(kSps720));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 1280u);
  EXPECT_EQ(info->height, 720u);
  EXPECT_EQ(info->codecs, "avc1.64001f");
}

TEST(H264Sps, BaselineWithoutChromaFields) {
  Result<VideoInfo> info = ParseH264Sps(Hex(kSpsBaseline));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 320u);
  EXPECT_EQ(info->height, 240u);
  EXPECT_EQ(info->codecs, "avc1.42c00d");
  ASSERT_TRUE(info->frame_rate.has_value());
  EXPECT_DOUBLE_EQ(*info->frame_rate, 30.0);
}

TEST(H264Sps, FromAvcc) {
  Result<VideoInfo> info = ParseAvcDecoderConfig(Avcc(Hex(kSps1080)));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->height, 1080u);
}

TEST(H264Sps, RejectsGarbageWithoutReadingPastTheEnd) {
  const std::string sps = Hex(kSps1080);
  // 11 bytes already hold every field up to the cropping window.
  for (size_t n = 0; n < 11; ++n) {
    EXPECT_FALSE(ParseH264Sps(sps.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(ParseH264Sps(Hex("68ce3880")).ok());  // a PPS
  EXPECT_FALSE(ParseAvcDecoderConfig("").ok());
  EXPECT_FALSE(ParseAvcDecoderConfig(Hex("01640028ffe1ffff")).ok());
  std::string short_avcc = Avcc(sps);
  short_avcc.resize(12);
  EXPECT_FALSE(ParseAvcDecoderConfig(short_avcc).ok());
}

TEST(H265Sps, Sizes) {
  Result<VideoInfo> a = ParseH265Sps(Hex(kHevc1080));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->width, 1920u);
  EXPECT_EQ(a->height, 1080u);
  EXPECT_EQ(a->codecs, "hvc1.1.6.L120.90");
  Result<VideoInfo> b = ParseH265Sps(Hex(kHevc160x120));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->width, 160u);
  EXPECT_EQ(b->height, 120u);
  EXPECT_EQ(b->codecs, "hvc1.1.6.L30.90");
}

TEST(H265Sps, FromHvcc) {
  const std::string sps = Hex(kHevc1080);
  std::string hvcc(22, '\0');
  hvcc[0] = 1;
  hvcc[21] = 3;
  hvcc.push_back(1);                      // numOfArrays
  hvcc.push_back(char(0x80 | 33));        // SPS array
  hvcc += std::string("\x00\x01", 2);     // one NAL
  hvcc.push_back(char(sps.size() >> 8));
  hvcc.push_back(char(sps.size() & 0xFF));
  hvcc += sps;
  Result<VideoInfo> info = ParseHevcDecoderConfig(hvcc);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->height, 1080u);
  hvcc.resize(hvcc.size() - 5);
  EXPECT_FALSE(ParseHevcDecoderConfig(hvcc).ok());
}

TEST(Aac, CodecsString) {
  EXPECT_EQ(AacCodecsString(Hex("1210")), "mp4a.40.2");   // AAC-LC 44.1 kHz stereo
  EXPECT_EQ(AacCodecsString(Hex("2b92")), "mp4a.40.5");   // SBR
  EXPECT_EQ(AacCodecsString(""), "mp4a.40.2");
}

TEST(DescribeTrack, ByCodec) {
  Track t;
  t.codec = Codec::kH264;
  t.codec_private = Avcc(Hex(kSps160x120));
  Result<VideoInfo> v = DescribeTrack(t);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->height, 120u);
  t.codec = Codec::kUnsupported;
  t.codec_id = "V_VP9";
  EXPECT_FALSE(DescribeTrack(t).ok());
}

}  // namespace
}  // namespace osprey::playback
