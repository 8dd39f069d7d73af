// MPEG-DASH playback routes (video-api.md 6.4): POST
// /getDASHStreamingSessionURL (SigV4, service kinesisvideo) and the GET
// resources under /dash/v1/ (getDASHManifest.mpd, getMP4InitFragment.mp4,
// getMP4MediaFragment.mp4), authorised by their SessionToken alone.
//
// The MPD (playback/dash_manifest.h) lists the same fMP4 segments HLS
// serves, built by the same SegmentProvider; fragment selection is HLS's
// (playback/hls_session.h). Like HLS, the token key is 32 random bytes per
// process (a restarted server answers old URLs with 403) and the segment
// cache (shared with HLS, playback_state.h) is fixed until ServerOptions
// carries them.
//
// Threading: handlers run on the connection's thread; manifests and
// segments are built inline (a manifest reads and demuxes one fragment for
// the codec information; a segment remux is well under a millisecond).
#pragma once

#include <memory>

#include "osprey/server/router.h"
#include "video/playback_state.h"
#include "video/video_routes.h"

namespace osprey::server::video {

void RegisterDashRoutes(Router* router, std::shared_ptr<PlaybackState> state);

}  // namespace osprey::server::video
