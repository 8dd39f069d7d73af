#include "delivery_worker.h"

#include <algorithm>
#include <random>
#include <thread>

#include "error_record.h"
#include "http_delivery.h"
#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "osprey/firehose/compression.h"
#include "osprey/firehose/naming.h"
#include "osprey/firehose/record_id.h"

namespace osprey::firehose {
namespace {

constexpr std::string_view kS3Failed = "s3-failed";  // Osprey: destination retries exhausted
// Backlog parallelism: at most this many batches are cut at once, holding at
// most this many uncompressed bytes together (a 128 MiB buffer: one batch).
constexpr uint64_t kMaxParallelBatches = 4;
constexpr uint64_t kParallelBufferBytes = 64ull << 20;

std::string S3Code(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound: return "S3.NoSuchBucket";
    case Status::Code::kPermissionDenied: return "S3.AccessDenied";
    default: return "S3.InternalError";
  }
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

bool DeliveryWorker::BufferFull() const {
  // An HTTP endpoint request carries at most 10 000 records (spec 6).
  return buffer_bytes_ >= BufferLimit() || (config_.http && buffer_.size() >= kMaxHttpRecords);
}

size_t DeliveryWorker::ParallelBatches() const {
  // HTTP endpoint batches are posted one by one and are small: no gain.
  if (config_.http) return 1;
  // Bounded in memory: each batch holds up to SizeInMBs uncompressed.
  const uint64_t by_memory = std::max<uint64_t>(1, kParallelBufferBytes / BufferLimit());
  const uint64_t cores = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<size_t>(std::min<uint64_t>({by_memory, cores, kMaxParallelBatches}));
}

void DeliveryWorker::Fill() {
  // Several reads when records are small: one read stops at 10 000 records,
  // which would otherwise leave a buffer of small records short of its size
  // until the next poll.
  while (!BufferFull()) {
    streams::ReadLimits limits;
    limits.max_bytes = static_cast<size_t>(BufferLimit() - buffer_bytes_);
    if (config_.http) limits.max_records = kMaxHttpRecords - buffer_.size();
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
    // Empty: the log has nothing more now. Otherwise read again even when
    // this read stopped short of the limit (its next record did not fit):
    // that record, which straddles the size, completes the buffer now
    // rather than at the next poll.
    if (read->records.empty()) return;
  }
}

void DeliveryWorker::Step(int64_t now_ms, bool force) {
  if (!batches_.empty()) {
    if (now_ms >= batches_.front()->next_attempt_ms) DeliverCut(now_ms);
    if (!batches_.empty()) return;
  }
  Fill();
  if (buffer_.empty()) return;
  bool due = force || BufferFull() || now_ms - buffer_.front().arrival_ms >= IntervalMs();
  if (!due) return;
  batches_.push_back(CutBatch(now_ms));
  // A backlog: more full batches are waiting in the log; cut them too, so
  // their compression runs in parallel. Only full ones: a partial buffer
  // keeps waiting for its size or interval. Not when forced: Reconfigure()
  // flushes only the open buffer under the old settings.
  if (!force) {
    const size_t parallel = ParallelBatches();
    while (batches_.size() < parallel) {
      Fill();
      if (!BufferFull()) break;
      batches_.push_back(CutBatch(now_ms));
    }
  }
  CompressCut();
  DeliverCut(now_ms);
  // Refill at once so that NextDeadline() can tell a backlog (a full buffer
  // waiting) from an idle log: the stream's thread then steps again without
  // sleeping.
  if (batches_.empty() && !force) Fill();
}

void DeliveryWorker::DeliverCut(int64_t now_ms) {
  while (!batches_.empty() && TryDeliver(now_ms)) {
  }
}

void DeliveryWorker::Reconfigure(WorkerConfig config, int64_t now_ms) {
  Step(now_ms, /*force=*/true);
  config_ = std::move(config);
}

int64_t DeliveryWorker::NextDeadline() const {
  if (!batches_.empty()) return batches_.front()->next_attempt_ms;
  if (!buffer_.empty() && BufferFull()) return 0;  // a backlog: due now
  if (!buffer_.empty()) return buffer_.front().arrival_ms + IntervalMs();
  return INT64_MAX;
}

bool DeliveryWorker::TryHttp(int64_t now_ms) {
  Batch& b = *batches_.front();
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
    body += ErrorRecordJson(rec, b.http_attempts, out.error_code, out.error_message, now_ms, "",
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
  err.compressed = true;
  log::Error("firehose", "endpoint retries exhausted; records go to the error output",
             {{"stream", config_.stream_name}, {"key", err.key}, {"error", out.error_code}});
  b.objects.push_back(std::move(err));
  b.http_pending = false;
  return true;
}

bool DeliveryWorker::TryDeliver(int64_t now_ms) {
  Batch& b = *batches_.front();
  const S3Destination& d = config_.destination;
  if (b.http_pending && !TryHttp(now_ms)) return false;
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
          body += ErrorRecordJson(b.records[r], b.attempts, S3Code(st), st.message(), now_ms, "");
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
      err.compressed = true;
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
    return false;
  }
  Status st = PersistCheckpoint(b.end_index);
  if (!st.ok()) {
    log::Error("firehose", "checkpoint write failed", {{"error", st.ToString()}});
    b.next_attempt_ms = now_ms + options_->retry_initial_ms;
    return false;
  }
  stats_.checkpoint = b.end_index;
  batches_.pop_front();
  return true;
}

Status DeliveryWorker::PersistCheckpoint(uint64_t index) {
  return WriteFileAtomically(checkpoint_path_, std::to_string(index) + "\n");
}

}  // namespace osprey::firehose
