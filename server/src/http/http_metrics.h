// The server's HTTP metrics, registered once in the process registry:
//   osprey_http_requests_total{api,status}
//   osprey_http_request_duration_seconds{api}   (histogram)
//   osprey_http_received_bytes_total, osprey_http_sent_bytes_total
//   osprey_http_open_connections                 (gauge)
// Thread-safe: every method may be called from any connection strand.
#pragma once

#include <cstdint>
#include <string_view>

#include "osprey/base/metrics.h"

namespace osprey::server {

class HttpMetrics {
 public:
  // A null registry disables metrics (tests that do not look at them).
  explicit HttpMetrics(MetricsRegistry* registry);

  void OnRequest(std::string_view api, int status, double seconds);
  void AddReceived(uint64_t bytes);
  void AddSent(uint64_t bytes);
  void ConnectionOpened();
  void ConnectionClosed();

 private:
  Family<Counter>* requests_ = nullptr;
  Family<Histogram>* duration_ = nullptr;
  Counter* received_ = nullptr;
  Counter* sent_ = nullptr;
  Gauge* open_ = nullptr;
};

}  // namespace osprey::server
