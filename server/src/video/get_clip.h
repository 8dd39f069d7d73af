// GetClip (video-api.md 6.5): POST /getClip answers one progressive MP4 with
// the moov first (playback::BuildClipMp4) for the fragments of a time range.
// Also the worker pool both GetClip and GetImages (get_images.h) run on.
//
// Selection (docs/playback.md "GetClip"): fragments whose start (server or
// producer time, as the selector says) lies in [StartTimestamp,
// EndTimestamp], both inclusive, as ListFragments and HLS ON_DEMAND pick
// them; ordered by that start; with equal starts the highest fragment
// number wins (a producer's resend). The clip is cut after the first
// kClipMaxFragments fragments or before the fragment that would take the
// stored bytes past kClipMaxBytes (always at least one fragment).
//
// Threading: the parsing and selection functions are pure. The handler
// parses on the connection's thread, then reads, demuxes and writes the MP4
// on the playback job pool (up to 100 MB of disk reads must not hold an I/O
// thread) and answers from there (a Responder may be called from any
// thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/server/router.h"
#include "video/kvs_json.h"
#include "video/video_routes.h"

namespace osprey::server::video {

inline constexpr size_t kClipMaxFragments = 200;
inline constexpr uint64_t kClipMaxBytes = 100ull << 20;  // 100 MiB of stored fragment bytes
inline constexpr int64_t kClipMaxSpanMs = 24 * 3600'000LL;

// A validated selector: ClipFragmentSelector for GetClip, the image
// selector fields for GetImages.
struct TimeRange {
  fragments::TimestampKind kind = fragments::TimestampKind::kServer;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

// The ClipFragmentSelector of a GetClip body, with the ON_DEMAND range rules:
// type, Start and End required; 0 < End - Start <= 24 h; with
// SERVER_TIMESTAMP, End not after `now_ms`. InvalidArgument otherwise.
Result<TimeRange> ParseClipSelector(const JsonRequest& body, int64_t now_ms);

// "SERVER_TIMESTAMP" / "PRODUCER_TIMESTAMP"; InvalidArgument naming `member`.
Result<fragments::TimestampKind> ParseSelectorType(std::string_view member,
                                                   const std::optional<std::string>& value);

// The start of `m` on the `kind` timeline.
int64_t StartOf(const fragments::FragmentMeta& m, fragments::TimestampKind kind);

// `listed` ordered by start on the `kind` timeline, equal starts reduced to
// the highest index (stable, pure).
std::vector<fragments::FragmentMeta> OrderByStart(std::vector<fragments::FragmentMeta> listed,
                                                  fragments::TimestampKind kind);

// The clip's fragments: OrderByStart, then cut at kClipMaxFragments /
// kClipMaxBytes as described above. *truncated tells whether any was cut.
std::vector<fragments::FragmentMeta> SelectClipFragments(
    std::vector<fragments::FragmentMeta> listed, fragments::TimestampKind kind, bool* truncated);

// Runs `job` on the playback job pool (two threads, separate from the
// fragment read pool so that a long decode never delays GetMedia). False
// when kMaxPlaybackJobs are already queued or running: the caller answers
// ClientLimitExceededException. Safe from any thread.
inline constexpr int kMaxPlaybackJobs = 8;
bool TryPostPlaybackJob(std::function<void()> job);

// The stream a body names, checked for GetClip/GetImages: NotFound for an
// unknown or deleting stream; the log opened.
struct PlaybackStream {
  fragments::VideoStream stream;
  std::shared_ptr<fragments::FragmentLog> log;
};
Result<PlaybackStream> OpenPlaybackStream(const JsonRequest& body, VideoContext* context);

// Registers POST /getClip (SigV4 service kinesisvideo), and with it the
// Osprey extension POST /getClipStream (get_clip_stream.cc): the same
// request answered as a fragmented MP4 of the video track, streamed
// fragment by fragment with no size cut.
void RegisterGetClipRoute(Router* router, VideoContext* context);
void RegisterGetClipStreamRoute(Router* router, VideoContext* context);

}  // namespace osprey::server::video
