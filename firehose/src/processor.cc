// RunProcessors (processor.h): RecordDeAggregation -> Lambda ->
// MetadataExtraction -> AppendDelimiterToRecord, as spec 5.6 orders them.
#include "osprey/firehose/processor.h"

#include <cstdlib>
#include <set>

#include "json_value.h"
#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"
#include "osprey/firehose/naming.h"

namespace osprey::firehose {
namespace {

struct Work {
  size_t source;
  int64_t arrival_ms;
  std::string id;
  std::string data;
  std::map<std::string, std::string> query_keys;
  std::map<std::string, std::string> lambda_keys;
};

const Processor* Find(const S3Destination& d, std::string_view type) {
  for (const Processor& p : d.processors) {
    if (p.type == type) return &p;
  }
  return nullptr;
}

// Splits concatenated JSON objects ("{..}{..}" or "{..}\n{..}").
std::vector<std::string> SplitJson(const std::string& data) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = std::string::npos;
  for (size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && depth > 0 && --depth == 0) {
      out.push_back(data.substr(start, i - start + 1));
    }
  }
  if (out.empty()) out.push_back(data);
  return out;
}

std::vector<Work> DeAggregate(const Processor& p, std::vector<Work> in) {
  std::vector<Work> out;
  std::string type = p.Param("SubRecordType", "JSON");
  std::string delimiter = base64::Decode(p.Param("Delimiter")).value_or("\n");
  if (delimiter.empty()) delimiter = "\n";
  for (Work& w : in) {
    std::vector<std::string> parts;
    if (type == "DELIMITED") {
      size_t at = 0;
      while (at <= w.data.size()) {
        size_t next = w.data.find(delimiter, at);
        if (next == std::string::npos) next = w.data.size();
        if (next > at) parts.push_back(w.data.substr(at, next - at));
        at = next + delimiter.size();
      }
    } else {
      parts = SplitJson(w.data);
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      out.push_back(Work{w.source, w.arrival_ms, w.id + "." + std::to_string(i), std::move(parts[i]), {}, {}});
    }
  }
  return out;
}

std::string CodeOf(const Status& s) {
  const std::string& m = s.message();
  size_t colon = m.find(':');
  if (m.rfind("Lambda.", 0) == 0 && colon != std::string::npos) return m.substr(0, colon);
  return "Lambda.FunctionError";
}

// One invocation's outcome: OK with per-record results applied to `chunk`,
// or a whole-batch error to retry.
Status InvokeOnce(const Processor& p, const ProcessContext& ctx, std::vector<Work>* chunk,
                  std::vector<Work>* ok, std::vector<FailedRecord>* failed) {
  std::string event;
  JsonWriter w(&event);
  w.BeginObject();
  w.Key("invocationId").String(NewUuid());
  w.Key("deliveryStreamArn").String(ctx.delivery_stream_arn);
  w.Key("region").String(ctx.region);
  w.Key("records").BeginArray();
  for (const Work& r : *chunk) {
    w.BeginObject();
    w.Key("recordId").String(r.id);
    w.Key("approximateArrivalTimestamp").Int64(r.arrival_ms);
    w.Key("data").String(base64::Encode(r.data));
    w.EndObject();
  }
  w.EndArray().EndObject();
  if (ctx.invoker == nullptr) return Status::NotFound("Lambda.ResourceNotFound: no Lambda invoker");
  OSPREY_ASSIGN_OR_RETURN(std::string body, ctx.invoker->Invoke(p.Param("LambdaArn"), event));
  auto parsed = ParseJson(body);
  if (!parsed.ok() || parsed->type() != Value::Type::kMap) {
    return Status::InvalidArgument("Lambda.JsonProcessingException: response is not a JSON object");
  }
  const Value* records = parsed->Find("records");
  if (records == nullptr || records->type() != Value::Type::kArray) {
    return Status::InvalidArgument("Lambda.JsonProcessingException: response has no records array");
  }
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < chunk->size(); ++i) by_id[(*chunk)[i].id] = i;
  std::map<size_t, const Value*> results;
  for (const Value& r : records->as_array()) {
    if (r.type() != Value::Type::kMap) {
      return Status::InvalidArgument("Lambda.JsonProcessingException: record is not an object");
    }
    auto it = by_id.find(GetString(r, "recordId"));
    if (it == by_id.end()) {
      return Status::InvalidArgument("Lambda.MissingRecordId: unknown recordId in response");
    }
    if (!results.emplace(it->second, &r).second) {
      return Status::InvalidArgument("Lambda.DuplicatedRecordId: recordId repeated in response");
    }
  }
  if (results.size() != chunk->size()) {
    return Status::InvalidArgument("Lambda.MissingRecordId: a recordId is missing from the response");
  }
  std::vector<Work> new_ok;
  std::vector<FailedRecord> new_failed;
  for (auto& [i, r] : results) {
    Work& work = (*chunk)[i];
    std::string result = GetString(*r, "result");
    if (result == "Dropped") continue;
    if (result == "Ok") {
      auto data = base64::Decode(GetString(*r, "data"));
      if (!data) return Status::InvalidArgument("Lambda.JsonProcessingException: data is not base64");
      work.data = std::move(*data);
      if (const Value* md = r->Find("metadata"); md != nullptr && md->type() == Value::Type::kMap) {
        if (const Value* pk = md->Find("partitionKeys"); pk != nullptr && pk->type() == Value::Type::kMap) {
          for (const auto& [k, v] : pk->as_map()) {
            if (v.type() == Value::Type::kString) work.lambda_keys[k] = v.as_string();
          }
        }
      }
      new_ok.push_back(std::move(work));
    } else if (result == "ProcessingFailed") {
      new_failed.push_back(FailedRecord{work.source, std::string(kProcessingFailed), "Lambda.ProcessingFailed",
                                        "The Lambda function returned ProcessingFailed for this record.",
                                        1, p.Param("LambdaArn")});
    } else {
      return Status::InvalidArgument("Lambda.JsonProcessingException: unknown result '" + result + "'");
    }
  }
  for (Work& x : new_ok) ok->push_back(std::move(x));
  for (FailedRecord& f : new_failed) failed->push_back(std::move(f));
  return Status::Ok();
}

std::vector<Work> RunLambda(const Processor& p, const ProcessContext& ctx, std::vector<Work> in,
                            std::vector<FailedRecord>* failed) {
  int retries = std::atoi(p.Param("NumberOfRetries", "3").c_str());
  if (retries < 0) retries = 0;
  double mbs = std::atof(p.Param("BufferSizeInMBs", "1").c_str());
  size_t limit = mbs > 0 ? static_cast<size_t>(mbs * 1024 * 1024) : (1u << 20);
  std::vector<Work> ok;
  size_t at = 0;
  while (at < in.size()) {
    std::vector<Work> chunk;
    size_t bytes = 0;
    while (at < in.size() && (chunk.empty() || bytes + in[at].data.size() <= limit)) {
      bytes += in[at].data.size();
      chunk.push_back(in[at++]);
    }
    Status last;
    int attempts = 0;
    for (; attempts <= retries; ++attempts) {
      std::vector<Work> copy = chunk;
      last = InvokeOnce(p, ctx, &copy, &ok, failed);
      if (last.ok()) break;
    }
    if (!last.ok()) {
      for (const Work& x : chunk) {
        failed->push_back(FailedRecord{x.source, std::string(kProcessingFailed), CodeOf(last),
                                       last.message(), attempts, p.Param("LambdaArn")});
      }
    }
  }
  return ok;
}

}  // namespace

ProcessResult RunProcessors(const S3Destination& d, const std::vector<SourceRecord>& records,
                            const ProcessContext& ctx) {
  ProcessResult result;
  std::vector<Work> work;
  work.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) work.push_back(Work{i, records[i].arrival_ms, records[i].record_id, records[i].data, {}, {}});
  if (const Processor* p = Find(d, "RecordDeAggregation")) work = DeAggregate(*p, std::move(work));
  if (const Processor* p = Find(d, "Lambda")) work = RunLambda(*p, ctx, std::move(work), &result.failed);
  if (const Processor* p = Find(d, "MetadataExtraction")) {
    std::vector<Work> kept;
    for (Work& x : work) {
      auto keys = ExtractMetadata(p->Param("MetadataExtractionQuery"), x.data);
      if (!keys.ok()) {
        result.failed.push_back(FailedRecord{x.source, std::string(kPartitioningFailed),
                                             "DynamicPartitioning.MetadataExtractionFailed",
                                             keys.status().message(), 1, ""});
        continue;
      }
      x.query_keys = std::move(*keys);
      kept.push_back(std::move(x));
    }
    work = std::move(kept);
  }
  bool delimit = Find(d, "AppendDelimiterToRecord") != nullptr;
  for (Work& x : work) {
    if (delimit) x.data += '\n';
    result.ok.push_back(ProcessedRecord{x.source, std::move(x.data), std::move(x.query_keys),
                                        std::move(x.lambda_keys)});
  }
  return result;
}

}  // namespace osprey::firehose
