// StreamingExchange: the Exchange (http.h) of one streaming request. It
// borrows the session's stream: reads go through a buffer_body parser so
// body bytes reach the handler as they arrive, and the response is written
// as chunks from a queue, so a read and a write can be in flight together.
//
// Threading: public methods post to the connection strand; everything else
// runs there.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>

#include "http/session.h"

namespace osprey::server {

class StreamingExchange : public Exchange, public std::enable_shared_from_this<StreamingExchange> {
 public:
  // The body is still on the wire: ReadSome streams it (PutMedia).
  StreamingExchange(std::shared_ptr<HttpSession> session,
                    http::request_parser<http::empty_body>&& header_parser, Request request,
                    bool keep_alive);
  // The body was read (and signed over) already and is in request.body;
  // ReadSome reports end of body at once (GetMedia, SubscribeToShard).
  StreamingExchange(std::shared_ptr<HttpSession> session, Request request, bool keep_alive);
  ~StreamingExchange() override;

  const Request& request() const override { return request_; }
  void ReadSome(ReadCallback callback) override;
  void StartResponse(int status, Headers headers) override;
  void Write(std::string data, WriteCallback done) override;
  void Finish() override;
  void Respond(Response response) override;
  void Abort() override;
  void OnShutdown(std::function<void()> callback) override;

  // Strand only: the server is shutting down (HttpSession::BeginShutdown).
  void NotifyShutdown();

 private:
  struct Item {
    enum Kind { kHeader, kChunk, kLast, kFull } kind;
    std::string data;
    WriteCallback done;
  };

  void DoRead(ReadCallback callback);
  void Enqueue(Item item);
  void Pump();
  void OnWritten(beast::error_code ec, size_t bytes);
  void Fail();
  void MaybeEnd();
  bool BodyDone() const { return !parser_ || parser_->is_done(); }

  std::shared_ptr<HttpSession> session_;
  std::optional<http::request_parser<http::buffer_body>> parser_;  // empty: body already read
  Request request_;
  bool keep_alive_;
  std::array<char, 64 * 1024> read_buffer_;

  std::deque<Item> queue_;
  std::optional<Item> current_;
  std::shared_ptr<http::response<http::empty_body>> header_;
  std::unique_ptr<http::response_serializer<http::empty_body>> serializer_;
  std::shared_ptr<http::response<http::string_body>> full_;
  int status_ = 0;
  bool started_ = false;   // a response (header or full) has been queued
  bool writing_ = false;
  bool response_done_ = false;
  bool ended_ = false;     // the session has been given the connection back
  bool dead_ = false;      // the connection failed or was aborted
  bool shutdown_seen_ = false;
  std::function<void()> on_shutdown_;
};

}  // namespace osprey::server
