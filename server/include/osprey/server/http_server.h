// HttpServer: HTTP/1.1 and WebSocket on one port (Boost.Beast on an Asio
// io_context with N threads, one strand per connection).
//
// What it guarantees to every route:
//   - header and idle timeouts (a slow-loris client is cut off, an idle
//     keep-alive connection is closed), a header size limit;
//   - body size limits enforced before the body is read (Content-Length
//     checked against the route's limit; chunked bodies counted as read);
//   - SigV4 verification (through Authenticate) before the handler runs;
//   - the AWS error shape and x-amzn-RequestId on every API answer;
//   - malformed HTTP gets 400 and the connection closes;
//   - graceful shutdown: Shutdown() stops accepting, lets in-flight requests
//     finish within a grace period, then closes what is left.
//
// Threading: Start() and Shutdown() from one controlling thread. Handlers
// run on connection strands (see router.h and http.h).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/server/http.h"
#include "osprey/server/router.h"

namespace osprey {
class MetricsRegistry;
}

namespace osprey::server {

// The outcome of checking a request's signature.
struct AuthDecision {
  bool ok = false;
  std::string access_key_id;  // when ok
  ApiError error;             // when not ok
};

// Checks a request's SigV4 signature. `payload_sha256_hex` is the hash the
// signature must cover (the body's, or the empty string's for PutMedia and
// streaming routes). `service` is the credential-scope service expected.
// Must be safe to call from any thread. Null means --auth=none.
using Authenticator = std::function<AuthDecision(const Request& request,
                                                 std::string_view payload_sha256_hex,
                                                 std::string_view service)>;

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 9470;        // 0: the system picks; read it back with port()
  int threads = 1;
  std::chrono::milliseconds header_timeout{10000};  // whole header, from its first byte
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait, and any body read
  size_t max_body_bytes = 16 * 1024 * 1024;          // default for buffered routes
  size_t max_header_bytes = 16 * 1024;
  size_t max_connections = 10000;  // beyond it new connections are closed at once
  std::chrono::milliseconds shutdown_grace{30000};
  // Both set: the port speaks TLS only (HTTP/1.1, h2 by ALPN, WebSocket),
  // with this PEM certificate chain (leaf first) and PEM private key.
  // Both empty: plain TCP. Start() fails with InvalidArgument otherwise, or
  // when either file cannot be used.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  // `router` and `metrics` must outlive the server. `authenticate` may be null
  // (no authentication: only for --auth=none on loopback).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   const Router* router,
                                                   Authenticator authenticate,
                                                   MetricsRegistry* metrics);
  ~HttpServer();  // calls Shutdown()

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (useful when options.port was 0).
  uint16_t port() const;

  // Stops accepting, waits up to shutdown_grace for requests in flight, then
  // closes every connection and joins the threads. Idempotent.
  void Shutdown();

  // Blocks until SIGTERM or SIGINT arrives (or Shutdown() from elsewhere),
  // then shuts down as above. For main().
  void RunUntilSignalled();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace osprey::server
