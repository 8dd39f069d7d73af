// HLS playback routes (video-api.md 6.3): POST /getHLSStreamingSessionURL
// (SigV4, service kinesisvideo) and the GET resources under /hls/v1/, which
// are authorised by their SessionToken alone (players send no signature).
//
// The session token key is 32 random bytes made at start-up (DASH has its
// own; playback_state.h): tokens die with the process (a restarted server
// answers old URLs with 403 and players ask for a new URL). The segment
// cache (256 MiB, shared with DASH) and the key belong in ServerOptions.
//
// Threading: handlers run on the connection's thread; playlists and segment
// remuxing are done inline (measured for a 1 s, ~400 KB 1080p fragment:
// demux 25-40 us, fMP4 50-400 us, MPEG-TS 190-480 us; playback_remux_tools
// RemuxCost1080p). A LIVE media playlist walks the index from the session's
// anchor to number its fragments (playback/hls_session.h).
#pragma once

#include <memory>

#include "osprey/server/router.h"
#include "video/playback_state.h"
#include "video/video_routes.h"

namespace osprey::server::video {

void RegisterHlsRoutes(Router* router, std::shared_ptr<PlaybackState> state);

}  // namespace osprey::server::video
