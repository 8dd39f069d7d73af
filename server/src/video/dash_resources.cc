// GET /dash/v1/* (video-api.md 6.4): the MPD from the session's fragment
// selection (playback/hls_session.h, the HLS rules), init and media
// segments through the segment cache. A bad or expired SessionToken is 403
// NotAuthorizedException; a stream deleted (or recreated) since the session
// began, or a fragment gone, is 404; a malformed parameter 400.
//
// Media segments are named by Time (the MPD template's $Time$: a producer
// timestamp in epoch ms) or, for players that read kvs:fn, by the 47-digit
// FragmentNumber as in HLS.
#include <algorithm>
#include <limits>

#include "osprey/fragments/fragment_number.h"
#include "osprey/playback/codec_info.h"
#include "osprey/playback/hls_session.h"
#include "osprey/playback/media_fragment.h"
#include "video/dash_internal.h"
#include "video/hls_internal.h"  // ParseQuery
#include "video/kvs_json.h"
#include "video/playback_session.h"

namespace osprey::server::video {
namespace {

using fragments::FragmentMeta;
using playback::SegmentKind;
using playback::SessionClaims;
using Params = std::map<std::string, std::string>;

using Session = PlaybackSession;

// A decimal parameter of at most `max_digits` digits.
Result<std::optional<int64_t>> Digits(const Params& params, const std::string& name,
                                      size_t max_digits) {
  auto it = params.find(name);
  if (it == params.end()) return std::optional<int64_t>();
  const std::string& v = it->second;
  if (v.empty() || v.size() > max_digits ||
      !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidArgument(name + " must be a decimal number of at most " +
                                   std::to_string(max_digits) + " digits");
  }
  return std::optional<int64_t>(std::stoll(v));
}

Result<uint64_t> TrackParam(const Params& params) {
  OSPREY_ASSIGN_OR_RETURN(std::optional<int64_t> n, Digits(params, "TrackNumber", 2));
  if (!n) return uint64_t(1);
  if (*n < 1 || *n > 2) return Status::InvalidArgument("TrackNumber must be 1 or 2");
  return uint64_t(*n);
}

// The fragment a media request names: by FragmentNumber, or the fragment
// starting at producer time Time (of several, the last ingested: the one
// the MPD lists, dash_manifest.h).
Result<uint64_t> FragmentParam(const Params& params, const Session& s) {
  if (auto fn = params.find("FragmentNumber"); fn != params.end()) {
    OSPREY_ASSIGN_OR_RETURN(fragments::ParsedFragmentNumber parsed,
                            fragments::ParseFragmentNumber(fn->second));
    if (parsed.stream_creation_ms != s.stream.creation_ms) {
      return Status::NotFound("Fragment " + fn->second + " is not a fragment of this stream");
    }
    return parsed.index;
  }
  OSPREY_ASSIGN_OR_RETURN(std::optional<int64_t> t, Digits(params, "Time", 18));
  if (!t) return Status::InvalidArgument("Time or FragmentNumber is required");
  std::optional<uint64_t> found;
  uint64_t after = 0;
  for (;;) {
    const std::vector<FragmentMeta> page =
        s.log->ListRange(fragments::TimestampKind::kProducer, *t, *t, after, 64);
    if (!page.empty()) found = after = page.back().index;
    if (page.size() < 64) break;
  }
  if (!found) return Status::NotFound("No fragment starts at producer time " + std::to_string(*t));
  return *found;
}

Result<std::string> Manifest(const Session& s, DashState* state, const std::string& token) {
  const int64_t now = state->now_ms();
  OSPREY_ASSIGN_OR_RETURN(playback::PlaylistSelection sel,
                          playback::SelectFragments(*s.log, s.claims, now));
  OSPREY_ASSIGN_OR_RETURN(fragments::StoredFragment first, s.log->Read(sel.fragments[0].index));
  DashError error;
  playback::DashManifestInput in;
  OSPREY_ASSIGN_OR_RETURN(in.representations, DescribeDashTracks(first, &error));
  uint64_t peak = 0;
  for (const FragmentMeta& m : sel.fragments) {
    if (m.duration_ms > 0)
      peak = std::max<uint64_t>(peak, m.size_bytes * 8000 / uint64_t(m.duration_ms));
  }
  for (playback::DashRepresentation& r : in.representations) {
    if (r.video) r.bandwidth = std::max(r.bandwidth, peak);
  }
  in.mode = s.claims.mode;
  in.ended = sel.ended;
  in.display_fragment_timestamp = s.claims.display_fragment_timestamp;
  in.display_fragment_number = DisplayFragmentNumber(s.claims);
  in.session_token = token;
  in.now_ms = now;
  if (s.claims.mode == playback::PlaybackMode::kLiveReplay) {
    // Fragments are released at the pace of their durations from the
    // session's creation: present the session's first fragment then.
    const auto kind = s.claims.selector == playback::FragmentSelectorType::kServerTimestamp
                          ? fragments::TimestampKind::kServer
                          : fragments::TimestampKind::kProducer;
    const std::vector<FragmentMeta> origin =
        s.log->ListRange(kind, s.claims.start_ms.value_or(0),
                         s.claims.end_ms.value_or(std::numeric_limits<int64_t>::max()), 0, 1);
    in.timeline_origin_ms =
        origin.empty() ? sel.fragments[0].producer_timestamp_ms : origin[0].producer_timestamp_ms;
    in.availability_start_ms = s.claims.created_ms;
  }
  for (const FragmentMeta& m : sel.fragments) {
    in.segments.push_back({fragments::FormatFragmentNumber(s.stream.creation_ms, m.index),
                           m.producer_timestamp_ms, m.duration_ms,
                           playback::SelectorTimestamp(s.claims, m)});
  }
  return playback::BuildDashManifest(in);
}

Result<Response> Serve(std::string_view resource, const Params& params, DashState* state) {
  OSPREY_ASSIGN_OR_RETURN(Session s, OpenPlaybackSession(params, state));
  if (resource == "getDASHManifest.mpd") {
    OSPREY_ASSIGN_OR_RETURN(std::string text, Manifest(s, state, params.at("SessionToken")));
    return ResourceBody(std::move(text), "application/dash+xml");
  }
  OSPREY_ASSIGN_OR_RETURN(uint64_t track, TrackParam(params));
  if (resource == "getMP4InitFragment.mp4") {
    OSPREY_ASSIGN_OR_RETURN(playback::PlaylistSelection sel,
                            playback::SelectFragments(*s.log, s.claims, state->now_ms()));
    OSPREY_ASSIGN_OR_RETURN(auto bytes,
                            state->segments.Get(s.claims.store_id, *s.log, sel.fragments[0].index,
                                                SegmentKind::kInit, track));
    return ResourceBody(bytes, "video/mp4");
  }
  if (resource == "getMP4MediaFragment.mp4") {
    OSPREY_ASSIGN_OR_RETURN(uint64_t index, FragmentParam(params, s));
    OSPREY_ASSIGN_OR_RETURN(auto bytes, state->segments.Get(s.claims.store_id, *s.log, index,
                                                            SegmentKind::kMp4Media, track));
    return ResourceBody(bytes, "video/mp4");
  }
  return Status::NotFound("unknown DASH resource");
}

}  // namespace

Result<std::vector<playback::DashRepresentation>> DescribeDashTracks(
    const fragments::StoredFragment& fragment, DashError* error) {
  error->status = 400;
  error->type = "InvalidMediaFrameException";
  OSPREY_ASSIGN_OR_RETURN(
      playback::DemuxedFragment demuxed,
      playback::Demux({fragment.stream_header, fragment.cluster,
                       fragment.meta.producer_timestamp_ms, fragment.meta.duration_ms}));
  std::vector<playback::DashRepresentation> out;
  bool audio = false;
  for (const playback::TrackSamples& t : demuxed.tracks) {
    uint64_t bytes = 0;
    for (const playback::Sample& sample : t.samples) bytes += sample.data.size();
    playback::DashRepresentation r;
    r.track_number = t.track.number;
    if (demuxed.duration_us > 0) r.bandwidth = bytes * 8'000'000 / uint64_t(demuxed.duration_us);
    if (t.track.is_video() && (out.empty() || !out.front().video)) {
      if (t.track.codec_private.empty()) {
        error->type = "MissingCodecPrivateDataException";
        return Status::InvalidArgument("track " + std::to_string(r.track_number) +
                                       " has no CodecPrivate");
      }
      Result<playback::VideoInfo> info = playback::DescribeTrack(t.track);
      if (!info.ok()) {
        error->type = "InvalidCodecPrivateDataException";
        return info.status();
      }
      r.codecs = info->codecs;
      r.width = info->width;
      r.height = info->height;
      r.frame_rate = info->frame_rate;
      if (!r.frame_rate && t.samples.size() > 1 && demuxed.duration_us > 0) {
        r.frame_rate = double(t.samples.size()) * 1e6 / double(demuxed.duration_us);
      }
      out.insert(out.begin(), std::move(r));  // video first
    } else if (t.track.is_audio() && !audio) {
      audio = true;
      r.video = false;
      r.codecs = playback::AudioCodecsString(t.track);
      r.sample_rate = t.track.sample_rate;
      r.channels = t.track.channels;
      out.push_back(std::move(r));
    }
  }
  if (out.empty() || !out.front().video) {
    error->type = "UnsupportedStreamMediaTypeException";
    return Status::InvalidArgument("the stream has no H.264 or H.265 video track");
  }
  return out;
}

Response ServeDashResource(std::string_view resource, std::string_view query, DashState* state) {
  Result<Response> r = Serve(resource, ParseQuery(query), state);
  return r.ok() ? std::move(*r) : ResourceFail(r.status());
}

}  // namespace osprey::server::video
