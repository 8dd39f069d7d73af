#include "http/streaming_exchange.h"

#include <limits>

#include "http/pipeline.h"
#include "http/util.h"

namespace osprey::server {

StreamingExchange::StreamingExchange(std::shared_ptr<HttpSession> session,
                                     http::request_parser<http::empty_body>&& header_parser,
                                     Request request, bool keep_alive)
    : session_(std::move(session)),
      parser_(std::in_place, std::move(header_parser)),
      request_(std::move(request)),
      keep_alive_(keep_alive) {
  // Streaming bodies (PutMedia) are open-ended: no size limit here; the
  // handler decides what is too much.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
}

StreamingExchange::StreamingExchange(std::shared_ptr<HttpSession> session, Request request,
                                     bool keep_alive)
    : session_(std::move(session)), request_(std::move(request)), keep_alive_(keep_alive) {}

StreamingExchange::~StreamingExchange() {
  if (!ended_) {
    // The handler let go without finishing: the connection cannot be reused.
    auto session = session_;
    net::post(session->stream().get_executor(), [session] { session->EndStreaming(false, 0); });
  }
}

void StreamingExchange::ReadSome(ReadCallback callback) {
  net::post(session_->stream().get_executor(),
            [self = shared_from_this(), cb = std::move(callback)]() mutable {
              self->DoRead(std::move(cb));
            });
}

void StreamingExchange::DoRead(ReadCallback callback) {
  if (dead_ || ended_) return callback(Status::Cancelled("connection closed"), {}, false);
  if (BodyDone()) return callback(Status::Ok(), {}, true);
  parser_->get().body().data = read_buffer_.data();
  parser_->get().body().size = read_buffer_.size();
  session_->stream().expires_after(session_->server()->options.idle_timeout);
  http::async_read_some(
      session_->stream(), session_->buffer(), *parser_,
      [self = shared_from_this(), cb = std::move(callback)](beast::error_code ec, size_t) mutable {
        size_t got = self->read_buffer_.size() - self->parser_->get().body().size;
        if (ec == http::error::need_buffer) ec = {};
        if (ec) {
          self->Fail();
          return cb(Status::Cancelled("request body: " + ec.message()), {}, false);
        }
        bool eof = self->parser_->is_done();
        // A read may consume only chunk framing; go on until there is data.
        if (got == 0 && !eof) return self->DoRead(std::move(cb));
        self->session_->server()->metrics.AddReceived(got);
        cb(Status::Ok(), std::string_view(self->read_buffer_.data(), got), eof);
        if (eof) self->MaybeEnd();
      });
}

void StreamingExchange::StartResponse(int status, Headers headers) {
  net::post(session_->stream().get_executor(),
            [self = shared_from_this(), status, headers = std::move(headers)]() mutable {
              if (self->started_) return;
              self->started_ = true;
              self->status_ = status;
              auto res = std::make_shared<http::response<http::empty_body>>(
                  static_cast<http::status>(status), 11);
              if (self->request_.headers.Has("Origin")) AddCorsHeaders(&headers);
              for (const auto& [name, value] : headers.entries()) res->insert(name, value);
              res->set("x-amzn-RequestId", self->request_.request_id);
              res->set(http::field::date, HttpDate());
              res->set(http::field::server, "osprey");
              res->keep_alive(self->keep_alive_ && self->session_->keep_alive());
              res->chunked(true);
              self->header_ = res;
              self->serializer_ = std::make_unique<http::response_serializer<http::empty_body>>(*res);
              self->Enqueue(Item{Item::kHeader, {}, {}});
            });
}

void StreamingExchange::Write(std::string data, WriteCallback done) {
  net::post(session_->stream().get_executor(),
            [self = shared_from_this(), data = std::move(data), done = std::move(done)]() mutable {
              if (data.empty()) {  // an empty chunk would end the body
                if (done) done(Status::Ok());
                return;
              }
              self->Enqueue(Item{Item::kChunk, std::move(data), std::move(done)});
            });
}

void StreamingExchange::Finish() {
  net::post(session_->stream().get_executor(),
            [self = shared_from_this()] { self->Enqueue(Item{Item::kLast, {}, {}}); });
}

void StreamingExchange::Respond(Response response) {
  net::post(session_->stream().get_executor(),
            [self = shared_from_this(), response = std::move(response)]() mutable {
              if (self->started_) return;
              self->started_ = true;
              self->status_ = response.status;
              auto res = std::make_shared<http::response<http::string_body>>(
                  static_cast<http::status>(response.status), 11);
              if (self->request_.headers.Has("Origin")) AddCorsHeaders(&response.headers);
              for (const auto& [name, value] : response.headers.entries()) res->insert(name, value);
              res->set("x-amzn-RequestId", self->request_.request_id);
              res->set(http::field::date, HttpDate());
              res->set(http::field::server, "osprey");
              res->body() = response.shared_body ? *response.shared_body : std::move(response.body);
              // The body may not have been read, so the connection closes.
              res->keep_alive(self->BodyDone() && !response.close &&
                              self->session_->keep_alive());
              res->prepare_payload();
              self->full_ = res;
              self->Enqueue(Item{Item::kFull, {}, {}});
            });
}

void StreamingExchange::Abort() {
  net::post(session_->stream().get_executor(), [self = shared_from_this()] { self->Fail(); });
}

void StreamingExchange::OnShutdown(std::function<void()> callback) {
  net::post(session_->stream().get_executor(),
            [self = shared_from_this(), cb = std::move(callback)]() mutable {
              if (self->shutdown_seen_) {
                if (!self->ended_) cb();
                return;
              }
              self->on_shutdown_ = std::move(cb);
            });
}

void StreamingExchange::NotifyShutdown() {
  if (shutdown_seen_) return;
  shutdown_seen_ = true;
  if (on_shutdown_ && !ended_) std::exchange(on_shutdown_, nullptr)();
}

void StreamingExchange::Enqueue(Item item) {
  if (dead_ || ended_) {
    if (item.done) item.done(Status::Cancelled("connection closed"));
    return;
  }
  queue_.push_back(std::move(item));
  Pump();
}

void StreamingExchange::Pump() {
  if (writing_ || queue_.empty() || dead_) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  auto self = shared_from_this();
  auto on_written = [self](beast::error_code ec, size_t n) { self->OnWritten(ec, n); };
  auto& stream = session_->stream();
  switch (current_->kind) {
    case Item::kHeader:
      http::async_write_header(stream, *serializer_, on_written);
      break;
    case Item::kChunk:
      net::async_write(stream, http::make_chunk(net::buffer(current_->data)), on_written);
      break;
    case Item::kLast:
      net::async_write(stream, http::make_chunk_last(), on_written);
      break;
    case Item::kFull:
      http::async_write(stream, *full_, on_written);
      break;
  }
}

void StreamingExchange::OnWritten(beast::error_code ec, size_t bytes) {
  writing_ = false;
  Item item = std::move(*current_);
  current_.reset();
  session_->server()->metrics.AddSent(bytes);
  if (ec) {
    if (item.done) item.done(Status::Cancelled("response: " + ec.message()));
    return Fail();
  }
  if (item.done) item.done(Status::Ok());
  if (item.kind == Item::kLast || item.kind == Item::kFull) {
    response_done_ = true;
    return MaybeEnd();
  }
  Pump();
}

void StreamingExchange::Fail() {
  if (dead_) return;
  dead_ = true;
  for (auto& item : queue_) {
    if (item.done) item.done(Status::Cancelled("connection closed"));
  }
  queue_.clear();
  if (!ended_) {
    ended_ = true;
    session_->EndStreaming(false, status_);
  }
}

void StreamingExchange::MaybeEnd() {
  if (ended_ || !response_done_) return;
  ended_ = true;
  // Reusable only if both directions completed cleanly; a response that
  // ended before the request body leaves unread bytes on the wire.
  bool reusable = BodyDone() && (full_ ? full_->keep_alive() : header_->keep_alive());
  session_->EndStreaming(reusable, status_);
}

}  // namespace osprey::server
