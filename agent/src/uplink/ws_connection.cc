// WsConnection over libwebsockets (ws_connection.h). Everything that runs
// inside a libwebsockets callback is on the connection's service thread.
#include "uplink/ws_connection.h"

#include <libwebsockets.h>

#include <cstring>
#include <fstream>

#include "osprey/base/logging.h"

namespace osprey::agent::uplink {

namespace {

// libwebsockets logs to stderr by default; send its errors and warnings
// through our logfmt lines instead, once per process.
void RouteLwsLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    lws_set_log_level(LLL_ERR | LLL_WARN, [](int level, const char* line) {
      std::string text(line);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      if (level == LLL_ERR) log::Warn("agent.lws", text);
      else log::Debug("agent.lws", text);
    });
  });
}

}  // namespace

struct WsCallbacks {
  static int Callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
    auto* self = static_cast<WsConnection*>(lws_context_user(lws_get_context(wsi)));
    if (self == nullptr) return 0;
    switch (reason) {
      case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return self->AppendHeaders(wsi, static_cast<unsigned char**>(in), len);
      case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        std::lock_guard lock(self->mu_);
        self->established_ = true;
        if (!self->out_.empty()) lws_callback_on_writable(wsi);
        self->cv_.notify_all();
        return 0;
      }
      case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        // Set for an upgrade answered with something else than 101.
        const int http = lws_http_client_http_response(wsi);
        std::string why = in != nullptr ? std::string(static_cast<const char*>(in), len)
                                        : std::string("connection failed");
        const std::string where = self->options_.host + ":" + std::to_string(self->options_.port);
        Status s;
        if (http == 401 || http == 403) {
          s = Status::PermissionDenied("WebSocket upgrade to " + where + " refused: HTTP " +
                                       std::to_string(http) +
                                       " (check the access key id and secret key)");
        } else if (http == 404) {
          s = Status::NotFound("WebSocket upgrade to " + where + ": HTTP 404 (no /ws/putMedia)");
        } else {
          // libwebsockets' OpenSSL reasons are terse ("connect SSL err 1"):
          // name the usual cause.
          const bool tls_failed = self->options_.tls && why.find("SSL") != std::string::npos;
          s = Status::Unavailable(
              "WebSocket connect to " + where + ": " + why +
              (http > 0 ? " (HTTP " + std::to_string(http) + ")" : "") +
              (tls_failed ? " (TLS handshake failed: is the server certificate trusted by the "
                            "system store or --ca-file, and issued for this host?)"
                          : ""));
        }
        std::lock_guard lock(self->mu_);
        self->connect_error_ = s;
        self->closed_ = true;
        self->wsi_ = nullptr;
        self->cv_.notify_all();
        return 0;
      }
      case LWS_CALLBACK_CLIENT_RECEIVE: {
        self->partial_.append(static_cast<const char*>(in), len);
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
        const bool binary = lws_frame_is_binary(wsi) != 0;
        std::string message = std::move(self->partial_);
        self->partial_.clear();
        if (binary) return 0;  // the server sends text only
        std::lock_guard lock(self->mu_);
        self->in_.push_back(std::move(message));
        self->cv_.notify_all();
        return 0;
      }
      case LWS_CALLBACK_CLIENT_WRITEABLE:
        return self->OnWritable(wsi);
      case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
        int code = len >= 2 ? (static_cast<const unsigned char*>(in)[0] << 8) |
                                  static_cast<const unsigned char*>(in)[1]
                            : 0;
        std::lock_guard lock(self->mu_);
        self->close_reason_ = "closed by the server (code " + std::to_string(code) + ")";
        return 0;
      }
      case LWS_CALLBACK_CLIENT_CLOSED: {
        std::lock_guard lock(self->mu_);
        self->closed_ = true;
        self->wsi_ = nullptr;
        self->cv_.notify_all();
        return 0;
      }
      case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        // Another thread queued bytes or asked for an abort.
        std::lock_guard lock(self->mu_);
        if (self->wsi_ != nullptr && self->established_ && (self->abort_ || !self->out_.empty())) {
          lws_callback_on_writable(self->wsi_);
        }
        return 0;
      }
      default:
        return 0;
    }
  }
};

namespace {

const lws_protocols kProtocols[] = {
    // rx: acks are < 1 KiB; tx: a whole message per lws_write.
    {"osprey-putmedia", &WsCallbacks::Callback, 0, 16 * 1024, 0, nullptr,
     WsConnection::kMaxMessage},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

Result<std::unique_ptr<WsConnection>> WsConnection::Connect(WsConnectOptions options) {
  RouteLwsLogs();
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    return Status::InvalidArgument("cannot read the CA file " + options.ca_file);
  }
  std::unique_ptr<WsConnection> conn(new WsConnection(std::move(options)));
  const WsConnectOptions& o = conn->options_;
  const unsigned timeout_s =
      static_cast<unsigned>(std::max<int64_t>(1, (o.connect_timeout.count() + 999) / 1000));

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.gid = -1;
  info.uid = -1;
  info.user = conn.get();
  info.timeout_secs = timeout_s;
  info.connect_timeout_secs = timeout_s;
  if (o.tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (!o.ca_file.empty()) info.client_ssl_ca_filepath = o.ca_file.c_str();
  }
  conn->context_ = lws_create_context(&info);
  if (conn->context_ == nullptr) {
    return Status::InvalidArgument("cannot create the libwebsockets context" +
                                   (o.ca_file.empty() ? std::string() : " (CA file " + o.ca_file + ")"));
  }

  lws_client_connect_info ci;
  std::memset(&ci, 0, sizeof ci);
  ci.context = conn->context_;
  ci.address = o.host.c_str();
  ci.port = o.port;
  ci.ssl_connection = o.tls ? LCCSCF_USE_SSL : 0;
  ci.path = o.target.c_str();
  ci.host = o.host_header.c_str();
  ci.origin = o.host_header.c_str();
  ci.protocol = nullptr;  // no Sec-WebSocket-Protocol: the server expects none
  ci.local_protocol_name = kProtocols[0].name;
  // A failure may be reported through the callback inside this call; then
  // closed_ is already set and the returned pointer is not kept.
  lws* wsi = lws_client_connect_via_info(&ci);
  {
    std::lock_guard lock(conn->mu_);
    if (!conn->closed_) {
      if (wsi == nullptr) {
        conn->closed_ = true;
        conn->connect_error_ = Status::Unavailable("WebSocket connect to " + o.host + ":" +
                                                   std::to_string(o.port) + " failed");
      } else {
        conn->wsi_ = wsi;
      }
    }
  }
  conn->service_ = std::thread([c = conn.get()] { c->Service(); });

  std::unique_lock lock(conn->mu_);
  const bool done = conn->cv_.wait_for(lock, o.connect_timeout,
                                       [&] { return conn->established_ || conn->closed_; });
  if (!done) {
    return Status::DeadlineExceeded("WebSocket connect to " + o.host + ":" +
                                    std::to_string(o.port) + " timed out");
  }
  if (!conn->established_) {
    Status s = conn->connect_error_.ok() ? Status::Unavailable("WebSocket closed during the upgrade")
                                         : conn->connect_error_;
    return s;
  }
  lock.unlock();
  return conn;
}

WsConnection::~WsConnection() {
  {
    std::lock_guard lock(mu_);
    stop_service_ = true;
    abort_ = true;
  }
  if (context_ != nullptr) lws_cancel_service(context_);
  if (service_.joinable()) service_.join();
  // Closes what is still open; its callbacks run here, with members alive.
  if (context_ != nullptr) lws_context_destroy(context_);
}

void WsConnection::Service() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_service_) return;
    }
    if (lws_service(context_, 0) < 0) {
      std::lock_guard lock(mu_);
      closed_ = true;
      wsi_ = nullptr;
      cv_.notify_all();
      return;
    }
  }
}

Status WsConnection::Queue(std::string_view bytes, bool binary) {
  // Stored with LWS_PRE bytes of headroom, which lws_write needs before the
  // payload, so the service thread writes it without another copy.
  std::string framed(LWS_PRE + bytes.size(), '\0');
  std::memcpy(framed.data() + LWS_PRE, bytes.data(), bytes.size());
  bool was_empty = false;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || abort_ || out_bytes_ < options_.send_buffer_bytes; });
    if (closed_ || abort_) {
      return Status::Unavailable("WebSocket closed" +
                                 (close_reason_.empty() ? std::string() : ": " + close_reason_));
    }
    was_empty = out_.empty();
    out_.push_back({std::move(framed), binary});
    out_bytes_ += bytes.size();
  }
  // A non-empty queue always has a writable callback pending (see
  // OnWritable), so only the first message needs to wake the service thread.
  if (was_empty) lws_cancel_service(context_);
  return Status::Ok();
}

Status WsConnection::SendBinary(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kMaxMessage);
    OSPREY_RETURN_IF_ERROR(Queue(bytes.substr(0, n), /*binary=*/true));
    bytes.remove_prefix(n);
  }
  return Status::Ok();
}

Status WsConnection::SendText(std::string_view text) { return Queue(text, /*binary=*/false); }

Result<std::string> WsConnection::ReadText(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !in_.empty() || closed_ || abort_; })) {
    return Status::DeadlineExceeded("no message from the server for " +
                                    std::to_string(timeout.count()) + " ms");
  }
  // Messages that arrived before a close or an abort are still delivered:
  // the last acks (PERSISTED, the server's error) come just before it.
  if (!in_.empty()) {
    std::string message = std::move(in_.front());
    in_.pop_front();
    return message;
  }
  return Status::Unavailable(abort_ ? std::string("WebSocket aborted")
                                    : "WebSocket " + (close_reason_.empty() ? std::string("closed")
                                                                            : close_reason_));
}

void WsConnection::Abort() {
  {
    std::lock_guard lock(mu_);
    abort_ = true;
    cv_.notify_all();
  }
  lws_cancel_service(context_);
}

// Writes queued messages until the queue is empty or the socket is full.
// Invariant: when it returns with messages queued, a writable callback is
// pending.
int WsConnection::OnWritable(lws* wsi) {
  for (;;) {
    OutMessage m;
    bool more = false;
    {
      std::lock_guard lock(mu_);
      if (abort_) return -1;  // closes the connection
      if (out_.empty()) return 0;
      m = std::move(out_.front());
      out_.pop_front();
      out_bytes_ -= m.bytes.size() - LWS_PRE;
      more = !out_.empty();
      cv_.notify_all();
    }
    const size_t size = m.bytes.size() - LWS_PRE;
    auto* payload = reinterpret_cast<unsigned char*>(m.bytes.data() + LWS_PRE);
    const int n = lws_write(wsi, payload, size, m.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (n < static_cast<int>(size)) return -1;
    if (!more) return 0;
    if (lws_send_pipe_choked(wsi)) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
}

int WsConnection::AppendHeaders(lws* wsi, unsigned char** p, size_t len) {
  unsigned char* end = *p + len;
  for (const auto& [name, value] : options_.extra_headers) {
    const std::string n = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), p, end) != 0) {
      return -1;
    }
  }
  return 0;
}

}  // namespace osprey::agent::uplink
