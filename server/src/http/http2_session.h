// Http2Session: one connection speaking HTTP/2 over cleartext with prior
// knowledge (h2c). The AWS SDK for JavaScript v3 Kinesis client and the Java
// SDK v2 async client use HTTP/2 for every call, so the server takes it on the
// same port: HttpSession hands the connection over when it sees the client
// preface. Framing, HPACK and flow control are nghttp2's; routing,
// limits and authentication are the same pipeline steps as HTTP/1.1.
//
// Streams map onto the same handlers: buffered routes get a Request and a
// Responder; streaming routes get an Exchange (Http2Exchange).
//
// Threading: everything runs on the connection's strand; public methods post
// there. nghttp2 is not thread-safe, and is only touched on the strand.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/beast/core.hpp>

#include "http/server_impl.h"
#include "http/transport.h"

struct nghttp2_session;

namespace osprey::server {

namespace beast = boost::beast;

class Http2Exchange;

class Http2Session : public Connection, public std::enable_shared_from_this<Http2Session> {
 public:
  // `already_read` holds the bytes HttpSession read (the client preface).
  Http2Session(Transport stream, beast::flat_buffer already_read,
               HttpServer::Impl* server, std::string remote);
  ~Http2Session() override;

  void Run();
  void BeginShutdown() override;
  void ForceClose() override;

  // One request/response exchange.
  struct Stream {
    int32_t id = 0;
    Request request;
    Route fallback;
    const Route* route = nullptr;
    bool answered_early = false;  // refused before its body arrived
    bool cors = false;            // the request carried Origin
    bool dispatched = false;
    int status = 0;
    std::chrono::steady_clock::time_point started;
    // Response body not yet handed to nghttp2; eof once nothing will follow.
    std::string out;
    size_t out_offset = 0;
    bool out_eof = false;
    std::deque<std::pair<size_t, std::function<void(Status)>>> out_done;  // end offset, callback
    // Streamed request body (routes that sign an empty payload).
    std::deque<std::string> in;
    bool in_eof = false;
    std::function<void(Status, std::string_view, bool)> pending_read;
    std::weak_ptr<Http2Exchange> exchange;
    std::function<void()> on_shutdown;  // set through Exchange::OnShutdown
  };

  // For Http2Exchange; strand only.
  Stream* Find(int32_t id);
  void SubmitResponse(int32_t id, Response response);
  void SubmitStreamedHeaders(int32_t id, int status, Headers headers);
  void AppendBody(int32_t id, std::string data, std::function<void(Status)> done);
  void EndBody(int32_t id);
  void ReadBody(int32_t id, std::function<void(Status, std::string_view, bool)> callback);
  void ResetStream(int32_t id);
  void Flush();
  net::any_io_executor executor() { return stream_.get_executor(); }
  bool shutting_down() const { return shutting_down_; }

 private:
  friend struct Http2Callbacks;

  void Read();
  void Close();
  void OnHeadersDone(Stream* s, bool end_stream);
  void Dispatch(Stream* s);
  void DeliverBody(Stream* s);
  void OnStreamClosed(int32_t id);

  Transport stream_;
  beast::flat_buffer buffer_;
  HttpServer::Impl* server_;
  std::string remote_;
  uint64_t id_ = 0;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  std::string writing_;  // bytes on their way to the socket
  bool write_pending_ = false;
  bool closed_ = false;
  bool shutting_down_ = false;
};

}  // namespace osprey::server
