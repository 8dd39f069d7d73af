// CameraRunner: one camera of osprey-agent, capture -> Fragmenter -> Spool ->
// Uplink, with its pipeline restarted with backoff when it fails.
//
// Lifecycle: Open() (spool recovered, transport built) -> Start() (the uplink
// begins uploading any backlog) -> Poll() repeatedly -> StopCapture() (the
// open fragment, which starts with an IDR, goes into the spool) ->
// StopUplink(drain) -> destroy.
//
// Restart policy: a camera, a device or the test pattern is live; when its
// pipeline fails (camera rebooting, network down, device unplugged) or never
// starts (the camera is still off at boot), Poll() rebuilds it after a
// backoff of 1 s doubling to 30 s, reset once a pipeline has run for a
// minute. A file is not restarted: the runner is finished() at its end, and
// failed() as well when it could not be opened.
//
// Uploads: `upload = "always"` runs the Uplink all the time; "schedule"
// starts it when a window of upload_schedule opens and stops it when the
// window closes (fragments wait in the spool meanwhile, bounded as usual);
// "off" never uploads and writes nothing to the spool (the recording is
// the local copy). QueueUpload() (POST /upload) uploads recorded files of a
// time range whatever the mode: while it runs the main Uplink is paused, so
// one stream never has two PutMedia sessions at once.
//
// Threads: no thread of its own. GStreamer's streaming threads and the
// uplink's worker/reader threads do the work; Poll() is cheap and is called
// by one supervising thread for every camera (agent/src/main.cc).
//
// Threading: Open, Start, Poll, StopCapture, StopUplink and LogStopped from
// one thread (the supervisor); Metrics(), QueueUpload() and stream() from
// any thread, concurrently with them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "osprey/agent/agent_config.h"
#include "osprey/agent/recorder.h"
#include "osprey/agent/spool.h"
#include "osprey/agent/uplink.h"
#include "osprey/agent/uplink_transport.h"
#include "osprey/base/result.h"

namespace osprey::agent {

struct CameraRunnerOptions {
  CameraConfig camera;
  // Endpoint, region, credentials, ca_file, control endpoint; the stream
  // name and retention are taken from `camera`.
  WebSocketTransportOptions transport;
  UplinkKind uplink = UplinkKind::kAuto;
};

// A snapshot of one camera's counters, for /metrics.
struct CameraMetrics {
  std::string stream;
  bool capturing = false;
  uint64_t restarts = 0;          // pipelines rebuilt after a failure
  uint64_t frames = 0;            // in fragments written to the spool
  uint64_t fragments = 0;         // written to the spool
  uint64_t fragment_bytes = 0;    // Cluster bytes written to the spool
  uint64_t fragments_lost = 0;    // the spool refused them (refuse-new full, disk error)
  SpoolStats spool;
  // Producer timestamps (epoch ms): the oldest fragment not yet PERSISTED,
  // the newest written to the spool, the newest PERSISTED in this run.
  std::optional<int64_t> oldest_unacked_ms;
  std::optional<int64_t> newest_captured_ms;
  std::optional<int64_t> newest_persisted_ms;
  UplinkStats uplink;
  int64_t last_ack_latency_ms = -1;  // -1: none yet
  // Send -> PERSISTED latency: bucket upper bounds (seconds), cumulative
  // counts (one per bound, then +Inf), sum (seconds).
  std::vector<double> ack_latency_bounds;
  std::vector<uint64_t> ack_latency_cumulative;
  double ack_latency_sum_s = 0;
  // Edge recording and upload schedule.
  bool recording = false;
  RecorderStats recorder;
  bool upload_open = false;          // the main uplink runs (always, or inside a window)
  uint64_t event_fragments_pending = 0;  // queued by POST /upload, not yet PERSISTED
};

class CameraRunner {
 public:
  // Opens (recovers) the camera's spool and builds its transport.
  // Spool errors as Spool::Open (IOError, Unavailable when another process
  // holds the directory); InvalidArgument for a transport that cannot be
  // built (bad endpoint, unreadable ca_file).
  static Result<std::unique_ptr<CameraRunner>> Open(CameraRunnerOptions options);
  ~CameraRunner();

  void Start();
  // Starts or restarts the capture when due; notices its end.
  void Poll();
  bool finished() const { return finished_; }
  bool failed() const { return failed_; }
  // Stops capture and writes the open fragment into the spool.
  void StopCapture();
  // Waits up to `drain` for everything in the spool to be PERSISTED, then
  // stops the upload. True when drained.
  bool StopUplink(std::chrono::milliseconds drain);
  // The "stopped" log line with the run's totals.
  void LogStopped(bool drained) const;

  // Queues the recorded fragments with from_ms <= producer timestamp <=
  // to_ms for upload; returns how many. FailedPrecondition when the camera
  // has no record_dir. Any thread.
  Result<size_t> QueueUpload(int64_t from_ms, int64_t to_ms);

  CameraMetrics Metrics() const;
  const std::string& stream() const { return options_.camera.stream; }

 private:
  class Impl;
  explicit CameraRunner(CameraRunnerOptions options);
  void PollUpload();

  CameraRunnerOptions options_;
  std::unique_ptr<Impl> impl_;
  bool finished_ = false;
  bool failed_ = false;
};

}  // namespace osprey::agent
