#include "app/keys_command.h"

#include <openssl/crypto.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/auth/credentials.h"

namespace osprey::server {

namespace {

constexpr std::string_view kUsage =
    "Usage:\n"
    "  osprey-server keys add --data-dir DIR --name NAME [--role admin|camera|viewer]\n"
    "                         [--stream PATTERN]... [--requests-per-second N [--burst N]]\n"
    "  osprey-server keys list --data-dir DIR\n"
    "A key without --role may call everything. The running server applies the\n"
    "change on SIGHUP (kill -HUP <pid>).\n";

struct AddArgs {
  std::string data_dir;
  std::string name;
  std::string role;
  std::vector<std::string> streams;
  std::string requests_per_second;
  std::string burst;
};

int Usage(std::string_view error) {
  std::cerr << "osprey-server keys: " << error << "\n" << kUsage;
  return 2;
}

// The name goes into a comment line: printable, no newline.
bool IsCommentSafe(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  }
  return !s.empty() && s.size() <= 200;
}

std::string Quoted(std::string_view s) {
  // Patterns and roles are checked by the parser before anything is
  // written; a quote or backslash would fail that check, never escape it.
  return "\"" + std::string(s) + "\"";
}

bool IsNumber(std::string_view s) {
  if (s.empty()) return false;
  bool dot = false;
  for (char c : s) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return s.front() != '.' && s.back() != '.';
}

std::string Today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

Result<std::string> ReadExisting(const std::string& path) {
  Result<auth::LoadedCredentials> loaded = auth::CredentialStore::Load(path);
  if (!loaded.ok()) {
    if (loaded.status().code() == Status::Code::kNotFound) return std::string();
    return loaded.status();
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::FromErrno("cannot read " + path, errno);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

int Add(const AddArgs& a) {
  if (a.data_dir.empty()) return Usage("--data-dir is required");
  if (!IsCommentSafe(a.name)) return Usage("--name is required: 1 to 200 printable characters");
  if (!a.streams.empty() && a.role.empty()) return Usage("--stream applies to a --role");
  if (!a.burst.empty() && a.requests_per_second.empty()) {
    return Usage("--burst needs --requests-per-second");
  }
  for (const std::string* n : {&a.requests_per_second, &a.burst}) {
    if (!n->empty() && !IsNumber(*n)) return Usage("'" + *n + "' is not a number");
  }
  std::error_code ec;
  std::filesystem::create_directories(a.data_dir, ec);
  if (ec) {
    std::cerr << "osprey-server keys: cannot create " << a.data_dir << ": " << ec.message() << "\n";
    return 1;
  }
  const std::string path = a.data_dir + "/credentials.toml";
  Result<std::string> existing = ReadExisting(path);
  if (!existing.ok()) {
    std::cerr << "osprey-server keys: " << existing.status().message() << "\n";
    return 1;
  }
  Result<auth::AccessKey> key = auth::CredentialStore::GenerateKey();
  if (!key.ok()) {
    std::cerr << "osprey-server keys: " << key.status().message() << "\n";
    return 1;
  }
  std::string text = *existing;
  if (text.empty()) {
    text =
        "# Osprey access keys (docs/security.md, auth/README.md). Keep this file\n"
        "# private (chmod 600): its secrets let anyone sign requests.\n";
  }
  if (text.back() != '\n') text += "\n";
  text += "\n# " + a.name + " (osprey-server keys add, " + Today() + ")\n";
  text += "[[keys]]\naccess_key_id = " + Quoted(key->access_key_id) + "\n";
  text += "secret_access_key = " + Quoted(key->secret_access_key) + "\n";
  if (!a.role.empty()) text += "role = " + Quoted(a.role) + "\n";
  if (!a.streams.empty()) {
    text += "streams = [";
    for (size_t i = 0; i < a.streams.size(); ++i) {
      text += (i ? ", " : "") + Quoted(a.streams[i]);
    }
    text += "]\n";
  }
  if (!a.requests_per_second.empty()) {
    text += "requests_per_second = " + a.requests_per_second + "\n";
  }
  if (!a.burst.empty()) text += "burst = " + a.burst + "\n";

  Status written = auth::CredentialStore::WriteFile(path, text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!written.ok()) {
    std::cerr << "osprey-server keys: " << written.message() << "\n";
    return 1;
  }
  std::cout << "Added key " << key->access_key_id << " (" << a.name << ") to " << path << ".\n"
            << "Its secret is shown only now:\n"
            << "  export AWS_ACCESS_KEY_ID=" << key->access_key_id << "\n"
            << "  export AWS_SECRET_ACCESS_KEY=" << key->secret_access_key << "\n"
            << "A running osprey-server applies it after: kill -HUP <its pid>\n";
  OPENSSL_cleanse(key->secret_access_key.data(), key->secret_access_key.size());
  return 0;
}

int List(const std::string& data_dir) {
  if (data_dir.empty()) return Usage("--data-dir is required");
  const std::string path = data_dir + "/credentials.toml";
  Result<auth::LoadedCredentials> loaded = auth::CredentialStore::Load(path);
  if (!loaded.ok()) {
    std::cerr << "osprey-server keys: " << loaded.status().message() << "\n";
    return 1;
  }
  for (const auth::AccessKey& key : loaded->store.keys()) {
    std::cout << key.access_key_id;
    if (!key.policy) {
      std::cout << "  full access";
    } else {
      std::cout << "  " << (key.role.empty() ? "statements" : "role=" + key.role);
      std::cout << " (" << key.policy->statements.size() << " statements)";
    }
    if (key.rate_limit) {
      std::cout << "  " << key.rate_limit->requests_per_second << " req/s, burst "
                << key.rate_limit->burst;
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

int RunKeysCommand(int argc, char** argv) {
  if (argc < 2) return Usage("missing subcommand (add or list)");
  const std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::cout << kUsage;
    return 0;
  }
  AddArgs a;
  for (int i = 2; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return Usage("missing value after " + std::string(flag));
    const std::string value = argv[++i];
    if (flag == "--data-dir") {
      a.data_dir = value;
    } else if (flag == "--name" && sub == "add") {
      a.name = value;
    } else if (flag == "--role" && sub == "add") {
      a.role = value;
    } else if (flag == "--stream" && sub == "add") {
      a.streams.push_back(value);
    } else if (flag == "--requests-per-second" && sub == "add") {
      a.requests_per_second = value;
    } else if (flag == "--burst" && sub == "add") {
      a.burst = value;
    } else {
      return Usage("unknown option " + std::string(flag));
    }
  }
  if (sub == "add") return Add(a);
  if (sub == "list") return List(a.data_dir);
  return Usage("unknown subcommand '" + std::string(sub) + "'");
}

}  // namespace osprey::server
