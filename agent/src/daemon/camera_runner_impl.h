// CameraRunner's private parts (camera_runner.h), shared by
// camera_runner.cc (capture, metrics) and camera_uploads.cc (which uplink
// runs: always, schedule windows, upload-on-event).
#pragma once

#include <algorithm>
#include <atomic>
#include <climits>
#include <mutex>
#include <optional>
#include <vector>

#include "daemon/recorded_spool.h"
#include "osprey/agent/camera_runner.h"
#include "osprey/agent/capture_source.h"
#include "osprey/agent/fragmenter.h"
#include "osprey/agent/spool_sink.h"
#include "osprey/agent/upload_schedule.h"
#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"
#include "osprey/base/metrics.h"

namespace osprey::agent {
namespace runner_internal {

using Clock = std::chrono::steady_clock;

constexpr auto kBackoffMin = std::chrono::milliseconds(1000);
constexpr auto kBackoffMax = std::chrono::milliseconds(30000);
constexpr int64_t kNone = INT64_MIN;

// Seconds; PERSISTED normally follows a fragment by tens of milliseconds
// on a LAN, seconds over a cellular link, more when the server is behind.
inline const std::vector<double>& AckLatencyBounds() {
  static const std::vector<double> bounds = {0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return bounds;
}

inline std::optional<int64_t> Opt(int64_t v) { return v == kNone ? std::nullopt : std::optional(v); }

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fragmenter's output: into the spool (unless upload is off) and the
// recording (when there is one), counted for /metrics (atomics: written on
// the capture thread, read by the metrics thread).
class CountingSink final : public FragmentSink {
 public:
  CountingSink(Spool* spool, Recorder* recorder, std::string stream)  // spool null: upload off
      : inner_(spool, "agent"), to_spool_(spool != nullptr), recorder_(recorder),
        stream_(std::move(stream)) {}
  Status OnFragment(const Fragment& f) override {
    Status s = to_spool_ ? inner_.OnFragment(f) : Status::Ok();
    if (recorder_ != nullptr) {
      if (Status r = recorder_->Add(f, NowMs()); !r.ok()) {
        log::Warn("agent", "recording failed", {{"stream", stream_}, {"error", r.ToString()}});
        if (!to_spool_) s = r;
      }
    }
    if (!s.ok()) {
      lost.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    fragments.fetch_add(1, std::memory_order_relaxed);
    frames.fetch_add(f.frames, std::memory_order_relaxed);
    bytes.fetch_add(f.cluster.size(), std::memory_order_relaxed);
    newest_ms.store(f.producer_timestamp_ms, std::memory_order_relaxed);
    return s;
  }
  std::atomic<uint64_t> fragments{0}, frames{0}, bytes{0}, lost{0};
  std::atomic<int64_t> newest_ms{kNone};

 private:
  SpoolFragmentSink inner_;
  const bool to_spool_;
  Recorder* const recorder_;
  const std::string stream_;
};

inline void Accumulate(UplinkStats* total, const UplinkStats& s) {
  total->sessions += s.sessions;
  total->fragments_sent += s.fragments_sent;
  total->persisted += s.persisted;
  total->rejected += s.rejected;
  total->errors += s.errors;
}

// Serialises capture callbacks with the final Flush() and records the end.
class CaptureToFragmenter final : public CaptureSink {
 public:
  CaptureToFragmenter(Fragmenter* f, std::string stream) : f_(f), stream_(std::move(stream)) {}
  void OnFormat(const VideoFormat& v) override { f_->OnFormat(v); }
  void OnAccessUnit(AccessUnit unit) override { f_->OnAccessUnit(std::move(unit)); }
  void OnAudioFormat(const AudioFormat& a) override { f_->OnAudioFormat(a); }
  void OnAudioFrame(AudioFrame frame) override { f_->OnAudioFrame(std::move(frame)); }
  void OnEnd(const Status& s) override {
    f_->OnEnd(s);
    if (!s.ok()) {
      log::Error("agent", "capture ended", {{"stream", stream_}, {"error", s.ToString()}});
    } else {
      log::Info("agent", "capture ended (end of stream)", {{"stream", stream_}});
    }
    ended_ = true;
  }
  bool ended() const { return ended_; }
  // Only between a source's Stop() and the next source's Start().
  void Reset() { ended_ = false; }

 private:
  Fragmenter* f_;
  const std::string stream_;
  std::atomic<bool> ended_{false};
};

// A SegmentUID that stays the same across restarts (the KVS producer keeps
// it across sessions), so a restart does not change the stream header and
// the backlog and the new fragments share one PutMedia session.
inline std::string SegmentUid(const std::string& stream) {
  const std::string hex = auth::Sha256Hex("osprey-agent/" + stream);
  std::string uid;
  for (size_t i = 0; i < 32; i += 2) uid.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return uid;
}


}  // namespace runner_internal

using namespace runner_internal;  // NOLINT: private header of two files

class CameraRunner::Impl {
 public:
  Impl(const CameraRunnerOptions& o, std::unique_ptr<Spool> spool,
       std::unique_ptr<MediaTransport> transport, std::unique_ptr<Recorder> recorder,
       std::unique_ptr<MediaTransport> event_transport, std::optional<UploadSchedule> schedule)
      : options(o), spool(std::move(spool)), transport(std::move(transport)),
        recorder(std::move(recorder)), event_transport(std::move(event_transport)),
        schedule(std::move(schedule)), ack_latency(&AckLatencyBounds()),
        sink(o.camera.upload == "off" ? nullptr : this->spool.get(), this->recorder.get(),
             o.camera.stream),
        fragmenter(MakeFragmenterOptions(), &sink),
        capture_sink(&fragmenter, o.camera.stream) {}

  // `live`: the spool's uplink, whose PERSISTED timestamps give the upload
  // lag; an event upload's old fragments must not.
  UplinkOptions MakeUplinkOptions(bool live) {
    UplinkOptions u;
    u.on_persisted = [this, live](int64_t timestamp_ms, std::chrono::milliseconds latency) {
      if (live) newest_persisted_ms.store(timestamp_ms, std::memory_order_relaxed);
      last_ack_latency_ms.store(latency.count(), std::memory_order_relaxed);
      ack_latency.Observe(static_cast<double>(latency.count()) / 1000.0);
    };
    return u;
  }
  FragmenterOptions MakeFragmenterOptions() {
    FragmenterOptions f;
    f.target_ms = options.camera.capture.fragment_ms;
    f.min_timestamp_ms = spool->LastProducerTimestamp();
    if (recorder != nullptr) {
      // Keep recorded timestamps increasing too when the spool is not used.
      std::vector<RecordedFile> last = recorder->List(INT64_MIN, INT64_MAX);
      if (!last.empty() && (!f.min_timestamp_ms || *f.min_timestamp_ms < last.back().producer_timestamp_ms)) {
        f.min_timestamp_ms = last.back().producer_timestamp_ms;
      }
    }
    f.segment_uid = SegmentUid(options.camera.stream);
    f.expect_audio = options.camera.capture.audio != AudioCodec::kNone;
    return f;
  }

  // The running uplink (main or event) into the totals, then gone.
  // Supervisor thread only.
  void StopAndFold(std::unique_ptr<Uplink>* u, std::chrono::milliseconds drain) {
    if (*u == nullptr) return;
    (*u)->Stop(drain);
    std::lock_guard lock(uplink_mu);
    Accumulate(&uplink_done, (*u)->Stats());
    u->reset();
  }

  const CameraRunnerOptions& options;
  // Declaration order is teardown order reversed: the source stops first,
  // the uplinks before the transports and spools they use.
  std::unique_ptr<Spool> spool;
  std::unique_ptr<MediaTransport> transport;
  std::unique_ptr<Recorder> recorder;
  std::unique_ptr<MediaTransport> event_transport;
  const std::optional<UploadSchedule> schedule;
  std::atomic<int64_t> newest_persisted_ms{kNone};
  std::atomic<int64_t> last_ack_latency_ms{-1};
  Histogram ack_latency;

  // Pointers changed by the supervisor under uplink_mu; Metrics() reads
  // them under it.
  mutable std::mutex uplink_mu;
  UplinkStats uplink_done;  // guarded by uplink_mu: uplinks already stopped
  std::unique_ptr<RecordedSpool> event_spool;
  std::unique_ptr<Uplink> event_uplink;
  std::unique_ptr<Uplink> uplink;
  std::vector<RecordedFile> event_queue;  // guarded by uplink_mu: POST /upload, not started

  CountingSink sink;
  Fragmenter fragmenter;
  CaptureToFragmenter capture_sink;
  std::unique_ptr<CaptureSource> source;

  std::atomic<bool> capturing{false};
  std::atomic<uint64_t> restarts{0};
  Clock::time_point next_attempt{};
  Clock::time_point started_at{};
  std::chrono::milliseconds backoff = kBackoffMin;
  bool first = true;
  int64_t window_checked_s = -1;  // schedule evaluated once per second
  bool window_open = false;
};

}  // namespace osprey::agent
