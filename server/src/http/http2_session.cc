#include "http/http2_session.h"

#include <nghttp2/nghttp2.h>

#include <cstring>
#include <functional>
#include <vector>

#include "http/http2_exchange.h"
#include "http/pipeline.h"
#include "http/util.h"
#include "osprey/base/logging.h"

namespace osprey::server {

// nghttp2's C callbacks, forwarding to the session (user_data).
struct Http2Callbacks {
  static Http2Session* Self(void* user_data) { return static_cast<Http2Session*>(user_data); }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Http2Session* self = Self(user_data);
    auto s = std::make_unique<Http2Session::Stream>();
    s->id = frame->hd.stream_id;
    s->request.request_id = NewRequestId();
    s->request.remote = self->remote_;
    s->started = std::chrono::steady_clock::now();
    self->streams_[s->id] = std::move(s);
    self->server_->in_flight++;
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                      void* user_data) {
    Http2Session::Stream* s = Self(user_data)->Find(frame->hd.stream_id);
    if (s == nullptr) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":method") {
      s->request.method = std::move(v);
    } else if (n == ":path") {
      s->request.target = std::move(v);
      SplitTarget(s->request.target, &s->request.path, &s->request.query);
    } else if (n == ":authority") {
      // SigV4 signs "host"; over HTTP/2 the client sends :authority instead.
      // Some SDKs (JavaScript v3) sign ":authority" itself, so it is kept
      // under its own name too.
      s->request.headers.Add(":authority", v);
      if (!s->request.headers.Has("host")) s->request.headers.Add("host", std::move(v));
    } else if (!n.empty() && n[0] != ':') {
      if (n == "host") s->request.headers.Set("host", std::move(v));
      else s->request.headers.Add(std::string(n), std::move(v));
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Http2Session* self = Self(user_data);
    Http2Session::Stream* s = self->Find(frame->hd.stream_id);
    if (s == nullptr) return 0;
    bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      self->OnHeadersDone(s, end_stream);
    } else if (frame->hd.type == NGHTTP2_DATA && end_stream) {
      s->in_eof = true;
      if (!s->dispatched && !s->answered_early) self->Dispatch(s);
      else self->DeliverBody(s);
    }
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t len, void* user_data) {
    Http2Session* self = Self(user_data);
    Http2Session::Stream* s = self->Find(stream_id);
    self->server_->metrics.AddReceived(len);
    // Only bytes handed to a streaming handler wait for it to reopen the
    // window; everything else (buffered bodies, data for a stream already
    // answered or gone) is consumed at once, or the connection-wide window
    // would shrink for every other stream.
    bool to_handler = s != nullptr && s->dispatched && !s->answered_early;
    if (!to_handler) nghttp2_session_consume(session, stream_id, len);
    if (s == nullptr || s->answered_early) return 0;
    if (to_handler) {
      // Flow control: the window reopens only as the handler reads.
      s->in.emplace_back(reinterpret_cast<const char*>(data), len);
      self->DeliverBody(s);
      return 0;
    }
    size_t limit = BodyLimit(*s->route, self->server_->options);
    if (s->request.body.size() + len > limit) {
      s->answered_early = true;
      self->SubmitResponse(stream_id, TooLargeResponse(0, limit));
      return 0;
    }
    s->request.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  // A complete answer sent while the client is still uploading (a refused
  // body, a stream wound down at shutdown): tell the client to stop with
  // RST_STREAM(NO_ERROR), as RFC 9113 8.1 allows, so the stream closes now.
  static int OnFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
    if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) return 0;
    Http2Session::Stream* s = Self(user_data)->Find(frame->hd.stream_id);
    if (s != nullptr && !s->in_eof) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    Self(user_data)->OnStreamClosed(stream_id);
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
    Http2Session* self = Self(user_data);
    Http2Session::Stream* s = self->Find(stream_id);
    if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t available = s->out.size() - s->out_offset;
    size_t n = std::min(length, available);
    std::memcpy(buf, s->out.data() + s->out_offset, n);
    s->out_offset += n;
    // Writers learn their chunk is taken once nghttp2 has it; run their
    // callbacks later, outside nghttp2.
    while (!s->out_done.empty() && s->out_done.front().first <= s->out_offset) {
      net::post(self->executor(), [cb = std::move(s->out_done.front().second)] { cb(Status::Ok()); });
      s->out_done.pop_front();
    }
    if (s->out_offset == s->out.size()) {
      s->out.clear();
      s->out_offset = 0;
      if (s->out_eof) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      } else if (n == 0) {
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(n);
  }
};

ssize_t Http2ProvideBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                         uint32_t* data_flags, nghttp2_data_source* source, void* user_data) {
  return Http2Callbacks::ReadBody(session, stream_id, buf, length, data_flags, source, user_data);
}

Http2Session::Http2Session(Transport stream, beast::flat_buffer already_read,
                           HttpServer::Impl* server, std::string remote)
    : stream_(std::move(stream)),
      buffer_(std::move(already_read)),
      server_(server),
      remote_(std::move(remote)) {}

Http2Session::~Http2Session() {
  if (id_) server_->Unregister(id_);
  server_->in_flight -= static_cast<int64_t>(streams_.size());
  if (session_) nghttp2_session_del(session_);
  server_->open_connections--;
  server_->metrics.ConnectionClosed();
}

Http2Session::Stream* Http2Session::Find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Http2Session::Run() {
  id_ = server_->Register(weak_from_this());
  nghttp2_session_callbacks* callbacks;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Http2Callbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Http2Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Http2Callbacks::OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Callbacks::OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Http2Callbacks::OnFrameSend);
  nghttp2_option* option;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 128},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(server_->options.max_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // Feed what HttpSession already read (at least the preface).
  auto data = buffer_.data();
  ssize_t rv = nghttp2_session_mem_recv(session_, static_cast<const uint8_t*>(data.data()),
                                        data.size());
  buffer_.consume(buffer_.size());
  if (rv < 0) return Close();
  Flush();
  Read();
}

void Http2Session::Read() {
  if (closed_) return;
  // An HTTP/2 connection carrying a long-lived stream (SubscribeToShard) may
  // see no client bytes for minutes; the idle timeout applies only when no
  // stream is open.
  if (streams_.empty()) stream_.expires_after(server_->options.idle_timeout);
  else stream_.expires_never();
  stream_.async_read_some(buffer_.prepare(16 * 1024),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            if (ec) return self->Close();
                            self->buffer_.commit(n);
                            auto data = self->buffer_.data();
                            ssize_t rv = nghttp2_session_mem_recv(
                                self->session_, static_cast<const uint8_t*>(data.data()),
                                data.size());
                            self->buffer_.consume(self->buffer_.size());
                            if (rv < 0) {
                              log::Debug("http2", "protocol error",
                                         {{"remote", self->remote_},
                                          {"error", nghttp2_strerror(static_cast<int>(rv))}});
                              self->Flush();
                              return self->Close();
                            }
                            self->Flush();
                            self->Read();
                          });
}

void Http2Session::Flush() {
  if (closed_ || write_pending_) return;
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return Close();
    if (n == 0) break;
    writing_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    if (writing_.size() >= 64 * 1024) break;
  }
  if (writing_.empty()) {
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) Close();
    return;
  }
  write_pending_ = true;
  net::async_write(stream_, net::buffer(writing_),
                   [self = shared_from_this()](beast::error_code ec, size_t n) {
                     self->write_pending_ = false;
                     self->server_->metrics.AddSent(n);
                     self->writing_.clear();
                     if (ec) return self->Close();
                     self->Flush();
                   });
}

void Http2Session::OnHeadersDone(Stream* s, bool end_stream) {
  s->cors = s->request.headers.Has("Origin");
  if (auto preflight = CorsPreflight(s->request)) {
    s->answered_early = true;
    s->route = &PreflightRoute();
    return SubmitResponse(s->id, std::move(*preflight));
  }
  s->route = ResolveRoute(*server_->router, s->request, &s->fallback);
  s->request.route = s->route;
  size_t limit = BodyLimit(*s->route, server_->options);
  // nghttp2 has already checked that content-length is a number and will
  // hold the body to it.
  auto length_header = s->request.headers.Get("content-length");
  uint64_t length =
      length_header ? std::strtoull(std::string(*length_header).c_str(), nullptr, 10) : 0;
  if (length > limit && !StreamsRequestBody(*s->route)) {
    s->answered_early = true;
    return SubmitResponse(s->id, TooLargeResponse(length, limit));
  }
  if (s->route->body == Route::Body::kWebSocket) {
    s->answered_early = true;
    return SubmitResponse(s->id, ErrorResponse(ApiError{400, "InvalidArgumentException",
                                                        "WebSocket routes need HTTP/1.1"}));
  }
  // A streamed request body (PutMedia) starts flowing to the handler now;
  // everything else is dispatched once its body is complete.
  if (end_stream) s->in_eof = true;
  if (end_stream || StreamsRequestBody(*s->route)) {
    Dispatch(s);
  }
}

void Http2Session::Dispatch(Stream* s) {
  s->dispatched = true;
  if (auto denied = CheckAuthentication(server_->authenticate, *s->route,
                                        PayloadHash(*s->route, s->request.body), &s->request)) {
    s->answered_early = true;
    return SubmitResponse(s->id, std::move(*denied));
  }
  auto self = shared_from_this();
  int32_t id = s->id;
  if (s->route->body == Route::Body::kStreaming) {
    auto exchange = std::make_shared<Http2Exchange>(self, id, s->request);
    s->exchange = exchange;
    s->route->streaming(std::move(exchange));
    return;
  }
  Request request = std::move(s->request);
  s->request = Request{};
  s->request.request_id = request.request_id;
  s->route->buffered(std::move(request), [self, id](Response response) {
    net::post(self->executor(), [self, id, response = std::move(response)]() mutable {
      self->SubmitResponse(id, std::move(response));
    });
  });
}

void Http2Session::Close() {
  if (closed_) return;
  closed_ = true;
  for (auto& [id, s] : streams_) {
    if (s->pending_read) std::exchange(s->pending_read, nullptr)(Status::Cancelled("closed"), {}, false);
  }
  stream_.Close();
}

void Http2Session::BeginShutdown() {
  net::post(executor(), [self = shared_from_this()] {
    if (self->closed_ || self->shutting_down_) return;
    self->shutting_down_ = true;
    // GOAWAY: no new streams; those in flight finish, then the connection
    // closes (Flush sees nghttp2 wanting neither to read nor to write).
    nghttp2_submit_goaway(self->session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(self->session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    std::vector<std::function<void()>> callbacks;
    for (auto& [id, s] : self->streams_) {
      if (s->on_shutdown) callbacks.push_back(std::exchange(s->on_shutdown, nullptr));
    }
    for (auto& cb : callbacks) cb();
    self->Flush();
  });
}

void Http2Session::ForceClose() {
  net::post(executor(), [self = shared_from_this()] { self->Close(); });
}

}  // namespace osprey::server
