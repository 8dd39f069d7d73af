// WsConnection: one client WebSocket through libwebsockets, with a blocking
// API for the Uplink's writer and reader threads. The libwebsockets header
// is included only by ws_connection.cc.
//
// Each connection owns a libwebsockets context and one service thread that
// runs every libwebsockets callback (connect, handshake headers, writes,
// received frames, close). The other threads only touch the queues below
// under mu_ and wake the service thread with lws_cancel_service(), the one
// libwebsockets call documented as safe from another thread.
//
// Threading: SendBinary/SendText from one writer thread, ReadText from one
// reader thread, concurrently; Abort from any thread unblocks both. The
// destructor (any thread but the service thread) closes the socket and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "osprey/base/result.h"

struct lws;
struct lws_context;

namespace osprey::agent::uplink {

struct WsConnectOptions {
  bool tls = false;
  std::string host;         // to connect to
  uint16_t port = 80;
  std::string host_header;  // the Host header (signed by the caller)
  std::string target;       // path and query of the upgrade request
  // Added to the upgrade request by the handshake callback, as "Name: value"
  // (Authorization, X-Amz-Date, ...).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::string ca_file;  // wss: trust these CAs instead of the system store
  std::chrono::milliseconds connect_timeout{5000};
  size_t send_buffer_bytes = size_t{1} << 20;
};

class WsConnection {
 public:
  // Connects and completes the upgrade. PermissionDenied for a 401/403
  // answer, NotFound for 404, Unavailable for other refusals and transport
  // or TLS failures (libwebsockets' reason in the message),
  // DeadlineExceeded after connect_timeout, InvalidArgument when the
  // context cannot be made (e.g. an unreadable ca_file).
  static Result<std::unique_ptr<WsConnection>> Connect(WsConnectOptions options);
  ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Queues `bytes` as binary messages (at most kMaxMessage each; the server
  // takes the MKV body split anywhere). Blocks while more than
  // send_buffer_bytes are queued. Unavailable once the socket is closed.
  Status SendBinary(std::string_view bytes);
  Status SendText(std::string_view text);
  // The next complete text message (binary ones are dropped: the server
  // sends none). Unavailable when the socket closed and nothing is queued,
  // DeadlineExceeded after `timeout`.
  Result<std::string> ReadText(std::chrono::milliseconds timeout);
  // The first received, not yet read text message for which `match` is
  // true, left in place for ReadText. For the writer, to explain a close.
  template <typename Pred>
  std::optional<std::string> PeekText(Pred match) {
    std::lock_guard lock(mu_);
    for (const std::string& m : in_) {
      if (match(m)) return m;
    }
    return std::nullopt;
  }
  void Abort();

  static constexpr size_t kMaxMessage = 512 * 1024;

 private:
  friend struct WsCallbacks;  // the libwebsockets protocol callback (ws_connection.cc)
  struct OutMessage {
    std::string bytes;  // LWS_PRE bytes of headroom, then the payload
    bool binary = true;
  };
  explicit WsConnection(WsConnectOptions options) : options_(std::move(options)) {}
  Status Queue(std::string_view bytes, bool binary);
  void Service();

  // Service thread only (callbacks).
  int OnWritable(lws* wsi);
  int AppendHeaders(lws* wsi, unsigned char** p, size_t len);

  const WsConnectOptions options_;
  lws_context* context_ = nullptr;
  std::thread service_;
  std::string partial_;  // service thread: a text message arriving in frames

  std::mutex mu_;
  std::condition_variable cv_;
  lws* wsi_ = nullptr;               // guarded by mu_; null once closed
  bool established_ = false;         // guarded by mu_
  bool closed_ = false;              // guarded by mu_; set once, never cleared
  bool abort_ = false;               // guarded by mu_
  bool stop_service_ = false;        // guarded by mu_
  std::string close_reason_;         // guarded by mu_
  Status connect_error_;             // guarded by mu_
  std::deque<OutMessage> out_;       // guarded by mu_
  size_t out_bytes_ = 0;             // guarded by mu_
  std::deque<std::string> in_;       // guarded by mu_
};

}  // namespace osprey::agent::uplink
