// YOLO and SSD output decoding, NMS and class files on hand-built tensors:
// no model file is available offline, so the network itself is not run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "detectors/dnn_decode.h"

namespace osprey::ml_hooks::detectors {
namespace {

// A 640x480 frame letterboxed into a 640x640 blob: scale 1, no offset.
BlobGeometry Letterbox640() {
  BlobGeometry g;
  g.input_width = 640;
  g.input_height = 640;
  g.frame_width = 640;
  g.frame_height = 480;
  return g;
}

DecodeOptions ThreeClasses(double min_score) {
  DecodeOptions o;
  o.min_score = min_score;
  o.classes = {"person", "car", "dog"};
  return o;
}

void ExpectBox(const Box& b, double x, double y, double w, double h) {
  EXPECT_NEAR(b.x, x, 1e-3);
  EXPECT_NEAR(b.y, y, 1e-3);
  EXPECT_NEAR(b.w, w, 1e-3);
  EXPECT_NEAR(b.h, h, 1e-3);
}

TEST(DecodeYoloTest, V5RowsWithObjectnessAndClassMapping) {
  // cx, cy, w, h, obj, person, car, dog
  const std::vector<float> t = {
      100, 100, 40, 80, 0.9f, 0.9f, 0.05f, 0.05f,  // person 0.81
      300, 200, 60, 30, 0.8f, 0.1f, 0.7f, 0.2f,    // car 0.56
      500, 300, 50, 50, 0.3f, 0.0f, 0.0f, 1.0f,    // dog 0.3: below 0.5
      400, 100, 20, 20, 0.9f, 0.2f, 0.3f, 0.4f,    // dog 0.36: below 0.5
  };
  auto r = DecodeYolo(TensorView{t.data(), {1, 4, 8}}, Letterbox640(), ThreeClasses(0.5));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "person");
  EXPECT_NEAR((*r)[0].score, 0.81, 1e-5);
  ExpectBox((*r)[0].box, 80, 60, 40, 80);
  EXPECT_EQ((*r)[1].label, "car");
  EXPECT_NEAR((*r)[1].score, 0.56, 1e-5);
  ExpectBox((*r)[1].box, 270, 185, 60, 30);
  EXPECT_EQ((*r)[1].detector, "dnn");
}

TEST(DecodeYoloTest, V8TransposedWithoutObjectness) {
  // Two candidates, attributes first: [1, 4 + 3, 2].
  const std::vector<float> rows[] = {
      {320, 240, 100, 200, 0.1f, 0.2f, 0.95f},  // dog
      {50, 60, 20, 30, 0.6f, 0.1f, 0.1f},       // person
  };
  std::vector<float> t(7 * 2);
  for (int c = 0; c < 7; ++c) {
    for (int n = 0; n < 2; ++n) t[c * 2 + n] = rows[n][c];
  }
  auto r = DecodeYolo(TensorView{t.data(), {1, 7, 2}}, Letterbox640(), ThreeClasses(0.5));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "dog");
  EXPECT_NEAR((*r)[0].score, 0.95, 1e-5);
  ExpectBox((*r)[0].box, 270, 140, 100, 200);
  EXPECT_EQ((*r)[1].label, "person");
  ExpectBox((*r)[1].box, 40, 45, 20, 30);
}

TEST(DecodeYoloTest, BoxesMapBackThroughScaleAndPadAndAreClipped) {
  // A 1280x720 frame stretched to 640x640: x halves, y * 640/720; plus a
  // box running past the right edge.
  BlobGeometry g;
  g.input_width = 640;
  g.input_height = 640;
  g.scale_x = 0.5;
  g.scale_y = 640.0 / 720;
  g.frame_width = 1280;
  g.frame_height = 720;
  const std::vector<float> t = {
      100, 320, 40, 64, 1, 1, 0, 0,
      630, 320, 40, 64, 1, 0, 1, 0,
  };
  auto r = DecodeYolo(TensorView{t.data(), {2, 8}}, g, ThreeClasses(0.5));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  ExpectBox((*r)[0].box, 160, 324, 80, 72);
  ExpectBox((*r)[1].box, 1220, 324, 60, 72);  // 1220..1300 clipped to 1280
}

TEST(DecodeYoloTest, LabelFilterAndUnnamedClasses) {
  const std::vector<float> t = {
      100, 100, 40, 80, 0.9f, 0.9f, 0.0f, 0.0f,
      300, 200, 60, 30, 0.9f, 0.0f, 0.9f, 0.0f,
  };
  DecodeOptions only_cars = ThreeClasses(0.5);
  only_cars.labels = {"car"};
  auto r = DecodeYolo(TensorView{t.data(), {1, 2, 8}}, Letterbox640(), only_cars);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].label, "car");

  // Without a classes file the ids become labels, and a tensor with more
  // candidates than attributes is taken as YOLOv5 rows (with objectness).
  std::vector<float> padded = t;
  padded.resize(10 * 8, 0.0f);
  DecodeOptions unnamed;
  unnamed.min_score = 0.5;
  auto u = DecodeYolo(TensorView{padded.data(), {1, 10, 8}}, Letterbox640(), unnamed);
  ASSERT_TRUE(u.ok());
  ASSERT_EQ(u->size(), 2u);
  EXPECT_EQ((*u)[0].label, "class_0");
  EXPECT_EQ((*u)[1].label, "class_1");
}

TEST(DecodeYoloTest, ShapesThatFitNoLayoutAreInvalidArgument) {
  const std::vector<float> t(2 * 9, 0.5f);
  // 9 wide fits neither 4 + 3 nor 5 + 3.
  EXPECT_EQ(DecodeYolo(TensorView{t.data(), {1, 2, 9}}, Letterbox640(), ThreeClasses(0.5))
                .status()
                .code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodeYolo(TensorView{t.data(), {2, 1, 9}}, Letterbox640(), ThreeClasses(0.5))
                .status()
                .code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(DecodeYolo(TensorView{t.data(), {18}}, Letterbox640(), ThreeClasses(0.5))
                .status()
                .code(),
            Status::Code::kInvalidArgument);
}

TEST(DecodeSsdTest, RowsSkipBackgroundMapNamesAndStopAtPadding) {
  // image_id, class_id, conf, x1, y1, x2, y2 (normalised).
  const std::vector<float> t = {
      0, 15, 0.9f, 0.1f, 0.2f, 0.3f, 0.6f,   // 15 - 1 = line 14
      0, 7, 0.4f, 0.5f, 0.5f, 0.6f, 0.6f,    // below 0.5
      0, 0, 0.99f, 0.0f, 0.0f, 1.0f, 1.0f,   // background
      0, 7, 0.7f, 0.5f, 0.5f, 1.2f, 0.9f,    // line 6, clipped at x = 1
      -1, 0, 0, 0, 0, 0, 0,                  // end of list
      0, 7, 0.99f, 0.1f, 0.1f, 0.2f, 0.2f,   // never read
  };
  DecodeOptions o;
  o.min_score = 0.5;
  o.class_id_offset = 1;
  o.classes = {"aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
               "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person"};
  BlobGeometry g;  // 300x300 stretched from 600x300
  g.input_width = 300;
  g.input_height = 300;
  g.scale_x = 0.5;
  g.scale_y = 1;
  g.frame_width = 600;
  g.frame_height = 300;
  auto r = DecodeSsd(TensorView{t.data(), {1, 1, 6, 7}}, g, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].label, "person");
  EXPECT_NEAR((*r)[0].score, 0.9, 1e-6);
  ExpectBox((*r)[0].box, 60, 60, 120, 120);
  EXPECT_EQ((*r)[1].label, "car");
  ExpectBox((*r)[1].box, 300, 150, 300, 120);

  EXPECT_EQ(DecodeSsd(TensorView{t.data(), {1, 1, 7, 6}}, g, o).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(NonMaxSuppressionTest, KeepsTheBestOfOverlappingBoxesPerLabel) {
  auto det = [](const std::string& label, double score, Box b) {
    Detection d;
    d.label = label;
    d.score = score;
    d.box = b;
    return d;
  };
  std::vector<Detection> in = {
      det("person", 0.6, {0, 0, 100, 100}),
      det("person", 0.9, {10, 0, 100, 100}),   // IoU with the first ~0.82
      det("car", 0.5, {10, 0, 100, 100}),      // other label: kept
      det("person", 0.7, {200, 0, 100, 100}),  // disjoint: kept
      det("person", 0.8, {50, 0, 100, 100}),   // IoU 0.45 with the best: kept at 0.5
  };
  const std::vector<Detection> out = NonMaxSuppression(in, 0.5);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_DOUBLE_EQ(out[0].score, 0.9);
  EXPECT_DOUBLE_EQ(out[1].score, 0.8);
  EXPECT_DOUBLE_EQ(out[2].score, 0.7);
  EXPECT_EQ(out[3].label, "car");
  // A stricter threshold also drops the 0.8 box.
  EXPECT_EQ(NonMaxSuppression(in, 0.4).size(), 3u);
}

class ClassFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("osprey_classes_" + std::to_string(::getpid()) + ".txt"))
                .string();
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  std::string path_;
};

TEST_F(ClassFileTest, OneNamePerLineTrimmedBlankLinesKeptTrailingOnesDropped) {
  Write("person\r\ntraffic light  \n\ndog\n\n");
  auto names = ReadClassNames(path_);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"person", "traffic light", "", "dog"}));

  DecodeOptions o;
  o.classes = *names;
  EXPECT_EQ(ClassLabel(0, o), "person");
  EXPECT_EQ(ClassLabel(2, o), "class_2");  // blank line
  EXPECT_EQ(ClassLabel(9, o), "class_9");
  o.class_id_offset = 1;
  EXPECT_EQ(ClassLabel(0, o), "");
  EXPECT_EQ(ClassLabel(1, o), "person");
}

TEST_F(ClassFileTest, MissingIsNotFoundNamingThePathEmptyIsInvalid) {
  auto missing = ReadClassNames("/nonexistent/coco.names");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/coco.names"), std::string::npos);
  Write("\n\n");
  EXPECT_EQ(ReadClassNames(path_).status().code(), Status::Code::kInvalidArgument);
}

TEST(ClassFileSampleTest, ReadsOpenCvsCocoList) {
  auto names = ReadClassNames(OSPREY_OPENCV_SAMPLES_DIR "/dnn/object_detection_classes_yolov3.txt");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  ASSERT_EQ(names->size(), 80u);
  EXPECT_EQ(names->front(), "person");
  EXPECT_EQ(names->back(), "toothbrush");
}

}  // namespace
}  // namespace osprey::ml_hooks::detectors
