// Helpers shared by the firehose engine tests: temp dirs, a manual clock,
// destination documents, synchronous puts and reading delivered objects.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "osprey/base/value.h"
#include "osprey/firehose/engine.h"

namespace osprey::firehose::testing {

inline std::string MakeTempDir(const std::string& tag) {
  std::string tmpl = (std::filesystem::temp_directory_path() / ("osprey-fh-" + tag + "-XXXXXX")).string();
  char* made = ::mkdtemp(tmpl.data());
  return made ? std::string(made) : std::string();
}

struct ManualClock {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1714568862000);
  std::function<int64_t()> Fn() const {
    auto p = now;
    return [p] { return p->load(); };
  }
  void Advance(int64_t ms) { *now += ms; }
};

// Options of an engine under `dir` on `clock`: streams ACTIVE at once, the
// delivery workers stepped by the test.
inline FirehoseOptions ManualOptions(const std::string& dir, const ManualClock& clock) {
  FirehoseOptions o;
  o.root_dir = dir + "/firehose";
  o.s3_root = dir + "/s3";
  o.clock = clock.Fn();
  o.create_delay_ms = 0;
  o.start_workers = false;
  return o;
}

struct DestSpec {
  std::string bucket = "bucket";
  std::string prefix;
  std::optional<std::string> error_prefix;
  int64_t size_mb = 5;
  int64_t interval_s = 300;
  std::string compression = "UNCOMPRESSED";
  std::vector<Value> processors;  // Processor documents
  bool dynamic_partitioning = false;
  std::optional<int64_t> retry_s;
};

inline Value Processor(const std::string& type, std::vector<std::pair<std::string, std::string>> params) {
  Value::Array list;
  for (auto& [k, v] : params) {
    list.push_back(Value::MakeMap({{"ParameterName", Value::String(k)}, {"ParameterValue", Value::String(v)}}));
  }
  return Value::MakeMap({{"Type", Value::String(type)}, {"Parameters", Value::MakeArray(std::move(list))}});
}

inline Value Dest(const DestSpec& s) {
  Value::Map m{
      {"RoleARN", Value::String("arn:aws:iam::000000000000:role/osprey")},
      {"BucketARN", Value::String("arn:aws:s3:::" + s.bucket)},
      {"Prefix", Value::String(s.prefix)},
      {"BufferingHints", Value::MakeMap({{"SizeInMBs", Value::Int(s.size_mb)},
                                         {"IntervalInSeconds", Value::Int(s.interval_s)}})},
      {"CompressionFormat", Value::String(s.compression)},
  };
  if (s.error_prefix) m.emplace_back("ErrorOutputPrefix", Value::String(*s.error_prefix));
  if (!s.processors.empty()) {
    m.emplace_back("ProcessingConfiguration",
                   Value::MakeMap({{"Enabled", Value::Bool(true)},
                                   {"Processors", Value::MakeArray(s.processors)}}));
  }
  if (s.dynamic_partitioning || s.retry_s) {
    Value::Map dp{{"Enabled", Value::Bool(s.dynamic_partitioning)}};
    if (s.retry_s) dp.emplace_back("RetryOptions", Value::MakeMap({{"DurationInSeconds", Value::Int(*s.retry_s)}}));
    m.emplace_back("DynamicPartitioningConfiguration", Value::MakeMap(std::move(dp)));
  }
  return Value::MakeMap(std::move(m));
}

inline CreateRequest S3Create(const std::string& name, const DestSpec& spec) {
  CreateRequest r;
  r.name = name;
  r.destination_kind = std::string(kExtendedS3);
  r.destination = Dest(spec);
  return r;
}

inline Result<std::vector<std::string>> PutSync(FirehoseEngine* e, const std::string& name,
                                                std::vector<std::string> records) {
  auto promise = std::make_shared<std::promise<Result<std::vector<std::string>>>>();
  auto future = promise->get_future();
  e->PutRecordsAsync(name, std::move(records),
                     [promise](Result<std::vector<std::string>> r) { promise->set_value(std::move(r)); });
  return future.get();
}

// Every regular file below `dir` (relative path -> content), temp files excluded.
inline std::map<std::string, std::string> ReadTree(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = std::filesystem::relative(entry.path(), dir).string();
    if (rel.find(".tmp-") != std::string::npos) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out[rel] = ss.str();
  }
  return out;
}

}  // namespace osprey::firehose::testing
