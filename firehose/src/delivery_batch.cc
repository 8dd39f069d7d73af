// DeliveryWorker, cutting and compressing batches (delivery_worker.h): the
// buffer becomes one batch of named objects (processors, grouping by
// evaluated prefix, error-output objects); CompressCut() then compresses
// every cut batch's objects, several batches in parallel during a backlog.
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "delivery_worker.h"
#include "error_record.h"
#include "http_delivery.h"
#include "osprey/base/logging.h"
#include "osprey/firehose/compression.h"
#include "osprey/firehose/naming.h"
#include "osprey/firehose/record_id.h"

namespace osprey::firehose {
namespace {

struct ErrorLine {
  size_t record;  // index into the batch's records
  std::string type;
  std::string json;
};

}  // namespace

void DeliveryWorker::CompressCut() {
  std::vector<Object*> todo;
  for (auto& b : batches_) {
    for (Object& o : b->objects) {
      if (!o.compressed) todo.push_back(&o);
    }
  }
  const Compression compression = config_.destination.compression;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < todo.size();) {
      Object& o = *todo[i];
      auto packed = Compress(compression, o.body, o.entry);
      if (packed.ok()) {
        o.body = std::move(*packed);
      } else {
        // Delivered uncompressed rather than not at all (as before).
        log::Error("firehose", "compression failed", {{"error", packed.status().ToString()}});
      }
      o.compressed = true;
    }
  };
  std::vector<std::thread> helpers;
  const size_t threads = std::min(todo.size(), ParallelBatches());
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
}

std::unique_ptr<DeliveryWorker::Batch> DeliveryWorker::CutBatch(int64_t now_ms) {
  auto batch = std::make_unique<Batch>();
  batch->records = std::move(buffer_);
  buffer_.clear();
  buffer_bytes_ = 0;
  batch->end_index = batch->records.back().sequence_index + 1;
  const S3Destination& d = config_.destination;
  const int64_t oldest = batch->records.front().arrival_ms;

  S3Destination processing;
  processing.processors = config_.http ? config_.http->processors : d.processors;
  // Without processors the records go out unchanged: they are not copied
  // into the ProcessedRecords; data_of() reads them from the batch instead.
  const bool raw = processing.processors.empty();
  ProcessResult processed;
  if (raw) {
    processed.ok.reserve(batch->records.size());
    for (size_t i = 0; i < batch->records.size(); ++i) processed.ok.push_back(ProcessedRecord{i, {}, {}, {}});
  } else {
    std::vector<SourceRecord> src;
    src.reserve(batch->records.size());
    for (const streams::Record& r : batch->records) {
      src.push_back(SourceRecord{EncodeRecordId(config_.incarnation, r.sequence_index), r.arrival_ms, r.data});
    }
    ProcessContext ctx{config_.stream_arn, config_.region, invoker_};
    processed = RunProcessors(processing, src, ctx);
  }
  auto data_of = [&](const ProcessedRecord& p) -> const std::string& {
    return raw ? batch->records[p.source].data : p.data;
  };

  std::vector<ErrorLine> errors;
  for (const FailedRecord& f : processed.failed) {
    errors.push_back(ErrorLine{f.source, f.output_type,
                               ErrorRecordJson(batch->records[f.source], f.attempts, f.error_code,
                                         f.error_message, now_ms, f.lambda_arn)});
  }

  if (config_.http) {
    // The endpoint gets the processed records; with AllData the raw ones
    // are also written to the S3 configuration under its normal prefix.
    std::vector<std::string> payload;
    for (ProcessedRecord& p : processed.ok) {
      batch->http_records.push_back(p.source);
      payload.push_back(raw ? data_of(p) : std::move(p.data));
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
                                 ErrorRecordJson(batch->records[p.source], 1, "DynamicPartitioning.PrefixEvaluationFailed",
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
    size_t size = 0;
    for (const ProcessedRecord* p : members) size += data_of(*p).size();
    body.reserve(size);
    Object obj;
    for (const ProcessedRecord* p : members) {
      body += data_of(*p);
      if (obj.records.empty() || obj.records.back() != p->source) obj.records.push_back(p->source);
    }
    obj.entry = ObjectSuffix(config_.stream_name, config_.version_id, now_ms, NewUuid(), "");
    obj.key = prefix + obj.entry + ext;
    obj.body = std::move(body);  // compressed by CompressCut()
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
    Object obj;
    obj.entry = ObjectSuffix(config_.stream_name, config_.version_id, now_ms, NewUuid(), "");
    obj.key = prefix + obj.entry + ext;
    obj.body = std::move(body);
    obj.error_output = true;
    batch->objects.push_back(std::move(obj));
  }
  batch->next_attempt_ms = now_ms;
  return batch;
}

}  // namespace osprey::firehose
