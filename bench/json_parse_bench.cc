// json_parse_bench: which JSON library should parse Kinesis request bodies,
// and is our own JsonWriter fast enough for responses? (docs/json.md has the
// decision, docs/benchmarks.md the recorded figures.)
//
// Every parser extracts the fields a handler reads into the same structs of
// string_views (not just validating), in any key order, ignoring unknown
// keys. Views point into the parser's document, which lives until the next
// parse, as it would for the duration of a handler.
//
// Run: build/bin/json_parse_bench   (writes bench/results/json_parse.json)
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>
#include <simdjson.h>

#include "json_bench_data.h"
#include "support/bench_report.h"

namespace osprey::bench {
namespace {

struct PutRecordRequest {
  std::string_view stream_name, data, partition_key, explicit_hash_key;
};
struct RecordEntry {
  std::string_view data, partition_key, explicit_hash_key;
};
struct PutRecordsRequest {
  std::string_view stream_name;
  std::vector<RecordEntry> records;
};
struct DescribeStreamRequest {
  std::string_view stream_name, exclusive_start_shard_id;
  int64_t limit = 0;
};

// A request body as the HTTP layer would hold it: simdjson reads up to 64
// bytes past the end, so the server allocates bodies with that slack anyway
// (no copy); the others read the same bytes.
struct Body {
  explicit Body(const std::string& s) : text(s), padded(s) {}
  std::string text;
  simdjson::padded_string padded;
};

// ---- simdjson on-demand ---------------------------------------------------

class SimdjsonOndemand {
 public:
  bool Parse(const Body& b, PutRecordRequest* r) {
    namespace od = simdjson::ondemand;
    od::object obj;
    if (parser_.iterate(b.padded).get(doc_) || doc_.get_object().get(obj)) return false;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      simdjson::error_code e = simdjson::SUCCESS;
      if (key == "StreamName") e = field.value().get_string().get(r->stream_name);
      else if (key == "Data") e = field.value().get_string().get(r->data);
      else if (key == "PartitionKey") e = field.value().get_string().get(r->partition_key);
      else if (key == "ExplicitHashKey") e = field.value().get_string().get(r->explicit_hash_key);
      if (e) return false;
    }
    return AtEnd();
  }
  bool Parse(const Body& b, PutRecordsRequest* r) {
    namespace od = simdjson::ondemand;
    od::object obj;
    if (parser_.iterate(b.padded).get(doc_) || doc_.get_object().get(obj)) return false;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (key == "StreamName") {
        if (field.value().get_string().get(r->stream_name)) return false;
      } else if (key == "Records") {
        od::array records;
        if (field.value().get_array().get(records)) return false;
        for (auto element : records) {
          od::object rec;
          if (element.get_object().get(rec)) return false;
          RecordEntry& e = r->records.emplace_back();
          for (auto f : rec) {
            std::string_view k;
            if (f.unescaped_key().get(k)) return false;
            simdjson::error_code err = simdjson::SUCCESS;
            if (k == "Data") err = f.value().get_string().get(e.data);
            else if (k == "PartitionKey") err = f.value().get_string().get(e.partition_key);
            else if (k == "ExplicitHashKey") err = f.value().get_string().get(e.explicit_hash_key);
            if (err) return false;
          }
        }
      }
    }
    return AtEnd();
  }
  bool Parse(const Body& b, DescribeStreamRequest* r) {
    simdjson::ondemand::object obj;
    if (parser_.iterate(b.padded).get(doc_) || doc_.get_object().get(obj)) return false;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      simdjson::error_code e = simdjson::SUCCESS;
      if (key == "StreamName") e = field.value().get_string().get(r->stream_name);
      else if (key == "Limit") e = field.value().get_int64().get(r->limit);
      else if (key == "ExclusiveStartShardId") e = field.value().get_string().get(r->exclusive_start_shard_id);
      if (e) return false;
    }
    return AtEnd();
  }

 private:
  // After the whole object was consumed, nothing may follow it. simdjson
  // 3.0.1 has no document::at_end(); current_location() reports the end as
  // OUT_OF_BOUNDS.
  bool AtEnd() { return doc_.current_location().error() == simdjson::OUT_OF_BOUNDS; }

  simdjson::ondemand::parser parser_;  // reused: its buffers are the arena
  simdjson::ondemand::document doc_;
};

// ---- simdjson DOM -----------------------------------------------------------

class SimdjsonDom {
 public:
  bool Parse(const Body& b, PutRecordRequest* r) {
    simdjson::dom::object obj;
    if (parser_.parse(b.padded).get(obj)) return false;
    for (auto [key, value] : obj) {
      simdjson::error_code e = simdjson::SUCCESS;
      if (key == "StreamName") e = value.get_string().get(r->stream_name);
      else if (key == "Data") e = value.get_string().get(r->data);
      else if (key == "PartitionKey") e = value.get_string().get(r->partition_key);
      else if (key == "ExplicitHashKey") e = value.get_string().get(r->explicit_hash_key);
      if (e) return false;
    }
    return true;
  }
  bool Parse(const Body& b, PutRecordsRequest* r) {
    simdjson::dom::object obj;
    if (parser_.parse(b.padded).get(obj)) return false;
    for (auto [key, value] : obj) {
      if (key == "StreamName") {
        if (value.get_string().get(r->stream_name)) return false;
      } else if (key == "Records") {
        simdjson::dom::array records;
        if (value.get_array().get(records)) return false;
        for (simdjson::dom::element element : records) {
          simdjson::dom::object rec;
          if (element.get_object().get(rec)) return false;
          RecordEntry& e = r->records.emplace_back();
          for (auto [k, v] : rec) {
            simdjson::error_code err = simdjson::SUCCESS;
            if (k == "Data") err = v.get_string().get(e.data);
            else if (k == "PartitionKey") err = v.get_string().get(e.partition_key);
            else if (k == "ExplicitHashKey") err = v.get_string().get(e.explicit_hash_key);
            if (err) return false;
          }
        }
      }
    }
    return true;
  }
  bool Parse(const Body& b, DescribeStreamRequest* r) {
    simdjson::dom::object obj;
    if (parser_.parse(b.padded).get(obj)) return false;
    for (auto [key, value] : obj) {
      simdjson::error_code e = simdjson::SUCCESS;
      if (key == "StreamName") e = value.get_string().get(r->stream_name);
      else if (key == "Limit") e = value.get_int64().get(r->limit);
      else if (key == "ExclusiveStartShardId") e = value.get_string().get(r->exclusive_start_shard_id);
      if (e) return false;
    }
    return true;
  }

 private:
  simdjson::dom::parser parser_;
};

// ---- RapidJSON --------------------------------------------------------------

// A fresh Document per request, as a handler would (a reused Document's
// pool allocator never shrinks). UTF-8 validation is on, as simdjson and
// nlohmann always validate.
class RapidJson {
 public:
  bool Parse(const Body& b, PutRecordRequest* r) {
    const rapidjson::Document& d = Load(b);
    if (d.HasParseError() || !d.IsObject()) return false;
    for (const auto& m : d.GetObject()) {
      const std::string_view key = View(m.name);
      if (key == "StreamName") { if (!Str(m.value, &r->stream_name)) return false; }
      else if (key == "Data") { if (!Str(m.value, &r->data)) return false; }
      else if (key == "PartitionKey") { if (!Str(m.value, &r->partition_key)) return false; }
      else if (key == "ExplicitHashKey") { if (!Str(m.value, &r->explicit_hash_key)) return false; }
    }
    return true;
  }
  bool Parse(const Body& b, PutRecordsRequest* r) {
    const rapidjson::Document& d = Load(b);
    if (d.HasParseError() || !d.IsObject()) return false;
    for (const auto& m : d.GetObject()) {
      const std::string_view key = View(m.name);
      if (key == "StreamName") {
        if (!Str(m.value, &r->stream_name)) return false;
      } else if (key == "Records") {
        if (!m.value.IsArray()) return false;
        for (const auto& rec : m.value.GetArray()) {
          if (!rec.IsObject()) return false;
          RecordEntry& e = r->records.emplace_back();
          for (const auto& f : rec.GetObject()) {
            const std::string_view k = View(f.name);
            if (k == "Data") { if (!Str(f.value, &e.data)) return false; }
            else if (k == "PartitionKey") { if (!Str(f.value, &e.partition_key)) return false; }
            else if (k == "ExplicitHashKey") { if (!Str(f.value, &e.explicit_hash_key)) return false; }
          }
        }
      }
    }
    return true;
  }
  bool Parse(const Body& b, DescribeStreamRequest* r) {
    const rapidjson::Document& d = Load(b);
    if (d.HasParseError() || !d.IsObject()) return false;
    for (const auto& m : d.GetObject()) {
      const std::string_view key = View(m.name);
      if (key == "StreamName") { if (!Str(m.value, &r->stream_name)) return false; }
      else if (key == "ExclusiveStartShardId") { if (!Str(m.value, &r->exclusive_start_shard_id)) return false; }
      else if (key == "Limit") {
        if (!m.value.IsInt64()) return false;
        r->limit = m.value.GetInt64();
      }
    }
    return true;
  }

 private:
  const rapidjson::Document& Load(const Body& b) {
    doc_.emplace();
    doc_->Parse<rapidjson::kParseValidateEncodingFlag>(b.text.data(), b.text.size());
    return *doc_;
  }
  static std::string_view View(const rapidjson::Value& v) {
    return {v.GetString(), v.GetStringLength()};
  }
  static bool Str(const rapidjson::Value& v, std::string_view* out) {
    if (!v.IsString()) return false;
    *out = View(v);
    return true;
  }
  std::optional<rapidjson::Document> doc_;
};

// ---- nlohmann::json ---------------------------------------------------------

class Nlohmann {
 public:
  bool Parse(const Body& b, PutRecordRequest* r) {
    if (!Load(b)) return false;
    for (auto it = doc_.cbegin(); it != doc_.cend(); ++it) {
      const std::string& key = it.key();
      if (key == "StreamName") { if (!Str(*it, &r->stream_name)) return false; }
      else if (key == "Data") { if (!Str(*it, &r->data)) return false; }
      else if (key == "PartitionKey") { if (!Str(*it, &r->partition_key)) return false; }
      else if (key == "ExplicitHashKey") { if (!Str(*it, &r->explicit_hash_key)) return false; }
    }
    return true;
  }
  bool Parse(const Body& b, PutRecordsRequest* r) {
    if (!Load(b)) return false;
    for (auto it = doc_.cbegin(); it != doc_.cend(); ++it) {
      const std::string& key = it.key();
      if (key == "StreamName") {
        if (!Str(*it, &r->stream_name)) return false;
      } else if (key == "Records") {
        if (!it->is_array()) return false;
        for (const auto& rec : *it) {
          if (!rec.is_object()) return false;
          RecordEntry& e = r->records.emplace_back();
          for (auto f = rec.cbegin(); f != rec.cend(); ++f) {
            const std::string& k = f.key();
            if (k == "Data") { if (!Str(*f, &e.data)) return false; }
            else if (k == "PartitionKey") { if (!Str(*f, &e.partition_key)) return false; }
            else if (k == "ExplicitHashKey") { if (!Str(*f, &e.explicit_hash_key)) return false; }
          }
        }
      }
    }
    return true;
  }
  bool Parse(const Body& b, DescribeStreamRequest* r) {
    if (!Load(b)) return false;
    for (auto it = doc_.cbegin(); it != doc_.cend(); ++it) {
      const std::string& key = it.key();
      if (key == "StreamName") { if (!Str(*it, &r->stream_name)) return false; }
      else if (key == "ExclusiveStartShardId") { if (!Str(*it, &r->exclusive_start_shard_id)) return false; }
      else if (key == "Limit") {
        if (!it->is_number_integer()) return false;
        r->limit = it->get<int64_t>();
      }
    }
    return true;
  }

 private:
  bool Load(const Body& b) {
    doc_ = nlohmann::json::parse(b.text.begin(), b.text.end(), nullptr, /*allow_exceptions=*/false);
    return !doc_.is_discarded() && doc_.is_object();
  }
  static bool Str(const nlohmann::json& v, std::string_view* out) {
    const auto* s = v.get_ptr<const std::string*>();
    if (s == nullptr) return false;
    *out = *s;
    return true;
  }
  nlohmann::json doc_;
};

// ---- harness ----------------------------------------------------------------

size_t Checksum(const PutRecordRequest& r) {
  return r.stream_name.size() + r.data.size() + r.partition_key.size();
}
size_t Checksum(const PutRecordsRequest& r) {
  size_t n = r.stream_name.size();
  for (const auto& e : r.records) n += e.data.size() + e.partition_key.size();
  return n;
}
size_t Checksum(const DescribeStreamRequest& r) {
  return r.stream_name.size() + r.exclusive_start_shard_id.size() + static_cast<size_t>(r.limit);
}

template <typename Request>
void Reset(Request* r) { *r = Request{}; }
void Reset(PutRecordsRequest* r) {
  r->stream_name = {};
  r->records.clear();  // keeps capacity, as a per-thread scratch vector would
}

template <typename Parser, typename Request>
void BM_Parse(benchmark::State& state, const std::string* text, size_t expected) {
  const Body body(*text);
  Parser parser;
  Request request;
  for (auto _ : state) {
    Reset(&request);
    if (!parser.Parse(body, &request)) {
      state.SkipWithError("parse failed");
      break;
    }
    size_t sum = Checksum(request);
    benchmark::DoNotOptimize(sum);
    if (sum != expected) {
      state.SkipWithError("extracted fields differ");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text->size()));
}

template <typename Request>
size_t Expected(const std::string& text) {
  SimdjsonDom parser;  // reference: the others must extract the same bytes
  Request r;
  if (!parser.Parse(Body(text), &r)) {
    std::fprintf(stderr, "reference parse failed\n");
    std::abort();
  }
  return Checksum(r);
}

template <typename Parser>
void RegisterParser(const char* name) {
  const RequestBodies& b = Bodies();
  const std::string prefix = "parse/";
  benchmark::RegisterBenchmark((prefix + "PutRecord/" + name).c_str(),
                               BM_Parse<Parser, PutRecordRequest>, &b.put_record,
                               Expected<PutRecordRequest>(b.put_record));
  benchmark::RegisterBenchmark((prefix + "PutRecords_100x1KiB/" + name).c_str(),
                               BM_Parse<Parser, PutRecordsRequest>, &b.put_records,
                               Expected<PutRecordsRequest>(b.put_records));
  benchmark::RegisterBenchmark((prefix + "DescribeStream/" + name).c_str(),
                               BM_Parse<Parser, DescribeStreamRequest>, &b.describe_stream,
                               Expected<DescribeStreamRequest>(b.describe_stream));
}

}  // namespace
}  // namespace osprey::bench

int main(int argc, char** argv) {
  using namespace osprey::bench;
  RegisterParser<SimdjsonOndemand>("simdjson_ondemand");
  RegisterParser<SimdjsonDom>("simdjson_dom");
  RegisterParser<RapidJson>("rapidjson");
  RegisterParser<Nlohmann>("nlohmann");
  RegisterWriteBenchmarks();

  ReportOptions options;
  options.name = "json_parse";
  options.columns = {"osprey", "simdjson_ondemand", "simdjson_dom", "rapidjson", "nlohmann"};
  const std::string kernel = simdjson::get_active_implementation()->name();
  options.notes = {
      "parse: body sizes PutRecord " + std::to_string(Bodies().put_record.size()) +
          " B, PutRecords " + std::to_string(Bodies().put_records.size()) +
          " B, DescribeStream " + std::to_string(Bodies().describe_stream.size()) +
          " B; every parser extracts the handler's fields, rapidjson with UTF-8 validation.",
      "simdjson runtime kernel: " + kernel + " (on-demand string/number code is inlined "
          "and uses the compile-time kernel, fallback without -march).",
      "write: osprey = our JsonWriter; rapidjson = Writer<StringBuffer> + copy to std::string; "
          "nlohmann = build json + dump(replace invalid UTF-8); simdjson 3.0.1 has no writer.",
  };
  options.context = {{"simdjson", std::to_string(simdjson::SIMDJSON_VERSION_MAJOR) + "." +
                                      std::to_string(simdjson::SIMDJSON_VERSION_MINOR) + "." +
                                      std::to_string(simdjson::SIMDJSON_VERSION_REVISION)},
                     {"simdjson_kernel", kernel},
                     {"rapidjson", RAPIDJSON_VERSION_STRING},
                     {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                                           std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                                           std::to_string(NLOHMANN_JSON_VERSION_PATCH)}};
  return RunBenchmarksAndReport(argc, argv, options);
}
