#include "http/session.h"

#include <limits>

#include <boost/beast/websocket.hpp>

#include "http/http2_session.h"
#include "http/pipeline.h"
#include "http/streaming_exchange.h"
#include "http/util.h"
#include "http/websocket_session.h"
#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"

namespace osprey::server {

HttpSession::HttpSession(Transport stream, HttpServer::Impl* server)
    : stream_(std::move(stream)), server_(server) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  server_->open_connections++;
  server_->metrics.ConnectionOpened();
}

HttpSession::~HttpSession() {
  if (id_) server_->Unregister(id_);
  if (in_request_) server_->in_flight--;
  if (!handed_off_) {
    server_->open_connections--;
    server_->metrics.ConnectionClosed();
  }
}

void HttpSession::Start() {
  id_ = server_->Register(weak_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->stream_.is_tls()) return self->Handshake();
    self->WaitForRequest();
  });
}

// The handshake gets the header timeout: a client that connects and says
// nothing (or speaks plain HTTP to the TLS port) is dropped like a slow
// header. Failures are the client's problem (wrong CA, plain HTTP, a port
// scanner), so they are logged at debug level only.
void HttpSession::Handshake() {
  stream_.expires_after(server_->options.header_timeout);
  stream_.async_handshake([self = shared_from_this()](beast::error_code ec) {
    if (ec) {
      log::Debug("http", "TLS handshake failed", {{"remote", self->remote_}, {"error", ec.message()}});
      return self->Close();
    }
    // With ALPN "h2" the client's next bytes are the HTTP/2 preface, which
    // WaitForRequest() recognises as for h2c.
    log::Debug("http", "TLS established", {{"remote", self->remote_}, {"alpn", self->stream_.alpn()}});
    self->WaitForRequest();
  });
}

void HttpSession::BeginShutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->in_request_) {
      self->keep_alive_ = false;  // answer what is in flight, then close
      if (auto exchange = self->exchange_.lock()) exchange->NotifyShutdown();
    } else {
      self->Close();
    }
  });
}

void HttpSession::ForceClose() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
}

// Waiting for the next request is bounded by the idle timeout; only once its
// first byte is here does the (shorter) header timeout start. A keep-alive
// client that pauses between requests is thus not mistaken for a slow loris.
void HttpSession::WaitForRequest() {
  if (closed_) return;
  if (server_->shutting_down) return Close();
  if (buffer_.size() > 0) return ReadHeader();
  stream_.expires_after(server_->options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            if (ec) return self->Close();
                            self->buffer_.commit(n);
                            if (self->requests_ == 0 && self->MaybeHttp2()) return;
                            self->ReadHeader();
                          });
}

// HTTP/2 with prior knowledge starts with a fixed preface. When the first
// bytes of a connection begin it, read the rest of the 24 bytes and hand the
// connection to an Http2Session; anything else is HTTP/1.1.
bool HttpSession::MaybeHttp2() {
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  auto data = buffer_.data();
  std::string_view seen(static_cast<const char*>(data.data()),
                        std::min(data.size(), kPreface.size()));
  if (seen != kPreface.substr(0, seen.size())) return false;
  if (seen.size() < kPreface.size()) {
    stream_.expires_after(server_->options.header_timeout);
    stream_.async_read_some(buffer_.prepare(kPreface.size()),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              if (!self->MaybeHttp2()) self->ReadHeader();
                            });
    return true;
  }
  handed_off_ = true;
  closed_ = true;
  auto h2 = std::make_shared<Http2Session>(std::move(stream_), std::move(buffer_), server_, remote_);
  h2->Run();
  return true;
}

void HttpSession::ReadHeader() {
  header_parser_.emplace();
  header_parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
  // Beast would compare Content-Length with its default 1 MiB body limit
  // while reading the header; the route's limit is applied in Dispatch().
  header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  stream_.expires_after(server_->options.header_timeout);
  http::async_read_header(stream_, buffer_, *header_parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            self->OnHeader(ec);
                          });
}

void HttpSession::OnHeader(beast::error_code ec) {
  if (ec) {
    log::Debug("http", "header not read", {{"remote", remote_}, {"error", ec.message()}});
    if (ec == beast::error::timeout) {
      log::Info("http", "header timeout, closing", {{"remote", remote_}});
      return Close();
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::bad_descriptor) {
      return Close();
    }
    if (ec == http::error::header_limit) {
      return ReplyAndClose(431, "RequestHeaderFieldsTooLargeException",
                           "Request header exceeds " +
                               std::to_string(server_->options.max_header_bytes) + " bytes");
    }
    return ReplyAndClose(400, "BadRequestException", "Malformed HTTP request: " + ec.message());
  }

  const auto& h = header_parser_->get();
  request_ = Request{};
  request_.method = std::string(h.method_string());
  request_.target = std::string(h.target());
  SplitTarget(request_.target, &request_.path, &request_.query);
  for (const auto& field : h) {
    request_.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  request_.request_id = NewRequestId();
  request_.remote = remote_;
  request_id_ = request_.request_id;
  cors_ = false;
  keep_alive_ = h.keep_alive() && !server_->shutting_down;
  requests_++;
  in_request_ = true;
  server_->in_flight++;
  started_ = std::chrono::steady_clock::now();
  Dispatch();
}

void HttpSession::Dispatch() {
  cors_ = request_.headers.Has("Origin");
  if (auto preflight = CorsPreflight(request_)) {
    route_ = &PreflightRoute();
    return WriteResponse(std::move(*preflight));
  }
  route_ = ResolveRoute(*server_->router, request_, &unrouted_route_);
  request_.route = route_;

  bool upgrade = beast::websocket::is_upgrade(header_parser_->get());
  if (route_->body == Route::Body::kWebSocket) {
    if (!upgrade) {
      return ReplyAndClose(400, "InvalidArgumentException", "This path expects a WebSocket upgrade");
    }
    return StartWebSocket();
  }
  // PutMedia streams its body, which the signature does not cover. Other
  // streaming routes (GetMedia, SubscribeToShard) sign their small JSON
  // body: it is read whole, like a buffered route's, before the handler
  // starts streaming the answer.
  if (StreamsRequestBody(*route_)) {
    return ContinueThen([this] { StartStreaming(); });
  }

  // Refuse an oversized body before reading a byte of it, so a client that
  // announces 1 GiB costs us nothing.
  size_t limit = BodyLimit(*route_, server_->options);
  if (auto length = header_parser_->content_length(); length && *length > limit) {
    return RespondAndClose(TooLargeResponse(*length, limit));
  }
  ContinueThen([this, limit] { ReadBody(limit); });
}

// A client that sent "Expect: 100-continue" (curl does for chunked uploads)
// waits for this interim answer before sending its body; without it, it
// stalls for a second. Refusals above go out instead of it, so such a client
// never sends a body we would discard.
void HttpSession::ContinueThen(std::function<void()> next) {
  auto expect = request_.headers.Get("Expect");
  if (!expect || !EqualsIgnoreCase(*expect, "100-continue")) return next();
  static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  stream_.expires_after(server_->options.idle_timeout);
  net::async_write(stream_, net::buffer(kContinue),
                   [self = shared_from_this(), next = std::move(next)](beast::error_code ec, size_t) {
                     if (ec) return self->Close();
                     next();
                   });
}

void HttpSession::ReadBody(size_t limit) {
  body_parser_.emplace(std::move(*header_parser_));
  header_parser_.reset();
  body_parser_->body_limit(limit);
  stream_.expires_after(server_->options.idle_timeout);
  http::async_read(stream_, buffer_, *body_parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void HttpSession::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return RespondAndClose(TooLargeResponse(0, BodyLimit(*route_, server_->options)));
  }
  if (ec) {
    if (ec != beast::error::timeout && ec != http::error::end_of_stream) {
      return ReplyAndClose(400, "BadRequestException", "Malformed HTTP body: " + ec.message());
    }
    return Close();
  }
  request_.body = body_parser_->release().body();
  body_parser_.reset();
  server_->metrics.AddReceived(request_.body.size());

  if (!Authenticate(PayloadHash(*route_, request_.body))) return;

  auto self = shared_from_this();
  if (route_->body == Route::Body::kStreaming) {
    auto exchange = std::make_shared<StreamingExchange>(self, std::move(request_), keep_alive_);
    exchange_ = exchange;
    return route_->streaming(std::move(exchange));
  }
  route_->buffered(std::move(request_), [self](Response response) {
    net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
      self->WriteResponse(std::move(response));
    });
  });
}

bool HttpSession::Authenticate(std::string_view payload_hash) {
  std::optional<Response> denied =
      CheckAuthentication(server_->authenticate, *route_, payload_hash, &request_);
  if (!denied) return true;
  // A streamed upload's or an upgrade's body was not read: the connection
  // cannot carry another request.
  denied->close = StreamsRequestBody(*route_) || route_->body == Route::Body::kWebSocket;
  WriteResponse(std::move(*denied));
  return false;
}

void HttpSession::StartStreaming() {
  if (!Authenticate(auth::kEmptyPayloadSha256)) return;
  auto exchange = std::make_shared<StreamingExchange>(shared_from_this(), std::move(*header_parser_),
                                                      request_, keep_alive_);
  header_parser_.reset();
  exchange_ = exchange;
  route_->streaming(std::move(exchange));
}

void HttpSession::StartWebSocket() {
  if (!Authenticate(auth::kEmptyPayloadSha256)) return;
  auto upgrade = header_parser_->release();
  header_parser_.reset();
  // The WebSocket session owns the connection from here on.
  handed_off_ = true;
  FinishRequest(101);
  closed_ = true;
  auto ws = std::make_shared<WebSocketSession>(std::move(stream_), server_, std::move(request_),
                                               std::move(upgrade), route_->websocket);
  ws->Run();
}

void HttpSession::WriteResponse(Response response) {
  if (closed_) return;
  if (cors_) AddCorsHeaders(&response.headers);
  const bool close = response.close || !keep_alive_ || server_->shutting_down;
  const int status = response.status;
  auto head = [&](auto& res) {
    for (const auto& [name, value] : response.headers.entries()) res.insert(name, value);
    if (!response.headers.Has("x-amzn-RequestId")) res.set("x-amzn-RequestId", request_id_);
    res.set(http::field::date, HttpDate());
    res.set(http::field::server, "osprey");
    res.keep_alive(!close);
  };
  auto done = [self = shared_from_this(), close, status](beast::error_code ec, size_t n) {
    self->OnWritten(ec, n, close, status);
  };
  stream_.expires_after(server_->options.idle_timeout);
  if (response.shared_body) {
    // Cached bytes go out from the cache's own buffer: a segment of 1 MB
    // served a thousand times a second is not copied a thousand times.
    struct Held {
      std::shared_ptr<const std::string> bytes;
      http::response<http::span_body<const char>> res;
    };
    auto held = std::make_shared<Held>();
    held->bytes = std::move(response.shared_body);
    held->res.result(static_cast<http::status>(status));
    held->res.version(11);
    head(held->res);
    held->res.body() = http::span_body<const char>::value_type(held->bytes->data(),
                                                                held->bytes->size());
    held->res.prepare_payload();
    response_ = held;
    http::async_write(stream_, held->res, std::move(done));
    return;
  }
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status),
                                                                 11);
  head(*res);
  res->body() = std::move(response.body);
  res->prepare_payload();
  response_ = res;
  http::async_write(stream_, *res, std::move(done));
}

void HttpSession::OnWritten(beast::error_code ec, size_t bytes, bool close, int status) {
  server_->metrics.AddSent(bytes);
  response_.reset();
  FinishRequest(status);
  if (ec) return Close();
  if (close) return LingeringClose();
  WaitForRequest();
}

// Closing a socket that still has unread request bytes makes the kernel send
// RST, and the client may then lose the answer we just wrote (a 413 for a
// body it is still sending, say). So: send FIN, drain what the client still
// sends for a short while, then close.
void HttpSession::LingeringClose() {
  if (closed_) return;
  beast::error_code ec;
  // Over TLS this FIN comes without close_notify; the answer was framed
  // (Content-Length), so clients do not mistake it for a truncation.
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  lingering_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  Drain();
}

void HttpSession::Drain() {
  auto left = lingering_deadline_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return Close();
  stream_.expires_after(left);
  buffer_.consume(buffer_.size());
  stream_.async_read_some(buffer_.prepare(16 * 1024),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->Close();
                            self->Drain();
                          });
}

void HttpSession::EndStreaming(bool reusable, int status) {
  FinishRequest(status);
  if (!reusable || !keep_alive_ || server_->shutting_down) return Close();
  WaitForRequest();
}

void HttpSession::FinishRequest(int status) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (!in_request_) {
    server_->metrics.OnRequest("invalid", status, 0);
    return;
  }
  in_request_ = false;
  server_->in_flight--;
  std::string_view api = route_ ? std::string_view(route_->api) : "invalid";
  server_->metrics.OnRequest(api, status, seconds);
  log::Debug("http", "request",
             {{"api", api}, {"status", status}, {"ms", seconds * 1000}, {"remote", remote_},
              {"request_id", request_id_}});
}

void HttpSession::ReplyAndClose(int status, std::string type, std::string message) {
  RespondAndClose(ErrorResponse(ApiError{status, std::move(type), std::move(message)}));
}

void HttpSession::RespondAndClose(Response response) {
  if (request_id_.empty()) request_id_ = NewRequestId();
  keep_alive_ = false;
  response.close = true;
  WriteResponse(std::move(response));
}

void HttpSession::Close() {
  if (closed_) return;
  closed_ = true;
  if (in_request_) {
    in_request_ = false;
    server_->in_flight--;
  }
  stream_.Close();
}

}  // namespace osprey::server
