#include "http/http2_exchange.h"

namespace osprey::server {

Http2Exchange::~Http2Exchange() {
  // The handler let go without finishing: end the stream rather than leave
  // the client waiting.
  auto session = session_;
  int32_t id = id_;
  net::post(session->executor(), [session, id] {
    Http2Session::Stream* s = session->Find(id);
    if (s != nullptr && !s->out_eof) session->ResetStream(id);
  });
}

void Http2Exchange::ReadSome(ReadCallback callback) {
  OnStrand([this, cb = std::move(callback)]() mutable { session_->ReadBody(id_, std::move(cb)); });
}

void Http2Exchange::StartResponse(int status, Headers headers) {
  OnStrand([this, status, headers = std::move(headers)]() mutable {
    session_->SubmitStreamedHeaders(id_, status, std::move(headers));
  });
}

void Http2Exchange::Write(std::string data, WriteCallback done) {
  OnStrand([this, data = std::move(data), done = std::move(done)]() mutable {
    session_->AppendBody(id_, std::move(data), std::move(done));
  });
}

void Http2Exchange::Finish() {
  OnStrand([this] { session_->EndBody(id_); });
}

void Http2Exchange::Respond(Response response) {
  OnStrand([this, response = std::move(response)]() mutable {
    session_->SubmitResponse(id_, std::move(response));
  });
}

void Http2Exchange::OnShutdown(std::function<void()> callback) {
  OnStrand([this, cb = std::move(callback)]() mutable {
    Http2Session::Stream* s = session_->Find(id_);
    if (s == nullptr) return;
    if (session_->shutting_down()) return cb();
    s->on_shutdown = std::move(cb);
  });
}

void Http2Exchange::Abort() {
  OnStrand([this] { session_->ResetStream(id_); });
}

}  // namespace osprey::server
