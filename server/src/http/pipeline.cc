#include "http/pipeline.h"

#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"

namespace osprey::server {

const Route* ResolveRoute(const Router& router, const Request& request, Route* fallback) {
  Unrouted unrouted;
  std::string_view amz_target = request.headers.Get("X-Amz-Target").value_or("");
  if (const Route* route = router.Find(request.method, request.path, amz_target, &unrouted)) {
    return route;
  }
  *fallback = Route{};
  fallback->api = "unknown";
  fallback->service = unrouted.service;
  fallback->buffered = [error = unrouted.error, type = unrouted.content_type](Request,
                                                                             Responder respond) {
    respond(ErrorResponse(error, type));
  };
  return fallback;
}

bool StreamsRequestBody(const Route& route) {
  return route.body == Route::Body::kStreaming && route.signs_empty_payload;
}

size_t BodyLimit(const Route& route, const HttpServerOptions& options) {
  return route.max_body_bytes ? route.max_body_bytes : options.max_body_bytes;
}

Response TooLargeResponse(uint64_t announced, size_t limit) {
  std::string message = announced ? "Request body of " + std::to_string(announced) +
                                        " bytes exceeds the limit of " + std::to_string(limit) +
                                        " bytes"
                                  : "Request body exceeds the limit of " + std::to_string(limit) +
                                        " bytes";
  return ErrorResponse(ApiError{413, "RequestEntityTooLargeException", std::move(message)});
}

std::string PayloadHash(const Route& route, std::string_view body) {
  return route.signs_empty_payload ? std::string(auth::kEmptyPayloadSha256) : auth::Sha256Hex(body);
}

std::optional<Response> CheckAuthentication(const Authenticator& authenticate, const Route& route,
                                            std::string_view payload_hash, Request* request) {
  if (!authenticate || route.service.empty()) return std::nullopt;
  AuthDecision decision = authenticate(*request, payload_hash, route.service);
  if (decision.ok) {
    request->access_key_id = decision.access_key_id;
    return std::nullopt;
  }
  log::Debug("http", "authentication failed",
             {{"remote", request->remote}, {"type", decision.error.type},
              {"reason", decision.error.message}});
  return ErrorResponse(decision.error);
}

std::optional<Response> CorsPreflight(const Request& request) {
  if (request.method != "OPTIONS" || !request.headers.Has("Origin")) return std::nullopt;
  Response r;
  r.status = 200;
  r.headers.Add("Access-Control-Allow-Origin", "*");
  if (auto h = request.headers.Get("Access-Control-Request-Headers")) {
    r.headers.Add("Access-Control-Allow-Headers", std::string(*h));
  }
  if (auto m = request.headers.Get("Access-Control-Request-Method")) {
    r.headers.Add("Access-Control-Allow-Methods", std::string(*m));
  }
  r.headers.Add("Access-Control-Max-Age", "172800");
  return r;
}

const Route& PreflightRoute() {
  static const Route* route = [] {
    auto* r = new Route;  // never destroyed: used until the process exits
    r->api = "preflight";
    return r;
  }();
  return *route;
}

void AddCorsHeaders(Headers* headers) {
  if (headers->Has("Access-Control-Allow-Origin")) return;
  headers->Add("Access-Control-Allow-Origin", "*");
  headers->Add("Access-Control-Expose-Headers",
               "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,"
               "x-amzn-ErrorMessage,Date");
}

}  // namespace osprey::server
