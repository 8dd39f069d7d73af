// osprey-ml: runs detectors on live video fragments and publishes events.
//
//   osprey-ml --endpoint http://host:port --stream NAME [--stream NAME2 ...]
//             [--detectors motion,person,face,dnn] [--sample-fps 5]
//             [--config ml.toml] [--state-dir DIR] [--snapshot-dir DIR]
//             [--data-stream osprey-events] [--delivery-stream osprey-events]
//             [--zone NAME=x,y;x,y;x,y...] [--intrusion ZONE] [--motion-gate]
//             [--training-frames]
//             [--region R] [--stats-seconds 30] [--log-level info]
//   osprey-ml arm --state-dir DIR [--stream S|*] [--rule R|*] [--disarm]
//             [--for SECONDS] [--clear]
//
// Flags override the TOML file; --stream given on the command line replaces
// the file's streams. Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// (AWS_SESSION_TOKEN). Arming: `osprey-ml arm` rewrites DIR/arm.json, which
// a running osprey-ml reads within a second (docs/ml-hooks.md).
// SIGINT/SIGTERM: stop reading, end open tracks, publish, exit 0.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "osprey/base/file_util.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "osprey/ml_hooks/runner.h"

namespace {

using namespace osprey;            // NOLINT
using namespace osprey::ml_hooks;  // NOLINT

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "osprey-ml: %s\nusage: osprey-ml --endpoint http[s]://host:port [--ca-file PEM] --stream NAME "
               "[--detectors motion,person,face,dnn] [--sample-fps N] [--config FILE] "
               "[--state-dir DIR] [--snapshot-dir DIR] [--data-stream NAME] "
               "[--delivery-stream NAME] [--zone NAME=x,y;x,y;x,y] [--intrusion ZONE] "
               "[--motion-gate] [--training-frames] [--region R] [--stats-seconds N] "
               "[--log-level L]\n"
               "       osprey-ml arm --state-dir DIR [--stream S] [--rule R] [--disarm] "
               "[--for SECONDS] [--clear]\n",
               why.c_str());
  return 2;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// "NAME=x,y;x,y;x,y" -> zone.
Result<ZoneConfig> ParseZoneFlag(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("--zone NAME=x,y;x,y;...");
  ZoneConfig zone;
  zone.name = text.substr(0, eq);
  for (const std::string& point : Split(text.substr(eq + 1), ';')) {
    std::vector<std::string> xy = Split(point, ',');
    char* e1 = nullptr;
    char* e2 = nullptr;
    if (xy.size() != 2) return Status::InvalidArgument("--zone point \"" + point + "\" is not x,y");
    const double x = std::strtod(xy[0].c_str(), &e1);
    const double y = std::strtod(xy[1].c_str(), &e2);
    if (*e1 != '\0' || *e2 != '\0' || x < 0 || x > 1 || y < 0 || y > 1) {
      return Status::InvalidArgument("--zone point \"" + point + "\" must be x,y in [0,1]");
    }
    zone.polygon.push_back(Point{x, y});
  }
  if (zone.polygon.size() < 3) return Status::InvalidArgument("--zone needs at least 3 points");
  return zone;
}

// arm.json: {"<stream>/<rule>": {"armed": bool, "until_ms": int|null}, ...}.
int ArmCommand(std::map<std::string, std::string>& f) {
  if (f["--state-dir"].empty()) return Usage("arm: --state-dir is required");
  const std::string path = f["--state-dir"] + "/arm.json";
  std::map<std::string, std::string> entries;  // key -> rendered object
  if (Result<std::string> old = ReadFile(path); old.ok()) {
    Result<Value> doc = ParseJson(*old);
    if (doc.ok() && doc->type() == Value::Type::kMap) {
      for (const auto& [k, v] : doc->as_map()) entries[k] = ToJson(v);
    }
  }
  const std::string key = f["--stream"] + "/" + f["--rule"];
  if (f["--clear"] == "true") {
    entries.erase(key);
  } else {
    std::string obj;
    JsonWriter w(&obj);
    w.BeginObject().Key("armed").Bool(f["--disarm"] != "true").Key("until_ms");
    if (f["--for"].empty()) {
      w.Null();
    } else {
      const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
      w.Int64(now + std::atoll(f["--for"].c_str()) * 1000);
    }
    w.EndObject();
    entries[key] = obj;
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [k, v] : entries) w.Key(k).Raw(v);
  w.EndObject();
  if (Status s = MakeDirs(f["--state-dir"]); !s.ok()) return Usage(s.ToString());
  if (Status s = WriteFileAtomically(path, out + "\n"); !s.ok()) return Usage(s.ToString());
  std::printf("%s\n", out.c_str());
  return 0;
}

// Applies arm.json when it changed. Entries that disappeared are cleared.
class ArmFileWatcher {
 public:
  ArmFileWatcher(std::string path, MlRunner* runner) : path_(std::move(path)), runner_(runner) {}
  void Poll() {
    struct stat st {};
    const int64_t mtime = ::stat(path_.c_str(), &st) == 0
                              ? st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec
                              : -1;
    if (mtime == mtime_) return;
    mtime_ = mtime;
    std::map<std::string, Value> now;
    if (Result<std::string> text = ReadFile(path_); text.ok()) {
      Result<Value> doc = ParseJson(*text);
      if (!doc.ok() || doc->type() != Value::Type::kMap) {
        log::Warn("ml", "arm file ignored: not a JSON object", {{"path", path_}});
        return;
      }
      for (const auto& [k, v] : doc->as_map()) now[k] = v;
    }
    for (const auto& [key, v] : applied_) {
      if (now.count(key) == 0) Apply(key, nullptr);
    }
    for (const auto& [key, v] : now) Apply(key, &v);
    applied_ = std::move(now);
  }

 private:
  void Apply(const std::string& key, const Value* v) {
    const size_t slash = key.rfind('/');
    if (slash == std::string::npos) return;
    const std::string stream = key.substr(0, slash);
    const std::string rule = key.substr(slash + 1);
    Status s;
    if (v == nullptr) {
      s = runner_->ClearArm(stream, rule);
    } else {
      const Value* armed = v->Find("armed");
      const Value* until = v->Find("until_ms");
      std::optional<int64_t> until_ms;
      if (until != nullptr && until->type() == Value::Type::kInt) until_ms = until->as_int();
      s = runner_->Arm(stream, rule,
                       armed == nullptr || armed->type() != Value::Type::kBool || armed->as_bool(),
                       until_ms);
    }
    log::Info("ml", v == nullptr ? "arm override cleared" : "arm override applied",
              {{"stream", stream}, {"rule", rule}, {"status", s.ToString()}});
  }

  std::string path_;
  MlRunner* runner_;
  int64_t mtime_ = -2;
  std::map<std::string, Value> applied_;
};

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> f;
  std::vector<std::string> streams, zones, intrusions;
  const bool arm = argc > 1 && std::string(argv[1]) == "arm";
  static const std::map<std::string, bool> kFlags = {  // flag -> takes a value
      {"--endpoint", true}, {"--ca-file", true}, {"--stream", true}, {"--detectors", true}, {"--sample-fps", true},
      {"--config", true}, {"--state-dir", true}, {"--snapshot-dir", true},
      {"--data-stream", true}, {"--delivery-stream", true}, {"--zone", true},
      {"--intrusion", true}, {"--motion-gate", false}, {"--training-frames", false}, {"--region", true},
      {"--stats-seconds", true}, {"--log-level", true}, {"--rule", true}, {"--disarm", false},
      {"--for", true}, {"--clear", false}};
  for (int i = arm ? 2 : 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value = "true";
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto it = kFlags.find(name);
    if (it == kFlags.end()) return Usage("unknown flag " + name);
    if (it->second && value == "true" && std::string(argv[i]).find('=') == std::string::npos) {
      if (i + 1 >= argc) return Usage("missing value for " + name);
      value = argv[++i];
    }
    if (name == "--stream") streams.push_back(value);
    else if (name == "--zone") zones.push_back(value);
    else if (name == "--intrusion") intrusions.push_back(value);
    else f[name] = value;
  }
  if (arm) {
    if (f["--rule"].empty()) f["--rule"] = "*";
    f["--stream"] = streams.empty() ? "*" : streams.front();
    return ArmCommand(f);
  }
  log::Level level = log::Level::kInfo;
  if (f.count("--log-level") && !log::ParseLevel(f["--log-level"], &level)) {
    return Usage("bad --log-level");
  }
  log::SetLevel(level);

  MlConfig config;
  if (f.count("--config")) {
    Result<std::string> text = ReadFile(f["--config"]);
    if (!text.ok()) return Usage(text.status().ToString());
    Result<MlConfig> parsed = ParseMlConfig(*text, f["--config"]);
    if (!parsed.ok()) return Usage(parsed.status().message());
    config = std::move(parsed).value();
  }
  if (f.count("--endpoint")) config.endpoint = f["--endpoint"];
  if (f.count("--ca-file")) config.ca_file = f["--ca-file"];
  if (f.count("--region")) config.region = f["--region"];
  if (f.count("--state-dir")) config.state_dir = f["--state-dir"];
  if (f.count("--snapshot-dir")) config.snapshot_dir = f["--snapshot-dir"];
  if (f.count("--data-stream")) config.outputs.data_stream = f["--data-stream"];
  if (f.count("--delivery-stream")) config.outputs.delivery_stream = f["--delivery-stream"];
  if (f.count("--training-frames")) config.outputs.training_frames = true;
  if (const char* region = std::getenv("AWS_REGION"); region && !f.count("--region") && *region) {
    config.region = region;
  }
  if (!streams.empty()) {
    StreamConfig base = config.streams.empty() ? StreamConfig{} : config.streams.front();
    config.streams.clear();
    for (const std::string& name : streams) {
      StreamConfig s = base;
      s.name = name;
      config.streams.push_back(std::move(s));
    }
  }
  for (StreamConfig& s : config.streams) {
    if (f.count("--detectors")) s.detectors = Split(f["--detectors"], ',');
    if (f.count("--sample-fps")) s.sample_fps = std::atof(f["--sample-fps"].c_str());
    if (f.count("--motion-gate")) s.motion_gate = true;
    for (const std::string& z : zones) {
      Result<ZoneConfig> zone = ParseZoneFlag(z);
      if (!zone.ok()) return Usage(zone.status().message());
      s.zones.push_back(std::move(zone).value());
    }
    for (const std::string& zone : intrusions) {
      IntrusionRuleConfig rule;
      rule.zone = zone;
      s.rules.push_back(std::move(rule));
    }
  }
  const char* ak = std::getenv("AWS_ACCESS_KEY_ID");
  const char* sk = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (ak == nullptr || sk == nullptr) {
    return Usage("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
  }
  const char* st = std::getenv("AWS_SESSION_TOKEN");
  auth::Credentials credentials{ak, sk, st != nullptr ? st : ""};

  Result<std::unique_ptr<MlRunner>> runner = MlRunner::Create(config, credentials);
  if (!runner.ok()) return Usage(runner.status().message());
  ::signal(SIGINT, OnSignal);
  ::signal(SIGTERM, OnSignal);
  ::signal(SIGPIPE, SIG_IGN);
  // The server may come up after us (systemd ordering, a reboot): retry.
  Status started = (*runner)->Start();
  while (!started.ok() && !g_stop.load()) {
    log::Warn("ml", "cannot start yet; retrying", {{"error", started.ToString()}});
    std::this_thread::sleep_for(std::chrono::seconds(2));
    started = (*runner)->Start();
  }
  ArmFileWatcher arm_file(config.state_dir + "/arm.json", runner->get());
  const int64_t stats_every = f.count("--stats-seconds") ? std::atoll(f["--stats-seconds"].c_str()) : 30;
  int64_t ticks = 0;
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (++ticks % 5 == 0) arm_file.Poll();
    if (ticks % 150 == 0) {
      if (Status s = (*runner)->Refresh(); !s.ok()) {
        log::Warn("ml", "stream list refresh failed", {{"error", s.ToString()}});
      }
    }
    if (stats_every > 0 && ticks % (stats_every * 5) == 0) {
      for (const StreamStats& s : (*runner)->stats()) {
        log::Info("ml", "stats", {{"stream", s.stream}, {"fragments", s.fragments},
                                  {"frames", s.frames_analysed}, {"dropped", s.frames_dropped},
                                  {"gated", s.frames_gated}, {"events", s.events},
                                  {"errors", s.errors}});
      }
    }
  }
  log::Info("ml", "stopping");
  (*runner)->Stop();
  return 0;
}
