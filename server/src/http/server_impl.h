// Private state shared by the listener and its connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>

#include "http/http_metrics.h"
#include "osprey/server/http_server.h"

namespace osprey::server {

namespace net = boost::asio;

// A live connection the server can ask to wind down.
class Connection {
 public:
  virtual ~Connection() = default;
  // Stop after the request in flight; close at once if idle. Any thread.
  virtual void BeginShutdown() = 0;
  // Close the socket now. Any thread.
  virtual void ForceClose() = 0;
};

struct HttpServer::Impl {
  HttpServerOptions options;
  const Router* router = nullptr;
  Authenticator authenticate;
  HttpMetrics metrics;

  // Declared before ioc so that it outlives every stream using it. Null:
  // plain TCP.
  std::unique_ptr<net::ssl::context> tls;
  net::io_context ioc;
  std::unique_ptr<net::ip::tcp::acceptor> acceptor;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t bound_port = 0;

  std::atomic<bool> shutting_down{false};
  std::atomic<bool> shut_down{false};
  std::atomic<int64_t> in_flight{0};      // requests between header and response end
  std::atomic<size_t> open_connections{0};

  std::mutex mu;  // guards connections and next_id
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections;
  uint64_t next_id = 1;

  explicit Impl(MetricsRegistry* registry) : metrics(registry) {}

  uint64_t Register(std::weak_ptr<Connection> c) {
    std::lock_guard lock(mu);
    uint64_t id = next_id++;
    connections.emplace(id, std::move(c));
    return id;
  }
  void Unregister(uint64_t id) {
    std::lock_guard lock(mu);
    connections.erase(id);
  }
  std::vector<std::shared_ptr<Connection>> Live() {
    std::lock_guard lock(mu);
    std::vector<std::shared_ptr<Connection>> out;
    for (auto& [id, weak] : connections) {
      if (auto c = weak.lock()) out.push_back(std::move(c));
    }
    return out;
  }

  void Accept();
};

}  // namespace osprey::server
