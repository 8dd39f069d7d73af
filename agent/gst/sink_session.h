// SinkSession: what osprey-agent does after capture, for the ospreysink
// GStreamer element: Fragmenter -> Spool -> Uplink (agent/README.md), plus
// the connection watch the element turns into bus messages. No GStreamer
// types here: the element (ospreysink.cc) converts caps and buffers into
// VideoFormat and AccessUnit and calls this class.
//
// Lifecycle: Open() opens (and recovers) the spool and starts the uplink, so
// a backlog left by an earlier run starts uploading before the first buffer.
// Close() (or the destructor) emits the open fragment into the spool and
// stops the uplink without waiting; what is not PERSISTED stays in the spool
// for the next run.
//
// Threading: OnFormat/OnAccessUnit/Drain/Close from one thread at a time
// (the element's streaming thread, or its state-change thread once
// streaming stopped). Interrupt() from any thread. The connection callback
// runs on an internal watch thread, never while a lock of this class is held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "osprey/agent/capture_source.h"
#include "osprey/agent/fragmenter.h"
#include "osprey/agent/spool.h"
#include "osprey/agent/spool_sink.h"
#include "osprey/agent/uplink.h"
#include "osprey/agent/uplink_transport.h"
#include "osprey/base/result.h"

namespace osprey::agent::sink {

struct SinkSessionOptions {
  HttpTransportOptions transport;  // endpoint, stream, region, credentials, retention
  UplinkKind uplink = UplinkKind::kAuto;  // chunked HTTP or WebSocket (uplink_transport.h)
  std::string ca_file;                    // https:// and wss://: CAs to trust instead of the system's
  SpoolOptions spool;
  int64_t fragment_ms = 2000;
  // How often the watch thread samples the uplink's counters.
  std::chrono::milliseconds watch_interval{100};
};

// A change of the upload's health, as the element reports it on the bus.
struct ConnectionEvent {
  enum class State { kLost, kRecovered };
  State state = State::kLost;
  std::string error;               // the first failure of this outage ("" on recovery)
  uint64_t backlog_fragments = 0;  // spooled, not yet PERSISTED
};
using ConnectionCallback = std::function<void(const ConnectionEvent&)>;

class SinkSession {
 public:
  // InvalidArgument: bad endpoint or options; IOError/Unavailable: the spool
  // cannot be opened (e.g. locked by another process).
  static Result<std::unique_ptr<SinkSession>> Open(SinkSessionOptions options,
                                                   ConnectionCallback on_connection);
  ~SinkSession();

  void OnFormat(const VideoFormat& format);
  void OnAccessUnit(AccessUnit unit);

  // EOS: emits the open fragment into the spool, then waits up to `timeout`
  // until every spooled fragment is PERSISTED (or skipped as rejected).
  // True when drained; false on timeout or Interrupt().
  bool Drain(std::chrono::milliseconds timeout);
  // Makes a Drain() in progress (and later ones, until Interrupt(false))
  // return at once: GstBaseSink's unlock/unlock_stop, for flushing seeks and
  // state changes.
  void Interrupt(bool on);

  // Idempotent; see the lifecycle above.
  void Close();

  uint64_t Backlog() const;
  const FragmenterStats& fragmenter_stats() const { return fragmenter_->stats(); }

 private:
  class ObservedTransport;
  SinkSession() = default;
  void Watch();

  ConnectionCallback on_connection_;
  std::chrono::milliseconds watch_interval_{100};
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<ObservedTransport> transport_;
  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<SpoolFragmentSink> spool_sink_;
  std::unique_ptr<Fragmenter> fragmenter_;
  bool closed_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;     // guarded by mu_; ends the watch thread
  bool interrupted_ = false;  // guarded by mu_
  std::thread watch_;
};

// A 16-byte SegmentUID derived from the stream name, stable across restarts,
// so a restarted pipeline's stream header equals the one of its spooled
// backlog and both share one PutMedia session (as osprey-agent does).
std::string StableSegmentUid(const std::string& stream_name);

}  // namespace osprey::agent::sink
