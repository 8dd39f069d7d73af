// HLS playlist rendering (hls_playlist.h).
#include "osprey/playback/hls_playlist.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace osprey::playback {
namespace {

bool IsUrlSafeToken(const std::string& token) {
  if (token.empty()) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

// Seconds with exactly 3 decimals: 1857 -> "1.857".
std::string Seconds3(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buf;
}

// At most 3 decimals, at least one: 15 -> "15.0", 29.97 -> "29.97".
std::string FrameRate(double fps) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", fps);
  std::string s = buf;
  while (s.size() > 2 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

}  // namespace

std::string MediaPlaylistUrl(const std::string& token, uint64_t track) {
  return "getHLSMediaPlaylist.m3u8?SessionToken=" + token + "&TrackNumber=" +
         std::to_string(track);
}

std::string InitSegmentUrl(const std::string& token, uint64_t track) {
  return "getMP4InitFragment.mp4?SessionToken=" + token + "&TrackNumber=" +
         std::to_string(track);
}

std::string MediaSegmentUrl(const std::string& fragment_number, const std::string& token,
                            uint64_t track) {
  return "getMP4MediaFragment.mp4?FragmentNumber=" + fragment_number +
         "&SessionToken=" + token + "&TrackNumber=" + std::to_string(track);
}

std::string TsSegmentUrl(const std::string& fragment_number, const std::string& token) {
  return "getTSFragment.ts?FragmentNumber=" + fragment_number + "&SessionToken=" + token;
}

std::string FormatProgramDateTime(int64_t epoch_ms) {
  int64_t secs = epoch_ms / 1000;
  int64_t ms = epoch_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
  return buf;
}

bool IsDiscontinuity(DiscontinuityMode mode, const PlaylistFragment& prev,
                     const PlaylistFragment& next) {
  switch (mode) {
    case DiscontinuityMode::kAlways:
      return true;
    case DiscontinuityMode::kNever:
      return false;
    case DiscontinuityMode::kOnDiscontinuity: {
      const int64_t gap = next.start_ms - (prev.start_ms + prev.duration_ms);
      return gap > kDiscontinuityToleranceMs || gap < -kDiscontinuityToleranceMs;
    }
  }
  return false;
}

Result<std::string> BuildMasterPlaylist(const MasterPlaylistInput& in) {
  if (!IsUrlSafeToken(in.session_token)) {
    return Status::InvalidArgument("session token is not base64url");
  }
  std::string codecs = in.video_codecs;
  if (in.audio_track && !in.audio_codecs.empty()) {
    codecs += (codecs.empty() ? "" : ",") + in.audio_codecs;
  }
  std::string out = "#EXTM3U\n#EXT-X-VERSION:1\n";
  const bool audio_rendition =
      in.audio_track.has_value() && in.container == ContainerFormat::kFragmentedMp4;
  if (audio_rendition) {
    out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,"
           "AUTOSELECT=YES,URI=\"" + MediaPlaylistUrl(in.session_token, *in.audio_track) +
           "\"\n";
  }
  out += "#EXT-X-STREAM-INF:CODECS=\"" + codecs + "\"";
  if (in.width > 0 && in.height > 0) {
    out += ",RESOLUTION=" + std::to_string(in.width) + "x" + std::to_string(in.height);
  }
  if (in.frame_rate && *in.frame_rate > 0) out += ",FRAME-RATE=" + FrameRate(*in.frame_rate);
  out += ",BANDWIDTH=" + std::to_string(std::max<uint64_t>(in.bandwidth, 1));
  if (audio_rendition) out += ",AUDIO=\"audio\"";
  out += "\n" + MediaPlaylistUrl(in.session_token, in.video_track) + "\n";
  return out;
}

Result<std::string> BuildMediaPlaylist(const MediaPlaylistInput& in) {
  if (!IsUrlSafeToken(in.session_token)) {
    return Status::InvalidArgument("session token is not base64url");
  }
  const bool mp4 = in.container == ContainerFormat::kFragmentedMp4;
  int64_t longest_ms = 0;
  for (const PlaylistFragment& f : in.fragments) longest_ms = std::max(longest_ms, f.duration_ms);
  const int64_t target = std::max<int64_t>(1, (longest_ms + 999) / 1000);

  std::string out = "#EXTM3U\n";
  out += mp4 ? "#EXT-X-VERSION:7\n" : "#EXT-X-VERSION:3\n";
  if (in.mode == PlaybackMode::kOnDemand) out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  if (in.mode == PlaybackMode::kLiveReplay) out += "#EXT-X-PLAYLIST-TYPE:EVENT\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(target) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(std::max<uint64_t>(in.media_sequence, 1)) +
         "\n";
  if (in.mode != PlaybackMode::kOnDemand && in.discontinuity_sequence > 0) {
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:" + std::to_string(in.discontinuity_sequence) + "\n";
  }
  out += "#EXT-X-INDEPENDENT-SEGMENTS\n";
  if (mp4) out += "#EXT-X-MAP:URI=\"" + InitSegmentUrl(in.session_token, in.track_number) + "\"\n";
  for (size_t i = 0; i < in.fragments.size(); ++i) {
    const PlaylistFragment& f = in.fragments[i];
    if (i > 0 && IsDiscontinuity(in.discontinuity, in.fragments[i - 1], f)) {
      out += "#EXT-X-DISCONTINUITY\n";
    }
    if (in.display_fragment_timestamp) {
      out += "#EXT-X-PROGRAM-DATE-TIME:" + FormatProgramDateTime(f.start_ms) + "\n";
    }
    out += "#EXTINF:" + Seconds3(std::max<int64_t>(f.duration_ms, 0)) + ",\n";
    out += mp4 ? MediaSegmentUrl(f.fragment_number, in.session_token, in.track_number)
               : TsSegmentUrl(f.fragment_number, in.session_token);
    out += "\n";
  }
  if (in.mode == PlaybackMode::kOnDemand || (in.mode == PlaybackMode::kLiveReplay && in.ended)) {
    out += "#EXT-X-ENDLIST\n";
  }
  return out;
}

}  // namespace osprey::playback
