// AgentConfig from TOML and from flags: defaults, per-camera overrides,
// and one-line errors naming the key.
#include "osprey/agent/agent_config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace osprey::agent {
namespace {

constexpr char kMinimal[] = R"(
endpoint = "http://127.0.0.1:9470"
[[camera]]
stream = "front"
source = "testsrc"
)";

std::string ErrorOf(std::string_view toml) {
  Result<AgentConfig> c = ParseAgentConfigToml(toml, "agent.toml");
  EXPECT_FALSE(c.ok()) << toml;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(c.status().message().find('\n'), std::string::npos);
  return c.status().message();
}

TEST(AgentConfigToml, MinimalGetsTheDefaults) {
  Result<AgentConfig> c = ParseAgentConfigToml(kMinimal, "agent.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const AgentConfig defaults;
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_EQ(c->uplink, "auto");
  EXPECT_EQ(c->log_level, "info");
  EXPECT_EQ(c->metrics_listen, "");
  EXPECT_EQ(c->drain_ms, 5000);
  EXPECT_EQ(c->spool_root, "/var/lib/osprey-agent");
  ASSERT_EQ(c->cameras.size(), 1u);
  const CameraConfig& cam = c->cameras[0];
  EXPECT_EQ(cam.stream, "front");
  EXPECT_EQ(cam.capture.kind, SourceKind::kTestPattern);
  EXPECT_EQ(cam.spool_dir, "/var/lib/osprey-agent/front");
  EXPECT_EQ(cam.spool_bytes, uint64_t{1} << 30);
  EXPECT_EQ(cam.spool_policy, SpoolOverflowPolicy::kDropOldest);
  EXPECT_EQ(cam.retention_hours, 24);
  const CaptureOptions capture;
  EXPECT_EQ(cam.capture.fragment_ms, capture.fragment_ms);
  EXPECT_EQ(cam.capture.width, capture.width);
  EXPECT_EQ(cam.capture.height, capture.height);
  EXPECT_EQ(cam.capture.fps, capture.fps);
  EXPECT_EQ(cam.capture.bitrate_kbps, capture.bitrate_kbps);
}

TEST(AgentConfigToml, TopLevelCameraKeysAreDefaultsAndCamerasOverride) {
  Result<AgentConfig> c = ParseAgentConfigToml(R"(
endpoint = "ws://10.0.0.1:9470"
spool_root = "/data/spool"
metrics_listen = "127.0.0.1:9471"
width = 320
height = 240
fragment_ms = 1000
[[camera]]
stream = "a"
source = "rtsp://cam-a/stream1"
[[camera]]
stream = "b"
source = "file+loop:/videos/b.mp4"
width = 1280
spool_policy = "refuse-new"
spool_dir = "/elsewhere/b"
spool_bytes = 1048576
)", "agent.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->cameras.size(), 2u);
  const CameraConfig& a = c->cameras[0];
  const CameraConfig& b = c->cameras[1];
  EXPECT_EQ(a.capture.kind, SourceKind::kRtsp);
  EXPECT_EQ(a.capture.location, "rtsp://cam-a/stream1");
  EXPECT_EQ(a.capture.width, 320u);
  EXPECT_EQ(a.capture.height, 240u);
  EXPECT_EQ(a.capture.fragment_ms, 1000u);
  EXPECT_EQ(a.spool_dir, "/data/spool/a");
  EXPECT_EQ(a.spool_policy, SpoolOverflowPolicy::kDropOldest);
  EXPECT_EQ(b.capture.kind, SourceKind::kFile);
  EXPECT_TRUE(b.capture.loop);
  EXPECT_EQ(b.capture.location, "/videos/b.mp4");
  EXPECT_EQ(b.capture.width, 1280u);
  EXPECT_EQ(b.capture.height, 240u);
  EXPECT_EQ(b.spool_dir, "/elsewhere/b");
  EXPECT_EQ(b.spool_bytes, 1048576u);
  EXPECT_EQ(b.spool_policy, SpoolOverflowPolicy::kRefuseNew);
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:9471");
}

TEST(AgentConfigToml, ErrorsNameTheKeyAndLine) {
  const std::string head = "endpoint = \"http://h:1\"\n";
  EXPECT_EQ(ErrorOf(head + "colour = 1\n[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\n"),
            "agent.toml:2: unknown key \"colour\"");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nfps = 0\n"),
            "agent.toml:5: camera[0].fps: must be between 1 and 240, got 0");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nwidth = \"big\"\n"),
            "agent.toml:5: camera[0].width: must be an integer, got string");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nfrobnicate = 1\n"),
            "agent.toml:5: unknown key \"camera[0].frobnicate\"");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nregion = \"x\"\n"),
            "agent.toml:5: global key not allowed in [[camera]]: \"camera[0].region\"");
  EXPECT_EQ(ErrorOf(head + "stream = \"a\"\n"), "agent.toml:2: stream: belongs in a [[camera]] table");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\n"
                           "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\n"),
            "agent.toml:5: camera[1].stream: duplicate stream name \"a\" (also camera[0])");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\n"), "agent.toml:2: camera[0].source: is required");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a/b\"\nsource = \"testsrc\"\n").substr(0, 38),
            "agent.toml:3: camera[0].stream: must b");
  EXPECT_EQ(ErrorOf(head), "camera: at least one [[camera]] table is required");
  EXPECT_EQ(ErrorOf("[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\n"), "agent.toml: endpoint: is required");
  EXPECT_EQ(ErrorOf(head + "uplink = \"pigeon\"\n"),
            "agent.toml:2: uplink: uplink must be http, ws or auto, not \"pigeon\"");
  EXPECT_EQ(ErrorOf("endpoint = \"ftp://h:1\"\n[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\n")
                .substr(0, 50),
            "agent.toml:1: endpoint: endpoint must start with h");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nupload = \"schedule\"\n"),
            "agent.toml:2: camera[0].upload_schedule: is required with upload = \"schedule\"");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nupload_schedule = \"0 25 * * *\"\n"),
            "agent.toml:5: camera[0].upload_schedule: hour: 25 is out of range 0-23");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nupload = \"sometimes\"\n"),
            "agent.toml:5: camera[0].upload: must be \"always\", \"off\" or \"schedule\", got \"sometimes\"");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"testsrc\"\nrecord_dir = \"/r\"\n"
                           "[[camera]]\nstream = \"b\"\nsource = \"testsrc\"\nrecord_dir = \"/r\"\n"),
            "agent.toml:6: camera[1].record_dir: directory \"/r\" is also used by camera[0]");
  EXPECT_EQ(ErrorOf(head + "record_dir = \"/r\"\n"), "agent.toml:2: record_dir: belongs in a [[camera]] table");
  EXPECT_EQ(ErrorOf(head + "metrics_listen = \"9471\"\n"),
            "agent.toml:2: metrics_listen: must be empty (off) or host:port, got \"9471\"");
  EXPECT_EQ(ErrorOf(head + "[[camera]]\nstream = \"a\"\nsource = \"ftp://x\"\n").substr(0, 39),
            "agent.toml:4: camera[0].source: --sourc");
  EXPECT_EQ(ErrorOf(head + "camera = 3\n"), "agent.toml:2: camera: must be an array of tables ([[camera]])");
  EXPECT_EQ(ErrorOf("endpoint = \n").substr(0, 13), "agent.toml:1:");
}

TEST(AgentConfigToml, RecordingAndUploadKeys) {
  Result<AgentConfig> c = ParseAgentConfigToml(std::string(kMinimal) + R"(record_dir = "/rec/front"
record_hours = 48
record_bytes = 1048576
upload = "schedule"
upload_schedule = "0 22 * * *"
upload_duration_s = 7200
)", "agent.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const CameraConfig& cam = c->cameras[0];
  EXPECT_EQ(cam.record_dir, "/rec/front");
  EXPECT_EQ(cam.record_hours, 48);
  EXPECT_EQ(cam.record_bytes, 1048576u);
  EXPECT_EQ(cam.upload, "schedule");
  EXPECT_EQ(cam.upload_schedule, "0 22 * * *");
  EXPECT_EQ(cam.upload_duration_s, 7200);
  Result<AgentConfig> d = ParseAgentConfigToml(kMinimal, "agent.toml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->cameras[0].upload, "always");
  EXPECT_EQ(d->cameras[0].record_dir, "");
  EXPECT_FALSE(IsAgentFlag("--record-dir"));  // file only
}

TEST(AgentConfigFlags, OneCameraLikeBefore) {
  Result<AgentConfig> c = AgentConfigFromFlags({{"--endpoint", "http://h:1"},
                                                {"--stream", "s"},
                                                {"--source", "testsrc"},
                                                {"--spool-dir", "/tmp/x"},
                                                {"--fps", "30"},
                                                {"--metrics-listen", "127.0.0.1:0"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->cameras.size(), 1u);
  EXPECT_EQ(c->cameras[0].spool_dir, "/tmp/x");
  EXPECT_EQ(c->cameras[0].capture.fps, 30u);
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:0");

  std::map<std::string, std::string> base = {
      {"--endpoint", "http://h:1"}, {"--stream", "s"}, {"--source", "testsrc"}, {"--spool-dir", "/tmp/x"}};
  auto error = [&](std::map<std::string, std::string> extra, std::string drop = "") {
    auto flags = base;
    for (auto& [k, v] : extra) flags[k] = v;
    if (!drop.empty()) flags.erase(drop);
    Result<AgentConfig> r = AgentConfigFromFlags(flags);
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(error({}, "--spool-dir"), "--spool-dir: is required");
  EXPECT_EQ(error({}, "--endpoint"), "--endpoint: is required");
  EXPECT_EQ(error({{"--fps", "x"}}), "--fps: must be an integer, got \"x\"");
  EXPECT_EQ(error({{"--spool-policy", "keep"}}),
            "--spool-policy: must be \"drop-oldest\" or \"refuse-new\", got \"keep\"");
  EXPECT_EQ(error({{"--spool-root", "/x"}}), "unknown flag --spool-root");  // file only
  EXPECT_FALSE(IsAgentFlag("--access-key-id"));
  EXPECT_TRUE(IsAgentFlag("--fragment-ms"));
}

TEST(AgentConfig, FlagHelpListsDefaults) {
  std::map<std::string, std::string> defaults;
  for (const AgentFlagHelp& f : AgentFlags()) defaults[f.flag] = f.default_value;
  EXPECT_EQ(defaults.at("--spool-bytes"), "1073741824");
  EXPECT_EQ(defaults.at("--fragment-ms"), "2000");
  EXPECT_EQ(defaults.at("--drain-ms"), "5000");
  EXPECT_EQ(defaults.at("--spool-policy"), "drop-oldest");
  EXPECT_EQ(defaults.at("--metrics-listen"), "");
  EXPECT_EQ(defaults.at("--stream"), "");
}

TEST(AgentConfig, PrintedConfigParsesBackToTheSame) {
  Result<AgentConfig> c = ParseAgentConfigToml(std::string(kMinimal) + "fps = 7\n", "a.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string text = AgentConfigToToml(*c);
  EXPECT_NE(text.find("fps = 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("spool_dir = \"/var/lib/osprey-agent/front\"\n"), std::string::npos);
  Result<AgentConfig> again = ParseAgentConfigToml(text, "printed");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
  EXPECT_EQ(AgentConfigToToml(*again), text);
}

TEST(AgentConfig, CredentialsFromTheFileOrTheEnvironment) {
  Result<AgentConfig> c = ParseAgentConfigToml(kMinimal, "a.toml");
  ASSERT_TRUE(c.ok());
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"}};
  auto lookup = [&env](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  AgentConfig from_env = *c;
  ASSERT_TRUE(ResolveCredentials(&from_env, lookup).ok());
  EXPECT_EQ(from_env.access_key_id, "AK");
  EXPECT_EQ(from_env.session_token, "");
  AgentConfig from_file = *c;
  from_file.access_key_id = "FILE";
  from_file.secret_access_key = "SECRET";
  ASSERT_TRUE(ResolveCredentials(&from_file, lookup).ok());
  EXPECT_EQ(from_file.access_key_id, "FILE");
  EXPECT_EQ(AgentConfigToToml(from_file).find("SECRET"), std::string::npos);
  env.clear();
  AgentConfig none = *c;
  EXPECT_FALSE(ResolveCredentials(&none, lookup).ok());
}

}  // namespace
}  // namespace osprey::agent
