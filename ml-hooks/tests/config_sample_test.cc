// deploy/config/osprey-ml.toml, the commented sample, must parse with the
// real loader and change nothing: every value it sets equals the built-in
// default. Its commented [[stream]] examples must be valid too, so a user who
// uncomments them gets a working configuration. MlConfig has no operator==,
// so fields are compared one by one; a field added to a struct without a
// line here is not checked, which the review of config.h must catch.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "osprey/ml_hooks/config.h"

namespace osprey::ml_hooks {
namespace {

const std::string kSamplePath = std::string(OSPREY_SOURCE_DIR) + "/deploy/config/osprey-ml.toml";
constexpr std::string_view kExamplesMarker = "# [[stream]] examples: uncomment and edit.";

std::string ReadSample() {
  std::ifstream in(kSamplePath);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The sample with its example block uncommented: every line after the
// marker's line loses its leading "#" and one space.
std::string Uncommented(const std::string& text) {
  size_t at = text.find(kExamplesMarker);
  if (at == std::string::npos) return "";
  std::string out = text.substr(0, at);
  std::istringstream rest(text.substr(at));
  std::string line;
  std::getline(rest, line);  // the marker line itself stays a comment
  while (std::getline(rest, line)) {
    if (line.starts_with("# ")) line = line.substr(2);
    else if (line.starts_with("#")) line = line.substr(1);
    out += line + "\n";
  }
  return out;
}

void ExpectStreamDefaults(const StreamConfig& got) {
  const StreamConfig want;
  EXPECT_EQ(got.detectors, want.detectors);
  EXPECT_EQ(got.sample_fps, want.sample_fps);
  EXPECT_EQ(got.keyframes_only, want.keyframes_only);
  EXPECT_EQ(got.decode_max_width, want.decode_max_width);
  EXPECT_EQ(got.motion_gate, want.motion_gate);
  EXPECT_EQ(got.motion_gate_hold_ms, want.motion_gate_hold_ms);
  EXPECT_EQ(got.queue_frames, want.queue_frames);
  EXPECT_TRUE(got.zones.empty());
  EXPECT_TRUE(got.masks.empty());
  EXPECT_TRUE(got.rules.empty());
}

TEST(MlConfigSampleTest, TopLevelAndOutputsEqualTheDefaults) {
  const std::string text = ReadSample();
  ASSERT_FALSE(text.empty()) << kSamplePath;
  auto parsed = ParseMlConfig(text, kSamplePath);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const MlConfig want;
  EXPECT_EQ(parsed->endpoint, want.endpoint);
  EXPECT_EQ(parsed->ca_file, want.ca_file);
  EXPECT_EQ(parsed->region, want.region);
  EXPECT_EQ(parsed->state_dir, want.state_dir);
  EXPECT_EQ(parsed->snapshot_dir, want.snapshot_dir);
  const OutputConfig& o = parsed->outputs;
  EXPECT_EQ(o.data_stream, want.outputs.data_stream);
  EXPECT_EQ(o.delivery_stream, want.outputs.delivery_stream);
  EXPECT_EQ(o.create_missing, want.outputs.create_missing);
  EXPECT_EQ(o.bucket, want.outputs.bucket);
  EXPECT_EQ(o.detection_interval_ms, want.outputs.detection_interval_ms);
  EXPECT_EQ(o.publish_detections, want.outputs.publish_detections);
  EXPECT_EQ(o.training_frames, want.outputs.training_frames);
  // The stream to watch is the user's to fill in: commented out.
  EXPECT_TRUE(parsed->streams.empty());
}

TEST(MlConfigSampleTest, DefaultsTableEqualsStreamConfigDefaults) {
  // [defaults] only shows in the streams that follow it.
  auto parsed = ParseMlConfig(ReadSample() + "\n[[stream]]\nname = \"cam\"\n", kSamplePath);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->streams.size(), 1u);
  EXPECT_EQ(parsed->streams[0].name, "cam");
  ExpectStreamDefaults(parsed->streams[0]);
  EXPECT_TRUE(ValidateMlConfig(*parsed).ok());
}

// Each [detector.<type>] table, as the runner sees it (DetectorConfigFor),
// equals what the runner uses when the table is absent. Only the options the
// type reads are compared: scale_step is one key shared by person and face.
TEST(MlConfigSampleTest, DetectorTablesEqualTheDefaults) {
  auto parsed = ParseMlConfig(ReadSample(), kSamplePath);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const MlConfig empty;
  for (const std::string type : {"motion", "person", "face", "dnn"}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(parsed->detector_options.count(type), 1u) << "the sample lists [detector." << type << "]";
    const DetectorConfig got = DetectorConfigFor(*parsed, type);
    const DetectorConfig want = DetectorConfigFor(empty, type);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.min_score, want.min_score);
    EXPECT_EQ(got.max_width, want.max_width);
    if (type == "motion") {
      EXPECT_EQ(got.motion.history, want.motion.history);
      EXPECT_EQ(got.motion.var_threshold, want.motion.var_threshold);
      EXPECT_EQ(got.motion.detect_shadows, want.motion.detect_shadows);
      EXPECT_EQ(got.motion.min_area, want.motion.min_area);
      EXPECT_EQ(got.motion.warmup_frames, want.motion.warmup_frames);
    } else if (type == "person") {
      EXPECT_EQ(got.people.scale_step, want.people.scale_step);
      EXPECT_EQ(got.people.win_stride, want.people.win_stride);
      EXPECT_EQ(got.people.upscale, want.people.upscale);
    } else if (type == "face") {
      EXPECT_EQ(got.face.cascade_path, want.face.cascade_path);
      EXPECT_EQ(got.face.scale_step, want.face.scale_step);
      EXPECT_EQ(got.face.min_size, want.face.min_size);
    } else {
      EXPECT_EQ(got.dnn.model_path, want.dnn.model_path);
      EXPECT_EQ(got.dnn.config_path, want.dnn.config_path);
      EXPECT_EQ(got.dnn.classes_path, want.dnn.classes_path);
      EXPECT_EQ(got.dnn.layout, want.dnn.layout);
      EXPECT_EQ(got.dnn.input_width, want.dnn.input_width);
      EXPECT_EQ(got.dnn.input_height, want.dnn.input_height);
      EXPECT_EQ(got.dnn.scale, want.dnn.scale);  // 1/255 written with 17 digits: exact
      EXPECT_EQ(got.dnn.swap_rb, want.dnn.swap_rb);
      EXPECT_EQ(got.dnn.letterbox, want.dnn.letterbox);
      EXPECT_EQ(got.dnn.nms_threshold, want.dnn.nms_threshold);
      EXPECT_EQ(got.dnn.class_id_offset, want.dnn.class_id_offset);
      EXPECT_EQ(got.dnn.labels, want.dnn.labels);
    }
  }
}

TEST(MlConfigSampleTest, CommentedExamplesAreAValidConfiguration) {
  const std::string text = Uncommented(ReadSample());
  ASSERT_FALSE(text.empty()) << "marker \"" << kExamplesMarker << "\" missing from " << kSamplePath;
  auto parsed = ParseMlConfig(text, kSamplePath + " (examples uncommented)");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_TRUE(ValidateMlConfig(*parsed).ok()) << ValidateMlConfig(*parsed).ToString();
  ASSERT_EQ(parsed->streams.size(), 2u);
  const StreamConfig& front = parsed->streams[0];
  EXPECT_EQ(front.name, "front-door");
  EXPECT_EQ(front.detectors, (std::vector<std::string>{"motion", "person"}));
  EXPECT_TRUE(front.motion_gate);
  ASSERT_EQ(front.zones.size(), 1u);
  EXPECT_EQ(front.zones[0].name, "drive");
  EXPECT_EQ(front.masks.size(), 1u);
  ASSERT_EQ(front.rules.size(), 1u);
  EXPECT_EQ(front.rules[0].zone, "drive");
  EXPECT_EQ(front.rules[0].schedule.size(), 2u);
  EXPECT_EQ(parsed->streams[1].name, "back-yard");
  ExpectStreamDefaults(parsed->streams[1]);
}

}  // namespace
}  // namespace osprey::ml_hooks
