// The dnn detector end to end without a trained model (none is available
// offline): a weightless Caffe network (prototxt only) average-pools the
// input into vertical strips, so a frame painted with strips of chosen grey
// levels makes the network output a chosen detection row. This exercises
// loading, the blob (stretch and letterbox), forward, decoding, NMS, class
// names and the mapping back to frame pixels.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "detector_test_util.h"
#include "osprey/ml_hooks/detector.h"

namespace osprey::ml_hooks {
namespace {

using testing::ToFrame;

// A network of `size` x `size` input whose output is, per colour channel,
// the mean of each of `strips` vertical strips, reshaped to `out_dims`.
std::string StripNet(int size, int strips, const std::string& out_dims) {
  const int kernel = size / strips;
  std::string net = "name: \"strips\"\ninput: \"data\"\n"
                    "input_shape { dim: 1 dim: 3 dim: " + std::to_string(size) +
                    " dim: " + std::to_string(size) + " }\n"
                    "layer { name: \"pool\" type: \"Pooling\" bottom: \"data\" top: \"pool\"\n"
                    "  pooling_param { pool: AVE kernel_h: " + std::to_string(size) +
                    " kernel_w: " + std::to_string(kernel) +
                    " stride_h: 1 stride_w: " + std::to_string(kernel) + " } }\n";
  if (!out_dims.empty()) {
    net += "layer { name: \"rows\" type: \"Reshape\" bottom: \"pool\" top: \"rows\"\n"
           "  reshape_param { shape { " + out_dims + " } } }\n";
  }
  return net;
}

// A square frame of `size` pixels whose i-th vertical strip is grey
// levels[i] (the same in B, G and R).
cv::Mat StripFrame(int size, const std::vector<int>& levels) {
  cv::Mat m(size, size, CV_8UC3);
  const int w = size / static_cast<int>(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    m(cv::Rect(static_cast<int>(i) * w, 0, w, size)).setTo(cv::Scalar::all(levels[i]));
  }
  return m;
}

class DnnDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("osprey_dnn_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(DnnDetectorTest, SsdRowThroughAStretchedBlob) {
  DetectorConfig c;
  c.type = "dnn";
  c.dnn.layout = "ssd";
  c.dnn.model_path = Write("strips.prototxt", StripNet(350, 7, ""));
  c.dnn.classes_path =
      Write("voc.txt", "aeroplane\nbicycle\nbird\nboat\nbottle\nbus\ncar\n");
  c.dnn.input_width = c.dnn.input_height = 350;
  c.dnn.scale = 0.01;  // grey level 90 -> 0.9
  c.dnn.swap_rb = false;
  c.dnn.letterbox = false;
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok()) << d.status().ToString();

  // image 0, class 1 (grey 100: "aeroplane", as id 0 is the background),
  // confidence 0.9, corners (0.1, 0.2) - (0.5, 0.8) of the blob. The three
  // channels give three identical rows, which NMS folds into one.
  const std::vector<int> row = {0, 100, 90, 10, 20, 50, 80};
  for (int size : {350, 700}) {
    auto r = (*d)->Detect(ToFrame(StripFrame(size, row)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 1u) << "frame " << size;
    const Detection& det = (*r)[0];
    EXPECT_EQ(det.label, "aeroplane");
    EXPECT_NEAR(det.score, 0.9, 1e-3);
    EXPECT_EQ(det.detector, "dnn");
    EXPECT_EQ(det.model, "strips.prototxt");
    const double s = size / 350.0;
    EXPECT_NEAR(det.box.x, 35 * s, 0.5 * s);
    EXPECT_NEAR(det.box.y, 70 * s, 0.5 * s);
    EXPECT_NEAR(det.box.w, 140 * s, 0.5 * s);
    EXPECT_NEAR(det.box.h, 210 * s, 0.5 * s);
  }

  // Under min_score, and filtered by label.
  const std::vector<int> weak = {0, 100, 30, 10, 20, 50, 80};
  auto none = (*d)->Detect(ToFrame(StripFrame(350, weak)));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  c.dnn.labels = {"bus"};
  auto buses = MakeDetector(c);
  ASSERT_TRUE(buses.ok());
  auto no_bus = (*buses)->Detect(ToFrame(StripFrame(350, row)));
  ASSERT_TRUE(no_bus.ok());
  EXPECT_TRUE(no_bus->empty());
}

TEST_F(DnnDetectorTest, YoloRowThroughALetterboxedBlob) {
  DetectorConfig c;
  c.type = "dnn";
  c.dnn.layout = "yolo";
  c.dnn.model_path =
      Write("strips.prototxt", StripNet(252, 6, "dim: 1 dim: 3 dim: 6"));
  c.dnn.classes_path = Write("one.txt", "widget\n");
  c.dnn.input_width = c.dnn.input_height = 252;
  c.dnn.scale = 1.0;
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok()) << d.status().ToString();

  // cx 100, cy 120, w 40, h 60 in blob pixels, objectness 1, widget 1. A
  // 504x504 frame is halved into the blob, so the box doubles back.
  const std::vector<int> row = {100, 120, 40, 60, 1, 1};
  Frame bad = ToFrame(StripFrame(504, row));
  bad.bgr.pop_back();
  EXPECT_EQ((*d)->Detect(bad).status().code(), Status::Code::kInvalidArgument);

  auto r = (*d)->Detect(ToFrame(StripFrame(504, row)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].label, "widget");
  EXPECT_NEAR((*r)[0].score, 1.0, 1e-3);
  EXPECT_NEAR((*r)[0].box.x, 160, 1);
  EXPECT_NEAR((*r)[0].box.y, 180, 1);
  EXPECT_NEAR((*r)[0].box.w, 80, 1);
  EXPECT_NEAR((*r)[0].box.h, 120, 1);
}

TEST_F(DnnDetectorTest, AnOutputThatFitsNoLayoutIsAnErrorNotACrash) {
  DetectorConfig c;
  c.type = "dnn";
  c.dnn.layout = "yolo";
  // 7-wide rows with a one-class file: neither 4 + 1 nor 5 + 1.
  c.dnn.model_path = Write("strips.prototxt", StripNet(252, 7, "dim: 1 dim: 3 dim: 7"));
  c.dnn.classes_path = Write("one.txt", "widget\n");
  c.dnn.input_width = c.dnn.input_height = 252;
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto r = (*d)->Detect(ToFrame(StripFrame(252, {1, 2, 3, 4, 5, 6, 7})));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("strips.prototxt"), std::string::npos);
}

}  // namespace
}  // namespace osprey::ml_hooks
