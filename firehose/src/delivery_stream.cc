#include "delivery_stream.h"

#include <algorithm>
#include <chrono>

#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "osprey/firehose/record_id.h"
#include "osprey/streams/file_shard_log.h"

namespace osprey::firehose {

Result<std::unique_ptr<DeliveryStream>> DeliveryStream::Open(WorkerConfig config,
                                                             const std::string& dir,
                                                             const FirehoseOptions* options,
                                                             ObjectStore* store,
                                                             LambdaInvoker* invoker) {
  OSPREY_RETURN_IF_ERROR(MakeDirs(dir));
  std::unique_ptr<DeliveryStream> s(new DeliveryStream());
  s->options_ = options;
  s->incarnation_ = config.incarnation;
  streams::LogOptions log_options;
  log_options.clock = options->clock;
  // Firehose records are at most 1000 KiB; segments can stay small so that
  // delivered data is easy to reclaim later.
  log_options.segment_bytes = 16ull << 20;
  log_options.tail_cache_bytes = 4u << 20;
  OSPREY_ASSIGN_OR_RETURN(s->log_, streams::OpenFileShardLog(dir + "/log", log_options));
  OSPREY_ASSIGN_OR_RETURN(s->worker_, DeliveryWorker::Open(std::move(config), s->log_.get(), store,
                                                           invoker, dir + "/checkpoint", options));
  if (options->start_workers) s->thread_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

DeliveryStream::~DeliveryStream() { (void)Close(); }

int64_t DeliveryStream::Now() const { return options_->clock(); }

void DeliveryStream::Put(std::vector<std::string> records, FirehoseEngine::PutCallback done) {
  std::shared_lock lock(close_mu_);
  if (closed_) {
    done(Status::NotFound("delivery stream closed"));
    return;
  }
  std::vector<streams::RecordInput> inputs;
  inputs.reserve(records.size());
  for (std::string& r : records) inputs.push_back(streams::RecordInput{"", std::nullopt, std::move(r)});
  log_->AppendAsync(std::move(inputs), [this, done = std::move(done)](Result<streams::AppendResult> r) {
    if (!r.ok()) {
      done(r.status());
      return;
    }
    std::vector<std::string> ids;
    ids.reserve(r->last_index - r->first_index + 1);
    for (uint64_t i = r->first_index; i <= r->last_index; ++i) ids.push_back(EncodeRecordId(incarnation_, i));
    done(std::move(ids));
  });
}

void DeliveryStream::Reconfigure(WorkerConfig config) {
  if (!options_->start_workers) {
    std::lock_guard wl(worker_mu_);
    worker_->Reconfigure(std::move(config), Now());
    return;
  }
  std::lock_guard lock(mu_);
  pending_ = std::move(config);
  cv_.notify_all();
}

void DeliveryStream::RunOnce() {
  std::lock_guard wl(worker_mu_);
  worker_->Step(Now());
}

DeliveryStats DeliveryStream::Stats() {
  std::lock_guard wl(worker_mu_);
  return worker_->stats();
}

void DeliveryStream::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    std::optional<WorkerConfig> config = std::move(pending_);
    pending_.reset();
    lock.unlock();
    int64_t deadline;
    {
      std::lock_guard wl(worker_mu_);
      if (config) worker_->Reconfigure(std::move(*config), Now());
      worker_->Step(Now());
      deadline = worker_->NextDeadline();
    }
    if (Now() >= next_retention_ms_) {
      next_retention_ms_ = Now() + 60'000;
      auto swept = log_->ApplyRetention(Now(), options_->log_retention_ms);
      if (!swept.ok()) {
        log::Warn("firehose", "log retention failed", {{"error", swept.status().ToString()}});
      }
    }
    lock.lock();
    if (stop_ || pending_) continue;
    int64_t until = deadline - Now();
    // Due now (a full buffer from a backlog, a retry or interval that has
    // come): step again without sleeping. Sleeping the poll interval after
    // every object held delivery to 1 MiB per ~150 ms (docs/firehose.md).
    if (until <= 0) continue;
    int64_t wait = std::min(options_->poll_interval_ms, until);
    cv_.wait_for(lock, std::chrono::milliseconds(wait));
  }
}

Status DeliveryStream::Close() {
  {
    std::unique_lock lock(close_mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  return log_->Close();
}

}  // namespace osprey::firehose
