// The KVS side of the access check (access/access_control.h): which
// streams a KVS request names, and the answer to a refusal.
//
// A refusal is 403 with x-amzn-ErrorType AccessDeniedException. The KVS
// error table (video-api.md 1.4) has 401 NotAuthorizedException for
// authentication problems; a policy refusal is a different answer ("you are
// known, but may not do this"), so it carries the name every other Osprey
// family and IAM use for it, and the 403 our KVS signature errors already
// use. The producer C SDK treats 401 and 403 alike (not retried).
//
// Threading: as the handlers they wrap (any strand).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/server/http.h"
#include "osprey/server/router.h"
#include "video/video_routes.h"

namespace osprey::server::video {

// nullopt when the caller may perform kinesisvideo:<action> on `streams`
// (names or ARNs; empty: the account), else the 403 answer.
std::optional<ApiError> CheckAccess(const VideoContext& context, const Request& request,
                                    std::string_view action, std::vector<std::string> streams);

// Wraps a JSON route (buffered, or streaming whose body is read whole
// before the handler runs): the StreamName, StreamARN and ResourceARN of
// the body are checked for kinesisvideo:<action> before the handler runs,
// and control-plane changes are audited. Returns `route` unchanged when the
// context has no access control.
Route Guarded(VideoContext* context, std::string action, Route route);

}  // namespace osprey::server::video
