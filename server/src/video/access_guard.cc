#include "video/access_guard.h"

#include <memory>

#include "access/access_control.h"
#include "video/kvs_json.h"

namespace osprey::server::video {

namespace {

// The members a KVS body names streams with. A body that does not parse,
// or a member of the wrong type, is left to the handler, which refuses it
// before touching anything.
std::vector<std::string> StreamsOf(std::string_view body) {
  std::vector<std::string> streams;
  Result<JsonRequest> json = JsonRequest::Parse(body);
  if (!json.ok()) return streams;
  for (std::string_view member : {"StreamName", "StreamARN", "ResourceARN"}) {
    auto value = json->String(member);
    if (value.ok() && value->has_value()) streams.push_back(**value);
  }
  return streams;
}

}  // namespace

std::optional<ApiError> CheckAccess(const VideoContext& context, const Request& request,
                                    std::string_view action, std::vector<std::string> streams) {
  if (context.access == nullptr) return std::nullopt;
  const access::Call call{"kinesisvideo", action, std::move(streams), false};
  Status status = context.access->Authorize(request, call);
  if (status.ok()) return std::nullopt;
  return ApiError{403, "AccessDeniedException", status.message()};
}

Route Guarded(VideoContext* context, std::string action, Route route) {
  if (context->access == nullptr) return route;
  if (route.buffered) {
    route.buffered = [context, action, inner = std::move(route.buffered)](Request request,
                                                                          Responder respond) {
      const access::Call call{"kinesisvideo", action, StreamsOf(request.body), false};
      respond = context->access->Audited(request, call, std::move(respond));
      Status status = context->access->Authorize(request, call);
      if (!status.ok()) {
        return respond(ErrorResponse({403, "AccessDeniedException", status.message()}));
      }
      inner(std::move(request), std::move(respond));
    };
  }
  if (route.streaming) {
    route.streaming = [context, action,
                       inner = std::move(route.streaming)](std::shared_ptr<Exchange> exchange) {
      const Request& request = exchange->request();
      if (auto denied = CheckAccess(*context, request, action, StreamsOf(request.body))) {
        return exchange->Respond(ErrorResponse(*denied));
      }
      inner(std::move(exchange));
    };
  }
  return route;
}

}  // namespace osprey::server::video
