// SubscribeToShard (spec data-streams-api.md section 7): enhanced fan-out
// over one long response of event-stream messages, on HTTP/1.1 (chunks) or
// HTTP/2 (DATA frames) alike through the Exchange interface.
//
// A Subscriptions object owns every live subscription and one pump thread.
// The pump wakes every kPollInterval, and for each subscription whose last
// event has been written (backpressure: one event in flight at a time) reads
// what is new in its shard (served from the shard log's in-memory tail) and
// writes it as one SubscribeToShardEvent. Records are thus coalesced over at
// most one interval; an idle subscription gets an empty event every 5 s; a
// subscription ends after 300 s, at shard end (final event with ChildShards
// and no ContinuationSequenceNumber), when a newer subscription of the same
// consumer and shard takes over (ResourceInUseException exception frame),
// when its stream or consumer goes away (ResourceNotFoundException), or at
// server shutdown.
//
// Why polling rather than a notification from the shard log: the log has no
// subscriber hook yet; the interval (kPollInterval) bounds the added
// latency. Documented in docs/data-streams.md.
//
// Thread safety: Start() may be called from any thread; the pump thread
// drives everything else. The destructor ends every subscription.
#pragma once

#include <chrono>
#include <memory>

#include "kinesis/kinesis_routes.h"
#include "osprey/server/http.h"

namespace osprey::server::kinesis {

class Subscriptions {
 public:
  static constexpr std::chrono::milliseconds kPollInterval{5};

  explicit Subscriptions(KinesisContext* ctx);
  ~Subscriptions();
  Subscriptions(const Subscriptions&) = delete;
  Subscriptions& operator=(const Subscriptions&) = delete;

  // Handles one SubscribeToShard request (the body was read and verified).
  void Start(std::shared_ptr<Exchange> exchange);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace osprey::server::kinesis
