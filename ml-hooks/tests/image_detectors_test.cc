// The person (HOG) and face (Haar) detectors on OpenCV's sample data:
// vtest.avi (768x576 pedestrians, 10 fps) and messi5.jpg, installed by
// deploy/install-deps.sh (opencv-doc, opencv-data).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "detector_test_util.h"
#include "osprey/ml_hooks/detector.h"

namespace osprey::ml_hooks {
namespace {

using testing::SampleDir;
using testing::ToFrame;

// Frames of vtest.avi and where the people in them are (the middle of each
// body, x and y in pixels), read off the frames by eye. Far-away walkers are
// listed too: a box around any of them is right, and HOG is only expected to
// find some (its 64x128 window misses people much under 100 px tall).
struct Annotated {
  int index;
  std::vector<cv::Point> people;
};
const std::vector<Annotated>& VtestTruth() {
  static const std::vector<Annotated> truth = {
      {100, {{360, 237}, {393, 217}, {440, 215}, {507, 185}, {528, 185}, {603, 195}, {230, 78}}},
      {200, {{632, 315}, {723, 303}, {503, 183}, {235, 232}, {96, 185}, {687, 125}, {712, 125}}},
      {300, {{202, 197}, {256, 190}, {311, 193}, {330, 258}, {596, 197}, {631, 200}}},
      {400, {{288, 243}, {603, 172}, {716, 367}}},
      {500, {{320, 226}, {575, 290}, {588, 335}, {627, 322}}},
      {600, {{583, 245}, {686, 252}, {656, 362}, {474, 365}, {305, 505}, {198, 180}}},
  };
  return truth;
}

std::vector<cv::Mat> VtestFrames(const std::vector<int>& indices) {
  cv::VideoCapture capture(SampleDir() + "/vtest.avi");
  std::vector<cv::Mat> out;
  if (!capture.isOpened()) return out;
  cv::Mat frame;
  int index = 0;
  for (int wanted : indices) {
    while (index <= wanted && capture.read(frame)) ++index;
    if (index <= wanted) break;
    out.push_back(frame.clone());
  }
  return out;
}

void ExpectInside(const Detection& d, int width, int height) {
  EXPECT_GE(d.box.x, 0);
  EXPECT_GE(d.box.y, 0);
  EXPECT_GT(d.box.w, 0);
  EXPECT_GT(d.box.h, 0);
  EXPECT_LE(d.box.x + d.box.w, width);
  EXPECT_LE(d.box.y + d.box.h, height);
  EXPECT_GE(d.score, 0);
  EXPECT_LE(d.score, 1);
}

double MillisPerFrame(Detector& detector, const std::vector<Frame>& frames) {
  const auto start = std::chrono::steady_clock::now();
  for (const Frame& f : frames) EXPECT_TRUE(detector.Detect(f).ok());
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  return took.count() / static_cast<double>(frames.size());
}

TEST(PeopleDetectorTest, FindsWalkersInVtest) {
  std::vector<int> indices;
  for (const Annotated& a : VtestTruth()) indices.push_back(a.index);
  const std::vector<cv::Mat> images = VtestFrames(indices);
  ASSERT_EQ(images.size(), indices.size()) << "cannot read " << SampleDir() << "/vtest.avi";
  DetectorConfig c;
  c.type = "person";
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  std::vector<Frame> frames;
  int with_people = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    ASSERT_EQ(images[i].cols, 768);
    frames.push_back(ToFrame(images[i]));
    auto r = (*d)->Detect(frames.back());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::printf("vtest frame %d: %zu people", indices[i], r->size());
    for (const Detection& p : *r) {
      std::printf(" [%.0f %.0f %.0f %.0f %.2f]", p.box.x, p.box.y, p.box.w, p.box.h, p.score);
      ExpectInside(p, 768, 576);
      EXPECT_EQ(p.label, "person");
      EXPECT_EQ(p.detector, "hog");
      EXPECT_GE(p.score, c.min_score);
      // Every box is around somebody.
      int covered = 0;
      for (const cv::Point& person : VtestTruth()[i].people) {
        if (person.x >= p.box.x && person.x <= p.box.x + p.box.w && person.y >= p.box.y &&
            person.y <= p.box.y + p.box.h) {
          ++covered;
        }
      }
      EXPECT_GE(covered, 1) << "frame " << indices[i] << ": box at " << p.box.x << ","
                            << p.box.y << " frames nobody";
    }
    std::printf("\n");
    if (!r->empty()) ++with_people;
  }
  EXPECT_GE(with_people, static_cast<int>(images.size()) - 1);
  std::printf("person 768x576: %.1f ms/frame\n", MillisPerFrame(**d, frames));
}

TEST(PeopleDetectorTest, ABlankFrameHasNobody) {
  DetectorConfig c;
  c.type = "person";
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok());
  auto r = (*d)->Detect(ToFrame(cv::Mat(576, 768, CV_8UC3, cv::Scalar(90, 140, 90))));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(FaceDetectorTest, FindsMessisFace) {
  const cv::Mat image = cv::imread(SampleDir() + "/messi5.jpg", cv::IMREAD_COLOR);
  ASSERT_FALSE(image.empty()) << "cannot read " << SampleDir() << "/messi5.jpg";
  DetectorConfig c;
  c.type = "face";
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  auto r = (*d)->Detect(ToFrame(image));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const Detection& f : *r) {
    std::printf("face [%.0f %.0f %.0f %.0f %.2f]\n", f.box.x, f.box.y, f.box.w, f.box.h, f.score);
    ExpectInside(f, image.cols, image.rows);
  }
  ASSERT_FALSE(r->empty());
  // The best box is on Messi's face (about x 215-265, y 75-130 in the
  // 548x342 image).
  const Detection& best = (*r)[0];
  EXPECT_EQ(best.label, "face");
  EXPECT_EQ(best.detector, "haar");
  EXPECT_EQ(best.model, "haarcascade_frontalface_default.xml");
  EXPECT_GT(best.box.CenterX(), 215);
  EXPECT_LT(best.box.CenterX(), 265);
  EXPECT_GT(best.box.CenterY(), 75);
  EXPECT_LT(best.box.CenterY(), 130);
  EXPECT_LT(best.box.w, 80);

  // The cascade also fires on the shirt collar and crest, with fewer
  // agreeing windows: a higher min_score keeps the face alone.
  c.min_score = 0.8;
  auto strict = MakeDetector(c);
  ASSERT_TRUE(strict.ok());
  auto only = (*strict)->Detect(ToFrame(image));
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_GT(IoU((*only)[0].box, best.box), 0.99);
}

TEST(FaceDetectorTest, ABlankFrameHasNoFace) {
  DetectorConfig c;
  c.type = "face";
  auto d = MakeDetector(c);
  ASSERT_TRUE(d.ok());
  auto r = (*d)->Detect(ToFrame(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(128))));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

// Motion on the real clip: people walk through every frame, so once the
// model has warmed up nearly every frame has motion, inside the frame. Also
// prints what each image detector costs at this size (768x576).
TEST(DetectorCostTest, MotionOnVtestAndMillisecondsPerFrame) {
  std::vector<int> indices;
  for (int i = 0; i < 100; ++i) indices.push_back(i);
  const std::vector<cv::Mat> images = VtestFrames(indices);
  ASSERT_EQ(images.size(), indices.size());
  std::vector<Frame> frames;
  for (const cv::Mat& m : images) frames.push_back(ToFrame(m));

  DetectorConfig c;
  c.type = "motion";
  auto motion = MakeDetector(c);
  ASSERT_TRUE(motion.ok());
  int with_motion = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const Frame& f : frames) {
    auto r = (*motion)->Detect(f);
    ASSERT_TRUE(r.ok());
    for (const Detection& d : *r) ExpectInside(d, 768, 576);
    if (!r->empty()) ++with_motion;
  }
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  const int after_warmup = static_cast<int>(frames.size()) - c.motion.warmup_frames;
  EXPECT_GE(with_motion, after_warmup * 9 / 10);
  std::printf("motion 768x576 (max_width 640): %.1f ms/frame\n", took.count() / frames.size());

  const std::vector<Frame> some(frames.begin(), frames.begin() + 5);
  c.type = "face";
  auto face = MakeDetector(c);
  ASSERT_TRUE(face.ok());
  std::printf("face 768x576: %.1f ms/frame\n", MillisPerFrame(**face, some));
  c.type = "person";
  c.max_width = 640;
  auto person640 = MakeDetector(c);
  ASSERT_TRUE(person640.ok());
  std::printf("person 768x576 at max_width 640: %.1f ms/frame\n",
              MillisPerFrame(**person640, some));
}

}  // namespace
}  // namespace osprey::ml_hooks
