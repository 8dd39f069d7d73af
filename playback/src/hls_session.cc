// Fragment selection for HLS media playlists (hls_session.h).
#include "osprey/playback/hls_session.h"

#include <algorithm>
#include <deque>
#include <limits>

namespace osprey::playback {
namespace {

using fragments::FragmentMeta;
using fragments::TimestampKind;

constexpr size_t kPage = 1000;
constexpr int64_t kLiveLookbackMs = 24 * 3600'000LL;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TimestampKind KindOf(const SessionClaims& c) {
  return c.selector == FragmentSelectorType::kServerTimestamp ? TimestampKind::kServer
                                                              : TimestampKind::kProducer;
}

// Calls `visit` for every fragment of the range in index order until it
// returns false.
template <typename Visit>
void Walk(const fragments::FragmentLog& log, TimestampKind kind, int64_t start, int64_t end,
          uint64_t after, Visit visit) {
  for (;;) {
    std::vector<FragmentMeta> page = log.ListRange(kind, start, end, after, kPage);
    for (const FragmentMeta& m : page) {
      if (!visit(m)) return;
      after = m.index;
    }
    if (page.size() < kPage) return;
  }
}

// 1 + the number of fragments with anchor <= index < first.
uint64_t SequenceOf(const fragments::FragmentLog& log, uint64_t anchor, uint64_t first) {
  if (anchor == 0 || first <= anchor) return 1;
  uint64_t n = 1;
  Walk(log, TimestampKind::kServer, kMin, kMax, anchor - 1, [&](const FragmentMeta& m) {
    if (m.index >= first) return false;
    ++n;
    return true;
  });
  return n;
}

Result<PlaylistSelection> Live(const fragments::FragmentLog& log, const SessionClaims& c,
                               int64_t now_ms) {
  std::optional<FragmentMeta> latest = log.Latest();
  if (!latest || latest->server_timestamp_ms < now_ms - kLiveFreshnessMs) {
    return Status::NotFound(kNoFragmentsMessage);
  }
  const size_t n = std::max<uint32_t>(c.max_results, 1);
  std::deque<FragmentMeta> newest;
  Walk(log, TimestampKind::kServer, latest->server_timestamp_ms - kLiveLookbackMs, kMax, 0,
       [&](const FragmentMeta& m) {
         newest.push_back(m);
         if (newest.size() > n) newest.pop_front();
         return true;
       });
  if (newest.empty()) return Status::NotFound(kNoFragmentsMessage);
  PlaylistSelection s;
  s.fragments.assign(newest.begin(), newest.end());
  s.media_sequence = SequenceOf(log, c.anchor_index, s.fragments.front().index);
  return s;
}

Result<PlaylistSelection> Replay(const fragments::FragmentLog& log, const SessionClaims& c,
                                 int64_t now_ms) {
  const int64_t elapsed = std::max<int64_t>(0, now_ms - c.created_ms);
  const size_t n = std::max<uint32_t>(c.max_results, 1);
  std::deque<FragmentMeta> visible;
  uint64_t count = 0;
  int64_t shown_ms = 0;
  bool all_visible = true;
  Walk(log, KindOf(c), c.start_ms.value_or(kMin), c.end_ms.value_or(kMax), 0,
       [&](const FragmentMeta& m) {
         // A fragment appears once the ones before it have played.
         if (count > 0 && shown_ms > elapsed) {
           all_visible = false;
           return false;
         }
         visible.push_back(m);
         if (visible.size() > n) visible.pop_front();
         ++count;
         shown_ms += m.duration_ms;
         return true;
       });
  if (visible.empty()) return Status::NotFound(kNoFragmentsMessage);
  PlaylistSelection s;
  s.fragments.assign(visible.begin(), visible.end());
  s.media_sequence = count - visible.size() + 1;
  s.ended = c.end_ms.has_value() && all_visible;
  return s;
}

}  // namespace

int64_t SelectorTimestamp(const SessionClaims& claims, const FragmentMeta& meta) {
  return claims.selector == FragmentSelectorType::kServerTimestamp ? meta.server_timestamp_ms
                                                                   : meta.producer_timestamp_ms;
}

Result<PlaylistSelection> SelectFragments(const fragments::FragmentLog& log,
                                          const SessionClaims& c, int64_t now_ms) {
  switch (c.mode) {
    case PlaybackMode::kLive:
      return Live(log, c, now_ms);
    case PlaybackMode::kLiveReplay:
      return Replay(log, c, now_ms);
    case PlaybackMode::kOnDemand: {
      PlaylistSelection s;
      s.fragments = log.ListRange(KindOf(c), c.start_ms.value_or(kMin), c.end_ms.value_or(kMax),
                                  0, std::max<uint32_t>(c.max_results, 1));
      if (s.fragments.empty()) return Status::NotFound(kNoFragmentsMessage);
      s.ended = true;
      return s;
    }
  }
  return Status::InvalidArgument("unknown playback mode");
}

}  // namespace osprey::playback
