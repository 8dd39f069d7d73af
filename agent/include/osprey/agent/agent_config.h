// AgentConfig: what osprey-agent runs, from command-line flags (one camera,
// the original interface) or from a TOML file (any number of cameras):
//
//   osprey-agent --endpoint http://host:9470 --stream S --source testsrc --spool-dir DIR
//   osprey-agent --config /etc/osprey/agent.toml
//
// Both go through one table of settings (agent_config.cc): a key is
// `fragment_ms` in TOML and `--fragment-ms` on the command line. Global keys
// (endpoint, region, credentials, uplink, spool_root, metrics_listen, ...)
// are top-level in the file; per-camera keys (stream, source, fragment_ms,
// width, ...) go in each [[camera]] table, and a per-camera key at top level
// is the default for every camera. The commented sample with every key and
// its default is deploy/config/osprey-agent.toml (agent/README.md).
//
// Adding a per-camera capture option: a field in CaptureOptions and one row
// in kFields (agent_config.cc); flag, TOML key, --print-config and --help
// follow from the row.
//
// Errors are InvalidArgument with one line naming the key and where it came
// from: `agent.toml:12: camera[1].fps: must be between 1 and 120, got 0`,
// `--fps: must be an integer, got "x"`.
//
// Threading: pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/agent/capture_source.h"
#include "osprey/agent/spool.h"
#include "osprey/base/result.h"

namespace osprey::agent {

struct CameraConfig {
  std::string stream;   // required; also names the spool directory
  std::string source;   // required; --source syntax, parsed into `capture`
  CaptureOptions capture;  // kind/location/loop from `source`; encoder settings
  std::string spool_dir;   // resolved: the flag, the key, or spool_root/stream
  uint64_t spool_bytes = uint64_t{1} << 30;
  SpoolOverflowPolicy spool_policy = SpoolOverflowPolicy::kDropOldest;
  int retention_hours = 24;  // CreateStream
  // Local recording, one MKV per fragment (recorder.h); empty: off.
  std::string record_dir;
  int record_hours = 24;
  uint64_t record_bytes = uint64_t{1} << 30;
  // "always", "off" (record only; nothing goes to the spool) or "schedule"
  // (upload_schedule windows, upload_schedule.h).
  std::string upload = "always";
  std::string upload_schedule;  // five-field cron, UTC: window starts
  int64_t upload_duration_s = 3600;
};

struct AgentConfig {
  std::string endpoint;  // required: http://, ws:// or wss://
  std::string region = "us-east-1";
  // Empty: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
  // (ResolveCredentials). File only: flags mode reads the environment.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string ca_file;
  std::string uplink = "auto";  // auto | http | ws
  std::string control_endpoint;
  std::string spool_root = "/var/lib/osprey-agent";  // file only
  std::string log_level = "info";
  // host:port of the local /metrics and /healthz responder; empty: off.
  std::string metrics_listen;
  int64_t drain_ms = 5000;
  std::vector<CameraConfig> cameras;  // at least one; stream names unique
};

// Parses a TOML document. `source_name` prefixes errors (the file path).
Result<AgentConfig> ParseAgentConfigToml(std::string_view text, std::string_view source_name);
// Reads and parses `path`; InvalidArgument when it cannot be read.
Result<AgentConfig> LoadAgentConfigFile(const std::string& path);

// Flags mode: `flags` maps "--name" to its text (only flags that were given).
// InvalidArgument for an unknown flag, a bad value or a missing required one.
Result<AgentConfig> AgentConfigFromFlags(const std::map<std::string, std::string>& flags);

// True when `flag` ("--fragment-ms") is a settings flag of flags mode.
bool IsAgentFlag(std::string_view flag);

// One settings flag of flags mode, for --help (and tests/integration/test_deploy.py).
struct AgentFlagHelp {
  std::string flag;           // "--fragment-ms"
  std::string default_value;  // "2000"; "" when none (required or off)
  std::string help;
};
std::vector<AgentFlagHelp> AgentFlags();

// Fills empty credentials from the environment (`getenv`-like lookup);
// InvalidArgument when the access key id or secret is still missing.
Status ResolveCredentials(AgentConfig* config,
                          const std::function<const char*(const char*)>& getenv_fn);

// The effective configuration as TOML (every key, cameras fully resolved;
// secrets shown as "(set)" or ""), for --print-config.
std::string AgentConfigToToml(const AgentConfig& config);

}  // namespace osprey::agent
