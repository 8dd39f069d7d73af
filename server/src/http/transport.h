// Transport: the byte stream under one server connection, plain TCP or TLS.
//
// Every connection type (HttpSession, Http2Session, StreamingExchange's
// borrowed stream, WebSocketSession's websocket::stream<Transport>) reads
// and writes through this one class, so TLS is decided once, at accept, and
// nothing above src/http knows whether a request came over TLS. It models
// Beast's AsyncReadStream/AsyncWriteStream; the choice is a run-time branch
// rather than a template parameter so that each session type stays a single
// class.
//
// Timeouts are the TCP layer's (beast::tcp_stream): expires_after() bounds
// the next TLS operation too, handshake included.
//
// Threading: as beast::tcp_stream: one operation of each direction at a
// time, on the connection's strand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace osprey::server {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

class Transport {
 public:
  using executor_type = beast::tcp_stream::executor_type;

  // Plain TCP.
  explicit Transport(net::ip::tcp::socket socket) : plain_(std::in_place, std::move(socket)) {}
  // TLS as the server; Handshake() before anything else. `context` must
  // outlive the transport.
  Transport(net::ip::tcp::socket socket, ssl::context& context)
      : tls_(std::in_place, beast::tcp_stream(std::move(socket)), context) {}

  Transport(Transport&&) = default;
  Transport& operator=(Transport&&) = default;

  bool is_tls() const { return tls_.has_value(); }
  executor_type get_executor() { return tcp().get_executor(); }
  beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  net::ip::tcp::socket& socket() { return tcp().socket(); }
  template <class Duration>
  void expires_after(Duration d) { tcp().expires_after(d); }
  void expires_never() { tcp().expires_never(); }

  // The protocol the TLS client and we agreed on by ALPN ("h2",
  // "http/1.1"); "" for plain TCP or when the client offered none.
  std::string alpn();

  // Shuts the socket down both ways and closes it, without a TLS
  // close_notify: used when giving up on a connection.
  void Close();

  template <class Handler>
  void async_handshake(Handler&& handler) {
    tls_->async_handshake(ssl::stream_base::server, std::forward<Handler>(handler));
  }

  template <class MutableBufferSequence, class ReadHandler>
  BOOST_ASIO_INITFN_RESULT_TYPE(ReadHandler, void(beast::error_code, std::size_t))
  async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<ReadHandler>(handler));
    return plain_->async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  template <class ConstBufferSequence, class WriteHandler>
  BOOST_ASIO_INITFN_RESULT_TYPE(WriteHandler, void(beast::error_code, std::size_t))
  async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<WriteHandler>(handler));
    return plain_->async_write_some(buffers, std::forward<WriteHandler>(handler));
  }

  // For websocket::stream<Transport>: closing the WebSocket ends TLS with
  // close_notify, plain TCP with a shutdown, as Beast does for each.
  friend void teardown(beast::role_type role, Transport& t, beast::error_code& ec) {
    using beast::websocket::teardown;
    if (t.tls_) return teardown(role, *t.tls_, ec);
    teardown(role, t.plain_->socket(), ec);
  }
  template <class TeardownHandler>
  friend void async_teardown(beast::role_type role, Transport& t, TeardownHandler&& handler) {
    using beast::websocket::async_teardown;
    if (t.tls_) return async_teardown(role, *t.tls_, std::forward<TeardownHandler>(handler));
    async_teardown(role, t.plain_->socket(), std::forward<TeardownHandler>(handler));
  }
  // For Beast's own timeouts (websocket): close the socket underneath.
  friend void beast_close_socket(Transport& t) { t.Close(); }

 private:
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
};

}  // namespace osprey::server
