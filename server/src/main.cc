// osprey-server: parses the configuration, starts the App, prints where it
// listens and how to authenticate, and serves until SIGTERM or SIGINT.
//
// Exit codes: 0 after a clean shutdown (or --help/--version), 1 when the
// server cannot start (port taken, data directory locked or unwritable),
// 2 for a configuration error.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "app/app.h"
#include "app/keys_command.h"
#include "config/config_loader.h"
#include "osprey/base/logging.h"
#include "tls/self_signed.h"

extern char** environ;

namespace {

// Each connection is a descriptor; the default soft limit of 1024 would cap
// the server far below max_connections.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// --self-signed: make (or reuse) DATA_DIR/tls/ and serve its certificate.
// Before App::Start, which only ever sees tls_cert and tls_key.
osprey::Result<osprey::server::tls::SelfSignedFiles> UseSelfSigned(
    osprey::server::ServerOptions* options) {
  using namespace osprey::server::tls;
  auto names = DefaultSubjectAltNames(SplitNames(options->tls_san));
  OSPREY_ASSIGN_OR_RETURN(SelfSignedFiles files,
                          EnsureSelfSigned(options->data_dir + "/tls", names));
  if (files.ca_created) osprey::log::Info("tls", "created a CA", {{"file", files.ca_cert}});
  if (files.cert_created) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ",") + n;
    osprey::log::Info("tls", "issued the server certificate", {{"file", files.cert}, {"names", list}});
  }
  options->tls_cert = files.cert;
  options->tls_key = files.key;
  return files;
}

void PrintBanner(const osprey::server::App::Startup& s, const std::string& region,
                 const std::string& ca_file) {
  std::string out;
  out += "osprey-server " OSPREY_VERSION " listening on " + s.endpoint + "\n";
  out += "  data directory: " + s.data_dir + "\n";
  if (!ca_file.empty()) {
    out += "  TLS certificate from the self-signed CA " + ca_file + "; trust it with:\n";
    out += "    aws --ca-bundle " + ca_file + "   (or export AWS_CA_BUNDLE=" + ca_file + ")\n";
    out += "    osprey-agent --ca-file " + ca_file + "\n";
  }
  if (s.credentials_path.empty()) {
    out += "  authentication: none (loopback only)\n";
  } else if (s.credentials_created) {
    out += "  created credentials in " + s.credentials_path + " (mode 0600). Use them with:\n";
    out += "    export AWS_ACCESS_KEY_ID=" + s.access_key_id + "\n";
    out += "    export AWS_SECRET_ACCESS_KEY=" + s.secret_access_key + "\n";
    out += "    export AWS_DEFAULT_REGION=" + region + "\n";
    out += "    aws --endpoint-url " + s.endpoint + " kinesis list-streams\n";
    out += "  or add them to ~/.aws/credentials as a profile and pass --profile.\n";
  } else {
    out += "  credentials: " + s.credentials_path + " (access key " + s.access_key_id + ")\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace osprey;
  // `osprey-server keys add|list ...` edits credentials.toml (keys_command.h).
  if (argc > 1 && std::string(argv[1]) == "keys") return server::RunKeysCommand(argc - 1, argv + 1);
  auto loaded = server::LoadServerOptions(argc, argv, server::EnvMapFromEnviron(environ));
  if (!loaded.ok()) {
    std::cerr << "osprey-server: " << loaded.status().message() << "\n"
              << "Run 'osprey-server --help' for the options.\n";
    return 2;
  }
  if (loaded->command == server::ServerCommand::kHelp) {
    std::cout << server::UsageText();
    return 0;
  }
  if (loaded->command == server::ServerCommand::kVersion) {
    std::cout << "osprey-server " OSPREY_VERSION "\n";
    return 0;
  }
  server::ServerOptions& options = loaded->options;
  log::Level level = log::Level::kInfo;
  log::ParseLevel(options.log_level, &level);  // validated by the loader
  log::SetLevel(level);
  if (!loaded->config_file.empty()) log::Info("server", "config loaded", {{"file", loaded->config_file}});

  ::signal(SIGPIPE, SIG_IGN);
  RaiseDescriptorLimit();

  std::string self_signed_ca;
  if (options.self_signed == "on") {
    auto files = UseSelfSigned(&options);
    if (!files.ok()) {
      log::Error("server", "cannot set up the self-signed certificate",
                 {{"error", files.status().ToString()}});
      std::cerr << "osprey-server: " << files.status().message() << "\n";
      return 1;
    }
    self_signed_ca = files->ca_cert;
  }
  auto app = server::App::Start(options);
  if (!app.ok()) {
    log::Error("server", "cannot start", {{"error", app.status().ToString()}});
    std::cerr << "osprey-server: " << app.status().message() << "\n";
    return 1;
  }
  PrintBanner((*app)->startup(), options.region, self_signed_ca);
  (*app)->RunUntilSignalled();
  app->reset();
  log::Info("server", "stopped");
  return 0;
}
