// The console's media calls, each one of the API's own handlers called in
// process: the live thumbnail is GetImages over the newest fragment, a
// player session is GetHLSStreamingSessionURL (the same signed SessionToken
// URL an SDK gets), a clip download is GetClip. Nothing here decodes,
// remuxes or signs by itself.
#include <cstdio>
#include <ctime>

#include "console/console_internal.h"
#include "osprey/base/base64.h"
#include "osprey/base/json_writer.h"
#include "video/kvs_json.h"

namespace osprey::server::console {

namespace {

constexpr int64_t kMaxThumbnailHeight = 720;
// ON_DEMAND sessions from the console: long enough to watch, within the
// API's 24 h and a playlist of at most kOnDemandFragments.
constexpr int64_t kSessionExpiresS = 12 * 3600;
constexpr int kOnDemandFragments = 3000;

// Epoch ms as the epoch seconds the KVS JSON wants ("1700000000.123").
std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

Result<std::string> StreamParam(const Query& query) {
  auto it = query.find("stream");
  if (it == query.end() || it->second.empty()) return Status::InvalidArgument("stream is required");
  return it->second;
}

// An API answer for the browser: errors become {"error": ...} with the
// API's status, so the page can say what went wrong.
bool Failed(const Response& r, const Responder& respond) {
  if (r.status == 200) return false;
  respond(JsonError(r.status, ApiErrorMessage(r)));
  return true;
}

}  // namespace

void Thumbnail(ConsoleState& state, const Query& query, Responder respond) {
  Result<std::string> name = StreamParam(query);
  if (!name.ok()) return respond(JsonError(400, name.status().message()));
  Result<fragments::VideoStream> stream = state.video->catalog->GetByName(*name);
  if (!stream.ok()) return respond(JsonError(404, "no stream named " + *name));
  auto log = state.video->store->OpenStream(stream->store_id());
  std::optional<fragments::FragmentMeta> newest = log.ok() ? (*log)->Latest() : std::nullopt;
  if (!newest) return respond(JsonError(404, "the stream has no footage yet"));
  int64_t height = 360;
  if (auto h = query.find("height"); h != query.end()) {
    height = std::clamp<int64_t>(std::atoll(h->second.c_str()), 90, kMaxThumbnailHeight);
  }
  auto answer = [](std::string jpeg) {
    Response out;
    out.status = 200;
    out.body = std::move(jpeg);
    out.headers.Set("Content-Type", "image/jpeg");
    out.headers.Set("Cache-Control", "private, max-age=5");
    return out;
  };
  const std::string key = std::to_string(height) + "/" + stream->name;
  {
    std::lock_guard lock(state.thumbs_mu);
    auto it = state.thumbs.find(key);
    if (it != state.thumbs.end() && it->second.fragment == newest->index) {
      return respond(answer(it->second.jpeg));
    }
  }
  // One sampling slot over the newest fragment: GetImages picks its first
  // picture, the keyframe the fragment starts with.
  const int64_t start = newest->server_timestamp_ms;
  const int64_t span = std::max<int64_t>(newest->duration_ms, 200);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("StreamName").String(stream->name);
  w.Key("ImageSelectorType").String("SERVER_TIMESTAMP");
  w.Key("StartTimestamp").Raw(Seconds(start)).Key("EndTimestamp").Raw(Seconds(start + span));
  w.Key("SamplingInterval").Int64(span).Key("Format").String("JPEG");
  w.Key("FormatConfig").BeginObject().Key("JPEGQuality").String("75").EndObject();
  w.Key("HeightPixels").Int64(height).Key("MaxResults").Int64(1).EndObject();
  CallApi(state, "/getImages", std::move(body),
          [respond, answer, key, fragment = newest->index, state = state.shared_from_this()](Response r) {
    if (Failed(r, respond)) return;
    Result<video::JsonRequest> doc = video::JsonRequest::Parse(r.body);
    Result<std::optional<std::vector<video::JsonRequest>>> images =
        doc.ok() ? doc->ObjectList("Images") : Result<std::optional<std::vector<video::JsonRequest>>>(doc.status());
    if (!images.ok() || !*images || (*images)->empty()) {
      return respond(JsonError(500, "GetImages answered without an image"));
    }
    auto content = (**images)[0].String("ImageContent");
    if (!content.ok() || !*content) {
      auto error = (**images)[0].String("Error");
      std::string why = error.ok() && *error ? **error : "no image";
      return respond(JsonError(404, "no picture in the newest fragment (" + why + ")"));
    }
    std::optional<std::string> jpeg = base64::Decode(**content);
    if (!jpeg) return respond(JsonError(500, "GetImages answered an undecodable image"));
    {
      // A newer picture is never replaced by an older one.
      std::lock_guard lock(state->thumbs_mu);
      ConsoleState::Thumb& t = state->thumbs[key];
      if (t.fragment <= fragment) t = {fragment, *jpeg};
    }
    respond(answer(std::move(*jpeg)));
  });
}

void HlsSession(const ConsoleState& state, const Query& query, Responder respond) {
  Result<std::string> name = StreamParam(query);
  if (!name.ok()) return respond(JsonError(400, name.status().message()));
  auto mode_it = query.find("mode");
  const std::string mode = mode_it == query.end() ? "LIVE" : mode_it->second;
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("StreamName").String(*name);
  w.Key("ContainerFormat").String("FRAGMENTED_MP4");
  // Program date-times let the player map its position to wall-clock time
  // for the timeline's playhead.
  w.Key("DisplayFragmentTimestamp").String("ALWAYS");
  // Fragments are contiguous unless the camera was away: a discontinuity
  // at every fragment (the SERVER_TIMESTAMP default) makes players reset
  // their timestamp mapping every second.
  w.Key("DiscontinuityMode").String("ON_DISCONTINUITY");
  w.Key("Expires").Int64(kSessionExpiresS);
  int64_t start = 0, end = 0;
  if (mode == "LIVE") {
    w.Key("PlaybackMode").String("LIVE");
  } else if (mode == "ON_DEMAND") {
    Result<int64_t> s = QueryMs(query, "start");
    Result<int64_t> e = QueryMs(query, "end");
    if (!s.ok()) return respond(JsonError(400, s.status().message()));
    if (!e.ok()) return respond(JsonError(400, e.status().message()));
    start = *s;
    // ON_DEMAND ranges must lie in the past on the server's clock.
    end = std::min(*e, state.now_ms() - 1);
    if (end <= start) return respond(JsonError(400, "the range must end after it starts, in the past"));
    w.Key("PlaybackMode").String("ON_DEMAND");
    w.Key("MaxMediaPlaylistFragmentResults").Int64(kOnDemandFragments);
    w.Key("HLSFragmentSelector").BeginObject().Key("FragmentSelectorType").String("SERVER_TIMESTAMP");
    w.Key("TimestampRange").BeginObject();
    w.Key("StartTimestamp").Raw(Seconds(start)).Key("EndTimestamp").Raw(Seconds(end));
    w.EndObject().EndObject();
  } else {
    return respond(JsonError(400, "mode must be LIVE or ON_DEMAND"));
  }
  w.EndObject();
  CallApi(state, "/getHLSStreamingSessionURL", std::move(body),
          [respond, mode, start, end](Response r) {
            if (Failed(r, respond)) return;
            Result<video::JsonRequest> doc = video::JsonRequest::Parse(r.body);
            auto url = doc.ok() ? doc->String("HLSStreamingSessionURL")
                                : Result<std::optional<std::string>>(doc.status());
            if (!url.ok() || !*url) return respond(JsonError(500, "no session URL in the answer"));
            // Same-origin path: the page reaches the server by whatever name
            // the browser used, which the data endpoint may not be.
            std::string path = **url;
            if (size_t at = path.find("/hls/v1/"); at != std::string::npos) path = path.substr(at);
            std::string out;
            JsonWriter j(&out);
            j.BeginObject().Key("url").String(path).Key("mode").String(mode);
            if (mode == "ON_DEMAND") j.Key("start").Int64(start).Key("end").Int64(end);
            j.EndObject();
            respond(JsonOk(std::move(out)));
          });
}

void Clip(const ConsoleState& state, const Query& query, Responder respond) {
  Result<std::string> name = StreamParam(query);
  if (!name.ok()) return respond(JsonError(400, name.status().message()));
  Result<int64_t> start = QueryMs(query, "start");
  Result<int64_t> end = QueryMs(query, "end");
  if (!start.ok()) return respond(JsonError(400, start.status().message()));
  if (!end.ok()) return respond(JsonError(400, end.status().message()));
  const int64_t until = std::min(*end, state.now_ms() - 1);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("StreamName").String(*name);
  w.Key("ClipFragmentSelector").BeginObject().Key("FragmentSelectorType").String("SERVER_TIMESTAMP");
  w.Key("TimestampRange").BeginObject();
  w.Key("StartTimestamp").Raw(Seconds(*start)).Key("EndTimestamp").Raw(Seconds(until));
  w.EndObject().EndObject().EndObject();
  // The file is named after the stream and the start time (UTC).
  std::time_t t = static_cast<std::time_t>(*start / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%SZ", &tm);
  std::string file;
  for (char c : *name) file.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  file += "-" + std::string(stamp) + ".mp4";
  CallApi(state, "/getClip", std::move(body), [respond, file](Response r) {
    if (Failed(r, respond)) return;
    r.headers.Set("Content-Disposition", "attachment; filename=\"" + file + "\"");
    r.headers.Set("Cache-Control", "no-store");
    respond(std::move(r));
  });
}

}  // namespace osprey::server::console
