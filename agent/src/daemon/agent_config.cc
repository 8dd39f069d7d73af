// Loading AgentConfig from TOML (toml++) or from flags, through the table in
// config_fields.cc.
#include "osprey/agent/agent_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <toml++/toml.h>

#include "daemon/config_fields.h"

namespace osprey::agent {
namespace {

using config_internal::Field;
using config_internal::Quote;
using config_internal::Scope;
using config_internal::Value;

std::string_view TomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    default: return "date/time";
  }
}

// The entries of a table in file order (toml++ orders them by key).
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : t) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& x = a.first->source().begin;
    const auto& y = b.first->source().begin;
    return std::pair(x.line, x.column) < std::pair(y.line, y.column);
  });
  return entries;
}

// One key of a table: type, range and check, then applied to the config
// (global) or to `camera`.
Status ApplyEntry(const Field& f, const toml::node& node, const std::string& where,
                  AgentConfig* config, CameraConfig* camera) {
  Value value;
  if (f.integer) {
    if (!node.is_integer()) {
      return Status::InvalidArgument(where + ": must be an integer, got " +
                                     std::string(TomlTypeName(node.type())));
    }
    value = node.as_integer()->get();
  } else {
    if (!node.is_string()) {
      return Status::InvalidArgument(where + ": must be a string, got " +
                                     std::string(TomlTypeName(node.type())));
    }
    value = node.as_string()->get();
  }
  std::string problem = config_internal::CheckValue(f, value);
  if (!problem.empty()) return Status::InvalidArgument(where + ": " + problem);
  f.set(config, camera, value);
  return Status::Ok();
}

std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Render(const Field& f, const AgentConfig& a, const CameraConfig& c) {
  Value v = f.get(a, c);
  if (auto* n = std::get_if<int64_t>(&v)) return std::to_string(*n);
  const std::string& s = std::get<std::string>(v);
  if ((f.key == "secret_access_key" || f.key == "session_token") && !s.empty()) {
    return TomlString("(set)");
  }
  return TomlString(s);
}

}  // namespace

Result<AgentConfig> ParseAgentConfigToml(std::string_view text, std::string_view source_name) {
  const std::string name(source_name);
  auto at = [&name](const toml::source_region& region) {
    return name + ":" + std::to_string(region.begin.line);
  };
  toml::table table;
#if TOML_EXCEPTIONS
  try {
    table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(at(e.source()) + ": " + std::string(e.description()));
  }
#else
  toml::parse_result parsed = toml::parse(text, name);
  if (!parsed) {
    return Status::InvalidArgument(at(parsed.error().source()) + ": " +
                                   std::string(parsed.error().description()));
  }
  table = std::move(parsed).table();
#endif

  AgentConfig config;
  CameraConfig defaults;  // top-level per-camera keys
  const toml::node* cameras = nullptr;
  std::string cameras_at;
  for (const auto& [key, node] : InFileOrder(table)) {
    const std::string where = at(key->source()) + ": " + std::string(key->str());
    if (key->str() == "camera") {
      if (!node->is_array_of_tables()) {
        return Status::InvalidArgument(where + ": must be an array of tables ([[camera]])");
      }
      cameras = node;
      cameras_at = at(key->source());
      continue;
    }
    const Field* f = config_internal::FindByKey(key->str());
    if (f == nullptr) {
      return Status::InvalidArgument(at(key->source()) + ": unknown key " + Quote(key->str()));
    }
    if (f->scope == Scope::kCameraOnly) {
      return Status::InvalidArgument(where + ": belongs in a [[camera]] table");
    }
    OSPREY_RETURN_IF_ERROR(ApplyEntry(*f, *node, where, &config, &defaults));
  }

  // Where each camera starts, for errors about keys it lacks.
  std::vector<std::string> camera_at;
  if (cameras != nullptr) {
    const toml::array& array = *cameras->as_array();
    for (size_t i = 0; i < array.size(); ++i) {
      const toml::table& t = *array[i].as_table();
      const std::string prefix = "camera[" + std::to_string(i) + "].";
      CameraConfig camera = defaults;
      camera_at.push_back(t.source().begin.line > 0 ? at(t.source()) : cameras_at);
      for (const auto& [key, node] : InFileOrder(t)) {
        const std::string where = at(key->source()) + ": " + prefix + std::string(key->str());
        const Field* f = config_internal::FindByKey(key->str());
        if (f == nullptr || f->scope == Scope::kGlobal) {
          std::string why = f == nullptr ? "unknown key " : "global key not allowed in [[camera]]: ";
          return Status::InvalidArgument(at(key->source()) + ": " + why + Quote(prefix + std::string(key->str())));
        }
        OSPREY_RETURN_IF_ERROR(ApplyEntry(*f, *node, where, &config, &camera));
      }
      config.cameras.push_back(std::move(camera));
    }
  }
  OSPREY_RETURN_IF_ERROR(config_internal::Finalize(
      &config, /*from_file=*/true,
      [&](size_t i, std::string_view key) {
        return camera_at[i] + ": camera[" + std::to_string(i) + "]." + std::string(key);
      },
      [&](std::string_view key) { return name + ": " + std::string(key); }));
  return config;
}

Result<AgentConfig> LoadAgentConfigFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::InvalidArgument("--config: cannot read " + Quote(path) + ": " + std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return Status::InvalidArgument("--config: cannot read " + Quote(path));
  return ParseAgentConfigToml(text, path);
}

Result<AgentConfig> AgentConfigFromFlags(const std::map<std::string, std::string>& flags) {
  AgentConfig config;
  CameraConfig camera;
  for (const auto& [flag, text] : flags) {
    const Field* f = config_internal::FindByFlag(flag);
    if (f == nullptr) return Status::InvalidArgument("unknown flag " + flag);
    Result<Value> value = config_internal::ParseText(*f, text);
    if (!value.ok()) return Status::InvalidArgument(flag + ": " + value.status().message());
    std::string problem = config_internal::CheckValue(*f, *value);
    if (!problem.empty()) return Status::InvalidArgument(flag + ": " + problem);
    f->set(&config, &camera, *value);
  }
  config.cameras.push_back(std::move(camera));
  auto flag_of = [](std::string_view key) {
    return config_internal::FlagName(*config_internal::FindByKey(key));
  };
  OSPREY_RETURN_IF_ERROR(config_internal::Finalize(
      &config, /*from_file=*/false, [&](size_t, std::string_view key) { return flag_of(key); },
      flag_of));
  return config;
}

bool IsAgentFlag(std::string_view flag) { return config_internal::FindByFlag(flag) != nullptr; }

std::vector<AgentFlagHelp> AgentFlags() {
  const AgentConfig a;
  const CameraConfig c;
  std::vector<AgentFlagHelp> out;
  for (size_t i = 0; i < config_internal::FieldCount(); ++i) {
    const Field& f = config_internal::Fields()[i];
    if (!f.flag) continue;
    Value v = f.get(a, c);
    std::string text = std::holds_alternative<int64_t>(v) ? std::to_string(std::get<int64_t>(v))
                                                          : std::get<std::string>(v);
    out.push_back({config_internal::FlagName(f), text, std::string(f.help)});
  }
  return out;
}

Status ResolveCredentials(AgentConfig* config,
                          const std::function<const char*(const char*)>& getenv_fn) {
  auto fill = [&](std::string* field, const char* var) {
    if (!field->empty()) return;
    if (const char* v = getenv_fn(var)) *field = v;
  };
  fill(&config->access_key_id, "AWS_ACCESS_KEY_ID");
  fill(&config->secret_access_key, "AWS_SECRET_ACCESS_KEY");
  fill(&config->session_token, "AWS_SESSION_TOKEN");
  if (config->access_key_id.empty() || config->secret_access_key.empty()) {
    return Status::InvalidArgument(
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (or access_key_id and "
        "secret_access_key in the config file)");
  }
  return Status::Ok();
}

std::string AgentConfigToToml(const AgentConfig& config) {
  const CameraConfig none;
  std::string out;
  for (size_t i = 0; i < config_internal::FieldCount(); ++i) {
    const Field& f = config_internal::Fields()[i];
    if (f.scope == Scope::kGlobal) out += std::string(f.key) + " = " + Render(f, config, none) + "\n";
  }
  for (const CameraConfig& c : config.cameras) {
    out += "\n[[camera]]\n";
    for (size_t i = 0; i < config_internal::FieldCount(); ++i) {
      const Field& f = config_internal::Fields()[i];
      if (f.scope != Scope::kGlobal) out += std::string(f.key) + " = " + Render(f, config, c) + "\n";
    }
  }
  return out;
}

}  // namespace osprey::agent
