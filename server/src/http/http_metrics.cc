#include "http/http_metrics.h"

#include <string>

namespace osprey::server {

HttpMetrics::HttpMetrics(MetricsRegistry* registry) {
  if (registry == nullptr) return;
  requests_ = registry->CounterFamily("osprey_http_requests_total",
                                      "HTTP requests answered, by API and status code.",
                                      {"api", "status"});
  duration_ = registry->HistogramFamily("osprey_http_request_duration_seconds",
                                        "Time from the end of the request header to the end of "
                                        "the response, by API.",
                                        {"api"});
  received_ = registry->CounterFamily("osprey_http_received_bytes_total",
                                      "Request body bytes received.")
                  ->WithLabels({});
  sent_ = registry->CounterFamily("osprey_http_sent_bytes_total",
                                  "Response bytes sent (headers included).")
              ->WithLabels({});
  open_ = registry->GaugeFamily("osprey_http_open_connections", "Open client connections.")
              ->WithLabels({});
}

void HttpMetrics::OnRequest(std::string_view api, int status, double seconds) {
  if (requests_ == nullptr) return;
  // WithLabels takes the family's lock; a few hundred thousand lookups a
  // second are fine, and hot routes can cache later if profiles say so.
  requests_->WithLabels({api, std::to_string(status)})->Increment();
  duration_->WithLabels({api})->Observe(seconds);
}

void HttpMetrics::AddReceived(uint64_t bytes) {
  if (received_) received_->Increment(bytes);
}
void HttpMetrics::AddSent(uint64_t bytes) {
  if (sent_) sent_->Increment(bytes);
}
void HttpMetrics::ConnectionOpened() {
  if (open_) open_->Add(1);
}
void HttpMetrics::ConnectionClosed() {
  if (open_) open_->Add(-1);
}

}  // namespace osprey::server
