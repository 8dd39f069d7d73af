// WebSocketSession: a connection after a WebSocket upgrade on the HTTP port.
// It owns the socket from the upgrade on; the route's handler receives it as
// a WebSocket (http.h).
//
// Threading: public methods post to the connection strand.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "http/server_impl.h"
#include "http/transport.h"

namespace osprey::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

class WebSocketSession : public Connection,
                         public WebSocket,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  using Handler = std::function<void(std::shared_ptr<WebSocket>)>;

  WebSocketSession(Transport stream, HttpServer::Impl* server, Request request,
                   http::request<http::empty_body> upgrade, Handler handler);
  ~WebSocketSession() override;

  // Completes the handshake, then calls the handler.
  void Run();

  const Request& request() const override { return request_; }
  void Read(ReadCallback callback) override;
  void Send(std::string message, bool binary, WriteCallback done) override;
  void Close() override;

  void BeginShutdown() override { Close(); }
  void ForceClose() override;

 private:
  struct Outgoing {
    std::string message;
    bool binary;
    WriteCallback done;
  };
  void Pump();

  websocket::stream<Transport> ws_;
  HttpServer::Impl* server_;
  Request request_;
  http::request<http::empty_body> upgrade_;
  Handler handler_;
  uint64_t id_ = 0;
  beast::flat_buffer read_buffer_;
  std::deque<Outgoing> outgoing_;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace osprey::server
