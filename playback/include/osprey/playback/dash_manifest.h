// MPEG-DASH manifest (MPD) text of a GetDASHStreamingSessionURL session
// (video-api.md 6.4), as a pure function of what the caller looked up: no
// store access, no clock. The HTTP adapter selects the fragments (the same
// selection as HLS, hls_session.h), reads codec and size from the SPS
// (codec_info.h), and renders with BuildDashManifest.
//
// The MPD describes the fMP4 init and media segments HLS already serves
// (mp4_segments.h): one AdaptationSet per track (video, optional AAC audio),
// each with a SegmentTemplate and a SegmentTimeline in milliseconds
// (timescale 1000). Every S element carries its t, the fragment's producer
// timestamp in epoch ms, which is exactly the segment's tfdt / 90 (the media
// timeline), and d = FragmentLengthInMilliseconds, which is exactly the sum
// of the segment's sample durations. Gaps between fragments stay gaps in the
// timeline (an explicit t after them). Media URLs are
//   getMP4MediaFragment.mp4?SessionToken=<t>&TrackNumber=<n>&Time=$Time$
// so the player's $Time$ (= t) names the fragment by its producer start; the
// server resolves it. A template with $Number$ cannot name fragments: their
// indices are time based, not consecutive (fragment_store.h).
//
// Segments are put in timeline order (by start); of fragments with the same
// start only the highest FragmentNumber is kept (a resend: KVS's
// PRODUCER_TIMESTAMP de-duplication rule, here for every selector, since two
// S elements at one t cannot be told apart); when a fragment starts before
// the previous one ends, the previous d is shortened to meet it, so the
// timeline never runs backwards.
//
// Types:
//  * ON_DEMAND: type="static", presentationTimeOffset = the first t (the
//    presentation starts at 0), mediaPresentationDuration = last end - first t.
//  * LIVE, LIVE_REPLAY: type="dynamic", minimumUpdatePeriod PT1S (KVS
//    advises a 1 s refresh), publishTime and a UTCTiming (direct) of now,
//    timeShiftBufferDepth = the listed window. Media time `timeline_origin_ms`
//    is presented at wall-clock `availability_start_ms`: LIVE uses 0 and 0
//    (producer time is wall-clock time), LIVE_REPLAY the first fragment of
//    the session and the session's creation (fragments are released at that
//    pace). An ended LIVE_REPLAY drops minimumUpdatePeriod and states its
//    mediaPresentationDuration (DASH's end of a dynamic presentation).
//
// DisplayFragmentTimestamp ALWAYS adds kvs:ts (the fragment's start by the
// session's selector: server or producer time, ISO 8601 UTC with ms
// [Osprey]) and DisplayFragmentNumber ALWAYS adds kvs:fn (the 47-digit
// FragmentNumber) to each S element; the kvs prefix is bound to
// kDashKvsNamespace [Osprey: the real namespace URI is not documented].
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/playback/hls_playlist.h"

namespace osprey::playback {

inline constexpr char kDashKvsNamespace[] = "urn:osprey:kinesisvideo:dash:2017";

struct DashRepresentation {
  uint64_t track_number = 1;
  bool video = true;
  std::string codecs;  // "avc1.64000c", "hvc1.1.6.L93.B0", "mp4a.40.2"
  uint32_t width = 0;  // video: from the SPS, cropping applied
  uint32_t height = 0;
  std::optional<double> frame_rate;
  uint32_t sample_rate = 0;  // audio
  uint32_t channels = 0;
  uint64_t bandwidth = 0;  // peak bits per second (at least 1 is written)
};

struct DashSegment {
  std::string fragment_number;   // 47 digits
  int64_t start_ms = 0;          // producer timestamp: the media timeline, $Time$
  int64_t duration_ms = 0;       // FragmentLengthInMilliseconds
  int64_t display_start_ms = 0;  // kvs:ts: the start by the session's selector
};

struct DashManifestInput {
  PlaybackMode mode = PlaybackMode::kLive;
  bool ended = false;  // LIVE_REPLAY whose End has been reached
  bool display_fragment_timestamp = false;
  bool display_fragment_number = false;
  std::string session_token;
  std::vector<DashRepresentation> representations;  // at least one
  std::vector<DashSegment> segments;                // at least one, any order
  int64_t now_ms = 0;                               // dynamic: publishTime, UTCTiming
  int64_t availability_start_ms = 0;                // dynamic only (see above)
  int64_t timeline_origin_ms = 0;
};

// InvalidArgument when there is no segment or representation, or the token
// has characters outside base64url (URLs are written unescaped).
Result<std::string> BuildDashManifest(const DashManifestInput& input);

// "PT12.345S" (ISO 8601 duration, ms precision).
std::string DashDuration(int64_t ms);

// Relative URLs (what the MPD contains, before XML escaping).
std::string DashInitUrl(const std::string& token, uint64_t track);
std::string DashMediaUrlTemplate(const std::string& token, uint64_t track);

}  // namespace osprey::playback
