// The protocol-independent steps every request goes through, shared by the
// HTTP/1.1 session and the HTTP/2 session so both answer alike: route
// resolution (with the router's own error for an unknown operation), body
// limits, the payload hash the signature must cover, and authentication.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/server/http.h"
#include "osprey/server/http_server.h"
#include "osprey/server/router.h"

namespace osprey::server {

// The route for `request`. When none matches, `*fallback` becomes a buffered
// route answering the router's error (UnknownOperationException...) and is
// returned; it must outlive the request.
const Route* ResolveRoute(const Router& router, const Request& request, Route* fallback);

// True when the request body goes to the handler as it arrives (PutMedia:
// a streaming route whose signature covers the empty payload). Every other
// body is read whole, within BodyLimit, before the handler runs, because
// its signature covers it.
bool StreamsRequestBody(const Route& route);

// The largest body a buffered route accepts.
size_t BodyLimit(const Route& route, const HttpServerOptions& options);

// 413 for a body over `limit` (`announced` = its Content-Length, 0 if unknown).
Response TooLargeResponse(uint64_t announced, size_t limit);

// The SHA-256 the signature must cover: the body's, or the empty string's
// for routes that sign an empty payload (PutMedia).
std::string PayloadHash(const Route& route, std::string_view body);

// Checks the signature when the route needs one; sets request->access_key_id
// on success. Returns the error answer on failure.
std::optional<Response> CheckAuthentication(const Authenticator& authenticate, const Route& route,
                                            std::string_view payload_hash, Request* request);

// CORS, as Kinesis answers browsers (data-streams spec 1): an OPTIONS
// request with Origin is a preflight, answered here without authentication.
std::optional<Response> CorsPreflight(const Request& request);
// The route preflights are counted under in metrics (api="preflight").
const Route& PreflightRoute();
// Adds the headers a cross-origin caller needs to read our answers. Call
// only when the request carried an Origin header.
void AddCorsHeaders(Headers* headers);

}  // namespace osprey::server
