// Shared state and helpers of the DASH handlers (dash.cc, dash_resources.cc).
//
// A DASH session is a playback::SessionClaims like an HLS one, signed with
// the DASH routes' own key, so an HLS token is no DASH token and vice versa
// (the segments are shared: playback_state.h). DASH has no container or discontinuity choice; its DisplayFragmentNumber
// travels in the claims' `discontinuity` field (kAlways = ALWAYS, kNever =
// NEVER) so the token format stays the one of session_token.h.
//
// Thread safety: the state is immutable after construction except the
// cache, which is thread-safe. The free functions are pure or read thread-safe
// engines.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "osprey/fragments/fragment_store.h"
#include "osprey/playback/dash_manifest.h"
#include "osprey/playback/segment_cache.h"
#include "osprey/playback/segment_provider.h"
#include "osprey/playback/session_token.h"
#include "osprey/server/http.h"
#include "video/playback_state.h"
#include "video/video_routes.h"

namespace osprey::server::video {

using DashState = PlaybackState;

inline bool DisplayFragmentNumber(const playback::SessionClaims& claims) {
  return claims.discontinuity == playback::DiscontinuityMode::kAlways;
}

// A KVS error with its own exception name (the codec checks below).
struct DashError {
  int status = 400;
  std::string type;
};

// The MPD representations of a stream, from one stored fragment: video
// (H.264/H.265: CODECS, size and frame rate from the SPS) and AAC audio.
// Bandwidths are this fragment's bytes per track over its length; the
// caller may raise the video one to the session's peak. On failure
// `error` names the KVS exception: UnsupportedStreamMediaTypeException (no
// H.264/H.265 track), MissingCodecPrivateDataException (empty
// CodecPrivate), InvalidCodecPrivateDataException (an SPS that does not
// parse), InvalidMediaFrameException (the fragment does not demux).
Result<std::vector<playback::DashRepresentation>> DescribeDashTracks(
    const fragments::StoredFragment& fragment, DashError* error);

// GET /dash/v1/<resource>?query -> the response (errors included).
Response ServeDashResource(std::string_view resource, std::string_view query, DashState* state);

}  // namespace osprey::server::video
