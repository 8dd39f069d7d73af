// Shared state and helpers of the HLS handlers (hls.cc, hls_resources.cc).
//
// Thread safety: the state (playback_state.h, shared with DASH) is
// immutable after construction except the cache, which is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "osprey/playback/segment_cache.h"
#include "osprey/playback/segment_provider.h"
#include "osprey/playback/session_token.h"
#include "osprey/server/http.h"
#include "video/playback_state.h"
#include "video/video_routes.h"

namespace osprey::server::video {

using HlsState = PlaybackState;

// GET /hls/v1/<resource>?query -> the response (errors included).
Response ServeHlsResource(std::string_view resource, std::string_view query, HlsState* state);

// Query string parameters, percent-decoded; the first of a repeated name.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace osprey::server::video
