// EventPublisher: delivers event records to the configured outputs, a
// Kinesis data stream (PutRecords, partition key = the camera stream's name,
// so one camera's events stay in order on one shard) and a Firehose
// delivery stream (PutRecordBatch, one JSON line per record so the archive
// is JSON Lines).
//
// Delivery is at least once: records a call reports as failed
// (FailedRecordCount / FailedPutCount, throttling, a dropped connection) are
// retried with backoff until they succeed or Stop() is called. Each event
// carries a deterministic event_id (event.h) so a consumer can drop the
// duplicate a retry after a lost answer creates.
//
// Threading: Publish may be called from several stream threads at once
// (calls are independent); RequestStop from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"
#include "osprey/client/http_client.h"
#include "osprey/ml_hooks/config.h"

namespace osprey::ml_hooks::pipeline {

class EventPublisher {
 public:
  EventPublisher(client::Url url, auth::Credentials credentials, std::string region,
                 OutputConfig outputs);

  // With create_missing: creates the data stream (1 shard) and the delivery
  // stream (to arn:aws:s3:::<bucket>, prefix events/) when they do not
  // exist, and waits until the data stream is ACTIVE. Unavailable when the
  // server cannot be reached.
  Status EnsureOutputs();

  // Publishes `records` (one JSON object each) to every configured output.
  // Returns once all are accepted; Cancelled when stopped first.
  Status Publish(const std::string& partition_key, const std::vector<std::string>& records);

  void RequestStop() { stop_.store(true); }

  uint64_t published() const { return published_.load(); }
  uint64_t retries() const { return retries_.load(); }

 private:
  Result<client::JsonResponse> Call(const client::JsonCall& call, const std::string& body);
  Status PutRecords(const std::string& partition_key, const std::vector<std::string>& records);
  Status PutRecordBatch(const std::vector<std::string>& records);
  // Sleeps the backoff for `attempt`; false when stopping.
  bool Backoff(int attempt);

  const client::Url url_;
  const auth::Credentials credentials_;
  const std::string region_;
  const OutputConfig outputs_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> retries_{0};
};

}  // namespace osprey::ml_hooks::pipeline
