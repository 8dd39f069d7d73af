// POST /getHLSStreamingSessionURL and the registration of the HLS routes
// (hls_routes.h; video-api.md 6.3). The request is validated, the stream
// must retain data (NoDataRetentionException otherwise) and hold a fragment
// the session would play (404 "No fragments found ..." otherwise), then the
// options go into a signed session token (playback/session_token.h).
#include "osprey/playback/hls_session.h"
#include "video/access_guard.h"
#include "video/hls_internal.h"
#include "video/hls_routes.h"
#include "video/kvs_json.h"
#include "video/playback_session.h"

namespace osprey::server::video {
namespace {

using playback::ContainerFormat;
using playback::DiscontinuityMode;
using playback::FragmentSelectorType;
using playback::SessionClaims;

// The claims of the request, validated; stream fields filled by StartSession.
Result<SessionClaims> ParseClaims(const JsonRequest& body, int64_t now_ms) {
  OSPREY_ASSIGN_OR_RETURN(CommonClaims parsed, ParseCommonClaims(body, "HLSFragmentSelector",
                                                                 "MaxMediaPlaylistFragmentResults",
                                                                 now_ms));
  SessionClaims& c = parsed.claims;
  OSPREY_ASSIGN_OR_RETURN(auto container, body.String("ContainerFormat"));
  OSPREY_ASSIGN_OR_RETURN(
      int f, RequestEnum("containerFormat", container, {"FRAGMENTED_MP4", "MPEG_TS"}, 0));
  c.container = ContainerFormat(f);
  const int default_disc = c.selector == FragmentSelectorType::kServerTimestamp ? 0 : 1;
  OSPREY_ASSIGN_OR_RETURN(auto disc, body.String("DiscontinuityMode"));
  OSPREY_ASSIGN_OR_RETURN(int d, RequestEnum("discontinuityMode", disc,
                                             {"ALWAYS", "NEVER", "ON_DISCONTINUITY"}, default_disc));
  c.discontinuity = DiscontinuityMode(d);
  OSPREY_ASSIGN_OR_RETURN(auto display, body.String("DisplayFragmentTimestamp"));
  OSPREY_ASSIGN_OR_RETURN(
      int show, RequestEnum("displayFragmentTimestamp", display, {"ALWAYS", "NEVER"}, 1));
  c.display_fragment_timestamp = show == 0;
  OSPREY_RETURN_IF_ERROR(FinishClaims(parsed, now_ms, &c));
  return c;
}

Response Create(std::string_view body_text, HlsState* state) {
  SessionStart start = StartSession(body_text, state, &ParseClaims);
  if (start.error) return std::move(*start.error);
  return SessionUrlResponse("HLSStreamingSessionURL",
                            state->context->data_endpoint +
                                "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" +
                                state->signer.Encode(start.claims));
}

}  // namespace

void RegisterHlsRoutes(Router* router, std::shared_ptr<PlaybackState> state) {
  Route session;
  session.api = "getHLSStreamingSessionURL";
  session.service = "kinesisvideo";
  session.buffered = [state](Request request, Responder respond) {
    respond(Create(request.body, state.get()));
  };
  // The session token is the capability for the playlist and segment GETs
  // below (as in AWS): the access check happens here, once.
  router->AddPath("POST", "/getHLSStreamingSessionURL",
                  Guarded(state->context, "GetHLSStreamingSessionURL", std::move(session)));

  for (const char* resource : {"getHLSMasterPlaylist.m3u8", "getHLSMediaPlaylist.m3u8",
                               "getMP4InitFragment.mp4", "getMP4MediaFragment.mp4",
                               "getTSFragment.ts"}) {
    Route get;
    get.api = resource;
    get.service = "";  // authorised by the SessionToken, not SigV4
    get.buffered = [state, name = std::string(resource)](Request request, Responder respond) {
      respond(ServeHlsResource(name, request.query, state.get()));
    };
    router->AddPath("GET", std::string("/hls/v1/") + resource, std::move(get));
  }
}

}  // namespace osprey::server::video
