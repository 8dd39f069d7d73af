// osprey video: the KVS control plane (list, create, describe, delete,
// retention) and `video get` (video_get.cc).
//
//   osprey video list [--json]
//   osprey video create --name S [--retention-hours H] [--json]
//   osprey video describe --stream S [--json]
//   osprey video delete --stream S
//   osprey video retention --stream S (--increase H | --decrease H)
//
// Tables for people by default; --json prints the server's answer as it came.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "cli_util.h"
#include "osprey/base/json_writer.h"

namespace osprey::cli {

int VideoGet(const std::vector<std::string>& args);
int VideoPut(const std::vector<std::string>& args);

namespace {

constexpr const char* kVideoUsage =
    "usage: osprey video list [--json]\n"
    "       osprey video create --name S [--retention-hours H] [--json]\n"
    "       osprey video describe --stream S [--json]\n"
    "       osprey video delete --stream S\n"
    "       osprey video retention --stream S (--increase H | --decrease H)\n"
    "       osprey video get --stream S --from T1 --to T2 -o out.mkv|out.mp4 [--quiet]\n"
    "       osprey video put FILE|rtsp://...|v4l2:/dev/videoN --stream S [--fragment-ms MS]\n"
    "common flags: --endpoint URL (or OSPREY_ENDPOINT) --region R; credentials from\n"
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Times: 2026-11-29T06:50:00Z or epoch seconds.\n";

std::string StreamRequest(const std::string& name) {
  std::string body;
  JsonWriter(&body).BeginObject().Key("StreamName").String(name).EndObject();
  return body;
}

std::vector<std::string> StreamRow(const Value& info) {
  return {Text(info, "StreamName"), Text(info, "Status"), Text(info, "DataRetentionInHours"),
          Text(info, "MediaType"), DisplayText(info, "CreationTime")};
}

const std::vector<std::string> kStreamHeader = {"NAME", "STATUS", "RETENTION_H", "MEDIA_TYPE",
                                                "CREATED"};

int List(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {}, {}, {});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  std::vector<std::vector<std::string>> rows = {kStreamHeader};
  std::string token;
  do {
    std::string body, raw;
    JsonWriter w(&body);
    w.BeginObject().Key("MaxResults").Int64(1000);
    if (!token.empty()) w.Key("NextToken").String(token);
    w.EndObject();
    auto doc = CallApi(p.connection, client::KvsCall("/listStreams"), body, &raw);
    if (!doc.ok()) return Report(doc.status(), kExitFailed);
    if (p.json) std::printf("%s\n", raw.c_str());
    if (const Value* list = doc->Find("StreamInfoList");
        list != nullptr && list->type() == Value::Type::kArray) {
      for (const Value& info : list->as_array()) rows.push_back(StreamRow(info));
    }
    token = Text(*doc, "NextToken");
  } while (!token.empty());
  if (!p.json) PrintTable(rows);
  return kExitOk;
}

int Create(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {"--name", "--retention-hours"}, {}, {"--name"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  std::string body, raw;
  JsonWriter w(&body);
  w.BeginObject().Key("StreamName").String(p.flags["--name"]);
  if (p.flags.count("--retention-hours")) {
    char* end = nullptr;
    const long long hours = std::strtoll(p.flags["--retention-hours"].c_str(), &end, 10);
    if (*end != '\0' || hours < 0) {
      return Report(Status::InvalidArgument("--retention-hours needs a whole number >= 0"),
                    kExitUsage);
    }
    w.Key("DataRetentionInHours").Int64(hours);
  }
  w.EndObject();
  auto doc = CallApi(p.connection, client::KvsCall("/createStream"), body, &raw);
  if (!doc.ok()) return Report(doc.status(), kExitFailed);
  std::printf("%s\n", p.json ? raw.c_str() : Text(*doc, "StreamARN").c_str());
  return kExitOk;
}

// DescribeStream's StreamInfo, or a failed status.
Result<Value> Describe(const ApiCommand& p, std::string* raw) {
  OSPREY_ASSIGN_OR_RETURN(Value doc, CallApi(p.connection, client::KvsCall("/describeStream"),
                                             StreamRequest(p.flags.at("--stream")), raw));
  const Value* info = doc.Find("StreamInfo");
  if (info == nullptr) return Status::Internal("DescribeStream: no StreamInfo in the answer");
  return *info;
}

int DescribeCommand(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {"--stream"}, {}, {"--stream"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  std::string raw;
  auto info = Describe(p, &raw);
  if (!info.ok()) return Report(info.status(), kExitFailed);
  if (p.json) {
    std::printf("%s\n", raw.c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : info->as_map()) {
    rows.push_back({key + ":", DisplayText(*info, key)});
  }
  PrintTable(rows);
  return kExitOk;
}

int Delete(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {"--stream"}, {}, {"--stream"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  // DeleteStream takes the ARN, which DescribeStream gives.
  auto info = Describe(p, nullptr);
  if (!info.ok()) return Report(info.status(), kExitFailed);
  std::string body;
  JsonWriter(&body).BeginObject().Key("StreamARN").String(Text(*info, "StreamARN")).EndObject();
  auto doc = CallApi(p.connection, client::KvsCall("/deleteStream"), body);
  if (!doc.ok()) return Report(doc.status(), kExitFailed);
  std::printf("deleted %s\n", p.flags["--stream"].c_str());
  return kExitOk;
}

int Retention(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {"--stream", "--increase", "--decrease"}, {}, {"--stream"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  const bool increase = p.flags.count("--increase") != 0;
  if (increase == (p.flags.count("--decrease") != 0)) {
    return Report(Status::InvalidArgument("give one of --increase H or --decrease H"), kExitUsage);
  }
  const std::string& text = p.flags[increase ? "--increase" : "--decrease"];
  char* end = nullptr;
  const long long hours = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || hours <= 0) {
    return Report(Status::InvalidArgument("hours must be a whole number > 0"), kExitUsage);
  }
  // UpdateDataRetention is conditional on the stream's current version.
  auto info = Describe(p, nullptr);
  if (!info.ok()) return Report(info.status(), kExitFailed);
  std::string body;
  JsonWriter(&body)
      .BeginObject()
      .Key("StreamName")
      .String(p.flags["--stream"])
      .Key("CurrentVersion")
      .String(Text(*info, "Version"))
      .Key("Operation")
      .String(increase ? "INCREASE_DATA_RETENTION" : "DECREASE_DATA_RETENTION")
      .Key("DataRetentionChangeInHours")
      .Int64(hours)
      .EndObject();
  auto doc = CallApi(p.connection, client::KvsCall("/updateDataRetention"), body);
  if (!doc.ok()) return Report(doc.status(), kExitFailed);
  auto after = Describe(p, nullptr);
  if (!after.ok()) return Report(after.status(), kExitFailed);
  std::printf("%s retention %s hours\n", p.flags["--stream"].c_str(),
              Text(*after, "DataRetentionInHours").c_str());
  return kExitOk;
}

}  // namespace

int VideoCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fputs(kVideoUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const std::string& a : rest) {
    if (a == "--help") {
      std::fputs(kVideoUsage, stdout);
      return kExitOk;
    }
  }
  if (args[0] == "list") return List(rest);
  if (args[0] == "create") return Create(rest);
  if (args[0] == "describe") return DescribeCommand(rest);
  if (args[0] == "delete") return Delete(rest);
  if (args[0] == "retention") return Retention(rest);
  if (args[0] == "get") return VideoGet(rest);
  if (args[0] == "put") return VideoPut(rest);
  Report(Status::InvalidArgument("unknown video command \"" + args[0] + "\""), kExitUsage);
  std::fputs(kVideoUsage, stderr);
  return kExitUsage;
}

}  // namespace osprey::cli
