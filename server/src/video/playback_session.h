// What HLS and DASH sessions share: the request checks of
// GetHLSStreamingSessionURL / GetDASHStreamingSessionURL (same modes, range
// rules and limits, video-api.md 6.3/6.4), the start of a session (stream,
// retention, first selection), and the opening of a session from a
// SessionToken on every resource request.
//
// Thread safety: free functions; they read thread-safe engines only.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "osprey/base/status.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/playback/hls_session.h"
#include "osprey/playback/session_token.h"
#include "osprey/server/http.h"
#include "video/kvs_json.h"
#include "video/playback_state.h"

namespace osprey::server::video {

// `value` must be one of `names` (ValidationError otherwise); its position,
// or `fallback` when absent.
Result<int> RequestEnum(std::string_view member, const std::optional<std::string>& value,
                        std::initializer_list<std::string_view> names, int fallback);

// Integer member in [lo, hi] (ValidationError otherwise), `fallback` when absent.
Result<int64_t> RequestIntIn(const JsonRequest& body, std::string_view member, int64_t lo,
                             int64_t hi, int64_t fallback);

// PlaybackMode, the selector object named `selector_member` (its type and
// TimestampRange), Expires and the result limit `max_member`; the protocol
// parses its own display options, then calls FinishClaims.
struct CommonClaims {
  playback::SessionClaims claims;
  bool has_range = false;
};
Result<CommonClaims> ParseCommonClaims(const JsonRequest& body, std::string_view selector_member,
                                       std::string_view max_member, int64_t now_ms);

// The mode's range rules (LIVE: no range; LIVE_REPLAY: a start; ON_DEMAND:
// both, at most 24 h, in the past for server time), then a fresh session id.
Status FinishClaims(const CommonClaims& parsed, int64_t now_ms, playback::SessionClaims* out);

// A session request up to its first fragment selection. `error` is set
// when the answer is an error; otherwise the claims carry the stream.
using ClaimsParser = Result<playback::SessionClaims> (*)(const JsonRequest&, int64_t now_ms);
struct SessionStart {
  std::optional<Response> error;
  playback::SessionClaims claims;
  std::shared_ptr<fragments::FragmentLog> log;
  playback::PlaylistSelection first;
};
SessionStart StartSession(std::string_view body_text, PlaybackState* state, ClaimsParser parse);

// {"<member>": url}.
Response SessionUrlResponse(std::string_view member, const std::string& url);

// A resource request's session: the SessionToken verified with the
// protocol's key, its stream still the one it was made for.
struct PlaybackSession {
  playback::SessionClaims claims;
  fragments::VideoStream stream;
  std::shared_ptr<fragments::FragmentLog> log;
};
Result<PlaybackSession> OpenPlaybackSession(const std::map<std::string, std::string>& params,
                                            PlaybackState* state);

// Resource answers a browser may read from any origin: a body, or the
// error (a bad token is 403 NotAuthorizedException).
Response ResourceBody(std::string body, std::string_view content_type);
// The same for cached segment bytes, sent without a copy (Response::shared_body).
Response ResourceBody(std::shared_ptr<const std::string> body, std::string_view content_type);
Response ResourceFail(const Status& status);

}  // namespace osprey::server::video
