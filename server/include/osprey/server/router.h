// Router: maps a request to the Route that serves it, by X-Amz-Target (the
// Kinesis and Firehose JSON protocols: POST / with the operation in a header)
// or by method and exact path (KVS REST-JSON, PutMedia, playback, /healthz).
//
// Threading: build it on one thread before the server starts; afterwards it
// is read-only and safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "osprey/server/http.h"

namespace osprey::server {

struct Route {
  enum class Body {
    kBuffered,   // whole body read (up to max_body_bytes) before the handler runs
    kStreaming,  // handler reads and writes through an Exchange; unless
                 // signs_empty_payload, the body is read whole (for its
                 // signature) first and the response alone is streamed
    kWebSocket,  // upgrade; handler gets a WebSocket
  };

  // Name used in metrics and logs, e.g. "PutRecord", "putMedia", "healthz".
  std::string api;
  // SigV4 credential-scope service the signature must name ("kinesis",
  // "kinesisvideo", "firehose"). Empty: the route needs no authentication.
  std::string service;
  Body body = Body::kBuffered;
  // 0 means the server's default (ServerOptions::max_body_bytes).
  size_t max_body_bytes = 0;
  // PutMedia rule (shared/spec/video-api.md 1.3): the signature covers the
  // SHA-256 of the empty string, never the body.
  bool signs_empty_payload = false;

  std::function<void(Request request, Responder respond)> buffered;
  std::function<void(std::shared_ptr<Exchange> exchange)> streaming;
  std::function<void(std::shared_ptr<WebSocket> socket)> websocket;
};

// What the router says about a request it has no route for.
struct Unrouted {
  ApiError error;
  // The SigV4 service the request should have been signed for, so that an
  // unauthenticated caller learns nothing about which operations exist.
  // Empty: no authentication (e.g. GET of an unknown page).
  std::string service;
  std::string content_type = "application/json";
};

class Router {
 public:
  // `target` is the full X-Amz-Target value, e.g. "Kinesis_20131202.PutRecord".
  void AddTarget(std::string target, Route route);
  // Exact match of method and path ("POST", "/putMedia").
  void AddPath(std::string method, std::string path, Route route);
  // Declares a JSON protocol family: targets beginning with `prefix` (e.g.
  // "Kinesis_20131202.") that match no route are unknown operations of
  // `service`, answered with `content_type`.
  void AddTargetFamily(std::string prefix, std::string service, std::string content_type);

  // The route for this request, or null with *unrouted filled in.
  const Route* Find(std::string_view method, std::string_view path,
                    std::string_view amz_target, Unrouted* unrouted) const;

 private:
  struct Family {
    std::string service;
    std::string content_type;
  };
  std::map<std::string, Route, std::less<>> targets_;
  std::map<std::string, Route, std::less<>> paths_;  // key: "METHOD /path"
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace osprey::server
