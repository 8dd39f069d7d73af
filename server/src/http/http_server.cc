#include "osprey/server/http_server.h"

#include <future>

#include "http/server_impl.h"
#include "http/session.h"
#include "http/tls_context.h"
#include "osprey/base/logging.h"

namespace osprey::server {

void HttpServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](beast::error_code ec,
                                                       net::ip::tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
      // Out of descriptors (EMFILE/ENFILE): back off briefly instead of
      // spinning; existing connections keep being served meanwhile.
      log::Warn("http", "accept failed", {{"error", ec.message()}});
      auto timer = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(50));
      timer->async_wait([this, timer](beast::error_code) {
        if (!shutting_down) Accept();
      });
      return;
    }
    if (open_connections.load() >= options.max_connections) {
      log::Warn("http", "connection limit reached, refusing",
                {{"limit", static_cast<uint64_t>(options.max_connections)}});
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      socket.set_option(net::ip::tcp::no_delay(true));
      Transport transport = tls ? Transport(std::move(socket), *tls) : Transport(std::move(socket));
      std::make_shared<HttpSession>(std::move(transport), this)->Start();
    }
    if (!shutting_down) Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                       const Router* router,
                                                       Authenticator authenticate,
                                                       MetricsRegistry* metrics) {
  auto impl = std::make_unique<Impl>(metrics);
  impl->options = options;
  impl->router = router;
  impl->authenticate = std::move(authenticate);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("tls_cert and tls_key must be given together");
  }
  if (!options.tls_cert_file.empty()) {
    OSPREY_ASSIGN_OR_RETURN(impl->tls,
                            MakeServerTlsContext(options.tls_cert_file, options.tls_key_file));
  }

  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("listen address '" + options.host + "': " + ec.message());
  net::ip::tcp::endpoint endpoint(address, options.port);
  auto acceptor = std::make_unique<net::ip::tcp::acceptor>(impl->ioc);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + ec.message());
  }
  impl->bound_port = acceptor->local_endpoint().port();
  impl->acceptor = std::move(acceptor);
  impl->work.emplace(impl->ioc.get_executor());
  impl->Accept();
  int threads = options.threads > 0 ? options.threads : 1;
  for (int i = 0; i < threads; ++i) {
    impl->threads.emplace_back([ioc = &impl->ioc] {
      // A handler that throws is a bug; log it and keep the loop alive
      // rather than take every connection down with the thread.
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          log::Error("http", "uncaught exception in handler", {{"what", e.what()}});
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::Shutdown() {
  Impl& s = *impl_;
  if (s.shut_down.exchange(true)) return;
  s.shutting_down = true;
  log::Info("http", "shutting down", {{"in_flight", s.in_flight.load()}});
  std::promise<void> closed;
  net::post(s.ioc, [&s, &closed] {
    beast::error_code ec;
    s.acceptor->close(ec);
    closed.set_value();
  });
  closed.get_future().wait();
  for (auto& c : s.Live()) c->BeginShutdown();

  auto deadline = std::chrono::steady_clock::now() + s.options.shutdown_grace;
  while (s.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (s.in_flight.load() > 0) {
    log::Warn("http", "grace period over, closing requests in flight",
              {{"in_flight", s.in_flight.load()}});
  }
  for (auto& c : s.Live()) c->ForceClose();
  // Let the closes run so that every session releases its socket.
  auto drain = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (s.open_connections.load() > 0 && std::chrono::steady_clock::now() < drain) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
}

void HttpServer::RunUntilSignalled() {
  Impl& s = *impl_;
  std::promise<int> signalled;
  net::signal_set signals(s.ioc, SIGTERM, SIGINT);
  signals.async_wait([&signalled](beast::error_code ec, int sig) {
    signalled.set_value(ec ? 0 : sig);
  });
  int sig = signalled.get_future().get();
  log::Info("server", "signal received", {{"signal", sig}});
  Shutdown();
}

}  // namespace osprey::server
