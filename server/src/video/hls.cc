// POST /getHLSStreamingSessionURL and the registration of the HLS routes
// (hls_routes.h; video-api.md 6.3). The request is validated, the stream
// must retain data (NoDataRetentionException otherwise) and hold a fragment
// the session would play (404 "No fragments found ..." otherwise), then the
// options go into a signed session token (playback/session_token.h).
#include <chrono>
#include <random>

#include "osprey/base/json_writer.h"
#include "osprey/playback/hls_session.h"
#include "video/hls_internal.h"
#include "video/hls_routes.h"
#include "video/kvs_json.h"

namespace osprey::server::video {
namespace {

using playback::ContainerFormat;
using playback::DiscontinuityMode;
using playback::FragmentSelectorType;
using playback::PlaybackMode;
using playback::SessionClaims;

constexpr int64_t kMaxOnDemandSpanMs = 24 * 3600'000LL;

// `value` must be one of `names`; returns its position.
Result<int> Enum(std::string_view member, const std::optional<std::string>& value,
                 std::initializer_list<std::string_view> names, int fallback) {
  if (!value) return fallback;
  int i = 0;
  std::string allowed;
  for (std::string_view n : names) {
    if (*value == n) return i;
    allowed += (i ? ", " : "") + std::string(n);
    ++i;
  }
  return ValidationError(member, *value, "Member must satisfy enum value set: [" + allowed + "]");
}

Result<int64_t> IntIn(const JsonRequest& body, std::string_view member, int64_t lo, int64_t hi,
                      int64_t fallback) {
  OSPREY_ASSIGN_OR_RETURN(std::optional<int64_t> v, body.Int(member));
  if (!v) return fallback;
  if (*v < lo || *v > hi) {
    return ValidationError(member, std::to_string(*v),
                           "Member must have value between " + std::to_string(lo) + " and " +
                               std::to_string(hi));
  }
  return *v;
}

// The claims of the request, validated; stream fields filled by the caller.
Result<SessionClaims> ParseClaims(const JsonRequest& body, int64_t now_ms) {
  SessionClaims c;
  OSPREY_ASSIGN_OR_RETURN(auto mode, body.String("PlaybackMode"));
  OSPREY_ASSIGN_OR_RETURN(int m, Enum("playbackMode", mode, {"LIVE", "LIVE_REPLAY", "ON_DEMAND"}, 0));
  c.mode = PlaybackMode(m);
  OSPREY_ASSIGN_OR_RETURN(auto selector, body.Object("HLSFragmentSelector"));
  std::optional<JsonRequest> range;
  if (selector) {
    OSPREY_ASSIGN_OR_RETURN(auto type, selector->String("FragmentSelectorType"));
    OSPREY_ASSIGN_OR_RETURN(int t, Enum("hLSFragmentSelector.fragmentSelectorType", type,
                                        {"SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"}, 0));
    c.selector = FragmentSelectorType(t);
    OSPREY_ASSIGN_OR_RETURN(range, selector->Object("TimestampRange"));
  }
  if (range) {
    OSPREY_ASSIGN_OR_RETURN(c.start_ms, range->TimestampMs("StartTimestamp"));
    OSPREY_ASSIGN_OR_RETURN(c.end_ms, range->TimestampMs("EndTimestamp"));
  }
  OSPREY_ASSIGN_OR_RETURN(auto container, body.String("ContainerFormat"));
  OSPREY_ASSIGN_OR_RETURN(int f, Enum("containerFormat", container, {"FRAGMENTED_MP4", "MPEG_TS"}, 0));
  c.container = ContainerFormat(f);
  const int default_disc = c.selector == FragmentSelectorType::kServerTimestamp ? 0 : 1;
  OSPREY_ASSIGN_OR_RETURN(auto disc, body.String("DiscontinuityMode"));
  OSPREY_ASSIGN_OR_RETURN(int d, Enum("discontinuityMode", disc,
                                      {"ALWAYS", "NEVER", "ON_DISCONTINUITY"}, default_disc));
  c.discontinuity = DiscontinuityMode(d);
  OSPREY_ASSIGN_OR_RETURN(auto display, body.String("DisplayFragmentTimestamp"));
  OSPREY_ASSIGN_OR_RETURN(int show, Enum("displayFragmentTimestamp", display, {"ALWAYS", "NEVER"}, 1));
  c.display_fragment_timestamp = show == 0;
  OSPREY_ASSIGN_OR_RETURN(int64_t expires, IntIn(body, "Expires", 300, 43200, 300));
  const int64_t default_max = c.mode == PlaybackMode::kOnDemand ? 1000 : 5;
  OSPREY_ASSIGN_OR_RETURN(int64_t max,
                          IntIn(body, "MaxMediaPlaylistFragmentResults", 1, 5000, default_max));
  c.max_results = uint32_t(max);
  c.created_ms = now_ms;
  c.expires_ms = now_ms + expires * 1000;

  switch (c.mode) {
    case PlaybackMode::kLive:
      if (range) return Status::InvalidArgument("TimestampRange must not be set for LIVE playback");
      break;
    case PlaybackMode::kLiveReplay:
      if (!c.start_ms) return Status::InvalidArgument("StartTimestamp is required for LIVE_REPLAY");
      if (c.end_ms && *c.end_ms <= *c.start_ms) {
        return Status::InvalidArgument("EndTimestamp must be later than StartTimestamp");
      }
      break;
    case PlaybackMode::kOnDemand:
      if (!c.start_ms || !c.end_ms) {
        return Status::InvalidArgument("StartTimestamp and EndTimestamp are required for ON_DEMAND");
      }
      if (*c.end_ms <= *c.start_ms || *c.end_ms - *c.start_ms > kMaxOnDemandSpanMs) {
        return Status::InvalidArgument(
            "EndTimestamp must be later than StartTimestamp and at most 24 hours after it");
      }
      if (c.selector == FragmentSelectorType::kServerTimestamp && *c.end_ms > now_ms) {
        return Status::InvalidArgument("EndTimestamp must be in the past");
      }
      break;
  }
  std::random_device rd;
  c.session_id = (uint64_t(rd()) << 32) | rd();
  return c;
}

Response Create(std::string_view body_text, HlsState* state) {
  VideoContext* context = state->context;
  if (!context->catalog || !context->store) {
    return KvsFail(Status::Internal("video engines are not configured"));
  }
  Result<JsonRequest> body = JsonRequest::Parse(body_text);
  if (!body.ok()) return KvsFail(body.status());
  Result<fragments::VideoStream> stream = ResolveStream(*body, *context->catalog);
  if (!stream.ok()) return KvsFail(stream.status());
  const int64_t now = state->now_ms();
  Result<SessionClaims> claims = ParseClaims(*body, now);
  if (!claims.ok()) return KvsFail(claims.status());
  if (stream->retention_hours == 0) {
    return ErrorResponse({400, "NoDataRetentionException",
                          "The stream " + stream->name + " does not retain data."});
  }
  claims->store_id = stream->store_id();
  claims->stream_name = stream->name;
  auto log = context->store->OpenStream(claims->store_id);
  if (!log.ok()) return KvsFail(log.status());
  Result<playback::PlaylistSelection> first = playback::SelectFragments(**log, *claims, now);
  if (!first.ok()) return KvsFail(first.status());
  if (claims->mode == PlaybackMode::kLive) claims->anchor_index = first->fragments.front().index;

  const std::string url = context->data_endpoint +
                          "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" +
                          state->signer.Encode(*claims);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("HLSStreamingSessionURL").String(url).EndObject();
  return KvsOk(std::move(out));
}

}  // namespace

void RegisterHlsRoutes(Router* router, std::shared_ptr<PlaybackState> state) {
  Route session;
  session.api = "getHLSStreamingSessionURL";
  session.service = "kinesisvideo";
  session.buffered = [state](Request request, Responder respond) {
    respond(Create(request.body, state.get()));
  };
  router->AddPath("POST", "/getHLSStreamingSessionURL", std::move(session));

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
