#include "delivery_worker.h"

#include <algorithm>
#include <map>
#include <random>

#include "http_delivery.h"
#include "osprey/base/base64.h"
#include "osprey/base/file_util.h"
#include "osprey/base/json_writer.h"
#include "osprey/base/logging.h"
#include "osprey/firehose/compression.h"
#include "osprey/firehose/naming.h"
#include "osprey/firehose/record_id.h"

namespace osprey::firehose {
namespace {

constexpr std::string_view kS3Failed = "s3-failed";  // Osprey: destination retries exhausted

std::string S3Code(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound: return "S3.NoSuchBucket";
    case Status::Code::kPermissionDenied: return "S3.AccessDenied";
    default: return "S3.InternalError";
  }
}

struct ErrorLine {
  size_t record;  // index into the batch's records
  std::string type;
  std::string json;
};

std::string ErrorJson(const streams::Record& r, int attempts, const std::string& code,
                      const std::string& message, int64_t now_ms, const std::string& lambda_arn,
                      const std::string& data_id = "") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("attemptsMade").Int64(attempts);
  w.Key("arrivalTimestamp").Int64(r.arrival_ms);
  w.Key("errorCode").String(code);
  w.Key("errorMessage").String(message);
  w.Key("attemptEndingTimestamp").Int64(now_ms);
  w.Key("rawData").String(base64::Encode(r.data));
  if (!lambda_arn.empty()) w.Key("lambdaArn").String(lambda_arn);
  if (!data_id.empty()) w.Key("subsequenceNumber").Int64(0).Key("dataId").String(data_id);
  w.EndObject();
  out += '\n';
  return out;
}

}  // namespace

Result<std::unique_ptr<DeliveryWorker>> DeliveryWorker::Open(
    WorkerConfig config, streams::ShardLog* log, ObjectStore* store, LambdaInvoker* invoker,
    std::string checkpoint_path, const FirehoseOptions* options) {
  uint64_t checkpoint = log->TrimHorizon();
  auto text = ReadFile(checkpoint_path);
  if (text.ok()) {
    checkpoint = std::max<uint64_t>(checkpoint, std::strtoull(text->c_str(), nullptr, 10));
  } else if (text.status().code() != Status::Code::kNotFound) {
    return text.status();
  }
  return std::unique_ptr<DeliveryWorker>(new DeliveryWorker(std::move(config), log, store, invoker,
                                                            std::move(checkpoint_path), options,
                                                            checkpoint));
}

DeliveryWorker::DeliveryWorker(WorkerConfig config, streams::ShardLog* log, ObjectStore* store,
                               LambdaInvoker* invoker, std::string checkpoint_path,
                               const FirehoseOptions* options, uint64_t checkpoint)
    : config_(std::move(config)), log_(log), store_(store), invoker_(invoker),
      checkpoint_path_(std::move(checkpoint_path)), options_(options), read_index_(checkpoint) {
  stats_.checkpoint = checkpoint;
}

uint64_t DeliveryWorker::BufferLimit() const {
  return config_.http ? config_.http->buffer_bytes : config_.destination.buffer_bytes;
}

int64_t DeliveryWorker::IntervalMs() const {
  return config_.http ? config_.http->interval_ms : config_.destination.interval_ms;
}

int64_t DeliveryWorker::Backoff(int attempts) const {
  int shift = std::min(attempts - 1, 20);
  int64_t backoff = std::min(options_->retry_initial_ms << shift, options_->retry_max_ms);
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<int64_t>(static_cast<double>(backoff) *
                              std::uniform_real_distribution<double>(0.85, 1.15)(rng));
}

void DeliveryWorker::Fill() {
  const uint64_t limit = BufferLimit();
  if (buffer_bytes_ >= limit) return;
  streams::ReadLimits limits;
  limits.max_bytes = static_cast<size_t>(limit - buffer_bytes_);
  auto read = log_->Read(read_index_, limits);
  if (!read.ok()) {
    log::Error("firehose", "reading the delivery log failed",
               {{"stream", config_.stream_name}, {"error", read.status().ToString()}});
    return;
  }
  for (streams::Record& r : read->records) {
    buffer_bytes_ += r.data.size();
    buffer_.push_back(std::move(r));
  }
  read_index_ = read->next_index;
}

void DeliveryWorker::Step(int64_t now_ms, bool force) {
  if (batch_) {
    if (now_ms >= batch_->next_attempt_ms) TryDeliver(now_ms);
    if (batch_) return;
  }
  Fill();
  if (buffer_.empty()) return;
  bool due = force || buffer_bytes_ >= BufferLimit() ||
             now_ms - buffer_.front().arrival_ms >= IntervalMs();
  if (!due) return;
  CutBatch(now_ms);
  TryDeliver(now_ms);
}

void DeliveryWorker::Reconfigure(WorkerConfig config, int64_t now_ms) {
  Step(now_ms, /*force=*/true);
  config_ = std::move(config);
}

int64_t DeliveryWorker::NextDeadline() const {
  if (batch_) return batch_->next_attempt_ms;
  if (!buffer_.empty()) return buffer_.front().arrival_ms + IntervalMs();
  return INT64_MAX;
}

void DeliveryWorker::CutBatch(int64_t now_ms) {
  auto batch = std::make_unique<Batch>();
  batch->records = std::move(buffer_);
  buffer_.clear();
  buffer_bytes_ = 0;
  batch->end_index = batch->records.back().sequence_index + 1;
  const S3Destination& d = config_.destination;
  const int64_t oldest = batch->records.front().arrival_ms;

  std::vector<SourceRecord> src;
  src.reserve(batch->records.size());
  for (const streams::Record& r : batch->records) {
    src.push_back(SourceRecord{EncodeRecordId(config_.incarnation, r.sequence_index), r.arrival_ms, r.data});
  }
  ProcessContext ctx{config_.stream_arn, config_.region, invoker_};
  S3Destination processing;
  processing.processors = config_.http ? config_.http->processors : d.processors;
  ProcessResult processed =
      processing.processors.empty() ? ProcessResult{} : RunProcessors(processing, src, ctx);
  if (processing.processors.empty()) {
    for (size_t i = 0; i < src.size(); ++i) processed.ok.push_back(ProcessedRecord{i, std::move(src[i].data), {}, {}});
  }

  std::vector<ErrorLine> errors;
  for (const FailedRecord& f : processed.failed) {
    errors.push_back(ErrorLine{f.source, f.output_type,
                               ErrorJson(batch->records[f.source], f.attempts, f.error_code,
                                         f.error_message, now_ms, f.lambda_arn)});
  }

  if (config_.http) {
    // The endpoint gets the processed records; with AllData the raw ones
    // are also written to the S3 configuration under its normal prefix.
    std::vector<std::string> payload;
    for (ProcessedRecord& p : processed.ok) {
      batch->http_records.push_back(p.source);
      payload.push_back(std::move(p.data));
    }
    processed.ok.clear();
    if (config_.http->backup_all) {
      for (size_t i = 0; i < batch->records.size(); ++i) {
        processed.ok.push_back(ProcessedRecord{i, batch->records[i].data, {}, {}});
      }
    }
    if (!payload.empty()) {
      batch->http_pending = true;
      batch->request_id = NewUuid();
      batch->http_body = BuildHttpRequestBody(payload, batch->request_id, now_ms, config_.http->gzip);
    }
  }
  // Group by evaluated prefix, keeping first-appearance order.
  std::vector<std::pair<std::string, std::vector<const ProcessedRecord*>>> groups;
  std::map<std::string, size_t> group_of;
  for (const ProcessedRecord& p : processed.ok) {
    PrefixContext pc{oldest, "", &p.query_keys, &p.lambda_keys};
    auto prefix = EvaluatePrefix(d.prefix, pc, !d.dynamic_partitioning);
    if (!prefix.ok()) {
      errors.push_back(ErrorLine{p.source, std::string(kPartitioningFailed),
                                 ErrorJson(batch->records[p.source], 1, "DynamicPartitioning.PrefixEvaluationFailed",
                                           prefix.status().message(), now_ms, "")});
      continue;
    }
    auto [it, inserted] = group_of.emplace(*prefix, groups.size());
    if (inserted) groups.emplace_back(*prefix, std::vector<const ProcessedRecord*>{});
    groups[it->second].second.push_back(&p);
  }
  const std::string ext = d.Extension();
  for (auto& [prefix, members] : groups) {
    std::string body;
    Object obj;
    for (const ProcessedRecord* p : members) {
      body += p->data;
      if (obj.records.empty() || obj.records.back() != p->source) obj.records.push_back(p->source);
    }
    std::string uuid = NewUuid();
    std::string base = ObjectSuffix(config_.stream_name, config_.version_id, now_ms, uuid, "");
    auto compressed = Compress(d.compression, body, base);
    if (!compressed.ok()) {
      log::Error("firehose", "compression failed", {{"error", compressed.status().ToString()}});
      compressed = body;
    }
    obj.key = prefix + base + ext;
    obj.body = std::move(*compressed);
    batch->objects.push_back(std::move(obj));
  }
  // Error objects, one per (error type, evaluated error prefix).
  std::vector<std::pair<std::string, std::string>> error_groups;  // key prefix -> body
  std::map<std::string, size_t> error_of;
  for (const ErrorLine& e : errors) {
    PrefixContext pc{oldest, e.type, nullptr, nullptr};
    auto prefix = EvaluateErrorPrefix(d.prefix, d.error_prefix, pc);
    std::string p = prefix.ok() ? *prefix : e.type + "/";
    auto [it, inserted] = error_of.emplace(p, error_groups.size());
    if (inserted) error_groups.emplace_back(p, "");
    error_groups[it->second].second += e.json;
  }
  for (auto& [prefix, body] : error_groups) {
    std::string base = ObjectSuffix(config_.stream_name, config_.version_id, now_ms, NewUuid(), "");
    auto compressed = Compress(d.compression, body, base);
    Object obj;
    obj.key = prefix + base + ext;
    obj.body = compressed.ok() ? std::move(*compressed) : body;
    obj.error_output = true;
    batch->objects.push_back(std::move(obj));
  }
  batch->next_attempt_ms = now_ms;
  batch_ = std::move(batch);
}

bool DeliveryWorker::TryHttp(int64_t now_ms) {
  Batch& b = *batch_;
  const HttpEndpointDestination& h = *config_.http;
  HttpOutcome out = PostToEndpoint(h, config_.stream_arn, b.request_id, b.http_body);
  ++b.http_attempts;
  if (out.delivered) {
    ++stats_.objects_written;
    b.http_pending = false;
    return true;
  }
  ++stats_.failed_attempts;
  if (out.permanent) {
    log::Error("firehose", "endpoint refused the batch as too large; dropped",
               {{"stream", config_.stream_name}, {"request_id", b.request_id}});
    b.http_pending = false;
    return true;
  }
  if (b.http_first_failure_ms == 0) b.http_first_failure_ms = now_ms;
  if (now_ms - b.http_first_failure_ms < h.retry_duration_ms) {
    int64_t backoff = Backoff(b.http_attempts);
    b.next_attempt_ms = now_ms + backoff;
    log::Warn("firehose", "endpoint delivery failed; will retry",
              {{"stream", config_.stream_name}, {"error", out.error_code + ": " + out.error_message},
               {"retry_in_ms", backoff}});
    return false;
  }
  // Retries exhausted: the batch goes to the S3 configuration's error output.
  std::string body;
  for (size_t r : b.http_records) {
    const streams::Record& rec = b.records[r];
    body += ErrorJson(rec, b.http_attempts, out.error_code, out.error_message, now_ms, "",
                      EncodeRecordId(config_.incarnation, rec.sequence_index) + ".0");
  }
  const S3Destination& d = config_.destination;
  PrefixContext pc{b.records.front().arrival_ms, kHttpEndpointFailed, nullptr, nullptr};
  auto prefix = EvaluateErrorPrefix(d.prefix, d.error_prefix, pc);
  std::string base = ObjectSuffix(config_.stream_name, config_.version_id, now_ms, NewUuid(), "");
  auto compressed = Compress(d.compression, body, base);
  Object err;
  err.key = (prefix.ok() ? *prefix : std::string(kHttpEndpointFailed) + "/") + base + d.Extension();
  err.body = compressed.ok() ? std::move(*compressed) : body;
  err.error_output = true;
  log::Error("firehose", "endpoint retries exhausted; records go to the error output",
             {{"stream", config_.stream_name}, {"key", err.key}, {"error", out.error_code}});
  b.objects.push_back(std::move(err));
  b.http_pending = false;
  return true;
}

void DeliveryWorker::TryDeliver(int64_t now_ms) {
  Batch& b = *batch_;
  const S3Destination& d = config_.destination;
  if (b.http_pending && !TryHttp(now_ms)) return;
  while (b.next_object < b.objects.size()) {
    Object& obj = b.objects[b.next_object];
    Status st = store_->Put(d.bucket, obj.key, obj.body);
    if (st.ok()) {
      ++(obj.error_output ? stats_.error_objects_written : stats_.objects_written);
      ++b.next_object;
      continue;
    }
    ++b.attempts;
    ++stats_.failed_attempts;
    if (b.first_failure_ms == 0) b.first_failure_ms = now_ms;
    b.last_error = st.ToString();
    int64_t duration = d.retry_duration_ms.value_or(options_->s3_retry_duration_ms);
    if (!obj.error_output && now_ms - b.first_failure_ms >= duration) {
      // Retries exhausted: the undelivered data objects become error output.
      std::string body;
      for (size_t i = b.next_object; i < b.objects.size(); ++i) {
        if (b.objects[i].error_output) continue;
        for (size_t r : b.objects[i].records) {
          body += ErrorJson(b.records[r], b.attempts, S3Code(st), st.message(), now_ms, "");
        }
      }
      std::vector<Object> rest;
      for (size_t i = b.next_object; i < b.objects.size(); ++i) {
        if (b.objects[i].error_output) rest.push_back(std::move(b.objects[i]));
      }
      PrefixContext pc{b.records.front().arrival_ms, kS3Failed, nullptr, nullptr};
      auto prefix = EvaluateErrorPrefix(d.prefix, d.error_prefix, pc);
      std::string base = ObjectSuffix(config_.stream_name, config_.version_id, now_ms, NewUuid(), "");
      auto compressed = Compress(d.compression, body, base);
      Object err;
      err.key = (prefix.ok() ? *prefix : std::string(kS3Failed) + "/") + base + d.Extension();
      err.body = compressed.ok() ? std::move(*compressed) : body;
      err.error_output = true;
      log::Error("firehose", "delivery retries exhausted; records go to the error output",
                 {{"stream", config_.stream_name}, {"error", st.ToString()}, {"key", err.key}});
      b.objects.resize(b.next_object);
      b.objects.push_back(std::move(err));
      for (Object& o : rest) b.objects.push_back(std::move(o));
      continue;
    }
    int64_t backoff = Backoff(b.attempts);
    b.next_attempt_ms = now_ms + backoff;
    log::Warn("firehose", "object write failed; will retry",
              {{"stream", config_.stream_name}, {"key", obj.key}, {"error", st.ToString()},
               {"retry_in_ms", backoff}});
    return;
  }
  Status st = PersistCheckpoint(b.end_index);
  if (!st.ok()) {
    log::Error("firehose", "checkpoint write failed", {{"error", st.ToString()}});
    b.next_attempt_ms = now_ms + options_->retry_initial_ms;
    return;
  }
  stats_.checkpoint = b.end_index;
  batch_.reset();
}

Status DeliveryWorker::PersistCheckpoint(uint64_t index) {
  return WriteFileAtomically(checkpoint_path_, std::to_string(index) + "\n");
}

}  // namespace osprey::firehose
