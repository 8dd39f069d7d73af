#include "aws_profile.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace osprey::cli {
namespace {

using Section = std::map<std::string, std::string>;

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The INI dialect the AWS CLI writes: [section], key = value, # and ;
// comments at the start of a line. Indented lines continue a nested block
// (e.g. "s3 =" followed by "  max_concurrent_requests = 10"); we skip them,
// as no setting we read is nested. `found` is false when the file does not
// exist.
Result<std::map<std::string, Section>> ReadIni(const std::string& path, bool* found) {
  errno = 0;
  std::ifstream in(path);
  *found = false;
  std::map<std::string, Section> sections;
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) return sections;
    return Status::FromErrno("open " + path, errno);
  }
  *found = true;
  std::string line;
  std::string current;
  bool in_section = false;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) continue;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']') {
        return Status::InvalidArgument(path + ":" + std::to_string(number) +
                                       ": a section header must end with ]");
      }
      current = Trim(t.substr(1, t.size() - 2));
      sections[current];
      in_section = true;
      continue;
    }
    size_t eq = t.find('=');
    if (eq == std::string::npos || !in_section) {
      return Status::InvalidArgument(path + ":" + std::to_string(number) +
                                     ": expected key = value inside a [section]");
    }
    sections[current][Trim(t.substr(0, eq))] = Trim(t.substr(eq + 1));
  }
  return sections;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string HomeFile(const char* override_var, const char* relative) {
  std::string path = Env(override_var);
  if (!path.empty()) return path;
  return Env("HOME") + "/" + relative;
}

}  // namespace

Result<AwsProfile> LoadAwsProfileFrom(const std::string& name,
                                      const std::string& credentials_path,
                                      const std::string& config_path) {
  bool have_credentials_file = false;
  bool have_config_file = false;
  OSPREY_ASSIGN_OR_RETURN(auto credentials, ReadIni(credentials_path, &have_credentials_file));
  OSPREY_ASSIGN_OR_RETURN(auto config, ReadIni(config_path, &have_config_file));
  const std::string config_section = name == "default" ? "default" : "profile " + name;
  const Section* from_credentials =
      credentials.count(name) ? &credentials.at(name) : nullptr;
  const Section* from_config =
      config.count(config_section) ? &config.at(config_section) : nullptr;
  if (from_credentials == nullptr && from_config == nullptr) {
    return Status::NotFound("profile \"" + name + "\" is in neither " + credentials_path +
                            " nor " + config_path);
  }
  AwsProfile p;
  auto get = [](const Section* s, const char* key) -> std::string {
    if (s == nullptr) return "";
    auto it = s->find(key);
    return it == s->end() ? "" : it->second;
  };
  const Section* keys = get(from_credentials, "aws_access_key_id").empty() &&
                                !get(from_config, "aws_access_key_id").empty()
                            ? from_config
                            : from_credentials;
  p.credentials.access_key_id = get(keys, "aws_access_key_id");
  p.credentials.secret_access_key = get(keys, "aws_secret_access_key");
  p.credentials.session_token = get(keys, "aws_session_token");
  if (p.credentials.access_key_id.empty() != p.credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("profile \"" + name +
                                   "\" has only one of aws_access_key_id and "
                                   "aws_secret_access_key");
  }
  if (p.credentials.access_key_id.empty() &&
      (!get(from_config, "role_arn").empty() || !get(from_config, "sso_session").empty() ||
       !get(from_config, "sso_start_url").empty() ||
       !get(from_config, "credential_process").empty())) {
    return Status::NotFound("profile \"" + name +
                            "\" gets its keys from a role, SSO or a credential_process, which "
                            "osprey does not support: give it aws_access_key_id and "
                            "aws_secret_access_key");
  }
  p.region = get(from_config, "region");
  p.endpoint_url = get(from_config, "endpoint_url");
  p.ca_bundle = get(from_config, "ca_bundle");
  return p;
}

Result<AwsProfile> LoadAwsProfile(const std::string& name) {
  return LoadAwsProfileFrom(name, HomeFile("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
                            HomeFile("AWS_CONFIG_FILE", ".aws/config"));
}

}  // namespace osprey::cli
