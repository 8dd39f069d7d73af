// Writes YOLO and COCO training sets from synthetic frames, then reads them
// back as a trainer would and checks every rule of dataset.h.
#include "osprey/ml_hooks/dataset.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "osprey/base/file_util.h"
#include "osprey/base/json_value.h"

namespace osprey::ml_hooks {
namespace {

constexpr int kW = 160;
constexpr int kH = 120;
constexpr int64_t kT0 = 1700000000000000;  // epoch µs

Frame MakeFrame(int64_t pts_us, int w = kW, int h = kH) {
  Frame f;
  f.width = w;
  f.height = h;
  f.pts_us = pts_us;
  f.bgr.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      char* p = &f.bgr[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<char>(x);
      p[1] = static_cast<char>(y);
      p[2] = static_cast<char>(x + y);
    }
  }
  return f;
}

Detection Det(const std::string& label, double score, Box box) {
  return Detection{label, score, box, "dnn", "test.onnx"};
}

// The scenario both formats are checked on: one frame per case.
struct Case {
  Frame frame;
  std::vector<Detection> dets;
};
std::vector<Case> Scenario() {
  return {
      // person kept (its box is clipped at the right edge), car kept, dog not
      // chosen, a person below review_min_score, a car entirely outside.
      {MakeFrame(kT0), {Det("person", 0.9, {140, 10, 40, 50}), Det("car", 0.8, {5, 60, 50, 30}),
                        Det("dog", 0.99, {0, 0, 20, 20}), Det("person", 0.1, {1, 1, 10, 10}),
                        Det("car", 0.9, {500, 500, 10, 10})}},
      {MakeFrame(kT0 + 100000), {Det("dog", 0.95, {0, 0, 30, 30})}},      // not written
      {MakeFrame(kT0 + 200000), {Det("person", 0.3, {10, 10, 20, 40})}},  // review only
      {MakeFrame(kT0 + 300000), {}},                                      // not written
      // one kept and one uncertain detection: in both sets.
      {MakeFrame(kT0 + 400000), {Det("car", 0.6, {-10, -10, 30, 30}),
                                 Det("person", 0.45, {50, 50, 20, 20})}},
  };
}

std::vector<std::string> ListNames(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Width and height from a JPEG's SOF0..SOF15 marker (not DHT/JPG/DAC).
std::pair<int, int> JpegSize(const std::string& b) {
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) return {-1, -1};
    const uint8_t m = static_cast<uint8_t>(b[i + 1]);
    const size_t len = (static_cast<uint8_t>(b[i + 2]) << 8) | static_cast<uint8_t>(b[i + 3]);
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      const int h = (static_cast<uint8_t>(b[i + 5]) << 8) | static_cast<uint8_t>(b[i + 6]);
      const int w = (static_cast<uint8_t>(b[i + 7]) << 8) | static_cast<uint8_t>(b[i + 8]);
      return {w, h};
    }
    i += 2 + len;
  }
  return {-1, -1};
}

std::string Read(const std::string& path) {
  Result<std::string> r = ReadFile(path);
  EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  return r.ok() ? *r : std::string();
}

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/dataset_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(RemoveTree(root_).ok()); }

  DatasetOptions Options(DatasetFormat format, const std::string& sub) {
    DatasetOptions o;
    o.format = format;
    o.out_dir = root_ + "/" + sub;
    o.labels = {"person", "car"};
    o.name_prefix = "cam:front";
    return o;
  }

  DatasetSummary Export(const DatasetOptions& o, const std::vector<Case>& cases) {
    Result<std::unique_ptr<DatasetWriter>> w = DatasetWriter::Create(o);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (!w.ok()) return {};
    for (const Case& c : cases) EXPECT_TRUE((*w)->Add(c.frame, c.dets).ok());
    Result<DatasetSummary> s = (*w)->Finish();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : DatasetSummary{};
  }

  // Checks every YOLO label line of `dir` and returns the lines per class.
  std::vector<int> CheckYolo(const std::string& dir) {
    std::vector<int> per_class(2, 0);
    const std::vector<std::string> images = ListNames(dir + "/images");
    const std::vector<std::string> labels = ListNames(dir + "/labels");
    EXPECT_EQ(images.size(), labels.size());
    for (const std::string& label_file : labels) {
      const std::string stem = label_file.substr(0, label_file.size() - 4);
      EXPECT_EQ(JpegSize(Read(dir + "/images/" + stem + ".jpg")), std::make_pair(kW, kH));
      std::istringstream in(Read(dir + "/labels/" + label_file));
      int cls;
      double cx, cy, w, h;
      while (in >> cls >> cx >> cy >> w >> h) {
        EXPECT_TRUE(cls == 0 || cls == 1) << cls;
        if (cls == 0 || cls == 1) ++per_class[cls];
        EXPECT_GT(w, 0);
        EXPECT_GT(h, 0);
        EXPECT_GE(cx - w / 2, -1e-6);
        EXPECT_GE(cy - h / 2, -1e-6);
        EXPECT_LE(cx + w / 2, 1 + 1e-6);
        EXPECT_LE(cy + h / 2, 1 + 1e-6);
      }
    }
    EXPECT_EQ(Read(dir + "/classes.txt"), "person\ncar\n");
    const std::string yaml = Read(dir + "/data.yaml");
    EXPECT_NE(yaml.find("nc: 2\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("names:\n  - 'person'\n  - 'car'\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("train: images\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("path: '/"), std::string::npos) << yaml;
    return per_class;
  }

  std::string root_;
};

TEST(DatasetFormatTest, ParsesExactlyYoloAndCoco) {
  EXPECT_EQ(*ParseDatasetFormat("yolo"), DatasetFormat::kYolo);
  EXPECT_EQ(*ParseDatasetFormat("coco"), DatasetFormat::kCoco);
  for (const char* bad : {"YOLO", "voc", "", "coco "}) {
    EXPECT_EQ(ParseDatasetFormat(bad).status().code(), Status::Code::kInvalidArgument) << bad;
  }
}

TEST_F(DatasetTest, YoloWritesKeptBoxesClippedAndUncertainOnesToReview) {
  const DatasetSummary s = Export(Options(DatasetFormat::kYolo, "y"), Scenario());
  const std::string dir = root_ + "/y";
  EXPECT_EQ(s.frames, 5);
  EXPECT_EQ(s.images, 2);
  EXPECT_EQ(s.annotations, 3);
  EXPECT_EQ(s.review_images, 2);
  EXPECT_EQ(s.review_annotations, 2);
  EXPECT_EQ(s.dropped_boxes, 1);
  ASSERT_EQ(s.per_label.size(), 2u);
  EXPECT_EQ(s.per_label[0].label, "person");
  EXPECT_EQ(s.per_label[0].annotations, 1);
  EXPECT_EQ(s.per_label[1].annotations, 2);
  EXPECT_EQ(s.per_label[0].review_annotations, 2);

  EXPECT_EQ(ListNames(dir + "/images"),
            (std::vector<std::string>{"cam_front_1700000000000.jpg",
                                      "cam_front_1700000000400.jpg"}));
  EXPECT_EQ(CheckYolo(dir), (std::vector<int>{1, 2}));
  // person {140,10,40,50} clipped to {140,10,20,50} in 160x120.
  EXPECT_EQ(Read(dir + "/labels/cam_front_1700000000000.txt"),
            "0 0.937500 0.291667 0.125000 0.416667\n"
            "1 0.187500 0.625000 0.312500 0.250000\n");
  EXPECT_EQ(CheckYolo(dir + "/review"), (std::vector<int>{2, 0}));
  EXPECT_EQ(ListNames(dir + "/review/images"),
            (std::vector<std::string>{"cam_front_1700000000200.jpg",
                                      "cam_front_1700000000400.jpg"}));
  EXPECT_NE(Read(dir + "/.osprey-dataset").find("\"complete\":true"), std::string::npos);
}

TEST_F(DatasetTest, CocoDocumentParsesAndMatchesTheImages) {
  const DatasetSummary s = Export(Options(DatasetFormat::kCoco, "c"), Scenario());
  for (const char* sub : {"", "/review"}) {
    const std::string dir = root_ + "/c" + sub;
    Result<Value> doc = ParseJson(Read(dir + "/annotations.json"));
    ASSERT_TRUE(doc.ok()) << sub;
    const Value::Array& images = doc->Find("images")->as_array();
    const Value::Array& anns = doc->Find("annotations")->as_array();
    const Value::Array& cats = doc->Find("categories")->as_array();
    ASSERT_EQ(cats.size(), 2u);
    EXPECT_EQ(cats[0].Find("id")->as_int(), 1);
    EXPECT_EQ(cats[0].Find("name")->as_string(), "person");
    EXPECT_EQ(cats[1].Find("name")->as_string(), "car");
    EXPECT_EQ(images.size(), ListNames(dir + "/images").size());
    EXPECT_EQ(static_cast<int64_t>(images.size()), *sub ? s.review_images : s.images);
    EXPECT_EQ(static_cast<int64_t>(anns.size()), *sub ? s.review_annotations : s.annotations);
    for (const Value& im : images) {
      EXPECT_EQ(im.Find("width")->as_int(), kW);
      EXPECT_EQ(JpegSize(Read(dir + "/images/" + im.Find("file_name")->as_string())),
                std::make_pair(kW, kH));
      EXPECT_EQ(im.Find("date_captured")->as_string().substr(0, 11), "2023-11-14T");
    }
    for (const Value& a : anns) {
      const int64_t image_id = a.Find("image_id")->as_int();
      ASSERT_TRUE(image_id >= 1 && image_id <= static_cast<int64_t>(images.size()));
      const int64_t cat = a.Find("category_id")->as_int();
      EXPECT_TRUE(cat == 1 || cat == 2);
      const Value::Array& bbox = a.Find("bbox")->as_array();
      auto num = [](const Value& v) {
        return v.type() == Value::Type::kInt ? static_cast<double>(v.as_int()) : v.as_double();
      };
      EXPECT_GE(num(bbox[0]), 0);
      EXPECT_GE(num(bbox[1]), 0);
      EXPECT_LE(num(bbox[0]) + num(bbox[2]), kW);
      EXPECT_LE(num(bbox[1]) + num(bbox[3]), kH);
      EXPECT_EQ(a.Find("iscrowd")->as_int(), 0);
      const double score = num(*a.Find("score"));
      EXPECT_TRUE(*sub ? (score >= 0.2 && score < 0.5) : score >= 0.5) << score;
    }
  }
}

TEST_F(DatasetTest, ReExportGivesTheSameNamesAndReplacesOnlyItsOwnExport) {
  DatasetOptions o = Options(DatasetFormat::kYolo, "a");
  Export(o, Scenario());
  const std::vector<std::string> first = ListNames(o.out_dir + "/images");
  const std::vector<std::string> first_labels = ListNames(o.out_dir + "/labels");
  // Same directory again: the previous export is replaced.
  Export(o, {Scenario()[0]});
  EXPECT_EQ(ListNames(o.out_dir + "/images"),
            (std::vector<std::string>{"cam_front_1700000000000.jpg"}));
  Export(o, Scenario());
  EXPECT_EQ(ListNames(o.out_dir + "/images"), first);
  EXPECT_EQ(ListNames(o.out_dir + "/labels"), first_labels);
  // Another directory: the same names.
  DatasetOptions b = Options(DatasetFormat::kYolo, "b");
  Export(b, Scenario());
  EXPECT_EQ(ListNames(b.out_dir + "/images"), first);

  // Another format into the same directory is refused.
  DatasetOptions coco = o;
  coco.format = DatasetFormat::kCoco;
  EXPECT_EQ(DatasetWriter::Create(coco).status().code(), Status::Code::kAlreadyExists);
  // So is a directory with a file an export does not write; the file stays.
  ASSERT_TRUE(WriteFileAtomically(o.out_dir + "/notes.txt", "mine").ok());
  EXPECT_EQ(DatasetWriter::Create(o).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(Read(o.out_dir + "/notes.txt"), "mine");
  EXPECT_EQ(ListNames(o.out_dir + "/images"), first);
  // And a foreign non-empty directory.
  ASSERT_TRUE(MakeDirs(root_ + "/foreign").ok());
  ASSERT_TRUE(WriteFileAtomically(root_ + "/foreign/x", "x").ok());
  EXPECT_EQ(DatasetWriter::Create(Options(DatasetFormat::kYolo, "foreign")).status().code(),
            Status::Code::kAlreadyExists);
}

TEST_F(DatasetTest, RejectsBadOptionsAndFrames) {
  auto code = [](const DatasetOptions& o) { return DatasetWriter::Create(o).status().code(); };
  DatasetOptions o = Options(DatasetFormat::kYolo, "bad");
  o.labels = {};
  EXPECT_EQ(code(o), Status::Code::kInvalidArgument);
  o.labels = {"person", "person"};
  EXPECT_EQ(code(o), Status::Code::kInvalidArgument);
  o = Options(DatasetFormat::kYolo, "bad");
  o.review_min_score = 0.7;
  EXPECT_EQ(code(o), Status::Code::kInvalidArgument);
  o = Options(DatasetFormat::kYolo, "bad");
  o.jpeg_quality = 0;
  EXPECT_EQ(code(o), Status::Code::kInvalidArgument);
  ASSERT_TRUE(WriteFileAtomically(root_ + "/file", "x").ok());
  EXPECT_EQ(code(Options(DatasetFormat::kYolo, "file")), Status::Code::kInvalidArgument);

  auto w = DatasetWriter::Create(Options(DatasetFormat::kCoco, "ok"));
  ASSERT_TRUE(w.ok());
  Frame broken = MakeFrame(kT0);
  broken.bgr.pop_back();
  EXPECT_EQ((*w)->Add(broken, {}).status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ((*w)->Add(MakeFrame(kT0), {}).status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ((*w)->Finish().status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(DatasetTest, SharedMillisecondsAndBackgroundFrames) {
  DatasetOptions o = Options(DatasetFormat::kYolo, "bg");
  o.keep_empty_frames = true;
  o.name_prefix = "";
  const Detection person = Det("person", 0.9, {10, 10, 20, 20});
  const DatasetSummary s =
      Export(o, {{MakeFrame(kT0 + 10), {person}}, {MakeFrame(kT0 + 900), {person}},
                 {MakeFrame(kT0 + 5000), {}},  // background
                 {MakeFrame(kT0 + 9000), {Det("person", 0.3, {1, 1, 5, 5})}}});  // review only
  EXPECT_EQ(ListNames(o.out_dir + "/images"),
            (std::vector<std::string>{"frame_1700000000000.jpg", "frame_1700000000000_1.jpg",
                                      "frame_1700000000005.jpg"}));
  EXPECT_EQ(s.background_images, 1);
  EXPECT_EQ(s.review_images, 1);
  EXPECT_EQ(Read(o.out_dir + "/labels/frame_1700000000005.txt"), "");
}

// A source over a vector, with a range for progress.
class VectorSource : public FrameSource {
 public:
  explicit VectorSource(std::vector<Case> cases) : cases_(std::move(cases)) {}
  Result<std::optional<Frame>> Next() override {
    if (next_ == cases_.size()) return std::optional<Frame>();
    return std::optional<Frame>(cases_[next_++].frame);
  }
  std::pair<int64_t, int64_t> RangeMs() const override { return {kT0 / 1000, kT0 / 1000 + 1000}; }
  const std::vector<Case>& cases() const { return cases_; }

 private:
  std::vector<Case> cases_;
  size_t next_ = 0;
};

TEST_F(DatasetTest, ExportDrivesDetectorWriterAndProgress) {
  VectorSource source(Scenario());
  int detect_calls = 0;
  DetectFn detect = [&](const Frame& f) -> Result<std::vector<Detection>> {
    ++detect_calls;
    for (const Case& c : source.cases()) {
      if (c.frame.pts_us == f.pts_us) return c.dets;
    }
    return Status::Internal("unknown frame");
  };
  DatasetOptions o = Options(DatasetFormat::kCoco, "drv");
  o.min_interval_ms = 250;  // frame at +100 ms and +200 ms follow a written one
  auto w = DatasetWriter::Create(o);
  ASSERT_TRUE(w.ok());
  std::vector<ExportProgress> seen;
  Result<DatasetSummary> s =
      ExportDataset(source, detect, **w, [&](const ExportProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(detect_calls, 3);  // +0, +300, +400
  EXPECT_EQ(s->frames, 5);
  EXPECT_EQ(s->images, 2);
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[2].position_ms, kT0 / 1000 + 200);
  EXPECT_EQ(FormatExportProgress(seen[2]), "[##........] 20% 3 frames, 1 image");
  EXPECT_EQ(FormatExportProgress(seen.back()), "[##########] 100% 5 frames, 2 images");
  EXPECT_EQ(FormatDatasetSummary(*s), "2 images (person 1, car 2), 1 for review, from 5 frames -> " +
                                          o.out_dir + " (coco)");

  VectorSource failing(Scenario());
  auto w2 = DatasetWriter::Create(Options(DatasetFormat::kCoco, "fail"));
  ASSERT_TRUE(w2.ok());
  DetectFn broken = [](const Frame&) -> Result<std::vector<Detection>> {
    return Status::Unavailable("model gone");
  };
  EXPECT_EQ(ExportDataset(failing, broken, **w2, {}).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(ReadFile(root_ + "/fail/annotations.json").status().code(), Status::Code::kNotFound);
}

TEST(DatasetProgressTest, FormatsBarAndUnknownRange) {
  ExportProgress p;
  p.frames_read = 130;
  p.frames_written = 41;
  p.from_ms = 1000;
  p.to_ms = 2000;
  p.position_ms = 1520;
  EXPECT_EQ(FormatExportProgress(p), "[#####.....] 52% 130 frames, 41 images");
  EXPECT_EQ(FormatExportProgress(p, 4), "[##..] 52% 130 frames, 41 images");
  p.to_ms = p.from_ms;
  EXPECT_EQ(FormatExportProgress(p), "130 frames, 41 images");
}

}  // namespace
}  // namespace osprey::ml_hooks
