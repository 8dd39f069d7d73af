// Request bodies, response contents and the response-writing benchmarks of
// json_parse_bench: our JsonWriter against RapidJSON's Writer and
// nlohmann::json::dump (simdjson 3.0.1 has no writer).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "json_bench_data.h"
#include "osprey/base/json_writer.h"

namespace osprey::bench {

std::string RandomBase64(size_t raw_bytes, uint32_t seed) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(seed);
  std::string raw(raw_bytes, '\0');
  for (auto& c : raw) c = static_cast<char>(rng());
  std::string out;
  for (size_t i = 0; i < raw.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(raw[i]) << 16;
    if (i + 1 < raw.size()) v |= static_cast<uint8_t>(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) v |= static_cast<uint8_t>(raw[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < raw.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < raw.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

const RequestBodies& Bodies() {
  static const RequestBodies bodies = [] {
    RequestBodies b;
    b.put_record = R"({"StreamName":"cam-events","Data":")" + RandomBase64(200, 1) +
                   R"(","PartitionKey":"cam-01"})";
    // botocore sends members in shape order: Records before StreamName.
    std::string records;
    for (int i = 0; i < 100; ++i) {
      if (i) records += ',';
      records += R"({"Data":")" + RandomBase64(768, 100 + i) + R"(","PartitionKey":"cam-)" +
                 std::to_string(i % 16) + R"("})";
    }
    b.put_records = R"({"Records":[)" + records + R"(],"StreamName":"cam-events"})";
    b.describe_stream =
        R"({"StreamName":"cam-events","Limit":100,"ExclusiveStartShardId":"shardId-000000000001"})";
    return b;
  }();
  return bodies;
}

const ResponseData& Responses() {
  static const ResponseData data = [] {
    ResponseData d;
    d.stream_name = "cam-events";
    d.stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/cam-events";
    d.next_shard_iterator = RandomBase64(210, 7);
    std::mt19937_64 rng(3);
    for (int i = 0; i < 100; ++i) {
      ResponseRecord r;
      r.sequence_number = "4959033827149025660855969253836157109592157598913658";
      r.sequence_number += std::to_string(1000 + i);
      r.shard_id = "shardId-00000000000" + std::to_string(i % 4);
      r.partition_key = "cam-" + std::to_string(i % 16);
      r.data = RandomBase64(768, 500 + i);
      r.arrival_timestamp = 1700000000.123 + i * 0.001;
      d.records.push_back(std::move(r));
    }
    for (int s = 0; s < 4; ++s) d.shard_ids.push_back("shardId-00000000000" + std::to_string(s));
    d.hash_key_bounds = {"0", "85070591730234615865843651857942052863",
                         "170141183460469231731687303715884105727",
                         "255211775190703847597530955573826158591",
                         "340282366920938463463374607431768211455"};
    return d;
  }();
  return data;
}

namespace {

// ---- our JsonWriter -----------------------------------------------------------

std::string OspreyPutRecord(const ResponseData& d) {
  std::string out;
  JsonWriter w(&out);
  const ResponseRecord& r = d.records[0];
  w.BeginObject().Key("ShardId").String(r.shard_id).Key("SequenceNumber").String(r.sequence_number);
  w.Key("EncryptionType").String("NONE").EndObject();
  return out;
}

std::string OspreyPutRecords(const ResponseData& d) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("FailedRecordCount").Int64(0).Key("Records").BeginArray();
  for (const ResponseRecord& r : d.records) {
    w.BeginObject().Key("SequenceNumber").String(r.sequence_number);
    w.Key("ShardId").String(r.shard_id).EndObject();
  }
  w.EndArray().Key("EncryptionType").String("NONE").EndObject();
  return out;
}

std::string OspreyDescribeStream(const ResponseData& d) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("StreamDescription").BeginObject();
  w.Key("StreamName").String(d.stream_name).Key("StreamARN").String(d.stream_arn);
  w.Key("StreamStatus").String("ACTIVE");
  w.Key("StreamModeDetails").BeginObject().Key("StreamMode").String("PROVISIONED").EndObject();
  w.Key("Shards").BeginArray();
  for (size_t s = 0; s < d.shard_ids.size(); ++s) {
    w.BeginObject().Key("ShardId").String(d.shard_ids[s]);
    w.Key("HashKeyRange").BeginObject().Key("StartingHashKey").String(d.hash_key_bounds[s]);
    w.Key("EndingHashKey").String(d.hash_key_bounds[s + 1]).EndObject();
    w.Key("SequenceNumberRange").BeginObject();
    w.Key("StartingSequenceNumber").String(d.records[s].sequence_number).EndObject();
    w.EndObject();
  }
  w.EndArray().Key("HasMoreShards").Bool(false).Key("RetentionPeriodHours").Int64(24);
  w.Key("StreamCreationTimestamp").Double(d.records[0].arrival_timestamp);
  w.Key("EnhancedMonitoring").BeginArray().BeginObject().Key("ShardLevelMetrics");
  w.BeginArray().EndArray().EndObject().EndArray();
  w.Key("EncryptionType").String("NONE").EndObject().EndObject();
  return out;
}

std::string OspreyGetRecords(const ResponseData& d) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("Records").BeginArray();
  for (const ResponseRecord& r : d.records) {
    w.BeginObject().Key("SequenceNumber").String(r.sequence_number);
    w.Key("ApproximateArrivalTimestamp").Double(r.arrival_timestamp);
    w.Key("Data").String(r.data).Key("PartitionKey").String(r.partition_key).EndObject();
  }
  w.EndArray().Key("NextShardIterator").String(d.next_shard_iterator);
  w.Key("MillisBehindLatest").Int64(0).EndObject();
  return out;
}

// ---- RapidJSON Writer ---------------------------------------------------------

using RjWriter = rapidjson::Writer<rapidjson::StringBuffer>;
void RjStr(RjWriter& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
std::string RjFinish(const rapidjson::StringBuffer& sb) {
  return std::string(sb.GetString(), sb.GetSize());  // the HTTP layer wants a std::string
}

std::string RapidPutRecord(const ResponseData& d) {
  rapidjson::StringBuffer sb;
  RjWriter w(sb);
  const ResponseRecord& r = d.records[0];
  w.StartObject();
  w.Key("ShardId"); RjStr(w, r.shard_id);
  w.Key("SequenceNumber"); RjStr(w, r.sequence_number);
  w.Key("EncryptionType"); w.String("NONE");
  w.EndObject();
  return RjFinish(sb);
}

std::string RapidPutRecords(const ResponseData& d) {
  rapidjson::StringBuffer sb;
  RjWriter w(sb);
  w.StartObject();
  w.Key("FailedRecordCount"); w.Int64(0);
  w.Key("Records"); w.StartArray();
  for (const ResponseRecord& r : d.records) {
    w.StartObject();
    w.Key("SequenceNumber"); RjStr(w, r.sequence_number);
    w.Key("ShardId"); RjStr(w, r.shard_id);
    w.EndObject();
  }
  w.EndArray();
  w.Key("EncryptionType"); w.String("NONE");
  w.EndObject();
  return RjFinish(sb);
}

std::string RapidDescribeStream(const ResponseData& d) {
  rapidjson::StringBuffer sb;
  RjWriter w(sb);
  w.StartObject();
  w.Key("StreamDescription"); w.StartObject();
  w.Key("StreamName"); RjStr(w, d.stream_name);
  w.Key("StreamARN"); RjStr(w, d.stream_arn);
  w.Key("StreamStatus"); w.String("ACTIVE");
  w.Key("StreamModeDetails"); w.StartObject(); w.Key("StreamMode"); w.String("PROVISIONED"); w.EndObject();
  w.Key("Shards"); w.StartArray();
  for (size_t s = 0; s < d.shard_ids.size(); ++s) {
    w.StartObject();
    w.Key("ShardId"); RjStr(w, d.shard_ids[s]);
    w.Key("HashKeyRange"); w.StartObject();
    w.Key("StartingHashKey"); RjStr(w, d.hash_key_bounds[s]);
    w.Key("EndingHashKey"); RjStr(w, d.hash_key_bounds[s + 1]);
    w.EndObject();
    w.Key("SequenceNumberRange"); w.StartObject();
    w.Key("StartingSequenceNumber"); RjStr(w, d.records[s].sequence_number);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.Key("HasMoreShards"); w.Bool(false);
  w.Key("RetentionPeriodHours"); w.Int64(24);
  w.Key("StreamCreationTimestamp"); w.Double(d.records[0].arrival_timestamp);
  w.Key("EnhancedMonitoring"); w.StartArray(); w.StartObject();
  w.Key("ShardLevelMetrics"); w.StartArray(); w.EndArray();
  w.EndObject(); w.EndArray();
  w.Key("EncryptionType"); w.String("NONE");
  w.EndObject();
  w.EndObject();
  return RjFinish(sb);
}

std::string RapidGetRecords(const ResponseData& d) {
  rapidjson::StringBuffer sb;
  RjWriter w(sb);
  w.StartObject();
  w.Key("Records"); w.StartArray();
  for (const ResponseRecord& r : d.records) {
    w.StartObject();
    w.Key("SequenceNumber"); RjStr(w, r.sequence_number);
    w.Key("ApproximateArrivalTimestamp"); w.Double(r.arrival_timestamp);
    w.Key("Data"); RjStr(w, r.data);
    w.Key("PartitionKey"); RjStr(w, r.partition_key);
    w.EndObject();
  }
  w.EndArray();
  w.Key("NextShardIterator"); RjStr(w, d.next_shard_iterator);
  w.Key("MillisBehindLatest"); w.Int64(0);
  w.EndObject();
  return RjFinish(sb);
}

// ---- nlohmann::json ------------------------------------------------------------

using nlohmann::json;
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string NlohmannPutRecord(const ResponseData& d) {
  const ResponseRecord& r = d.records[0];
  json j = {{"ShardId", r.shard_id}, {"SequenceNumber", r.sequence_number},
            {"EncryptionType", "NONE"}};
  return Dump(j);
}

std::string NlohmannPutRecords(const ResponseData& d) {
  json records = json::array();
  for (const ResponseRecord& r : d.records) {
    records.push_back({{"SequenceNumber", r.sequence_number}, {"ShardId", r.shard_id}});
  }
  json j = {{"FailedRecordCount", 0}, {"Records", std::move(records)}, {"EncryptionType", "NONE"}};
  return Dump(j);
}

std::string NlohmannDescribeStream(const ResponseData& d) {
  json shards = json::array();
  for (size_t s = 0; s < d.shard_ids.size(); ++s) {
    shards.push_back(
        {{"ShardId", d.shard_ids[s]},
         {"HashKeyRange",
          {{"StartingHashKey", d.hash_key_bounds[s]}, {"EndingHashKey", d.hash_key_bounds[s + 1]}}},
         {"SequenceNumberRange", {{"StartingSequenceNumber", d.records[s].sequence_number}}}});
  }
  json desc = {{"StreamName", d.stream_name},
               {"StreamARN", d.stream_arn},
               {"StreamStatus", "ACTIVE"},
               {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}},
               {"Shards", std::move(shards)},
               {"HasMoreShards", false},
               {"RetentionPeriodHours", 24},
               {"StreamCreationTimestamp", d.records[0].arrival_timestamp},
               {"EnhancedMonitoring", json::array({{{"ShardLevelMetrics", json::array()}}})},
               {"EncryptionType", "NONE"}};
  return Dump(json{{"StreamDescription", std::move(desc)}});
}

std::string NlohmannGetRecords(const ResponseData& d) {
  json records = json::array();
  for (const ResponseRecord& r : d.records) {
    records.push_back({{"SequenceNumber", r.sequence_number},
                       {"ApproximateArrivalTimestamp", r.arrival_timestamp},
                       {"Data", r.data},
                       {"PartitionKey", r.partition_key}});
  }
  json j = {{"Records", std::move(records)},
            {"NextShardIterator", d.next_shard_iterator},
            {"MillisBehindLatest", 0}};
  return Dump(j);
}

// ---- registration ----------------------------------------------------------------

using WriteFn = std::string (*)(const ResponseData&);

void BM_Write(benchmark::State& state, WriteFn fn) {
  const ResponseData& d = Responses();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = fn(d);
    bytes += body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

struct WriteCase {
  const char* name;
  WriteFn osprey, rapidjson, nlohmann;
};

}  // namespace

void RegisterWriteBenchmarks() {
  static const WriteCase kCases[] = {
      {"PutRecord", OspreyPutRecord, RapidPutRecord, NlohmannPutRecord},
      {"PutRecords_100", OspreyPutRecords, RapidPutRecords, NlohmannPutRecords},
      {"DescribeStream_4shards", OspreyDescribeStream, RapidDescribeStream, NlohmannDescribeStream},
      {"GetRecords_100x1KiB", OspreyGetRecords, RapidGetRecords, NlohmannGetRecords},
  };
  const ResponseData& d = Responses();
  for (const WriteCase& c : kCases) {
    // All three must produce the same JSON value (key order aside).
    const json ours = json::parse(c.osprey(d));
    if (ours != json::parse(c.rapidjson(d)) || ours != json::parse(c.nlohmann(d))) {
      std::fprintf(stderr, "writers disagree on %s\n", c.name);
      std::abort();
    }
    const std::string prefix = std::string("write/") + c.name + "/";
    benchmark::RegisterBenchmark((prefix + "osprey").c_str(), BM_Write, c.osprey);
    benchmark::RegisterBenchmark((prefix + "rapidjson").c_str(), BM_Write, c.rapidjson);
    benchmark::RegisterBenchmark((prefix + "nlohmann").c_str(), BM_Write, c.nlohmann);
  }
}

}  // namespace osprey::bench
