// The agent's local HTTP port (metrics_listen / --metrics-listen): a tiny
// HTTP/1.1 responder on POSIX sockets for Prometheus scrapes and health
// checks. One request per connection (Connection: close), requests up to
// 8 KiB of header, no body, 2 s to send it; meant for 127.0.0.1, it has no
// authentication.
//
// Threading: one thread, started by Start() and joined by the destructor;
// the handler runs on it, one request at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "osprey/agent/camera_runner.h"
#include "osprey/base/result.h"

namespace osprey::agent {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class MetricsServer {
 public:
  // `method` and `target` as sent ("GET", "/metrics?x=1").
  using Handler = std::function<HttpReply(std::string_view method, std::string_view target)>;

  // Listens on "host:port" ("[::1]:9471"; port 0: any free port).
  // InvalidArgument for a bad address, Unavailable when it cannot bind.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& listen, Handler handler);
  ~MetricsServer();
  uint16_t port() const { return port_; }

 private:
  MetricsServer() = default;
  void Run();
  void Serve(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // pipe: written by the destructor to end Run()
  uint16_t port_ = 0;
  std::thread thread_;
};

// The agent's routes: GET /metrics (RenderAgentMetrics of `cameras()`),
// GET /healthz ("ok"), POST /upload?stream=S&from=MS&to=MS (upload-on-event:
// `upload(stream, from, to)` queues the recorded fragments whose producer
// timestamps, epoch ms, lie in [from, to]; 202 with {"stream":..,"queued":N};
// 400 for a missing or bad parameter or from > to; 404 when upload()
// answers NotFound (no such camera); 409 for FailedPrecondition (the camera
// does not record)), 404 for anything else.
using UploadFn = std::function<Result<size_t>(std::string_view stream, int64_t from_ms, int64_t to_ms)>;
MetricsServer::Handler AgentHttpHandler(std::function<std::vector<CameraMetrics>()> cameras,
                                        UploadFn upload = nullptr);

// Prometheus text exposition 0.0.4 of every camera's counters, labelled
// stream="<name>"; ages and lags are taken against `now_ms` (epoch ms).
std::string RenderAgentMetrics(const std::vector<CameraMetrics>& cameras, int64_t now_ms);

}  // namespace osprey::agent
