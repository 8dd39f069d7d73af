// CameraRunner (camera_runner.h): the per-camera loop that used to be
// osprey-agent's main(), as a state machine polled by the supervisor:
// opening, capture restarts, stopping, metrics.
#include "daemon/camera_runner_impl.h"

namespace osprey::agent {

CameraRunner::CameraRunner(CameraRunnerOptions options) : options_(std::move(options)) {}

CameraRunner::~CameraRunner() {
  if (impl_ != nullptr && impl_->source != nullptr) impl_->source->Stop();
}

Result<std::unique_ptr<CameraRunner>> CameraRunner::Open(CameraRunnerOptions options) {
  std::unique_ptr<CameraRunner> runner(new CameraRunner(std::move(options)));
  const CameraConfig& camera = runner->options_.camera;
  SpoolOptions spool_options;
  spool_options.dir = camera.spool_dir;
  spool_options.max_bytes = camera.spool_bytes;
  spool_options.policy = camera.spool_policy;
  OSPREY_ASSIGN_OR_RETURN(std::unique_ptr<Spool> spool, Spool::Open(spool_options));
  WebSocketTransportOptions transport_options = runner->options_.transport;
  transport_options.common.stream_name = camera.stream;
  transport_options.common.retention_hours = camera.retention_hours;
  OSPREY_ASSIGN_OR_RETURN(std::unique_ptr<MediaTransport> transport,
                          MakeUplinkTransport(runner->options_.uplink, transport_options));
  std::unique_ptr<Recorder> recorder;
  std::unique_ptr<MediaTransport> event_transport;
  if (!camera.record_dir.empty()) {
    RecorderOptions ro;
    ro.dir = camera.record_dir;
    ro.max_age_ms = int64_t{camera.record_hours} * 3600 * 1000;
    ro.max_bytes = camera.record_bytes;
    OSPREY_ASSIGN_OR_RETURN(recorder, Recorder::Open(ro));
    OSPREY_ASSIGN_OR_RETURN(event_transport, MakeUplinkTransport(runner->options_.uplink, transport_options));
  }
  std::optional<UploadSchedule> schedule;
  if (camera.upload == "schedule") {
    OSPREY_ASSIGN_OR_RETURN(schedule, UploadSchedule::Parse(camera.upload_schedule, camera.upload_duration_s));
  }
  runner->impl_ = std::make_unique<Impl>(runner->options_, std::move(spool), std::move(transport),
                                         std::move(recorder), std::move(event_transport),
                                         std::move(schedule));
  return runner;
}

void CameraRunner::Start() { PollUpload(); }

void CameraRunner::Poll() {
  PollUpload();
  if (finished_) return;
  Impl& m = *impl_;
  const CameraConfig& camera = options_.camera;
  const bool live = camera.capture.kind != SourceKind::kFile;
  const auto now = Clock::now();
  if (m.source == nullptr) {
    if (now < m.next_attempt) return;
    auto opened = OpenGstCaptureSource(camera.capture);
    Status started = opened.ok() ? (*opened)->Start(&m.capture_sink) : opened.status();
    if (!started.ok()) {
      if (!live) {
        log::Error("agent", "cannot start capture", {{"stream", camera.stream}, {"error", started.ToString()}});
        finished_ = failed_ = true;
        return;
      }
      m.restarts.fetch_add(1, std::memory_order_relaxed);
      log::Warn("agent", "capture did not start; retrying",
                {{"stream", camera.stream}, {"error", started.ToString()},
                 {"backoff_ms", int64_t(m.backoff.count())}});
      m.next_attempt = now + m.backoff;
      m.backoff = std::min(m.backoff * 2, kBackoffMax);
      return;
    }
    m.source = std::move(*opened);
    m.started_at = now;
    m.capturing = true;
    if (m.first) {
      Result<UplinkKind> kind = ResolveUplinkKind(options_.uplink, options_.transport.common.endpoint);
      log::Info("agent", "running",
                {{"stream", camera.stream}, {"source", camera.source}, {"spool_dir", camera.spool_dir},
                 {"uplink", kind.ok() ? UplinkKindName(*kind) : "?"}});
      m.first = false;
    } else {
      log::Info("agent", "capture restarted",
                {{"stream", camera.stream}, {"restarts", m.restarts.load()}});
    }
    return;
  }
  if (!m.capture_sink.ended()) return;
  if (!live) {
    finished_ = true;  // StopCapture() stops the pipeline and keeps the last fragment
    return;
  }
  m.source->Stop();
  m.source.reset();
  m.capture_sink.Reset();
  m.capturing = false;
  m.restarts.fetch_add(1, std::memory_order_relaxed);
  if (now - m.started_at > std::chrono::minutes(1)) m.backoff = kBackoffMin;
  log::Warn("agent", "capture lost; restarting",
            {{"stream", camera.stream}, {"backoff_ms", int64_t(m.backoff.count())}});
  m.next_attempt = now + m.backoff;
  m.backoff = std::min(m.backoff * 2, kBackoffMax);
}

void CameraRunner::StopCapture() {
  if (impl_->source != nullptr) impl_->source->Stop();
  impl_->capturing = false;
  impl_->fragmenter.Flush();  // the open fragment starts with an IDR: keep it
}

void CameraRunner::LogStopped(bool drained) const {
  const SpoolStats st = impl_->spool->Stats();
  UplinkStats up;
  {
    std::lock_guard lock(impl_->uplink_mu);
    up = impl_->uplink_done;  // every uplink has stopped
  }
  const FragmenterStats& fs = impl_->fragmenter.stats();  // capture has stopped
  log::Info("agent", "stopped",
            {{"stream", options_.camera.stream}, {"drained", drained}, {"fragments", fs.fragments},
             {"spool_last_seq", st.last_seq}, {"spool_acked_seq", st.acked_seq},
             {"persisted", up.persisted}, {"sent", up.fragments_sent}, {"sessions", up.sessions},
             {"rejected", up.rejected}, {"capture_restarts", impl_->restarts.load()},
             {"dropped_units", fs.dropped_units}, {"repaired_timestamps", fs.repaired_timestamps},
             {"discontinuities", fs.discontinuities}, {"spool_dropped", st.dropped_fragments}});
}

CameraMetrics CameraRunner::Metrics() const {
  const Impl& m = *impl_;
  CameraMetrics out;
  out.stream = options_.camera.stream;
  out.capturing = m.capturing.load();
  out.restarts = m.restarts.load();
  out.frames = m.sink.frames.load();
  out.fragments = m.sink.fragments.load();
  out.fragment_bytes = m.sink.bytes.load();
  out.fragments_lost = m.sink.lost.load();
  out.spool = m.spool->Stats();
  if (out.spool.last_seq > out.spool.acked_seq) {
    // One record read back from disk (usually the page cache) per scrape.
    auto oldest = m.spool->ReadFrom(out.spool.acked_seq + 1);
    if (oldest.ok() && oldest->has_value()) out.oldest_unacked_ms = (*oldest)->producer_timestamp_ms;
  }
  out.newest_captured_ms = Opt(m.sink.newest_ms.load());
  if (!out.newest_captured_ms) out.newest_captured_ms = m.spool->LastProducerTimestamp();
  out.newest_persisted_ms = Opt(m.newest_persisted_ms.load());
  {
    std::lock_guard lock(m.uplink_mu);
    out.uplink = m.uplink_done;
    for (const Uplink* u : {m.uplink.get(), m.event_uplink.get()}) {
      if (u == nullptr) continue;
      UplinkStats s = u->Stats();
      Accumulate(&out.uplink, s);
      out.uplink.connected = out.uplink.connected || s.connected;
    }
    out.upload_open = m.uplink != nullptr;
    out.event_fragments_pending = m.event_queue.size();
    if (m.event_spool != nullptr) {
      const SpoolStats es = m.event_spool->Stats();
      out.event_fragments_pending += es.last_seq - es.acked_seq;
    }
  }
  out.recording = m.recorder != nullptr;
  if (m.recorder != nullptr) out.recorder = m.recorder->Stats();
  out.last_ack_latency_ms = m.last_ack_latency_ms.load();
  out.ack_latency_bounds = m.ack_latency.bounds();
  out.ack_latency_cumulative = m.ack_latency.CumulativeCounts();
  out.ack_latency_sum_s = m.ack_latency.Sum();
  return out;
}

}  // namespace osprey::agent
