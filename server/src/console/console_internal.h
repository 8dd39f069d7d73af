// Shared state and helpers of the console's files: console_routes.cc (the
// pages, sign-in, the cookie gate), console_streams.cc (stream list and
// timeline) and console_media.cc (thumbnail, HLS session, clip).
//
// Thread safety: the state is immutable after RegisterConsoleRoutes except
// ConsoleAuth, which is thread-safe; the router is read-only once the
// server runs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "console/console_auth.h"
#include "osprey/server/http.h"
#include "osprey/server/router.h"
#include "osprey/streams/stream_engine.h"
#include "video/video_routes.h"

namespace osprey::server::console {

struct ConsoleState : std::enable_shared_from_this<ConsoleState> {
  ConsoleState(std::string password, std::function<int64_t()> clock)
      : auth(std::move(password), clock), now_ms(std::move(clock)) {}
  ConsoleAuth auth;
  std::function<int64_t()> now_ms;
  video::VideoContext* video = nullptr;
  // Data streams, for the ML events; null when the server has none.
  streams::StreamEngine* streams = nullptr;
  // The server's router: the console calls the API's own handlers
  // (getHLSStreamingSessionURL, getClip, getImages) through it, after its
  // cookie check stood in for the signature check.
  const Router* router = nullptr;
  bool secure_cookie = false;

  // The newest thumbnail per stream and height: every open grid asks for
  // it each time a fragment arrives, and one decode should serve them all.
  struct Thumb {
    uint64_t fragment = 0;
    std::string jpeg;
  };
  std::mutex thumbs_mu;
  std::map<std::string, Thumb> thumbs;  // "<height>/<stream>"; GUARDED_BY(thumbs_mu)
};

using Query = std::map<std::string, std::string>;

// {"error": message} with `status`, never cached.
Response JsonError(int status, std::string_view message);
// `body` as JSON 200, never cached.
Response JsonOk(std::string body);

// The named query parameter as epoch ms; InvalidArgument naming it.
Result<int64_t> QueryMs(const Query& query, const std::string& name);

// Calls the buffered handler of the API route `method path` with `body`,
// as the authenticated console, and hands its answer to `done` (which may
// run on another thread). 500 when the route is not registered.
void CallApi(const ConsoleState& state, std::string_view path, std::string body,
             std::function<void(Response)> done);

// The error message of a KVS-shaped error answer ({"message": ...}), or a
// generic one.
std::string ApiErrorMessage(const Response& response);

// console_streams.cc
Response ListStreams(const ConsoleState& state);
Response Timeline(const ConsoleState& state, const Query& query);

// console_events.cc: track_start and intrusion events of the stream from
// the `osprey-events` data stream ({"source": null} when it does not exist).
Response Events(const ConsoleState& state, const Query& query);

// console_media.cc
void Thumbnail(ConsoleState& state, const Query& query, Responder respond);
void HlsSession(const ConsoleState& state, const Query& query, Responder respond);
void Clip(const ConsoleState& state, const Query& query, Responder respond);

}  // namespace osprey::server::console
