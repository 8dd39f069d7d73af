#include <gtest/gtest.h>

#include "osprey/ml_hooks/config.h"

namespace osprey::ml_hooks {
namespace {

constexpr const char* kFull = R"(
endpoint = "http://127.0.0.1:9000"
state_dir = "/tmp/state"

[outputs]
data_stream = "events"
delivery_stream = ""
detection_interval_ms = 500

[defaults]
sample_fps = 2
detectors = ["motion"]

[detector.person]
min_score = 0.6
max_width = 480

[[stream]]
name = "front"
detectors = ["motion", "person"]
motion_gate = true

[[stream.zone]]
name = "door"
polygon = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]

[[stream.mask]]
polygon = [[0, 0], [0.1, 0], [0.1, 0.1]]

[[stream.rule]]
zone = "door"
labels = ["person"]
schedule = ["daily 22:00-06:00"]
min_dwell_ms = 1500

[[stream]]
name = "back"
)";

TEST(MlConfigTest, ParsesEveryTableAndAppliesDefaults) {
  auto parsed = ParseMlConfig(kFull, "ml.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const MlConfig& c = *parsed;
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c.state_dir, "/tmp/state");
  EXPECT_EQ(c.outputs.data_stream, "events");
  EXPECT_EQ(c.outputs.delivery_stream, "");
  EXPECT_EQ(c.outputs.detection_interval_ms, 500);
  ASSERT_EQ(c.streams.size(), 2u);
  const StreamConfig& front = c.streams[0];
  EXPECT_EQ(front.detectors, (std::vector<std::string>{"motion", "person"}));
  EXPECT_DOUBLE_EQ(front.sample_fps, 2);  // from [defaults]
  EXPECT_TRUE(front.motion_gate);
  ASSERT_EQ(front.zones.size(), 1u);
  EXPECT_EQ(front.zones[0].polygon.size(), 4u);
  EXPECT_DOUBLE_EQ(front.zones[0].polygon[0].x, 0.5);
  ASSERT_EQ(front.masks.size(), 1u);
  ASSERT_EQ(front.rules.size(), 1u);
  EXPECT_EQ(front.rules[0].min_dwell_ms, 1500);
  EXPECT_EQ(front.rules[0].schedule[0], "daily 22:00-06:00");
  EXPECT_EQ(c.streams[1].detectors, (std::vector<std::string>{"motion"}));
  EXPECT_TRUE(ValidateMlConfig(c).ok());
  const DetectorConfig person = DetectorConfigFor(c, "person");
  EXPECT_EQ(person.type, "person");
  EXPECT_DOUBLE_EQ(person.min_score, 0.6);
  EXPECT_EQ(person.max_width, 480);
  EXPECT_EQ(DetectorConfigFor(c, "motion").type, "motion");
}

TEST(MlConfigTest, UnknownKeysAndWrongTypesNameTheLine) {
  auto typo = ParseMlConfig("endpoint = \"x\"\n[[stream]]\nname = \"a\"\nsample_fsp = 3\n", "c.toml");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(typo.status().message().find("c.toml:4"), std::string::npos)
      << typo.status().message();
  EXPECT_NE(typo.status().message().find("sample_fsp"), std::string::npos);

  auto type = ParseMlConfig("[[stream]]\nname = \"a\"\nsample_fps = \"fast\"\n", "c.toml");
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("sample_fps must be a number"), std::string::npos);

  auto outside = ParseMlConfig(
      "[[stream]]\nname = \"a\"\n[[stream.zone]]\nname = \"z\"\npolygon = [[0,0],[2,0],[1,1]]\n",
      "c.toml");
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("in [0, 1]"), std::string::npos);

  EXPECT_FALSE(ParseMlConfig("[[stream]]\nname = \n", "c.toml").ok());  // TOML syntax
}

TEST(MlConfigTest, ValidationCatchesCrossFieldMistakes) {
  MlConfig empty;
  EXPECT_EQ(ValidateMlConfig(empty).code(), Status::Code::kInvalidArgument);

  MlConfig c;
  c.streams.push_back(StreamConfig{});
  c.streams[0].name = "s";
  c.streams[0].detectors = {"person", "lizard"};
  EXPECT_NE(ValidateMlConfig(c).message().find("lizard"), std::string::npos);

  c.streams[0].detectors = {"person"};
  c.streams[0].motion_gate = true;
  EXPECT_NE(ValidateMlConfig(c).message().find("motion_gate"), std::string::npos);

  c.streams[0].motion_gate = false;
  c.streams[0].rules.push_back(IntrusionRuleConfig{});
  c.streams[0].rules[0].zone = "nowhere";
  EXPECT_NE(ValidateMlConfig(c).message().find("nowhere"), std::string::npos);
}

}  // namespace
}  // namespace osprey::ml_hooks
