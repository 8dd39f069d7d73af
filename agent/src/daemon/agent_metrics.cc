// /metrics and /healthz of osprey-agent (metrics_server.h). The text is
// rendered from CameraMetrics snapshots rather than kept in a registry: the
// counters already live in the spool, the uplink and the runner, so a scrape
// reads them and nothing is counted twice.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>

#include "osprey/agent/metrics_server.h"
#include "osprey/base/metrics.h"

namespace osprey::agent {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string Label(std::string_view stream) {
  // Stream names are [a-zA-Z0-9_.-]: nothing to escape.
  return "stream=\"" + std::string(stream) + "\"";
}

class Writer {
 public:
  explicit Writer(const std::vector<CameraMetrics>& cameras) : cameras_(cameras) {}

  // One family: HELP, TYPE, then one sample per camera for which `value`
  // has one.
  template <typename F>
  void Family(std::string_view name, std::string_view type, std::string_view help, F value) {
    out_ += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out_ += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
    for (const CameraMetrics& c : cameras_) {
      std::optional<double> v = value(c);
      if (v) out_ += std::string(name) + "{" + Label(c.stream) + "} " + Number(*v) + "\n";
    }
  }

  void AckLatencyHistogram() {
    const std::string name = "osprey_agent_ack_latency_seconds";
    out_ += "# HELP " + name + " Time from sending a fragment to its PERSISTED ack.\n";
    out_ += "# TYPE " + name + " histogram\n";
    for (const CameraMetrics& c : cameras_) {
      const std::string label = Label(c.stream);
      for (size_t i = 0; i < c.ack_latency_cumulative.size(); ++i) {
        std::string le = i < c.ack_latency_bounds.size() ? Number(c.ack_latency_bounds[i]) : "+Inf";
        out_ += name + "_bucket{" + label + ",le=\"" + le + "\"} " +
                std::to_string(c.ack_latency_cumulative[i]) + "\n";
      }
      uint64_t count = c.ack_latency_cumulative.empty() ? 0 : c.ack_latency_cumulative.back();
      out_ += name + "_sum{" + label + "} " + Number(c.ack_latency_sum_s) + "\n";
      out_ += name + "_count{" + label + "} " + std::to_string(count) + "\n";
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  const std::vector<CameraMetrics>& cameras_;
  std::string out_;
};

using Opt = std::optional<double>;
Opt U(uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::string RenderAgentMetrics(const std::vector<CameraMetrics>& cameras, int64_t now_ms) {
  Writer w(cameras);
  w.Family("osprey_agent_capture_running", "gauge", "1 while the camera's pipeline runs.",
           [](const CameraMetrics& c) { return Opt(c.capturing ? 1 : 0); });
  w.Family("osprey_agent_pipeline_restarts_total", "counter",
           "Capture pipelines rebuilt after a failure or a failed start.",
           [](const CameraMetrics& c) { return U(c.restarts); });
  w.Family("osprey_agent_frames_total", "counter", "Video frames in fragments written to the spool.",
           [](const CameraMetrics& c) { return U(c.frames); });
  w.Family("osprey_agent_fragments_total", "counter", "Fragments written to the spool.",
           [](const CameraMetrics& c) { return U(c.fragments); });
  w.Family("osprey_agent_fragment_bytes_total", "counter", "Cluster bytes written to the spool.",
           [](const CameraMetrics& c) { return U(c.fragment_bytes); });
  w.Family("osprey_agent_fragments_dropped_total", "counter",
           "Fragments lost at the edge: refused by a full refuse-new spool or a disk error, or "
           "deleted unsent by drop-oldest.",
           [](const CameraMetrics& c) { return U(c.fragments_lost + c.spool.dropped_fragments); });
  w.Family("osprey_agent_spool_bytes", "gauge", "Bytes of the spool's segment files.",
           [](const CameraMetrics& c) { return U(c.spool.bytes); });
  w.Family("osprey_agent_spool_fragments", "gauge", "Fragments in the spool not yet PERSISTED.",
           [](const CameraMetrics& c) {
             return U(c.spool.last_seq > c.spool.acked_seq ? c.spool.last_seq - c.spool.acked_seq : 0);
           });
  w.Family("osprey_agent_spool_oldest_fragment_age_seconds", "gauge",
           "Now minus the producer timestamp of the oldest fragment not yet PERSISTED (0: none).",
           [now_ms](const CameraMetrics& c) {
             return Opt(c.oldest_unacked_ms ? (now_ms - *c.oldest_unacked_ms) / 1000.0 : 0.0);
           });
  w.Family("osprey_agent_upload_lag_seconds", "gauge",
           "Newest producer timestamp written to the spool minus the newest PERSISTED (absent "
           "until both exist).",
           [](const CameraMetrics& c) -> Opt {
             if (!c.newest_captured_ms || !c.newest_persisted_ms) return std::nullopt;
             return std::max<int64_t>(0, *c.newest_captured_ms - *c.newest_persisted_ms) / 1000.0;
           });
  w.Family("osprey_agent_fragments_sent_total", "counter", "Fragments sent, resends included.",
           [](const CameraMetrics& c) { return U(c.uplink.fragments_sent); });
  w.Family("osprey_agent_fragments_persisted_total", "counter",
           "Fragments acknowledged PERSISTED by the server.",
           [](const CameraMetrics& c) { return U(c.uplink.persisted); });
  w.Family("osprey_agent_fragments_rejected_total", "counter",
           "Fragments skipped after a permanent ERROR ack or an unreadable spool record.",
           [](const CameraMetrics& c) { return U(c.uplink.rejected); });
  w.Family("osprey_agent_upload_sessions_total", "counter", "Upload sessions opened.",
           [](const CameraMetrics& c) { return U(c.uplink.sessions); });
  w.Family("osprey_agent_upload_errors_total", "counter", "ERROR acks and failed sessions.",
           [](const CameraMetrics& c) { return U(c.uplink.errors); });
  w.Family("osprey_agent_uplink_connected", "gauge", "1 while an upload session is open.",
           [](const CameraMetrics& c) { return Opt(c.uplink.connected ? 1 : 0); });
  w.Family("osprey_agent_ack_latency_last_seconds", "gauge",
           "Send -> PERSISTED time of the latest acknowledged fragment (absent until one).",
           [](const CameraMetrics& c) -> Opt {
             if (c.last_ack_latency_ms < 0) return std::nullopt;
             return c.last_ack_latency_ms / 1000.0;
           });
  w.Family("osprey_agent_upload_active", "gauge",
           "1 while the camera uploads its spool (upload = always, or inside a schedule window).",
           [](const CameraMetrics& c) { return Opt(c.upload_open ? 1 : 0); });
  w.Family("osprey_agent_event_fragments_pending", "gauge",
           "Recorded fragments queued by POST /upload and not yet PERSISTED.",
           [](const CameraMetrics& c) { return U(c.event_fragments_pending); });
  w.Family("osprey_agent_recording_files", "gauge", "Files in the camera's record_dir.",
           [](const CameraMetrics& c) { return c.recording ? U(c.recorder.files) : std::nullopt; });
  w.Family("osprey_agent_recording_bytes", "gauge", "Bytes in the camera's record_dir.",
           [](const CameraMetrics& c) { return c.recording ? U(c.recorder.bytes) : std::nullopt; });
  w.Family("osprey_agent_recording_pruned_total", "counter",
           "Recorded files deleted by record_hours or record_bytes.",
           [](const CameraMetrics& c) { return c.recording ? U(c.recorder.pruned) : std::nullopt; });
  w.AckLatencyHistogram();
  return w.Take();
}

namespace {

HttpReply Text(int status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body) + "\n"};
}

// POST /upload?stream=S&from=MS&to=MS.
HttpReply Upload(std::string_view query, const UploadFn& upload) {
  std::map<std::string, std::string, std::less<>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return Text(400, "bad query parameter " + std::string(item));
    params[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  for (const auto& [key, value] : params) {
    if (key != "stream" && key != "from" && key != "to") return Text(400, "unknown parameter " + key);
  }
  auto stream = params.find("stream");
  if (stream == params.end() || stream->second.empty()) return Text(400, "stream is required");
  int64_t range[2];
  const char* names[2] = {"from", "to"};
  for (int i = 0; i < 2; ++i) {
    auto it = params.find(names[i]);
    if (it == params.end()) return Text(400, std::string(names[i]) + " is required (epoch ms)");
    const std::string& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), range[i]);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || range[i] < 0) {
      return Text(400, std::string(names[i]) + " must be epoch milliseconds, got \"" + v + "\"");
    }
  }
  if (range[0] > range[1]) return Text(400, "from must not be after to");
  if (!upload) return Text(404, "not found");
  Result<size_t> queued = upload(stream->second, range[0], range[1]);
  if (!queued.ok()) {
    const int status = queued.status().code() == Status::Code::kNotFound ? 404
                       : queued.status().code() == Status::Code::kFailedPrecondition ? 409 : 400;
    return Text(status, queued.status().message());
  }
  return HttpReply{202, "application/json",
                   "{\"stream\":\"" + stream->second + "\",\"queued\":" + std::to_string(*queued) + "}\n"};
}

}  // namespace

MetricsServer::Handler AgentHttpHandler(std::function<std::vector<CameraMetrics>()> cameras,
                                        UploadFn upload) {
  return [cameras = std::move(cameras), upload = std::move(upload)](std::string_view method,
                                                                     std::string_view target) {
    const size_t q = target.find('?');
    std::string_view path = target.substr(0, q);
    if (method == "POST" && path == "/upload") {
      return Upload(q == std::string_view::npos ? std::string_view() : target.substr(q + 1), upload);
    }
    if (method == "GET" && path == "/metrics") {
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      return HttpReply{200, std::string(kPrometheusContentType), RenderAgentMetrics(cameras(), now_ms)};
    }
    if (method == "GET" && path == "/healthz") return HttpReply{200, "text/plain; charset=utf-8", "ok\n"};
    return HttpReply{404, "text/plain; charset=utf-8", "not found\n"};
  };
}

}  // namespace osprey::agent
