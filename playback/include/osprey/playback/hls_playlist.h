// HLS playlist text (video-api.md section 6.3), as pure functions of what
// the caller looked up: no store access, no clock. The HTTP adapter selects
// fragments (by mode, selector and range), computes the media sequence, and
// renders with these.
//
// URLs are relative to the playlist (players resolve them against
// .../hls/v1/) and carry the real 47-digit FragmentNumber, the SessionToken
// and the TrackNumber. Session tokens are base64url, so no escaping is
// needed; the functions check that and refuse other characters.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::playback {

enum class PlaybackMode { kLive, kLiveReplay, kOnDemand };
enum class ContainerFormat { kFragmentedMp4, kMpegTs };
enum class DiscontinuityMode { kAlways, kNever, kOnDiscontinuity };

// Gap or overlap above which ON_DISCONTINUITY marks a discontinuity.
inline constexpr int64_t kDiscontinuityToleranceMs = 50;

struct MasterPlaylistInput {
  std::string session_token;
  ContainerFormat container = ContainerFormat::kFragmentedMp4;
  uint64_t video_track = 1;
  std::string video_codecs;  // "avc1.4d401f" (codec_info.h)
  uint32_t width = 0;        // from the SPS, cropping applied
  uint32_t height = 0;
  std::optional<double> frame_rate;
  uint64_t bandwidth = 0;    // peak bits per second
  // Audio: with fMP4 a separate rendition (its own media playlist); with
  // MPEG-TS muxed into the same segments, so only its CODECS are added.
  std::optional<uint64_t> audio_track;
  std::string audio_codecs;  // "mp4a.40.2"
};

// #EXTM3U, (#EXT-X-MEDIA for audio), #EXT-X-STREAM-INF with CODECS,
// RESOLUTION, FRAME-RATE (3 decimals at most, at least one) and BANDWIDTH,
// then the media playlist URL.
Result<std::string> BuildMasterPlaylist(const MasterPlaylistInput& input);

struct PlaylistFragment {
  std::string fragment_number;  // 47 digits
  int64_t start_ms = 0;         // by the session's selector (server or producer)
  int64_t duration_ms = 0;      // FragmentLengthInMilliseconds
};

struct MediaPlaylistInput {
  PlaybackMode mode = PlaybackMode::kLive;
  ContainerFormat container = ContainerFormat::kFragmentedMp4;
  DiscontinuityMode discontinuity = DiscontinuityMode::kAlways;
  bool display_fragment_timestamp = false;  // #EXT-X-PROGRAM-DATE-TIME
  std::string session_token;
  uint64_t track_number = 1;
  // Sequence number of fragments[0] (>= 1): stable for a fragment across
  // refreshes of a live playlist (the adapter's job).
  uint64_t media_sequence = 1;
  // Discontinuities before fragments[0] in this session (live modes; the
  // adapter counts them; with ALWAYS it is media_sequence - 1).
  uint64_t discontinuity_sequence = 0;
  // LIVE_REPLAY whose End has been reached: the playlist is complete.
  bool ended = false;
  std::vector<PlaylistFragment> fragments;  // in playlist order
};

// EXT-X-VERSION (7 for fMP4: EXT-X-MAP; 3 for MPEG-TS), PLAYLIST-TYPE
// (VOD for ON_DEMAND, EVENT for LIVE_REPLAY, none for LIVE),
// TARGETDURATION (the longest EXTINF rounded up, at least 1),
// MEDIA-SEQUENCE, DISCONTINUITY-SEQUENCE (live modes, when > 0),
// INDEPENDENT-SEGMENTS, EXT-X-MAP (fMP4), then per fragment:
// EXT-X-DISCONTINUITY (before every fragment but the first with ALWAYS;
// with ON_DISCONTINUITY when the start differs from the previous end by more
// than 50 ms), EXT-X-PROGRAM-DATE-TIME (ms, UTC), EXTINF with the duration
// in seconds and 3 decimals (exactly FragmentLengthInMilliseconds), the URL.
// ENDLIST for ON_DEMAND and ended LIVE_REPLAY.
// InvalidArgument when the token has characters outside base64url.
Result<std::string> BuildMediaPlaylist(const MediaPlaylistInput& input);

// Whether `next` starts a discontinuity after `prev` under `mode`.
bool IsDiscontinuity(DiscontinuityMode mode, const PlaylistFragment& prev,
                     const PlaylistFragment& next);

// "2022-01-28T07:00:35.931Z".
std::string FormatProgramDateTime(int64_t epoch_ms);

// Relative URLs (what the playlists contain).
std::string MediaPlaylistUrl(const std::string& token, uint64_t track);
std::string InitSegmentUrl(const std::string& token, uint64_t track);
std::string MediaSegmentUrl(const std::string& fragment_number, const std::string& token,
                            uint64_t track);
std::string TsSegmentUrl(const std::string& fragment_number, const std::string& token);

}  // namespace osprey::playback
