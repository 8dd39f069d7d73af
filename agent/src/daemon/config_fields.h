// The table of osprey-agent settings shared by the TOML loader, the flag
// parser, --help and --print-config (agent_config.h). Private to the daemon.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "osprey/agent/agent_config.h"

namespace osprey::agent::config_internal {

using Value = std::variant<std::string, int64_t>;

enum class Scope {
  kGlobal,      // top level of the file; a flag in flags mode when `flag`
  kCamera,      // [[camera]] table, or top level as every camera's default
  kCameraOnly,  // [[camera]] table only (stream, source, spool_dir)
};

struct Field {
  std::string_view key;  // TOML key; the flag is "--" + key with '_' -> '-'
  Scope scope;
  bool flag;      // settable on the command line (flags mode)
  bool integer;   // else a string
  int64_t min;    // integers
  int64_t max;
  // Strings: "" when fine, else what is wrong (without the key).
  std::string (*check)(std::string_view);
  std::string_view help;
  void (*set)(AgentConfig*, CameraConfig*, const Value&);
  Value (*get)(const AgentConfig&, const CameraConfig&);
};

// All fields, in the order --help and --print-config list them.
const Field* Fields();
size_t FieldCount();
const Field* FindByKey(std::string_view key);
const Field* FindByFlag(std::string_view flag);
std::string FlagName(const Field& f);

// "" when `v` is acceptable for `f`, else the problem.
std::string CheckValue(const Field& f, const Value& v);
// Text from a flag: strings as given, integers in plain decimal.
Result<Value> ParseText(const Field& f, std::string_view text);

// Cross-field checks and derived values once every key is applied:
// required keys, the source syntax, spool_dir defaults, duplicate streams,
// the uplink against the endpoint. `where_camera(i)` names camera i in
// errors ("camera[0]" with its line in a file, "" for flags).
Status Finalize(AgentConfig* config, bool from_file,
                const std::function<std::string(size_t, std::string_view)>& where_camera,
                const std::function<std::string(std::string_view)>& where_global);

std::string Quote(std::string_view s);

}  // namespace osprey::agent::config_internal
