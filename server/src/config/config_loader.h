// Builds ServerOptions from the command line, OSPREY_* environment variables
// and a TOML file, in that order of precedence, over the built-in defaults:
//
//   flags  >  environment  >  TOML file  >  ServerOptions{}
//
// Every field has the same three spellings: flag --header-timeout-ms (as
// "--flag VALUE" or "--flag=VALUE"), environment OSPREY_HEADER_TIMEOUT_MS and
// TOML key header_timeout_ms at top level. The file is named by --config FILE
// or OSPREY_CONFIG (the flag wins); without either, no file is read.
//
// Mistakes are rejected rather than ignored: unknown flags, unknown TOML keys,
// unknown OSPREY_* variables (except OSPREY_CONFIG and the OSPREY_AGENT_,
// OSPREY_ML_, OSPREY_CLI_ and OSPREY_TEST_ prefixes, which belong to other
// programs), wrong types, out-of-range numbers and bad values. Each value is
// checked where it is given, even if a higher-precedence source overrides it,
// so a broken file never lurks behind a flag. Every error is InvalidArgument
// and its message starts with where the value came from:
//
//   --threads: must be between 0 and 256, got 300
//   OSPREY_LOG_LEVEL: must be one of debug, info, warn, error; got "verbose"
//   config.toml:3: unknown key "listn"
//
// Thread safety: pure functions; nothing reads the process environment.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "config/server_options.h"
#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey::server {

// Environment variables by name. Passed in so tests never touch the process
// environment; main() builds it with EnvMapFromEnviron(environ).
using EnvMap = std::map<std::string, std::string, std::less<>>;

// Copies a NAME=VALUE array such as POSIX `environ` (null-terminated).
EnvMap EnvMapFromEnviron(const char* const* envp);

// What the command line asks main() to do. --help and --version are reported,
// never acted on here: the library does not print or exit.
enum class ServerCommand {
  kRun,
  kHelp,     // --help or -h: print UsageText() and exit 0
  kVersion,  // --version: print the version and exit 0
};

struct LoadedServerOptions {
  ServerCommand command = ServerCommand::kRun;
  ServerOptions options;    // defaults when command is not kRun
  std::string config_file;  // the TOML file read, "" when none (for the startup log)
};

// argv[0] is the program name and is skipped. As soon as --help or --version
// is seen, the remaining arguments, the environment and the file are not
// examined, so help works even when the configuration is broken.
Result<LoadedServerOptions> LoadServerOptions(int argc, const char* const* argv,
                                              const EnvMap& env);

// Applies the top-level keys of a TOML document over `*options`. Keys that are
// absent leave their field alone. `source_name` prefixes error messages
// ("config.toml" gives "config.toml:3: ..."). On error `*options` may be
// partly updated.
Status ApplyTomlConfig(std::string_view toml_text, std::string_view source_name,
                       ServerOptions* options);

// Checks options built in code (tests, embedders) with the same rules the
// loader applies; messages start with the TOML key ("threads: must be ...").
Status ValidateServerOptions(const ServerOptions& options);

// The --help text: every flag with its environment variable and default.
std::string UsageText();

}  // namespace osprey::server
