// osprey records: Kinesis Data Streams from the command line.
//
//   osprey records put --stream S --data TEXT [--partition-key K] [--json]
//   osprey records tail --stream S [--from-start] [--limit N] [--base64] [--json]
//
// `tail` follows every open shard (ListShards, GetShardIterator LATEST, or
// TRIM_HORIZON with --from-start, then GetRecords in turn) and prints one
// line per record: shard, sequence number, data. Shards that appear while it
// runs (a split or merge) are read from their start, so nothing written to a
// child shard is missed; a closed shard is dropped once drained. It stops
// after --limit records, or never.
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli_util.h"
#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"

namespace osprey::cli {
namespace {

constexpr const char* kRecordsUsage =
    "usage: osprey records put --stream S --data TEXT [--partition-key K] [--json]\n"
    "       osprey records tail --stream S [--from-start] [--limit N] [--base64] [--json]\n"
    "common flags: --endpoint URL (or OSPREY_ENDPOINT) --region R; credentials from\n"
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.\n";

std::string RandomKey() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

int Put(const std::vector<std::string>& args) {
  auto parsed =
      ParseApiCommand(args, {"--stream", "--data", "--partition-key"}, {}, {"--stream", "--data"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  // Without a key, a random one spreads puts over the shards as the SDKs'
  // examples do.
  const std::string key = p.Has("--partition-key") ? p.flags["--partition-key"] : RandomKey();
  std::string body, raw;
  JsonWriter(&body)
      .BeginObject()
      .Key("StreamName")
      .String(p.flags["--stream"])
      .Key("Data")
      .String(base64::Encode(p.flags["--data"]))
      .Key("PartitionKey")
      .String(key)
      .EndObject();
  auto doc = CallApi(p.connection, client::KinesisCall("PutRecord"), body, &raw);
  if (!doc.ok()) return Report(doc.status(), kExitFailed);
  if (p.json) {
    std::printf("%s\n", raw.c_str());
  } else {
    std::printf("%s  %s\n", Text(*doc, "ShardId").c_str(), Text(*doc, "SequenceNumber").c_str());
  }
  return kExitOk;
}

Result<std::vector<std::string>> OpenShards(const ApiCommand& p) {
  std::vector<std::string> out;
  std::string token;
  do {
    std::string body;
    JsonWriter w(&body);
    w.BeginObject();
    if (token.empty()) {
      w.Key("StreamName").String(p.flags.at("--stream"));
    } else {
      w.Key("NextToken").String(token);
    }
    w.EndObject();
    OSPREY_ASSIGN_OR_RETURN(Value doc,
                            CallApi(p.connection, client::KinesisCall("ListShards"), body));
    if (const Value* shards = doc.Find("Shards");
        shards != nullptr && shards->type() == Value::Type::kArray) {
      for (const Value& s : shards->as_array()) out.push_back(Text(s, "ShardId"));
    }
    token = Text(doc, "NextToken");
  } while (!token.empty());
  return out;
}

Result<std::string> Iterator(const ApiCommand& p, const std::string& shard, bool from_start) {
  std::string body;
  JsonWriter(&body)
      .BeginObject()
      .Key("StreamName")
      .String(p.flags.at("--stream"))
      .Key("ShardId")
      .String(shard)
      .Key("ShardIteratorType")
      .String(from_start ? "TRIM_HORIZON" : "LATEST")
      .EndObject();
  OSPREY_ASSIGN_OR_RETURN(Value doc,
                          CallApi(p.connection, client::KinesisCall("GetShardIterator"), body));
  return Text(doc, "ShardIterator");
}

// One record as a line: JSON, or shard, sequence number and data.
void PrintRecord(const ApiCommand& p, const std::string& shard, const Value& record) {
  const std::string encoded = Text(record, "Data");
  if (p.json) {
    std::string line;
    JsonWriter(&line)
        .BeginObject()
        .Key("ShardId")
        .String(shard)
        .Key("SequenceNumber")
        .String(Text(record, "SequenceNumber"))
        .Key("PartitionKey")
        .String(Text(record, "PartitionKey"))
        .Key("ApproximateArrivalTimestamp")
        .Raw(Text(record, "ApproximateArrivalTimestamp").empty()
                 ? "null"
                 : Text(record, "ApproximateArrivalTimestamp"))
        .Key("Data")
        .String(encoded)
        .EndObject();
    std::printf("%s\n", line.c_str());
  } else {
    std::string data = encoded;
    if (!p.Has("--base64")) {
      data = base64::Decode(encoded).value_or("");
      // One line per record: line breaks in the data are shown escaped.
      std::string shown;
      for (char c : data) {
        if (c == '\n') {
          shown += "\\n";
        } else if (c == '\r') {
          shown += "\\r";
        } else {
          shown += c;
        }
      }
      data = shown;
    }
    std::printf("%s  %s  %s\n", shard.c_str(), Text(record, "SequenceNumber").c_str(),
                data.c_str());
  }
  std::fflush(stdout);
}

int Tail(const std::vector<std::string>& args) {
  auto parsed =
      ParseApiCommand(args, {"--stream", "--limit"}, {"--from-start", "--base64"}, {"--stream"});
  if (!parsed.ok()) return Report(parsed.status(), kExitUsage);
  ApiCommand& p = *parsed;
  long long limit = -1;
  if (p.Has("--limit")) {
    char* end = nullptr;
    limit = std::strtoll(p.flags["--limit"].c_str(), &end, 10);
    if (*end != '\0' || limit <= 0) {
      return Report(Status::InvalidArgument("--limit needs a whole number > 0"), kExitUsage);
    }
  }
  std::map<std::string, std::string> iterators;  // shard -> next iterator ("" when closed)
  auto refresh = [&](bool from_start) -> Status {
    OSPREY_ASSIGN_OR_RETURN(auto shards, OpenShards(p));
    for (const std::string& shard : shards) {
      if (iterators.count(shard)) continue;
      OSPREY_ASSIGN_OR_RETURN(iterators[shard], Iterator(p, shard, from_start));
    }
    return Status::Ok();
  };
  if (Status s = refresh(p.Has("--from-start")); !s.ok()) return Report(s, kExitFailed);
  std::fprintf(stderr, "osprey: following %zu shard(s) of %s\n", iterators.size(),
               p.flags["--stream"].c_str());
  long long printed = 0;
  auto last_refresh = std::chrono::steady_clock::now();
  while (limit < 0 || printed < limit) {
    bool any = false;
    for (auto& [shard, iterator] : iterators) {
      if (iterator.empty() || (limit >= 0 && printed >= limit)) continue;
      std::string body;
      JsonWriter(&body).BeginObject().Key("ShardIterator").String(iterator).EndObject();
      auto doc = CallApi(p.connection, client::KinesisCall("GetRecords"), body);
      if (!doc.ok()) {
        // Throttling is the server asking us to slow down, not a failure.
        if (doc.status().message().rfind("ProvisionedThroughputExceeded", 0) == 0) continue;
        return Report(doc.status(), kExitFailed);
      }
      if (const Value* records = doc->Find("Records");
          records != nullptr && records->type() == Value::Type::kArray) {
        for (const Value& r : records->as_array()) {
          if (limit >= 0 && printed >= limit) break;
          PrintRecord(p, shard, r);
          ++printed;
          any = true;
        }
      }
      iterator = Text(*doc, "NextShardIterator");
    }
    if (std::chrono::steady_clock::now() - last_refresh > std::chrono::seconds(5)) {
      // Children of a reshard are read from their first record.
      if (Status s = refresh(true); !s.ok()) return Report(s, kExitFailed);
      last_refresh = std::chrono::steady_clock::now();
    }
    if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return kExitOk;
}

}  // namespace

int RecordsCommand(const std::vector<std::string>& args) {
  const bool help = !args.empty() && (args[0] == "--help" || args[0] == "help");
  for (const std::string& a : args) {
    if (a == "--help" || help) {
      std::fputs(kRecordsUsage, stdout);
      return kExitOk;
    }
  }
  if (args.empty()) {
    std::fputs(kRecordsUsage, stderr);
    return kExitUsage;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "put") return Put(rest);
  if (args[0] == "tail") return Tail(rest);
  Report(Status::InvalidArgument("unknown records command \"" + args[0] + "\""), kExitUsage);
  std::fputs(kRecordsUsage, stderr);
  return kExitUsage;
}

}  // namespace osprey::cli
