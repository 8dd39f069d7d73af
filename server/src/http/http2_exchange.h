// Http2Exchange: the Exchange (http.h) of one HTTP/2 stream. Every call is
// posted to the connection strand and forwarded to the Http2Session by
// stream id, so a stream reset by the client simply stops finding itself.
#pragma once

#include <memory>

#include "http/http2_session.h"

namespace osprey::server {

class Http2Exchange : public Exchange, public std::enable_shared_from_this<Http2Exchange> {
 public:
  Http2Exchange(std::shared_ptr<Http2Session> session, int32_t stream_id, Request request)
      : session_(std::move(session)), id_(stream_id), request_(std::move(request)) {}
  ~Http2Exchange() override;

  const Request& request() const override { return request_; }
  void ReadSome(ReadCallback callback) override;
  void StartResponse(int status, Headers headers) override;
  void Write(std::string data, WriteCallback done) override;
  void Finish() override;
  void Respond(Response response) override;
  void Abort() override;
  void OnShutdown(std::function<void()> callback) override;

 private:
  template <typename F>
  void OnStrand(F f) {
    net::post(session_->executor(), [self = shared_from_this(), f = std::move(f)]() mutable { f(); });
  }

  std::shared_ptr<Http2Session> session_;
  int32_t id_;
  Request request_;
};

}  // namespace osprey::server
