#include "config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <toml++/toml.h>

namespace osprey::server {
namespace {

using Value = std::variant<std::string, int64_t>;
using Member = std::variant<std::string ServerOptions::*, int ServerOptions::*, int64_t ServerOptions::*>;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// String checks return "" when the value is fine, else what is wrong with it.
std::string CheckListen(std::string_view s) {
  auto parsed = ParseListenAddress(s);
  return parsed.ok() ? "" : parsed.status().message();
}
std::string CheckDataDir(std::string_view s) { return s.empty() ? "must not be empty" : ""; }
std::string CheckAuth(std::string_view s) {
  return s == "sigv4" || s == "none" ? "" : "must be \"sigv4\" or \"none\", got " + Quote(s);
}
std::string CheckLogLevel(std::string_view s) {
  if (s == "debug" || s == "info" || s == "warn" || s == "error") return "";
  return "must be one of debug, info, warn, error; got " + Quote(s);
}
std::string CheckRegion(std::string_view s) {
  bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  return ok ? "" : "must be lowercase letters, digits and hyphens (e.g. us-east-1), got " + Quote(s);
}
std::string CheckOptionalRegion(std::string_view s) { return s.empty() ? "" : CheckRegion(s); }
std::string CheckPublicUrl(std::string_view s) {
  if (s.empty()) return "";
  bool scheme = s.starts_with("http://") || s.starts_with("https://");
  size_t host_at = s.find("//") + 2;
  bool clean = std::none_of(s.begin(), s.end(),
                            [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (scheme && clean && host_at < s.size()) return "";
  return "must be empty or an http:// or https:// URL, got " + Quote(s);
}

std::string CheckConsolePassword(std::string_view s) {
  return s.empty() || s.size() >= 8 ? "" : "must be empty or at least 8 characters";
}

std::string CheckOnOff(std::string_view s) {
  return s == "on" || s == "off" ? "" : "must be \"on\" or \"off\", got " + Quote(s);
}

std::string CheckAnyPath(std::string_view) { return ""; }  // read (and judged) at start

// Comma-separated DNS names or IP addresses; each becomes a SAN.
std::string CheckSanList(std::string_view s) {
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = std::min(s.find(',', start), s.size());
    std::string_view name = s.substr(start, comma - start);
    bool ok = !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
             c == '*';
    });
    if (!ok) {
      return "must be comma-separated host names or IP addresses, got " + Quote(s);
    }
    start = comma + 1;
  }
  return "";
}

constexpr int64_t kMaxTimeoutMs = 86'400'000;  // a day: beyond it is a typo

struct Field {
  std::string_view key;         // TOML key; the flag and variable derive from it
  std::string_view value_name;  // for --help
  std::string_view help;
  Member member;
  std::string (*check)(std::string_view) = nullptr;  // string fields
  int64_t min = 0;                                   // integer fields
  int64_t max = 0;
  // A flag given without a value means this ("--self-signed"); a value
  // then needs "=" ("--self-signed=off"). Empty: the flag takes a value.
  std::string_view implicit_value = {};
};

const Field kFields[] = {
    {"listen", "ADDR", "host:port to serve HTTP on ([::1]:port for IPv6; port 0: any free)",
     &ServerOptions::listen, CheckListen},
    {"data_dir", "DIR", "directory for all stored data (created if missing)",
     &ServerOptions::data_dir, CheckDataDir},
    {"auth", "MODE", "request authentication: sigv4, or none (loopback listen only)",
     &ServerOptions::auth, CheckAuth},
    {"log_level", "LEVEL", "lowest log level written: debug, info, warn or error",
     &ServerOptions::log_level, CheckLogLevel},
    {"region", "REGION", "AWS region the server reports", &ServerOptions::region, CheckRegion},
    {"public_url", "URL", "base URL given to clients (empty: derived from --listen)",
     &ServerOptions::public_url, CheckPublicUrl},
    {"console_password", "PASSWORD", "web console password (empty: DATA_DIR/console-password)",
     &ServerOptions::console_password, CheckConsolePassword},
    {"threads", "N", "network I/O threads, 0..256 (0: one per CPU core)", &ServerOptions::threads,
     nullptr, 0, 256},
    {"header_timeout_ms", "MS", "time allowed to send a request header",
     &ServerOptions::header_timeout_ms, nullptr, 1, kMaxTimeoutMs},
    {"idle_timeout_ms", "MS", "idle keep-alive connections are closed after this",
     &ServerOptions::idle_timeout_ms, nullptr, 1, kMaxTimeoutMs},
    {"max_body_bytes", "BYTES", "largest JSON API request body", &ServerOptions::max_body_bytes,
     nullptr, 1024, int64_t{1} << 30},
    {"max_connections", "N", "open connections beyond this are refused",
     &ServerOptions::max_connections, nullptr, 1, 1'000'000},
    {"shutdown_grace_ms", "MS", "time in-flight requests get to finish on shutdown",
     &ServerOptions::shutdown_grace_ms, nullptr, 1, kMaxTimeoutMs},
    {"kinesis_shard_limits", "on|off",
     "Kinesis per-shard write limits (1 MiB/s, 1000 records/s): on answers "
     "ProvisionedThroughputExceededException beyond them as AWS does",
     &ServerOptions::kinesis_shard_limits, CheckOnOff},
    {"tls_cert", "PEM", "serve TLS only, with this certificate chain (with --tls-key)",
     &ServerOptions::tls_cert, CheckAnyPath},
    {"tls_key", "PEM", "private key of --tls-cert", &ServerOptions::tls_key, CheckAnyPath},
    {"self_signed", "[=on|off]",
     "serve TLS with a certificate from our own CA, made in DATA_DIR/tls/ at first start",
     &ServerOptions::self_signed, CheckOnOff, 0, 0, "on"},
    {"tls_san", "NAMES", "extra names (comma-separated) for the --self-signed certificate",
     &ServerOptions::tls_san, CheckSanList},
    {"firehose_plain_http", "on|off", "Firehose HttpEndpoint destinations may use http:// too",
     &ServerOptions::firehose_plain_http, CheckOnOff},
    {"firehose_s3_endpoint", "URL",
     "S3-compatible endpoint for Firehose S3 destinations (empty: the folder DATA_DIR/s3)",
     &ServerOptions::firehose_s3_endpoint, CheckPublicUrl},
    {"firehose_s3_region", "REGION", "SigV4 region for --firehose-s3-endpoint (empty: --region)",
     &ServerOptions::firehose_s3_region, CheckOptionalRegion},
    {"firehose_s3_access_key_id", "KEY", "access key for --firehose-s3-endpoint",
     &ServerOptions::firehose_s3_access_key_id, CheckAnyPath},
    {"firehose_s3_secret_access_key", "SECRET", "its secret (prefer the environment variable)",
     &ServerOptions::firehose_s3_secret_access_key, CheckAnyPath},
};

bool IsString(const Field& f) { return std::holds_alternative<std::string ServerOptions::*>(f.member); }

std::string FlagName(const Field& f) {
  std::string s = "--" + std::string(f.key);
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

std::string EnvName(const Field& f) {
  std::string s = "OSPREY_" + std::string(f.key);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const Field* FindField(std::string_view name, std::string (*spell)(const Field&)) {
  for (const Field& f : kFields) {
    if (spell(f) == name) return &f;
  }
  return nullptr;
}

std::string KeyOf(const Field& f) { return std::string(f.key); }

std::string CheckValue(const Field& f, const Value& v) {
  if (IsString(f)) return f.check(std::get<std::string>(v));
  int64_t n = std::get<int64_t>(v);
  if (n >= f.min && n <= f.max) return "";
  return "must be between " + std::to_string(f.min) + " and " + std::to_string(f.max) + ", got " +
         std::to_string(n);
}

// Text from a flag or variable: strings as given, integers in plain decimal.
Result<Value> ParseText(const Field& f, std::string_view text) {
  if (IsString(f)) return Value(std::string(text));
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || end != text.data() + text.size() || ec == std::errc::invalid_argument) {
    return Status::InvalidArgument("must be an integer, got " + Quote(text));
  }
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument("must be between " + std::to_string(f.min) + " and " +
                                   std::to_string(f.max) + ", got " + std::string(text));
  }
  return Value(n);
}

Value Get(const Field& f, const ServerOptions& options) {
  if (auto* s = std::get_if<std::string ServerOptions::*>(&f.member)) return options.**s;
  if (auto* i = std::get_if<int ServerOptions::*>(&f.member)) return int64_t{options.**i};
  return options.*std::get<int64_t ServerOptions::*>(f.member);
}

void Assign(const Field& f, const Value& v, ServerOptions* options) {
  if (auto* s = std::get_if<std::string ServerOptions::*>(&f.member)) {
    options->**s = std::get<std::string>(v);
  } else if (auto* i = std::get_if<int ServerOptions::*>(&f.member)) {
    options->**i = static_cast<int>(std::get<int64_t>(v));  // range-checked already
  } else {
    options->*std::get<int64_t ServerOptions::*>(f.member) = std::get<int64_t>(v);
  }
}

// Where each field's final value came from, for the cross-field message.
struct Origin {
  std::string where;     // error prefix: "--auth", "config.toml:3: auth"
  std::string location;  // "--auth", "OSPREY_AUTH", "config.toml:3"
};
using Origins = std::map<std::string_view, Origin>;

// A value from a flag or variable, checked when read and applied later in
// precedence order.
struct Pending {
  const Field* field;
  Value value;
  std::string where;
};

Result<Pending> ReadText(const Field& f, std::string_view text, std::string where) {
  Result<Value> value = ParseText(f, text);
  if (!value.ok()) return value.status().WithContext(where);
  std::string problem = CheckValue(f, *value);
  if (!problem.empty()) return Status::InvalidArgument(where + ": " + problem);
  return Pending{&f, std::move(value).value(), std::move(where)};
}

void ApplyPending(const std::vector<Pending>& values, ServerOptions* options, Origins* origins) {
  for (const Pending& p : values) {
    Assign(*p.field, p.value, options);
    (*origins)[p.field->key] = Origin{p.where, p.where};
  }
}

std::string_view TomlTypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

Status ApplyToml(std::string_view text, std::string_view source_name, ServerOptions* options,
                 Origins* origins) {
  const std::string name(source_name);
  auto at = [&name](const toml::source_region& region) {
    return name + ":" + std::to_string(region.begin.line);
  };
  toml::table table;
  // toml++ throws when built with exceptions (as the Debian shared library
  // is); either way no exception leaves this function.
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

  // The table is ordered by key; report problems in file order instead.
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& x = a.first->source().begin;
    const auto& y = b.first->source().begin;
    return std::pair(x.line, x.column) < std::pair(y.line, y.column);
  });

  for (const auto& [key, node] : entries) {
    const Field* f = FindField(key->str(), KeyOf);
    if (f == nullptr) {
      return Status::InvalidArgument(at(key->source()) + ": unknown key " + Quote(key->str()));
    }
    std::string location = at(key->source());
    std::string where = location + ": " + std::string(f->key);
    Value value;
    if (IsString(*f)) {
      if (!node->is_string()) {
        return Status::InvalidArgument(where + ": must be a string, got " +
                                       std::string(TomlTypeName(node->type())));
      }
      value = node->as_string()->get();
    } else {
      if (!node->is_integer()) {
        return Status::InvalidArgument(where + ": must be an integer, got " +
                                       std::string(TomlTypeName(node->type())));
      }
      value = node->as_integer()->get();
    }
    std::string problem = CheckValue(*f, value);
    if (!problem.empty()) return Status::InvalidArgument(where + ": " + problem);
    Assign(*f, value, options);
    if (origins != nullptr) (*origins)[f->key] = Origin{where, location};
  }
  return Status::Ok();
}

// "none" must never be reachable from another machine. `origins` is null
// for options built in code, which have no sources to name.
Status CheckAuthIsSafe(const ServerOptions& options, const Origins* origins) {
  if (options.auth != "none") return Status::Ok();
  auto listen = ParseListenAddress(options.listen);
  if (listen.ok() && IsLoopbackHost(listen->host)) return Status::Ok();
  std::string where = "auth";
  std::string source;
  if (origins != nullptr) {
    auto auth = origins->find("auth");
    if (auth != origins->end()) where = auth->second.where;
    auto from = origins->find("listen");
    source = from != origins->end() ? " (from " + from->second.location + ")" : " (default)";
  }
  return Status::InvalidArgument(
      where + ": \"none\" is only allowed when listen is a loopback address (127.0.0.0/8, "
      "::1 or localhost); listen is " + Quote(options.listen) + source);
}

// A remote S3 endpoint needs a key to sign with.
Status CheckFirehoseS3(const ServerOptions& options, const Origins* origins) {
  if (options.firehose_s3_endpoint.empty() ||
      (!options.firehose_s3_access_key_id.empty() && !options.firehose_s3_secret_access_key.empty())) {
    return Status::Ok();
  }
  std::string where = "firehose_s3_endpoint";
  if (origins != nullptr) {
    if (auto it = origins->find(where); it != origins->end()) where = it->second.where;
  }
  return Status::InvalidArgument(
      where + ": needs firehose_s3_access_key_id and firehose_s3_secret_access_key");
}

// TLS comes from exactly one place: files, or our own CA.
Status CheckTlsIsConsistent(const ServerOptions& options, const Origins* origins) {
  auto where = [origins](std::string_view key) {
    if (origins == nullptr) return std::string(key);
    auto it = origins->find(key);
    return it != origins->end() ? it->second.where : std::string(key);
  };
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return Status::InvalidArgument(where(options.tls_cert.empty() ? "tls_key" : "tls_cert") +
                                   ": tls_cert and tls_key must be given together");
  }
  if (options.self_signed == "on" && !options.tls_cert.empty()) {
    return Status::InvalidArgument(where("self_signed") +
                                   ": self_signed makes its own certificate; not with tls_cert");
  }
  if (!options.tls_san.empty() && options.self_signed != "on") {
    return Status::InvalidArgument(where("tls_san") +
                                   ": only used for the self_signed certificate (self_signed = "
                                   "\"on\"); put the names in your own certificate instead");
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path, const std::string& where) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::InvalidArgument(where + ": cannot read " + Quote(path) + ": " +
                                   std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, n);
  int err = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (err != 0) {
    return Status::InvalidArgument(where + ": cannot read " + Quote(path) + ": " +
                                   std::strerror(err));
  }
  return text;
}

constexpr std::string_view kForeignEnvPrefixes[] = {"OSPREY_AGENT_", "OSPREY_ML_", "OSPREY_CLI_",
                                                     "OSPREY_TEST_"};

}  // namespace

EnvMap EnvMapFromEnviron(const char* const* envp) {
  EnvMap env;
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    std::string_view entry(*envp);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

Result<LoadedServerOptions> LoadServerOptions(int argc, const char* const* argv,
                                              const EnvMap& env) {
  LoadedServerOptions loaded;
  std::vector<Pending> flags;
  std::optional<std::pair<std::string, std::string>> config;  // path, where it was named

  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      loaded.command = ServerCommand::kHelp;
      return loaded;
    }
    if (arg == "--version") {
      loaded.command = ServerCommand::kVersion;
      return loaded;
    }
    if (arg.size() < 3 || !arg.starts_with("--")) {
      if (arg.starts_with("-") && arg.size() > 1) {
        return Status::InvalidArgument("unknown flag " + Quote(arg) + " (see --help)");
      }
      return Status::InvalidArgument("unexpected argument " + Quote(arg) +
                                     " (settings are given as --flag VALUE)");
    }
    size_t eq = arg.find('=');
    std::string flag(arg.substr(0, eq));
    if (flag == "--help" || flag == "--version") {
      return Status::InvalidArgument(flag + " takes no value");
    }
    const Field* field = FindField(flag, FlagName);
    if (field == nullptr && flag != "--config") {
      return Status::InvalidArgument("unknown flag " + Quote(flag) + " (see --help)");
    }
    std::string_view text;
    if (eq != std::string_view::npos) {
      text = arg.substr(eq + 1);
    } else if (field != nullptr && !field->implicit_value.empty()) {
      text = field->implicit_value;
    } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) {
      text = argv[++i];
    } else {
      return Status::InvalidArgument(flag + ": missing value");
    }
    if (field == nullptr) {  // --config
      if (text.empty()) return Status::InvalidArgument("--config: must not be empty");
      config.emplace(std::string(text), flag);
      continue;
    }
    OSPREY_ASSIGN_OR_RETURN(Pending pending, ReadText(*field, text, flag));
    flags.push_back(std::move(pending));
  }

  std::vector<Pending> vars;
  for (const auto& [name, text] : env) {
    if (!name.starts_with("OSPREY_")) continue;
    if (name == "OSPREY_CONFIG") {
      if (text.empty()) return Status::InvalidArgument("OSPREY_CONFIG: must not be empty");
      if (!config) config.emplace(text, name);
      continue;
    }
    if (std::any_of(std::begin(kForeignEnvPrefixes), std::end(kForeignEnvPrefixes),
                    [&name = name](std::string_view p) { return name.starts_with(p); })) {
      continue;
    }
    const Field* field = FindField(name, EnvName);
    if (field == nullptr) return Status::InvalidArgument("unknown environment variable " + name);
    OSPREY_ASSIGN_OR_RETURN(Pending pending, ReadText(*field, text, name));
    vars.push_back(std::move(pending));
  }

  Origins origins;
  if (config) {
    OSPREY_ASSIGN_OR_RETURN(std::string text, ReadFile(config->first, config->second));
    OSPREY_RETURN_IF_ERROR(ApplyToml(text, config->first, &loaded.options, &origins));
    loaded.config_file = config->first;
  }
  ApplyPending(vars, &loaded.options, &origins);
  ApplyPending(flags, &loaded.options, &origins);
  OSPREY_RETURN_IF_ERROR(CheckAuthIsSafe(loaded.options, &origins));
  OSPREY_RETURN_IF_ERROR(CheckTlsIsConsistent(loaded.options, &origins));
  OSPREY_RETURN_IF_ERROR(CheckFirehoseS3(loaded.options, &origins));
  return loaded;
}

Status ApplyTomlConfig(std::string_view toml_text, std::string_view source_name,
                       ServerOptions* options) {
  return ApplyToml(toml_text, source_name, options, nullptr);
}

Status ValidateServerOptions(const ServerOptions& options) {
  for (const Field& f : kFields) {
    std::string problem = CheckValue(f, Get(f, options));
    if (!problem.empty()) return Status::InvalidArgument(std::string(f.key) + ": " + problem);
  }
  OSPREY_RETURN_IF_ERROR(CheckAuthIsSafe(options, nullptr));
  OSPREY_RETURN_IF_ERROR(CheckTlsIsConsistent(options, nullptr));
  return CheckFirehoseS3(options, nullptr);
}

std::string UsageText() {
  const ServerOptions defaults;
  std::string out =
      "Usage: osprey-server [flags]\n"
      "\n"
      "Every setting is also read from the environment variable shown and from\n"
      "the key of the same name (data_dir, ...) in the TOML file given by\n"
      "--config. Flags override the environment, which overrides the file.\n"
      "\n"
      "Flags:\n";
  auto line = [&out](std::string left, std::string_view help, std::string_view detail) {
    left.resize(std::max<size_t>(left.size() + 2, 30), ' ');
    out.append("  ").append(left).append(help).push_back('\n');
    if (!detail.empty()) out.append(32, ' ').append(detail).push_back('\n');
  };
  line("--config FILE", "TOML configuration file", "(env OSPREY_CONFIG; default none)");
  for (const Field& f : kFields) {
    Value value = Get(f, defaults);
    std::string shown = IsString(f) ? Quote(std::get<std::string>(value))
                                    : std::to_string(std::get<int64_t>(value));
    std::string spelled = FlagName(f);
    if (f.implicit_value.empty()) spelled += " ";
    line(spelled + std::string(f.value_name), f.help,
         "(env " + EnvName(f) + "; default " + shown + ")");
  }
  line("--help, -h", "print this help and exit", "");
  line("--version", "print the version and exit", "");
  return out;
}

}  // namespace osprey::server
