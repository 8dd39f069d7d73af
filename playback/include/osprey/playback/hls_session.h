// Which fragments an HLS media playlist lists at a given moment, from the
// session's claims and the stream's FragmentLog (video-api.md 6.3):
//
//  * LIVE: the newest max_results fragments by ingest (server time), none
//    older than 24 h; NotFound when the newest arrived more than 30 s ago
//    ("No fragments found in the stream for the streaming request.").
//  * LIVE_REPLAY: from Start (inclusive), one more fragment each time the
//    previous ones' durations have elapsed since the session was created;
//    the newest max_results of those. Ended once End is given and every
//    fragment up to it is visible.
//  * ON_DEMAND: the oldest max_results fragments with Start <= start <= End.
//
// Media sequence numbers count fragments from the session's anchor (the
// first fragment of its first playlist), so a fragment keeps its number
// across refreshes. Counting walks the index from the anchor: O(fragments
// since the session began) per LIVE refresh, a known cost (docs/playback.md).
// Fragments removed by retention after the anchor shift later numbers.
//
// Not done: PRODUCER_TIMESTAMP de-duplication of fragments with the same
// start.
//
// Thread safety: pure function over a thread-safe FragmentLog.
#pragma once

#include <cstdint>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/playback/session_token.h"

namespace osprey::playback {

inline constexpr int64_t kLiveFreshnessMs = 30'000;
inline constexpr char kNoFragmentsMessage[] =
    "No fragments found in the stream for the streaming request.";

struct PlaylistSelection {
  std::vector<fragments::FragmentMeta> fragments;  // in playlist order
  uint64_t media_sequence = 1;                     // of fragments[0]
  bool ended = false;                              // ENDLIST
};

// NotFound (kNoFragmentsMessage) when nothing qualifies.
Result<PlaylistSelection> SelectFragments(const fragments::FragmentLog& log,
                                          const SessionClaims& claims, int64_t now_ms);

// The timestamp of `meta` the session's selector uses.
int64_t SelectorTimestamp(const SessionClaims& claims, const fragments::FragmentMeta& meta);

}  // namespace osprey::playback
