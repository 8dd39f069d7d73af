// HttpSession: one TCP connection speaking HTTP/1.1 with keep-alive, over
// plain TCP or TLS (Transport; a TLS connection handshakes first, within the
// header timeout).
//
// Life of a request: wait for the first byte (idle timeout) -> read the
// header (header timeout) -> route -> for buffered routes check the body
// size, read the body, verify the signature, run the handler, write the
// answer; streaming routes hand the connection to a StreamingExchange and
// WebSocket routes to a WebSocketSession. The session resumes reading the
// next request when the answer is written, unless either side asked to
// close or the server is shutting down.
//
// Threading: all members are touched only on the connection's strand.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/server_impl.h"
#include "http/transport.h"

namespace osprey::server {

class StreamingExchange;

namespace beast = boost::beast;
namespace http = boost::beast::http;

class HttpSession : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Transport stream, HttpServer::Impl* server);
  ~HttpSession() override;

  void Start();
  void BeginShutdown() override;
  void ForceClose() override;

  // Used by StreamingExchange, which borrows the stream and the parser, and
  // gives the connection back when its request and response are complete.
  Transport& stream() { return stream_; }
  bool keep_alive() const { return keep_alive_; }
  beast::flat_buffer& buffer() { return buffer_; }
  HttpServer::Impl* server() { return server_; }
  void WriteResponse(Response response);
  // The streaming request is over: keep-alive if `reusable`, else close.
  void EndStreaming(bool reusable, int status);

 private:
  void Handshake();
  void WaitForRequest();
  bool MaybeHttp2();
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void Dispatch();
  void ContinueThen(std::function<void()> next);
  void ReadBody(size_t limit);
  void OnBody(beast::error_code ec);
  bool Authenticate(std::string_view payload_hash);
  void StartStreaming();
  void StartWebSocket();
  void OnWritten(beast::error_code ec, size_t bytes, bool close, int status);
  void FinishRequest(int status);
  void Close();
  void LingeringClose();
  void Drain();
  void ReplyAndClose(int status, std::string type, std::string message);
  void RespondAndClose(Response response);

  Transport stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl* server_;
  uint64_t id_ = 0;
  std::string remote_;

  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  // The message being written (a string_body or span_body response, and
  // the shared bytes a span points into), kept alive until OnWritten.
  std::shared_ptr<void> response_;

  // The request in progress.
  Request request_;
  Route unrouted_route_;  // serves requests no route matched
  std::weak_ptr<StreamingExchange> exchange_;  // the streaming request in progress
  const Route* route_ = nullptr;
  bool in_request_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool handed_off_ = false;
  bool cors_ = false;  // the request carried Origin
  uint64_t requests_ = 0;  // requests begun on this connection  // the socket now belongs to a WebSocketSession
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point lingering_deadline_;
};

}  // namespace osprey::server
