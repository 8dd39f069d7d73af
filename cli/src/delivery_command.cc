// osprey delivery: Firehose delivery streams from the command line.
//
//   osprey delivery list [--json]
//   osprey delivery describe --stream S [--json]
//   osprey delivery put --stream S --data TEXT [--newline] [--json]
//
// `put` sends one record (PutRecord); --newline appends "\n", which most
// destinations want between records because Firehose concatenates them.
#include <cstdio>
#include <string>
#include <vector>

#include "cli_util.h"
#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"

namespace osprey::cli {
namespace {

constexpr const char* kDeliveryUsage =
    "usage: osprey delivery list [--json]\n"
    "       osprey delivery describe --stream S [--json]\n"
    "       osprey delivery put --stream S --data TEXT [--newline] [--json]\n"
    "common flags: --endpoint URL (or OSPREY_ENDPOINT) --region R; credentials from\n"
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.\n";

int List(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {}, {}, {});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  std::vector<std::string> names;
  std::string after;
  bool more = true;
  while (more) {
    std::string body, raw;
    JsonWriter w(&body);
    w.BeginObject().Key("Limit").Int64(1000);
    if (!after.empty()) w.Key("ExclusiveStartDeliveryStreamName").String(after);
    w.EndObject();
    auto doc = CallApi(p.connection, client::FirehoseCall("ListDeliveryStreams"), body, &raw);
    if (!doc.ok()) return Report(doc.status(), kExitFailed);
    if (p.json) std::printf("%s\n", raw.c_str());
    const Value* list = doc->Find("DeliveryStreamNames");
    size_t got = 0;
    if (list != nullptr && list->type() == Value::Type::kArray) {
      for (const Value& name : list->as_array()) {
        if (name.type() != Value::Type::kString) continue;
        names.push_back(name.as_string());
        after = name.as_string();
        ++got;
      }
    }
    more = Text(*doc, "HasMoreDeliveryStreams") == "true" && got > 0;
  }
  if (!p.json) {
    for (const std::string& name : names) std::printf("%s\n", name.c_str());
  }
  return kExitOk;
}

int Describe(const std::vector<std::string>& args) {
  auto parsed = ParseApiCommand(args, {"--stream"}, {}, {"--stream"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  std::string body, raw;
  JsonWriter(&body).BeginObject().Key("DeliveryStreamName").String(p.flags["--stream"]).EndObject();
  auto doc = CallApi(p.connection, client::FirehoseCall("DescribeDeliveryStream"), body, &raw);
  if (!doc.ok()) return Report(doc.status(), kExitFailed);
  if (p.json) {
    std::printf("%s\n", raw.c_str());
    return kExitOk;
  }
  const Value* d = doc->Find("DeliveryStreamDescription");
  if (d == nullptr || d->type() != Value::Type::kMap) {
    return Report(Status::Internal("DescribeDeliveryStream: no DeliveryStreamDescription"),
                  kExitFailed);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : d->as_map()) {
    // Nested members (destinations, encryption) are summarised; --json has them all.
    if (value.type() == Value::Type::kArray) {
      rows.push_back({key + ":", std::to_string(value.as_array().size()) + " entries"});
    } else if (value.type() == Value::Type::kMap) {
      rows.push_back({key + ":", "{...}"});
    } else {
      rows.push_back({key + ":", DisplayText(*d, key)});
    }
  }
  if (const Value* dests = d->Find("Destinations");
      dests != nullptr && dests->type() == Value::Type::kArray) {
    for (const Value& dest : dests->as_array()) {
      for (const auto& [key, value] : dest.as_map()) {
        if (key == "DestinationId") continue;
        std::string where;
        if (value.type() == Value::Type::kMap) {
          where = Text(value, "BucketARN");
          if (where.empty()) where = Text(value, "Prefix");
        }
        rows.push_back({"  " + Text(dest, "DestinationId") + ":", key + " " + where});
      }
    }
  }
  PrintTable(rows);
  return kExitOk;
}

int Put(const std::vector<std::string>& args) {
  auto parsed =
      ParseApiCommand(args, {"--stream", "--data"}, {"--newline"}, {"--stream", "--data"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  std::string data = p.flags["--data"];
  if (p.Has("--newline")) data += '\n';
  std::string body, raw;
  JsonWriter(&body)
      .BeginObject()
      .Key("DeliveryStreamName")
      .String(p.flags["--stream"])
      .Key("Record")
      .BeginObject()
      .Key("Data")
      .String(base64::Encode(data))
      .EndObject()
      .EndObject();
  auto doc = CallApi(p.connection, client::FirehoseCall("PutRecord"), body, &raw);
  if (!doc.ok()) return Report(doc.status(), kExitFailed);
  std::printf("%s\n", p.json ? raw.c_str() : Text(*doc, "RecordId").c_str());
  return kExitOk;
}

}  // namespace

int DeliveryCommand(const std::vector<std::string>& args) {
  const bool help = !args.empty() && (args[0] == "--help" || args[0] == "help");
  for (const std::string& a : args) {
    if (a == "--help" || help) {
      std::fputs(kDeliveryUsage, stdout);
      return kExitOk;
    }
  }
  if (args.empty()) {
    std::fputs(kDeliveryUsage, stderr);
    return kExitUsage;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "list") return List(rest);
  if (args[0] == "describe") return Describe(rest);
  if (args[0] == "put") return Put(rest);
  Report(Status::InvalidArgument("unknown delivery command \"" + args[0] + "\""), kExitUsage);
  std::fputs(kDeliveryUsage, stderr);
  return kExitUsage;
}

}  // namespace osprey::cli
