// MakeDetector's checks and the frame checks every detector shares.
#include <gtest/gtest.h>

#include <string>

#include <opencv2/core.hpp>

#include "detector_test_util.h"
#include "osprey/ml_hooks/detector.h"

namespace osprey::ml_hooks {
namespace {

using testing::ToFrame;

DetectorConfig Config(const std::string& type) {
  DetectorConfig c;
  c.type = type;
  return c;
}

TEST(MakeDetectorTest, UnknownTypeIsInvalidArgument) {
  auto d = MakeDetector(Config("cat"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(d.status().message().find("\"cat\""), std::string::npos);
  EXPECT_EQ(MakeDetector(Config("")).status().code(), Status::Code::kInvalidArgument);
}

TEST(MakeDetectorTest, OutOfRangeOptionsAreInvalidArgument) {
  DetectorConfig c = Config("motion");
  c.min_score = 1.5;
  EXPECT_EQ(MakeDetector(c).status().code(), Status::Code::kInvalidArgument);
  c = Config("motion");
  c.max_width = -1;
  EXPECT_EQ(MakeDetector(c).status().code(), Status::Code::kInvalidArgument);
  c = Config("motion");
  c.motion.masks = {Polygon{{0, 0}, {1, 1}}};
  EXPECT_EQ(MakeDetector(c).status().code(), Status::Code::kInvalidArgument);
  c = Config("person");
  c.people.win_stride = 5;
  EXPECT_EQ(MakeDetector(c).status().code(), Status::Code::kInvalidArgument);
  c = Config("face");
  c.face.scale_step = 1.0;
  EXPECT_EQ(MakeDetector(c).status().code(), Status::Code::kInvalidArgument);
  c = Config("dnn");
  c.dnn.model_path = "/nonexistent/model.onnx";
  c.dnn.layout = "rcnn";
  EXPECT_EQ(MakeDetector(c).status().code(), Status::Code::kInvalidArgument);
}

TEST(MakeDetectorTest, MissingFilesAreNotFoundNamingThePath) {
  DetectorConfig c = Config("face");
  c.face.cascade_path = "/nonexistent/cascade.xml";
  auto face = MakeDetector(c);
  ASSERT_FALSE(face.ok());
  EXPECT_EQ(face.status().code(), Status::Code::kNotFound);
  EXPECT_NE(face.status().message().find("/nonexistent/cascade.xml"), std::string::npos);

  c = Config("dnn");
  c.dnn.model_path = "/nonexistent/yolov8n.onnx";
  auto dnn = MakeDetector(c);
  ASSERT_FALSE(dnn.ok());
  EXPECT_EQ(dnn.status().code(), Status::Code::kNotFound);
  EXPECT_NE(dnn.status().message().find("/nonexistent/yolov8n.onnx"), std::string::npos);

  // The prototxt of a Caffe model is checked as well as the weights.
  c.dnn.model_path = testing::SampleDir() + "/dnn/object_detection_classes_coco.txt";
  c.dnn.config_path = "/nonexistent/deploy.prototxt";
  auto caffe = MakeDetector(c);
  ASSERT_FALSE(caffe.ok());
  EXPECT_EQ(caffe.status().code(), Status::Code::kNotFound);
  EXPECT_NE(caffe.status().message().find("/nonexistent/deploy.prototxt"), std::string::npos);
}

TEST(MakeDetectorTest, AFileThatIsNotAModelIsInvalidArgument) {
  DetectorConfig c = Config("dnn");
  c.dnn.model_path = testing::SampleDir() + "/dnn/object_detection_classes_coco.txt";
  auto d = MakeDetector(c);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument) << d.status().ToString();
}

class BadFrameTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadFrameTest, SizeMismatchIsInvalidArgumentNeverACrash) {
  auto made = MakeDetector(Config(GetParam()));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  Detector& d = **made;

  Frame good = ToFrame(cv::Mat(120, 160, CV_8UC3, cv::Scalar(40, 80, 120)));
  Frame short_frame = good;
  short_frame.bgr.resize(good.bgr.size() - 1);
  Frame long_frame = good;
  long_frame.bgr.push_back('x');
  Frame wrong_dims = good;
  wrong_dims.width = 161;
  Frame negative = good;
  negative.height = -120;
  Frame empty;
  // 256 * 16777291 * 3 is 3 * 2^32 + 57600: a 32-bit product would wrap to
  // exactly the 57600 bytes held.
  Frame wrapping = good;
  ASSERT_EQ(good.bgr.size(), 57600u);
  wrapping.width = 256;
  wrapping.height = 16777291;

  for (const Frame* f : {&short_frame, &long_frame, &wrong_dims, &negative, &empty, &wrapping}) {
    auto r = d.Detect(*f);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
  }
  // The detector is still usable afterwards.
  EXPECT_TRUE(d.Detect(good).ok());
}

INSTANTIATE_TEST_SUITE_P(AllImageKinds, BadFrameTest,
                         ::testing::Values("motion", "person", "face"));

TEST(DetectorTest, ConfigIsKept) {
  DetectorConfig c = Config("person");
  c.min_score = 0.7;
  c.max_width = 320;
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->config().type, "person");
  EXPECT_DOUBLE_EQ((*d)->config().min_score, 0.7);
  EXPECT_EQ((*d)->config().max_width, 320);
}

}  // namespace
}  // namespace osprey::ml_hooks
