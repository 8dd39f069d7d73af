// POST /getDASHStreamingSessionURL and the registration of the DASH routes
// (dash_routes.h; video-api.md 6.4). Same modes and range rules as HLS
// (docs/playback.md), then: the stream must retain data
// (NoDataRetentionException), hold a fragment the session would play (404
// "No fragments found ..."), and carry a track DASH can describe (the codec
// exceptions of DescribeDashTracks); the options go into a signed token.
#include "osprey/playback/hls_session.h"
#include "video/access_guard.h"
#include "video/dash_internal.h"
#include "video/dash_routes.h"
#include "video/kvs_json.h"
#include "video/playback_session.h"

namespace osprey::server::video {
namespace {

using playback::SessionClaims;

// The claims of the request, validated; stream fields filled by StartSession.
Result<SessionClaims> ParseClaims(const JsonRequest& body, int64_t now_ms) {
  OSPREY_ASSIGN_OR_RETURN(
      CommonClaims parsed,
      ParseCommonClaims(body, "DASHFragmentSelector", "MaxManifestFragmentResults", now_ms));
  SessionClaims& c = parsed.claims;
  OSPREY_ASSIGN_OR_RETURN(auto show_ts, body.String("DisplayFragmentTimestamp"));
  OSPREY_ASSIGN_OR_RETURN(
      int ts, RequestEnum("displayFragmentTimestamp", show_ts, {"ALWAYS", "NEVER"}, 1));
  c.display_fragment_timestamp = ts == 0;
  OSPREY_ASSIGN_OR_RETURN(auto show_fn, body.String("DisplayFragmentNumber"));
  OSPREY_ASSIGN_OR_RETURN(int fn,
                          RequestEnum("displayFragmentNumber", show_fn, {"ALWAYS", "NEVER"}, 1));
  c.discontinuity = fn == 0 ? playback::DiscontinuityMode::kAlways  // dash_internal.h
                            : playback::DiscontinuityMode::kNever;
  OSPREY_RETURN_IF_ERROR(FinishClaims(parsed, now_ms, &c));
  return c;
}

Response Create(std::string_view body_text, DashState* state) {
  SessionStart start = StartSession(body_text, state, &ParseClaims);
  if (start.error) return std::move(*start.error);
  // KVS refuses a session whose media it cannot package up front, with the
  // codec exceptions; the first fragment stands for the stream.
  Result<fragments::StoredFragment> fragment = start.log->Read(start.first.fragments.front().index);
  if (!fragment.ok()) return KvsFail(fragment.status());
  DashError error;
  auto tracks = DescribeDashTracks(*fragment, &error);
  if (!tracks.ok()) return ErrorResponse({error.status, error.type, tracks.status().message()});
  return SessionUrlResponse("DASHStreamingSessionURL",
                            state->context->data_endpoint +
                                "/dash/v1/getDASHManifest.mpd?SessionToken=" +
                                state->signer.Encode(start.claims));
}

}  // namespace

void RegisterDashRoutes(Router* router, std::shared_ptr<PlaybackState> state) {
  Route session;
  session.api = "getDASHStreamingSessionURL";
  session.service = "kinesisvideo";
  session.buffered = [state](Request request, Responder respond) {
    respond(Create(request.body, state.get()));
  };
  router->AddPath("POST", "/getDASHStreamingSessionURL",
                  Guarded(state->context, "GetDASHStreamingSessionURL", std::move(session)));

  for (const char* resource :
       {"getDASHManifest.mpd", "getMP4InitFragment.mp4", "getMP4MediaFragment.mp4"}) {
    Route get;
    get.api = std::string("dash/") + resource;
    get.service = "";  // authorised by the SessionToken, not SigV4
    get.buffered = [state, name = std::string(resource)](Request request, Responder respond) {
      respond(ServeDashResource(name, request.query, state.get()));
    };
    router->AddPath("GET", std::string("/dash/v1/") + resource, std::move(get));
  }
}

}  // namespace osprey::server::video
