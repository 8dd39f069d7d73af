// The agent's /metrics responder over a real socket, and the Prometheus text.
#include "osprey/agent/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace osprey::agent {
namespace {

// One raw request; the whole response.
std::string Request(uint16_t port, const std::string& raw) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

CameraMetrics Sample(const std::string& stream) {
  CameraMetrics c;
  c.stream = stream;
  c.capturing = true;
  c.restarts = 3;
  c.frames = 150;
  c.fragments = 10;
  c.fragment_bytes = 123456;
  c.spool.last_seq = 10;
  c.spool.acked_seq = 8;
  c.spool.bytes = 4096;
  c.spool.dropped_fragments = 1;
  c.fragments_lost = 2;
  c.oldest_unacked_ms = 1'000'000;
  c.newest_captured_ms = 1'004'000;
  c.newest_persisted_ms = 1'001'500;
  c.uplink.persisted = 8;
  c.uplink.fragments_sent = 10;
  c.last_ack_latency_ms = 40;
  c.ack_latency_bounds = {0.05, 1};
  c.ack_latency_cumulative = {6, 7, 8};
  c.ack_latency_sum_s = 2.5;
  return c;
}

TEST(AgentMetrics, RendersPerCameraSeries) {
  std::string text = RenderAgentMetrics({Sample("a"), Sample("b")}, 1'010'000);
  for (const char* line : {
           "osprey_agent_fragments_total{stream=\"a\"} 10\n",
           "osprey_agent_fragments_total{stream=\"b\"} 10\n",
           "osprey_agent_frames_total{stream=\"a\"} 150\n",
           "osprey_agent_fragment_bytes_total{stream=\"a\"} 123456\n",
           "osprey_agent_pipeline_restarts_total{stream=\"a\"} 3\n",
           "osprey_agent_fragments_dropped_total{stream=\"a\"} 3\n",
           "osprey_agent_spool_fragments{stream=\"a\"} 2\n",
           "osprey_agent_spool_oldest_fragment_age_seconds{stream=\"a\"} 10\n",
           "osprey_agent_upload_lag_seconds{stream=\"a\"} 2.5\n",
           "osprey_agent_fragments_persisted_total{stream=\"a\"} 8\n",
           "osprey_agent_ack_latency_last_seconds{stream=\"a\"} 0.040000000000000001\n",
           "osprey_agent_ack_latency_seconds_bucket{stream=\"a\",le=\"0.050000000000000003\"} 6\n",
           "osprey_agent_ack_latency_seconds_bucket{stream=\"a\",le=\"+Inf\"} 8\n",
           "osprey_agent_ack_latency_seconds_count{stream=\"a\"} 8\n",
           "# TYPE osprey_agent_fragments_total counter\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  CameraMetrics fresh;
  fresh.stream = "c";
  text = RenderAgentMetrics({fresh}, 0);
  EXPECT_EQ(text.find("osprey_agent_upload_lag_seconds{"), std::string::npos);
  EXPECT_EQ(text.find("osprey_agent_ack_latency_last_seconds{"), std::string::npos);
}

TEST(MetricsServer, ServesMetricsAndHealthAndNothingElse) {
  auto server = MetricsServer::Start("127.0.0.1:0", AgentHttpHandler([] {
    return std::vector<CameraMetrics>{Sample("cam")};
  }));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  uint16_t port = (*server)->port();
  ASSERT_NE(port, 0);
  std::string r = Request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r;
  EXPECT_NE(r.find("osprey_agent_fragments_total{stream=\"cam\"} 10\n"), std::string::npos) << r;
  r = Request(port, "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_TRUE(r.ends_with("\r\n\r\nok\n")) << r;
  EXPECT_TRUE(Request(port, "GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(Request(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(Request(port, "garbage\r\n\r\n").starts_with("HTTP/1.1 400 "));
}

TEST(MetricsServer, BadAddresses) {
  auto bad = MetricsServer::Start("nocolon", AgentHttpHandler([] { return std::vector<CameraMetrics>{}; }));
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  auto first = MetricsServer::Start("127.0.0.1:0", AgentHttpHandler([] { return std::vector<CameraMetrics>{}; }));
  ASSERT_TRUE(first.ok());
  auto taken = MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()),
                                    AgentHttpHandler([] { return std::vector<CameraMetrics>{}; }));
  EXPECT_EQ(taken.status().code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace osprey::agent
