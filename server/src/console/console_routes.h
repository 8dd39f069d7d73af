// The web console at /console (docs/security.md "Web console" for the
// sign-in model, server/src/console/README.md for the API).
//
// Pages: GET /console (one HTML page; the browser routes between the
// sign-in, the camera grid and the player by URL fragment) and the
// embedded assets under /console/assets/ (console_assets.h), hls.js
// among them. None needs a cookie: they hold no data.
//
// API, JSON unless said otherwise, all behind the session cookie (401
// {"error": ...} without a valid one) except sign-in:
//   POST /console/api/signin   {"password": "..."} -> Set-Cookie; 401 wrong
//                              password, 429 + Retry-After when locked out
//   POST /console/api/signout  revokes the cookie, clears it
//   GET  /console/api/session  {"expires": ms}: is this browser signed in
//   GET  /console/api/streams  every stream: status, retention, bitrate,
//                              newest fragment
//   GET  /console/api/timeline?stream=&start=&end=   covered intervals
//   GET  /console/api/events?stream=&start=&end=     ML event markers
//   GET  /console/api/thumbnail?stream=[&height=]    JPEG, newest keyframe
//   GET  /console/api/hls?stream=&mode=LIVE|ON_DEMAND[&start=&end=]
//                              {"url": "/hls/v1/...SessionToken=..."}
//   GET  /console/api/clip?stream=&start=&end=       MP4 attachment
// Times are epoch milliseconds, server timestamps.
//
// Threading: register before the server starts; handlers run on
// connection threads or, for the media calls, on the playback job pool.
#pragma once

#include <string>

#include "osprey/base/status.h"
#include "osprey/server/router.h"
#include "osprey/streams/stream_engine.h"
#include "video/video_routes.h"

namespace osprey::server::console {

struct ConsoleOptions {
  std::string password;  // the console_password option; empty: from the data dir
  std::string data_dir;  // absolute
  // Mark the cookie Secure (sent over HTTPS only): set when the server's
  // public URL is https://, i.e. it sits behind a TLS proxy.
  bool secure_cookie = false;
};

// Loads or generates the password (a generated one is logged once, with
// the file it was saved to) and adds the routes. `router` must be the
// server's router, already holding the video API routes, and outlive the
// server with `video` and `streams` (may be null: no event markers).
Status RegisterConsoleRoutes(const ConsoleOptions& options, video::VideoContext* video,
                             streams::StreamEngine* streams, Router* router);

}  // namespace osprey::server::console
