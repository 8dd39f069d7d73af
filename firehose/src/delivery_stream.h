// DeliveryStream: one delivery stream's durable log and its delivery worker
// thread.
//
// Threading: Put, Reconfigure, Stats and RunOnce may be called from any
// thread; Close once, after which Put answers NotFound. With
// options.start_workers the worker thread runs DeliveryWorker::Step every
// poll_interval_ms (sooner when a deadline is due, at once while a backlog
// keeps its buffer full); otherwise only RunOnce
// drives it. worker_mu_ serialises every use of the DeliveryWorker.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "delivery_worker.h"
#include "osprey/firehose/engine.h"
#include "osprey/streams/shard_log.h"

namespace osprey::firehose {

class DeliveryStream {
 public:
  // Opens (or creates) {dir}/log and {dir}/checkpoint and starts the worker.
  static Result<std::unique_ptr<DeliveryStream>> Open(WorkerConfig config, const std::string& dir,
                                                      const FirehoseOptions* options,
                                                      ObjectStore* store, LambdaInvoker* invoker);
  ~DeliveryStream();

  void Put(std::vector<std::string> records, FirehoseEngine::PutCallback done);
  // Applied by the worker before its next step.
  void Reconfigure(WorkerConfig config);
  void RunOnce();
  DeliveryStats Stats();
  Status Close();
  // The durable record log, for a KinesisReader feeding it. Valid until
  // Close; the reader must be closed first.
  streams::ShardLog* log() const { return log_.get(); }

 private:
  DeliveryStream() = default;
  void Loop();
  int64_t Now() const;

  const FirehoseOptions* options_ = nullptr;
  std::string incarnation_;
  std::unique_ptr<streams::ShardLog> log_;

  std::shared_mutex close_mu_;  // shared: Put; exclusive: Close
  bool closed_ = false;         // guarded by close_mu_

  std::mutex worker_mu_;
  std::unique_ptr<DeliveryWorker> worker_;  // guarded by worker_mu_

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                        // guarded by mu_
  std::optional<WorkerConfig> pending_;      // guarded by mu_
  int64_t next_retention_ms_ = 0;            // worker thread only
  std::thread thread_;
};

}  // namespace osprey::firehose
