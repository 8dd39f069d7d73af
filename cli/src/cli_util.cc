#include "cli_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace osprey::cli {

Result<std::map<std::string, std::string>> ParseFlags(const std::vector<std::string>& args,
                                                      const std::vector<std::string>& known,
                                                      const std::vector<std::string>& switches) {
  std::map<std::string, std::string> out;
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (contains(switches, name)) {
      out[name] = has_value ? value : "true";
      continue;
    }
    if (!contains(known, name)) return Status::InvalidArgument("unknown flag " + name);
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("missing value for " + name);
      value = args[++i];
    }
    out[name] = value;
  }
  return out;
}

Result<Connection> ConnectionFromFlags(const std::map<std::string, std::string>& flags) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  std::string endpoint = flags.count("--endpoint") ? flags.at("--endpoint") : env("OSPREY_ENDPOINT");
  if (endpoint.empty()) endpoint = env("AWS_ENDPOINT_URL");
  if (endpoint.empty()) {
    return Status::InvalidArgument("no server: give --endpoint http://host:port (or OSPREY_ENDPOINT)");
  }
  Connection c;
  OSPREY_ASSIGN_OR_RETURN(c.url, client::ParseEndpoint(endpoint));
  c.region = flags.count("--region") ? flags.at("--region") : env("AWS_REGION");
  if (c.region.empty()) c.region = env("AWS_DEFAULT_REGION");
  if (c.region.empty()) c.region = "us-east-1";
  c.credentials.access_key_id = env("AWS_ACCESS_KEY_ID");
  c.credentials.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  c.credentials.session_token = env("AWS_SESSION_TOKEN");
  if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the server prints them)");
  }
  return c;
}

Result<int64_t> ParseTime(const std::string& text) {
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(seconds)) {
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) rest = strptime(text.c_str(), "%Y-%m-%d %H:%M:%S", &tm);
  if (rest == nullptr) {
    return Status::InvalidArgument("bad time \"" + text +
                                   "\": use 2026-11-29T06:50:00Z or epoch seconds");
  }
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (*rest == '.') {
    ++rest;
    int64_t scale = 100;
    while (*rest >= '0' && *rest <= '9') {
      ms += (*rest - '0') * scale;
      scale /= 10;
      ++rest;
    }
  }
  if (*rest == 'Z') ++rest;
  if (*rest != '\0') {
    return Status::InvalidArgument("bad time \"" + text + "\": only UTC (Z) is accepted");
  }
  return ms;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace osprey::cli
