// SubscribeToShard (spec data-streams-api.md section 7): enhanced fan-out
// over one long response of event-stream messages, on HTTP/1.1 (chunks) or
// HTTP/2 (DATA frames) alike through the Exchange interface.
//
// A Subscriptions object owns every live subscription and one pump thread.
// The pump wakes when a PutRecord(s) has been acknowledged (Notify(), called
// by the put actions) or an event write has completed, and at the latest
// every kPollInterval; for each subscription whose last event has been
// written (backpressure: one event in flight at a time) it reads what is new
// in its shard (served from the shard log's in-memory tail) and writes it as
// one SubscribeToShardEvent. Records that arrive while an event is in flight
// are coalesced into the next one; an idle subscription gets an empty event
// every 5 s; a
// subscription ends after 300 s, at shard end (final event with ChildShards
// and no ContinuationSequenceNumber), when a newer subscription of the same
// consumer and shard takes over (ResourceInUseException exception frame),
// when its stream or consumer goes away (ResourceNotFoundException), or at
// server shutdown.
//
// Why the put actions notify rather than the shard log: every write to a
// data stream goes through them (the API is the only producer), and the
// shard log stays free of subscriber hooks. The tick remains for idle
// events, lifetimes and shard ends (docs/data-streams.md).
//
// Thread safety: Start() and Notify() may be called from any thread; the
// pump thread drives everything else. The destructor ends every
// subscription.
#pragma once

#include <chrono>
#include <functional>
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

  // New records may be readable: a function that wakes the pump now instead
  // of at its next tick. Cheap when nobody subscribes (one atomic load);
  // callable from any thread, also after this object is destroyed (then it
  // does nothing), so put callbacks that outlive the server's routes are safe.
  std::function<void()> Notifier() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace osprey::server::kinesis
