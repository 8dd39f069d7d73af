// The request checks and session plumbing HLS and DASH share
// (playback_session.h).
#include "video/playback_session.h"

#include <random>

#include "osprey/base/json_writer.h"

namespace osprey::server::video {
namespace {

using playback::FragmentSelectorType;
using playback::PlaybackMode;
using playback::SessionClaims;

constexpr int64_t kMaxOnDemandSpanMs = 24 * 3600'000LL;

// "HLSFragmentSelector" -> "hLSFragmentSelector": the member path casing
// of the AWS validation messages.
std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = char(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace

Result<int> RequestEnum(std::string_view member, const std::optional<std::string>& value,
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

Result<int64_t> RequestIntIn(const JsonRequest& body, std::string_view member, int64_t lo,
                             int64_t hi, int64_t fallback) {
  OSPREY_ASSIGN_OR_RETURN(std::optional<int64_t> v, body.Int(member));
  if (!v) return fallback;
  if (*v < lo || *v > hi) {
    return ValidationError(
        member, std::to_string(*v),
        "Member must have value between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return *v;
}

Result<CommonClaims> ParseCommonClaims(const JsonRequest& body, std::string_view selector_member,
                                       std::string_view max_member, int64_t now_ms) {
  CommonClaims out;
  SessionClaims& c = out.claims;
  OSPREY_ASSIGN_OR_RETURN(auto mode, body.String("PlaybackMode"));
  OSPREY_ASSIGN_OR_RETURN(int m,
                          RequestEnum("playbackMode", mode, {"LIVE", "LIVE_REPLAY", "ON_DEMAND"}, 0));
  c.mode = PlaybackMode(m);
  OSPREY_ASSIGN_OR_RETURN(auto selector, body.Object(selector_member));
  std::optional<JsonRequest> range;
  if (selector) {
    OSPREY_ASSIGN_OR_RETURN(auto type, selector->String("FragmentSelectorType"));
    OSPREY_ASSIGN_OR_RETURN(int t, RequestEnum(LowerFirst(selector_member) + ".fragmentSelectorType",
                                               type, {"SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"}, 0));
    c.selector = FragmentSelectorType(t);
    OSPREY_ASSIGN_OR_RETURN(range, selector->Object("TimestampRange"));
  }
  if (range) {
    OSPREY_ASSIGN_OR_RETURN(c.start_ms, range->TimestampMs("StartTimestamp"));
    OSPREY_ASSIGN_OR_RETURN(c.end_ms, range->TimestampMs("EndTimestamp"));
  }
  out.has_range = range.has_value();
  OSPREY_ASSIGN_OR_RETURN(int64_t expires, RequestIntIn(body, "Expires", 300, 43200, 300));
  const int64_t default_max = c.mode == PlaybackMode::kOnDemand ? 1000 : 5;
  OSPREY_ASSIGN_OR_RETURN(int64_t max, RequestIntIn(body, max_member, 1, 5000, default_max));
  c.max_results = uint32_t(max);
  c.created_ms = now_ms;
  c.expires_ms = now_ms + expires * 1000;
  return out;
}

Status FinishClaims(const CommonClaims& parsed, int64_t now_ms, SessionClaims* out) {
  const SessionClaims& c = *out;
  switch (c.mode) {
    case PlaybackMode::kLive:
      if (parsed.has_range) {
        return Status::InvalidArgument("TimestampRange must not be set for LIVE playback");
      }
      break;
    case PlaybackMode::kLiveReplay:
      if (!c.start_ms) return Status::InvalidArgument("StartTimestamp is required for LIVE_REPLAY");
      if (c.end_ms && *c.end_ms <= *c.start_ms) {
        return Status::InvalidArgument("EndTimestamp must be later than StartTimestamp");
      }
      break;
    case PlaybackMode::kOnDemand:
      if (!c.start_ms || !c.end_ms) {
        return Status::InvalidArgument(
            "StartTimestamp and EndTimestamp are required for ON_DEMAND");
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
  out->session_id = (uint64_t(rd()) << 32) | rd();
  return Status::Ok();
}

SessionStart StartSession(std::string_view body_text, PlaybackState* state, ClaimsParser parse) {
  SessionStart s;
  auto fail = [&s](Response r) {
    s.error = std::move(r);
    return std::move(s);
  };
  VideoContext* context = state->context;
  if (!context->catalog || !context->store) {
    return fail(KvsFail(Status::Internal("video engines are not configured")));
  }
  Result<JsonRequest> body = JsonRequest::Parse(body_text);
  if (!body.ok()) return fail(KvsFail(body.status()));
  Result<fragments::VideoStream> stream = ResolveStream(*body, *context->catalog);
  if (!stream.ok()) return fail(KvsFail(stream.status()));
  const int64_t now = state->now_ms();
  Result<SessionClaims> claims = parse(*body, now);
  if (!claims.ok()) return fail(KvsFail(claims.status()));
  if (stream->retention_hours == 0) {
    return fail(ErrorResponse(
        {400, "NoDataRetentionException", "The stream " + stream->name + " does not retain data."}));
  }
  s.claims = std::move(*claims);
  s.claims.store_id = stream->store_id();
  s.claims.stream_name = stream->name;
  auto log = context->store->OpenStream(s.claims.store_id);
  if (!log.ok()) return fail(KvsFail(log.status()));
  s.log = std::move(*log);
  Result<playback::PlaylistSelection> first = playback::SelectFragments(*s.log, s.claims, now);
  if (!first.ok()) return fail(KvsFail(first.status()));
  s.first = std::move(*first);
  if (s.claims.mode == PlaybackMode::kLive) s.claims.anchor_index = s.first.fragments.front().index;
  return s;
}

Response SessionUrlResponse(std::string_view member, const std::string& url) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key(member).String(url).EndObject();
  return KvsOk(std::move(out));
}

Result<PlaybackSession> OpenPlaybackSession(const std::map<std::string, std::string>& params,
                                            PlaybackState* state) {
  auto token = params.find("SessionToken");
  if (token == params.end()) return Status::InvalidArgument("SessionToken is required");
  PlaybackSession s;
  OSPREY_ASSIGN_OR_RETURN(s.claims, state->signer.Decode(token->second, state->now_ms()));
  VideoContext* context = state->context;
  if (!context->catalog || !context->store) return Status::Internal("video engines not configured");
  Result<fragments::VideoStream> stream = context->catalog->GetByName(s.claims.stream_name);
  if (!stream.ok() || stream->store_id() != s.claims.store_id) {
    return Status::NotFound("The stream of this streaming session no longer exists.");
  }
  s.stream = std::move(*stream);
  OSPREY_ASSIGN_OR_RETURN(s.log, context->store->OpenStream(s.claims.store_id));
  return s;
}

Response ResourceBody(std::string body, std::string_view content_type) {
  Response r;
  r.status = 200;
  r.headers.Set("Content-Type", std::string(content_type));
  r.headers.Set("Access-Control-Allow-Origin", "*");
  r.body = std::move(body);
  return r;
}

Response ResourceBody(std::shared_ptr<const std::string> body, std::string_view content_type) {
  Response r = ResourceBody(std::string(), content_type);
  r.shared_body = std::move(body);
  return r;
}

Response ResourceFail(const Status& s) {
  Response r = s.code() == Status::Code::kPermissionDenied
                   ? ErrorResponse({403, "NotAuthorizedException", s.message()})
                   : KvsFail(s);
  r.headers.Set("Access-Control-Allow-Origin", "*");
  return r;
}

}  // namespace osprey::server::video
