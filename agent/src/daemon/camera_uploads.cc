// CameraRunner's uploads (camera_runner.h): which Uplink runs when, for
// upload = always | off | schedule and POST /upload.
#include "daemon/camera_runner_impl.h"

namespace osprey::agent {

// Which uploader runs: an event upload first (the main uplink paused), else
// the main uplink when the mode and the schedule want it.
void CameraRunner::PollUpload() {
  Impl& m = *impl_;
  const CameraConfig& camera = options_.camera;
  if (m.event_uplink != nullptr) {
    if (!m.event_spool->done()) return;
    m.StopAndFold(&m.event_uplink, std::chrono::milliseconds(0));
    log::Info("agent", "event upload done", {{"stream", camera.stream},
                                             {"fragments", m.event_spool->Stats().last_seq}});
    std::lock_guard lock(m.uplink_mu);
    m.event_spool.reset();
  }
  std::vector<RecordedFile> batch;
  {
    std::lock_guard lock(m.uplink_mu);
    batch.swap(m.event_queue);
  }
  if (!batch.empty()) {
    m.StopAndFold(&m.uplink, std::chrono::milliseconds(0));
    auto spool = std::make_unique<RecordedSpool>(std::move(batch));
    auto uplink = std::make_unique<Uplink>(m.MakeUplinkOptions(false), spool.get(), m.event_transport.get());
    uplink->Start();
    log::Info("agent", "event upload started",
              {{"stream", camera.stream}, {"fragments", spool->Stats().last_seq}});
    std::lock_guard lock(m.uplink_mu);
    m.event_spool = std::move(spool);
    m.event_uplink = std::move(uplink);
    return;
  }
  bool want = camera.upload == "always";
  if (m.schedule) {
    const int64_t now_s = NowMs() / 1000;
    if (now_s != m.window_checked_s) {
      m.window_checked_s = now_s;
      m.window_open = m.schedule->IsOpen(now_s);
    }
    want = m.window_open;
  }
  if (want && m.uplink == nullptr) {
    auto uplink = std::make_unique<Uplink>(m.MakeUplinkOptions(true), m.spool.get(), m.transport.get());
    uplink->Start();
    if (m.schedule) log::Info("agent", "upload window open", {{"stream", camera.stream}});
    std::lock_guard lock(m.uplink_mu);
    m.uplink = std::move(uplink);
  } else if (!want && m.uplink != nullptr) {
    // Whatever is in flight is sent again in the next window (the server
    // recognises the duplicates).
    m.StopAndFold(&m.uplink, std::chrono::milliseconds(0));
    log::Info("agent", "upload window closed", {{"stream", camera.stream}});
  }
}

Result<size_t> CameraRunner::QueueUpload(int64_t from_ms, int64_t to_ms) {
  Impl& m = *impl_;
  if (m.recorder == nullptr) {
    return Status::FailedPrecondition("camera " + options_.camera.stream + " has no record_dir");
  }
  std::vector<RecordedFile> files = m.recorder->List(from_ms, to_ms);
  std::lock_guard lock(m.uplink_mu);
  m.event_queue.insert(m.event_queue.end(), files.begin(), files.end());
  return files.size();
}

bool CameraRunner::StopUplink(std::chrono::milliseconds drain) {
  Impl& m = *impl_;
  // An event upload that has not finished is dropped (POST it again).
  m.StopAndFold(&m.event_uplink, std::chrono::milliseconds(0));
  if (m.uplink == nullptr) {
    const SpoolStats st = m.spool->Stats();
    return options_.camera.upload == "off" || st.acked_seq >= st.last_seq;
  }
  const bool drained = m.uplink->Stop(drain);
  m.StopAndFold(&m.uplink, std::chrono::milliseconds(0));
  return drained;
}

}  // namespace osprey::agent
