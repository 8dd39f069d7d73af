// HTTP types shared by the server's protocol adapters (Kinesis JSON, KVS
// REST-JSON, PutMedia, playback). No Beast types appear here: handlers are
// written against these plain structs and the two streaming interfaces below,
// so the HTTP library stays behind server/src/http (shared/STYLE.md 4.8).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/status.h"

namespace osprey::server {

// Header fields in arrival order. Names keep their case as received; lookups
// are case-insensitive (RFC 9110). Repeated names are kept (SigV4 joins them).
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  void Add(std::string name, std::string value) { entries_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field of that name with one.
  void Set(std::string_view name, std::string value);
  // The first value of `name`, if any.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Route;

// One HTTP request as a handler sees it. Immutable once handed to a handler.
struct Request {
  std::string method;       // "POST"
  std::string target;       // request-target as received: path and "?query", still encoded
  std::string path;         // target before '?'
  std::string query;        // target after '?', without it; may be empty
  Headers headers;
  std::string body;         // complete body for buffered routes; empty for streaming ones
  std::string request_id;   // UUID, echoed as x-amzn-RequestId
  std::string remote;       // peer "ip:port"
  std::string access_key_id;  // the authenticated caller; empty with --auth=none
  // An in-process caller that authenticated its own way (the web console,
  // behind its password and cookie, docs/security.md): access-key policies
  // do not apply to it; the audit log still names it by access_key_id.
  bool internal = false;
  const Route* route = nullptr;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, sent instead of `body` without copying it: immutable bytes
  // shared with a cache (HLS/DASH segments), kept alive until written.
  std::shared_ptr<const std::string> shared_body;
  // Closes the connection after this response even on keep-alive.
  bool close = false;

  const std::string& Body() const { return shared_body ? *shared_body : body; }

  static Response Json(int status, std::string body,
                       std::string_view content_type = "application/json");
  static Response Text(int status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
};

// An AWS-shaped error: HTTP status, x-amzn-ErrorType and the JSON body
// {"__type": type, "message": message}. Adapters build these; the engines
// only ever return Status.
struct ApiError {
  int status = 400;
  std::string type;     // e.g. "ResourceNotFoundException"
  std::string message;  // may be empty (UnknownOperationException has none)
};

// Renders `error` in the AWS JSON error model. `content_type` lets the Kinesis
// adapter answer in application/x-amz-json-1.1.
Response ErrorResponse(const ApiError& error, std::string_view content_type = "application/json");

// Called exactly once per buffered request with the answer. May be called
// from any thread; the connection's strand takes it from there.
using Responder = std::function<void(Response)>;

// A request whose body and/or response are open-ended: PutMedia uploads a
// chunked body while ACK events stream back on the same request; GetMedia
// streams a body of unknown length. Reads and writes are independent and may
// be in flight at the same time.
//
// Threading: every method may be called from any thread; callbacks run on the
// connection's strand and must not block. The object stays valid while any
// shared_ptr to it is held; once the connection is gone, calls fail with
// Cancelled (reads, writes) or do nothing (Finish, Abort).
class Exchange {
 public:
  using ReadCallback = std::function<void(Status status, std::string_view data, bool eof)>;
  using WriteCallback = std::function<void(Status status)>;

  virtual ~Exchange() = default;
  virtual const Request& request() const = 0;

  // Reads the next piece of the request body (any size). `data` is valid
  // only during the callback. At most one read may be outstanding; `eof`
  // is true once the body is complete (data may be non-empty with it).
  virtual void ReadSome(ReadCallback callback) = 0;

  // Sends the status line and headers; the body that follows is chunked.
  // Call at most once, before Write.
  virtual void StartResponse(int status, Headers headers) = 0;
  // Queues one chunk. Writes go out in call order; `done` (optional) runs
  // when the chunk is on the socket or has failed.
  virtual void Write(std::string data, WriteCallback done = {}) = 0;
  // Sends the terminating chunk. The connection serves its next request only
  // if the request body was also read to its end; otherwise it closes.
  virtual void Finish() = 0;

  // Answers with a complete, non-streamed response (for errors found before
  // streaming began). Replaces StartResponse/Write/Finish.
  virtual void Respond(Response response) = 0;
  // Drops the connection at once.
  virtual void Abort() = 0;

  // `callback` runs once, on the connection's strand, when the server starts
  // shutting down while this exchange is open, so a long-lived stream
  // (PutMedia, GetMedia) can end cleanly within the grace period: seal what
  // it has, send its last answer, Finish(). Without it the stream is cut
  // when the grace period ends. Set it before streaming begins.
  virtual void OnShutdown(std::function<void()> callback) = 0;
};

// A WebSocket connection, after the upgrade on the same port.
// Threading: as for Exchange.
class WebSocket {
 public:
  using ReadCallback = std::function<void(Status status, std::string message, bool binary)>;
  using WriteCallback = std::function<void(Status status)>;

  virtual ~WebSocket() = default;
  // The upgrade request (authenticated like any other).
  virtual const Request& request() const = 0;
  // Reads one message; one read at a time. A closed connection reports
  // Status::Cancelled.
  virtual void Read(ReadCallback callback) = 0;
  // Queues one message; messages go out in call order.
  virtual void Send(std::string message, bool binary, WriteCallback done = {}) = 0;
  // Starts the closing handshake.
  virtual void Close() = 0;
};

}  // namespace osprey::server
