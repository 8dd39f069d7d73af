// EncodeJpeg / EncodePng on pictures with known content, read back by
// ffprobe and ffmpeg (an independent decoder) and compared pixel by pixel.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <utility>

#include "ffmpeg_fragments.h"
#include "osprey/playback/video_decoder.h"

namespace osprey::playback {
namespace {

using test::RunCommand;

struct Bgr {
  int b, g, r;
};

// Quadrants: top-left red, top-right blue, bottom-left white, bottom-right
// mid grey, so a swap of channels, rows or columns shows.
Bgr Expected(const DecodedPicture& p, int x, int y) {
  const bool right = x >= p.width / 2, bottom = y >= p.height / 2;
  if (!bottom) return right ? Bgr{255, 0, 0} : Bgr{0, 0, 255};
  return right ? Bgr{128, 128, 128} : Bgr{255, 255, 255};
}

DecodedPicture Quadrants(int width, int height) {
  DecodedPicture p;
  p.width = width;
  p.height = height;
  p.bgr.resize(size_t(width) * size_t(height) * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Bgr c = Expected(p, x, y);
      const size_t at = (size_t(y) * size_t(width) + size_t(x)) * 3;
      p.bgr[at] = char(c.b);
      p.bgr[at + 1] = char(c.g);
      p.bgr[at + 2] = char(c.r);
    }
  }
  return p;
}

class ImageEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::HaveTool("ffmpeg") && test::HaveTool("ffprobe"))
        << "ffmpeg/ffprobe not installed";
    char tmpl[] = "/tmp/osprey_stills_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes the image, checks its probed size and returns it as BGR.
  std::string DecodeBack(const std::string& name, const std::string& image, int w, int h) {
    const std::string file = dir_ + "/" + name;
    test::WriteFile(file, image);
    EXPECT_EQ(RunCommand("ffprobe -v error -show_entries stream=width,height -of csv=p=0 " + file),
              std::to_string(w) + "," + std::to_string(h) + "\n");
    const std::string raw = dir_ + "/back.bgr";
    EXPECT_EQ(RunCommand("ffmpeg -hide_banner -v error -y -i " + file +
                         " -f rawvideo -pix_fmt bgr24 " + raw),
              "");
    return test::ReadFile(raw);
  }

  std::string dir_;
};

TEST_F(ImageEncoderTest, JpegDecodesBackToTheColours) {
  // Even sizes take swscale's fast BGR -> YUV path unless told otherwise
  // (it ignores the full-range request: every colour came back squeezed
  // into 16..235); odd ones round the 4:2:0 chroma planes up.
  for (const auto& [w, h] : {std::pair{200, 150}, std::pair{201, 151}}) {
    const DecodedPicture picture = Quadrants(w, h);
    Result<std::string> jpeg = EncodeJpeg(picture, 90);
    ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
    ASSERT_GT(jpeg->size(), 4u);
    EXPECT_EQ(jpeg->substr(0, 2), "\xFF\xD8");
    EXPECT_EQ(jpeg->substr(jpeg->size() - 2), "\xFF\xD9");
    const std::string back = DecodeBack("still.jpg", *jpeg, w, h);
    ASSERT_EQ(back.size(), picture.bgr.size());
    // Away from the quadrant edges (chroma is shared by 2x2 pixels and JPEG
    // rings at edges), within what full-range 4:2:0 at quality 90 keeps.
    for (int y : {20, 50, 100, 130}) {
      for (int x : {20, 70, 130, 180}) {
        const size_t at = (size_t(y) * size_t(w) + size_t(x)) * 3;
        const Bgr want = Expected(picture, x, y);
        EXPECT_NEAR(uint8_t(back[at]), want.b, 6) << w << " " << x << "," << y;
        EXPECT_NEAR(uint8_t(back[at + 1]), want.g, 6) << w << " " << x << "," << y;
        EXPECT_NEAR(uint8_t(back[at + 2]), want.r, 6) << w << " " << x << "," << y;
      }
    }
  }
}

TEST_F(ImageEncoderTest, JpegQualityTradesSize) {
  // Noise-like content, so the quantiser matters.
  DecodedPicture picture = Quadrants(160, 120);
  uint32_t x = 1;
  for (char& c : picture.bgr) {
    x = x * 1664525u + 1013904223u;
    c = char(uint8_t(c) / 2 + (x >> 25));
  }
  size_t previous = SIZE_MAX;
  for (int quality : {100, 75, 50, 10, 1}) {
    Result<std::string> jpeg = EncodeJpeg(picture, quality);
    ASSERT_TRUE(jpeg.ok()) << quality;
    EXPECT_LT(jpeg->size(), previous) << quality;
    previous = jpeg->size();
  }
  EXPECT_TRUE(EncodeJpeg(picture, 500).ok());  // clamped, not refused
  EXPECT_TRUE(EncodeJpeg(picture, -3).ok());
}

TEST_F(ImageEncoderTest, PngIsLossless) {
  const DecodedPicture picture = Quadrants(99, 37);
  Result<std::string> png = EncodePng(picture);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_TRUE(DecodeBack("still.png", *png, 99, 37) == picture.bgr);
}

TEST_F(ImageEncoderTest, RejectsInconsistentPictures) {
  DecodedPicture short_bytes = Quadrants(16, 16);
  short_bytes.bgr.pop_back();
  EXPECT_EQ(EncodeJpeg(short_bytes, 80).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(EncodePng(short_bytes).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(EncodeJpeg(DecodedPicture{}, 80).status().code(), Status::Code::kInvalidArgument);
  DecodedPicture negative;
  negative.width = -4;
  negative.height = -4;
  negative.bgr.resize(48);
  EXPECT_EQ(EncodePng(negative).status().code(), Status::Code::kInvalidArgument);
}

TEST(ScalePictureTest, KeepsFlatColourAndSizes) {
  DecodedPicture p;
  p.width = 4;
  p.height = 2;
  for (int i = 0; i < 8; ++i) p.bgr += std::string("\x10\x80\xF0", 3);
  auto up = ScalePicture(p, 9, 5);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_EQ(up->bgr.size(), 9u * 5 * 3);
  for (size_t i = 0; i < up->bgr.size(); i += 3) {
    EXPECT_NEAR(uint8_t(up->bgr[i]), 0x10, 1);
    EXPECT_NEAR(uint8_t(up->bgr[i + 1]), 0x80, 1);
    EXPECT_NEAR(uint8_t(up->bgr[i + 2]), 0xF0, 1);
  }
}

TEST(ScalePictureTest, DownscaleAveragesOnlyAtTheSeam) {
  DecodedPicture split;
  split.width = 8;
  split.height = 2;
  for (int y = 0; y < 2; ++y) split.bgr += std::string(12, '\0') + std::string(12, '\xFF');
  auto half = ScalePicture(split, 4, 1);
  ASSERT_TRUE(half.ok());
  EXPECT_LE(uint8_t(half->bgr[0]), 2);    // far left stays black
  EXPECT_GE(uint8_t(half->bgr[9]), 253);  // far right stays white
  auto same = ScalePicture(split, 8, 2);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->bgr, split.bgr);
  EXPECT_EQ(ScalePicture(split, 0, 2).status().code(), Status::Code::kInvalidArgument);
  split.bgr.pop_back();
  EXPECT_EQ(ScalePicture(split, 4, 1).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace osprey::playback
