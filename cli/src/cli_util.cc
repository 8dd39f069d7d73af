#include "cli_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <ctime>

#include "aws_profile.h"
#include "osprey/base/json_value.h"
#include "osprey/base/json_writer.h"
#include "osprey/client/list_fragments.h"

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

Result<Connection> ConnectionFromFlags(const std::map<std::string, std::string>& flags,
                                       bool require_credentials) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  auto flag = [&](const char* name) -> std::string {
    auto it = flags.find(name);
    return it == flags.end() ? "" : it->second;
  };
  // A profile of the AWS CLI's files: --profile (which wins over the key
  // variables, as in the AWS CLI), else AWS_PROFILE, else [default] when
  // there is one and no keys are in the environment.
  const bool explicit_profile = !flag("--profile").empty();
  std::string profile_name = explicit_profile ? flag("--profile") : env("AWS_PROFILE");
  const bool env_keys = !env("AWS_ACCESS_KEY_ID").empty();
  AwsProfile profile;
  if (!profile_name.empty() && (explicit_profile || !env_keys)) {
    OSPREY_ASSIGN_OR_RETURN(profile, LoadAwsProfile(profile_name));
  } else if (profile_name.empty() && !env_keys) {
    auto fallback = LoadAwsProfile("default");
    if (fallback.ok()) profile = std::move(*fallback);
    else if (fallback.status().code() != Status::Code::kNotFound) return fallback.status();
  }
  std::string endpoint = flag("--endpoint");
  if (endpoint.empty()) endpoint = env("OSPREY_ENDPOINT");
  if (endpoint.empty()) endpoint = env("AWS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = profile.endpoint_url;
  if (endpoint.empty()) {
    return Status::InvalidArgument(
        "no server: give --endpoint http://host:port (or OSPREY_ENDPOINT, or endpoint_url in an "
        "AWS profile)");
  }
  Connection c;
  OSPREY_ASSIGN_OR_RETURN(c.url, client::ParseEndpoint(endpoint));
  // As the AWS CLI: --ca-bundle, else AWS_CA_BUNDLE, else the profile's
  // ca_bundle; https:// only.
  c.url.ca_file = flag("--ca-bundle");
  if (c.url.ca_file.empty()) c.url.ca_file = env("AWS_CA_BUNDLE");
  if (c.url.ca_file.empty()) c.url.ca_file = profile.ca_bundle;
  c.region = flag("--region");
  if (c.region.empty()) c.region = env("AWS_REGION");
  if (c.region.empty()) c.region = env("AWS_DEFAULT_REGION");
  if (c.region.empty()) c.region = profile.region;
  if (c.region.empty()) c.region = "us-east-1";
  if (!profile.credentials.access_key_id.empty() && (explicit_profile || !env_keys)) {
    c.credentials = profile.credentials;
  } else {
    c.credentials.access_key_id = env("AWS_ACCESS_KEY_ID");
    c.credentials.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    c.credentials.session_token = env("AWS_SESSION_TOKEN");
  }
  if (require_credentials &&
      (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty())) {
    return Status::InvalidArgument(
        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the server prints them) "
        "or give --profile NAME");
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

namespace osprey::cli {

int Report(const Status& status, int code) {
  std::string line = status.message().empty() ? status.ToString() : status.message();
  // One line, whatever the server put in its message.
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "osprey: %s\n", line.c_str());
  return code;
}

Result<Value> CallApi(const Connection& connection, const client::JsonCall& call,
                      const std::string& body, std::string* raw) {
  OSPREY_ASSIGN_OR_RETURN(auto r, client::PostJson(connection.url, call, body,
                                                   connection.credentials, connection.region,
                                                   std::chrono::milliseconds(30000)));
  if (r.status != 200) return client::ApiError(r);
  if (raw != nullptr) *raw = r.body;
  if (r.body.empty()) return Value::MakeMap();
  return ParseJson(r.body);
}

std::string Text(const Value& doc, std::string_view key) {
  const Value* v = doc.Find(key);
  if (v == nullptr) return "";
  switch (v->type()) {
    case Value::Type::kString: return v->as_string();
    case Value::Type::kInt:
    case Value::Type::kTimestamp: return std::to_string(v->as_int());
    case Value::Type::kDouble: {
      std::string out;
      AppendJsonDouble(&out, v->as_double());
      return out;
    }
    case Value::Type::kBool: return v->as_bool() ? "true" : "false";
    default: return "";
  }
}

Result<ApiCommand> ParseApiCommand(const std::vector<std::string>& args,
                                   std::vector<std::string> known,
                                   std::vector<std::string> switches,
                                   const std::vector<std::string>& required) {
  known.push_back("--endpoint");
  known.push_back("--region");
  known.push_back("--ca-bundle");
  known.push_back("--profile");
  switches.push_back("--json");
  ApiCommand out;
  OSPREY_ASSIGN_OR_RETURN(out.flags, ParseFlags(args, known, switches));
  for (const std::string& r : required) {
    if (!out.Has(r)) return Status::InvalidArgument(r + " is required");
  }
  OSPREY_ASSIGN_OR_RETURN(out.connection, ConnectionFromFlags(out.flags));
  out.json = out.Has("--json");
  return out;
}

std::string DisplayText(const Value& doc, std::string_view key) {
  const Value* v = doc.Find(key);
  const bool is_time = key.ends_with("Time") || key.ends_with("Timestamp");
  if (v == nullptr || !is_time ||
      (v->type() != Value::Type::kDouble && v->type() != Value::Type::kInt)) {
    return Text(doc, key);
  }
  const double seconds = v->type() == Value::Type::kDouble ? v->as_double()
                                                           : static_cast<double>(v->as_int());
  const int64_t ms = std::llround(seconds * 1000);
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler cannot bound
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace osprey::cli
