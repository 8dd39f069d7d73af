// GET /hls/v1/* (video-api.md 6.3): playlists from the session's fragment
// selection (playback/hls_session.h), init and media segments through the
// segment cache. A bad or expired SessionToken is 403; a stream deleted (or
// recreated) since the session began, or a fragment gone, is 404.
#include <cctype>

#include "osprey/fragments/fragment_number.h"
#include "osprey/playback/codec_info.h"
#include "osprey/playback/hls_playlist.h"
#include "osprey/playback/hls_session.h"
#include "osprey/playback/media_fragment.h"
#include "osprey/playback/ts_segment.h"
#include "video/hls_internal.h"
#include "video/kvs_json.h"
#include "video/playback_session.h"

namespace osprey::server::video {
namespace {

using playback::SegmentKind;
using playback::SessionClaims;

using Session = PlaybackSession;

Result<uint64_t> TrackParam(const std::map<std::string, std::string>& params) {
  auto it = params.find("TrackNumber");
  if (it == params.end()) return uint64_t(1);
  if (it->second.empty() || it->second.size() > 2 ||
      !std::isdigit(static_cast<unsigned char>(it->second[0]))) {
    return Status::InvalidArgument("TrackNumber must be 1 or 2");
  }
  const uint64_t n = std::stoull(it->second);
  if (n < 1 || n > 2) return Status::InvalidArgument("TrackNumber must be 1 or 2");
  return n;
}

Result<uint64_t> FragmentParam(const std::map<std::string, std::string>& params,
                               const Session& s) {
  auto it = params.find("FragmentNumber");
  if (it == params.end()) return Status::InvalidArgument("FragmentNumber is required");
  OSPREY_ASSIGN_OR_RETURN(fragments::ParsedFragmentNumber fn,
                          fragments::ParseFragmentNumber(it->second));
  if (fn.stream_creation_ms != s.stream.creation_ms) {
    return Status::NotFound("Fragment " + it->second + " is not a fragment of this stream");
  }
  return fn.index;
}

Result<std::string> Master(const Session& s, HlsState* state, const std::string& token) {
  OSPREY_ASSIGN_OR_RETURN(playback::PlaylistSelection sel,
                          playback::SelectFragments(*s.log, s.claims, state->now_ms()));
  OSPREY_ASSIGN_OR_RETURN(fragments::StoredFragment first, s.log->Read(sel.fragments[0].index));
  OSPREY_ASSIGN_OR_RETURN(
      playback::DemuxedFragment demuxed,
      playback::Demux({first.stream_header, first.cluster, first.meta.producer_timestamp_ms,
                       first.meta.duration_ms}));
  playback::MasterPlaylistInput in;
  in.session_token = token;
  in.container = s.claims.container;
  for (const playback::TrackSamples& t : demuxed.tracks) {
    if (t.track.is_video() && in.video_codecs.empty()) {
      OSPREY_ASSIGN_OR_RETURN(playback::VideoInfo info, playback::DescribeTrack(t.track));
      in.video_track = t.track.number;
      in.video_codecs = info.codecs;
      in.width = info.width;
      in.height = info.height;
      in.frame_rate = info.frame_rate;
      if (!in.frame_rate && t.samples.size() > 1 && demuxed.duration_us > 0) {
        in.frame_rate = double(t.samples.size()) * 1e6 / double(demuxed.duration_us);
      }
    } else if (t.track.is_audio() && !in.audio_track &&
               (in.container == playback::ContainerFormat::kFragmentedMp4 ||
                playback::TsCarries(t.track))) {  // Opus: fMP4 only (ts_segment.h)
      in.audio_track = t.track.number;
      in.audio_codecs = playback::AudioCodecsString(t.track);
    }
  }
  if (in.video_codecs.empty()) return Status::InvalidArgument("the stream has no H.264/H.265 track");
  for (const fragments::FragmentMeta& m : sel.fragments) {
    if (m.duration_ms > 0) {
      in.bandwidth = std::max<uint64_t>(in.bandwidth, m.size_bytes * 8000 / uint64_t(m.duration_ms));
    }
  }
  return playback::BuildMasterPlaylist(in);
}

Result<std::string> Media(const Session& s, HlsState* state, const std::string& token,
                          uint64_t track) {
  OSPREY_ASSIGN_OR_RETURN(playback::PlaylistSelection sel,
                          playback::SelectFragments(*s.log, s.claims, state->now_ms()));
  playback::MediaPlaylistInput in;
  in.mode = s.claims.mode;
  in.container = s.claims.container;
  in.discontinuity = s.claims.discontinuity;
  in.display_fragment_timestamp = s.claims.display_fragment_timestamp;
  in.session_token = token;
  in.track_number = track;
  in.media_sequence = sel.media_sequence;
  // With ALWAYS every earlier fragment boundary was a discontinuity; the
  // other modes are not counted yet (docs/playback.md).
  if (s.claims.discontinuity == playback::DiscontinuityMode::kAlways) {
    in.discontinuity_sequence = sel.media_sequence - 1;
  }
  in.ended = sel.ended;
  for (const fragments::FragmentMeta& m : sel.fragments) {
    in.fragments.push_back({fragments::FormatFragmentNumber(s.stream.creation_ms, m.index),
                            playback::SelectorTimestamp(s.claims, m), m.duration_ms});
  }
  return playback::BuildMediaPlaylist(in);
}

Result<Response> Serve(std::string_view resource, const std::map<std::string, std::string>& params,
                       HlsState* state) {
  OSPREY_ASSIGN_OR_RETURN(Session s, OpenPlaybackSession(params, state));
  const std::string& token = params.at("SessionToken");
  if (resource == "getHLSMasterPlaylist.m3u8") {
    OSPREY_ASSIGN_OR_RETURN(std::string text, Master(s, state, token));
    return ResourceBody(std::move(text), "application/vnd.apple.mpegurl");
  }
  if (resource == "getHLSMediaPlaylist.m3u8") {
    OSPREY_ASSIGN_OR_RETURN(uint64_t track, TrackParam(params));
    OSPREY_ASSIGN_OR_RETURN(std::string text, Media(s, state, token, track));
    return ResourceBody(std::move(text), "application/vnd.apple.mpegurl");
  }
  if (resource == "getMP4InitFragment.mp4") {
    OSPREY_ASSIGN_OR_RETURN(uint64_t track, TrackParam(params));
    OSPREY_ASSIGN_OR_RETURN(playback::PlaylistSelection sel,
                            playback::SelectFragments(*s.log, s.claims, state->now_ms()));
    OSPREY_ASSIGN_OR_RETURN(auto bytes, state->segments.Get(s.claims.store_id, *s.log,
                                                            sel.fragments[0].index,
                                                            SegmentKind::kInit, track));
    return ResourceBody(bytes, "video/mp4");
  }
  if (resource == "getMP4MediaFragment.mp4" || resource == "getTSFragment.ts") {
    const bool ts = resource == "getTSFragment.ts";
    OSPREY_ASSIGN_OR_RETURN(uint64_t index, FragmentParam(params, s));
    OSPREY_ASSIGN_OR_RETURN(uint64_t track, TrackParam(params));
    OSPREY_ASSIGN_OR_RETURN(
        auto bytes, state->segments.Get(s.claims.store_id, *s.log, index,
                                        ts ? SegmentKind::kTs : SegmentKind::kMp4Media, track));
    return ResourceBody(bytes, ts ? "video/mp2t" : "video/mp4");
  }
  return Status::NotFound("unknown HLS resource");
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out.push_back(char(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    std::string name = PercentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (!name.empty()) out.emplace(std::move(name), std::move(value));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Response ServeHlsResource(std::string_view resource, std::string_view query, HlsState* state) {
  Result<Response> r = Serve(resource, ParseQuery(query), state);
  return r.ok() ? std::move(*r) : ResourceFail(r.status());
}

}  // namespace osprey::server::video
