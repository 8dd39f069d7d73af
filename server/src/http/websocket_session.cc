#include "http/websocket_session.h"

#include "osprey/base/logging.h"

namespace osprey::server {

WebSocketSession::WebSocketSession(Transport stream, HttpServer::Impl* server,
                                   Request request, http::request<http::empty_body> upgrade,
                                   Handler handler)
    : ws_(std::move(stream)),
      server_(server),
      request_(std::move(request)),
      upgrade_(std::move(upgrade)),
      handler_(std::move(handler)) {}

WebSocketSession::~WebSocketSession() {
  if (id_) server_->Unregister(id_);
  server_->open_connections--;
  server_->metrics.ConnectionClosed();
}

void WebSocketSession::Run() {
  id_ = server_->Register(weak_from_this());
  // The HTTP timeouts no longer apply; WebSocket pings take over.
  ws_.next_layer().expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [id = request_.request_id](websocket::response_type& res) {
        res.set("x-amzn-RequestId", id);
        res.set(http::field::server, "osprey");
      }));
  ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code ec) {
    if (ec) {
      log::Debug("http", "websocket handshake failed", {{"error", ec.message()}});
      return;
    }
    if (self->server_->shutting_down) return self->Close();
    self->handler_(self);
  });
}

void WebSocketSession::Read(ReadCallback callback) {
  net::post(ws_.get_executor(), [self = shared_from_this(), cb = std::move(callback)]() mutable {
    self->ws_.async_read(self->read_buffer_, [self, cb = std::move(cb)](beast::error_code ec,
                                                                          size_t n) mutable {
      if (ec) return cb(Status::Cancelled("websocket: " + ec.message()), {}, false);
      self->server_->metrics.AddReceived(n);
      std::string message = beast::buffers_to_string(self->read_buffer_.data());
      self->read_buffer_.consume(self->read_buffer_.size());
      cb(Status::Ok(), std::move(message), self->ws_.got_binary());
    });
  });
}

void WebSocketSession::Send(std::string message, bool binary, WriteCallback done) {
  net::post(ws_.get_executor(), [self = shared_from_this(), message = std::move(message), binary,
                                 done = std::move(done)]() mutable {
    if (self->closing_) {
      if (done) done(Status::Cancelled("websocket closing"));
      return;
    }
    self->outgoing_.push_back(Outgoing{std::move(message), binary, std::move(done)});
    self->Pump();
  });
}

void WebSocketSession::Pump() {
  if (writing_ || outgoing_.empty()) return;
  writing_ = true;
  ws_.binary(outgoing_.front().binary);
  ws_.async_write(net::buffer(outgoing_.front().message),
                  [self = shared_from_this()](beast::error_code ec, size_t n) {
                    self->writing_ = false;
                    Outgoing sent = std::move(self->outgoing_.front());
                    self->outgoing_.pop_front();
                    self->server_->metrics.AddSent(n);
                    if (sent.done) sent.done(ec ? Status::Cancelled(ec.message()) : Status::Ok());
                    if (ec) {
                      for (auto& o : self->outgoing_) {
                        if (o.done) o.done(Status::Cancelled("websocket closed"));
                      }
                      self->outgoing_.clear();
                      return;
                    }
                    self->Pump();
                  });
}

void WebSocketSession::Close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_) return;
    self->closing_ = true;
    self->ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {});
  });
}

void WebSocketSession::ForceClose() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    self->ws_.next_layer().Close();
  });
}

}  // namespace osprey::server
