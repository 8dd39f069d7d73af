// The state of the HLS and DASH routes. Both protocols package the same
// fMP4 init and media segments (keyed by store id, fragment index, kind and
// track), so one SegmentStore serves a segment to HLS and DASH viewers from
// one copy, and the memory bound (docs/playback.md) is that of one cache.
//
// Thread safety: immutable after MakePlaybackState except the cache, which
// is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "osprey/playback/segment_cache.h"
#include "osprey/playback/segment_provider.h"
#include "osprey/playback/session_token.h"
#include "video/video_routes.h"

namespace osprey::server::video {

inline constexpr size_t kPlaybackCacheBytes = 256u << 20;

// The remuxed segments both protocols serve.
struct SegmentStore {
  SegmentStore() : cache(kPlaybackCacheBytes), segments(&cache) {}
  playback::SegmentCache cache;
  playback::SegmentProvider segments;
};

// One protocol's state: its own token key (an HLS token opens no DASH
// session and the reverse), the shared segments.
struct PlaybackState {
  PlaybackState(VideoContext* c, std::shared_ptr<SegmentStore> s)
      : context(c),
        signer(playback::SessionTokenSigner::GenerateKey()),
        store(std::move(s)),
        cache(store->cache),
        segments(store->segments) {}
  VideoContext* context;
  playback::SessionTokenSigner signer;
  std::shared_ptr<SegmentStore> store;
  playback::SegmentCache& cache;
  playback::SegmentProvider& segments;
  std::function<int64_t()> now_ms;  // epoch ms
};

// The shared segments; the cache forgets a stream when it is deleted (a
// stream recreated under the name has another store_id, so its old
// segments would never hit again).
inline std::shared_ptr<SegmentStore> MakeSegmentStore(VideoContext* context) {
  auto store = std::make_shared<SegmentStore>();
  if (context->catalog != nullptr) {
    std::weak_ptr<SegmentStore> weak = store;
    context->catalog->OnDelete([weak](const fragments::VideoStream& stream) {
      if (auto s = weak.lock()) s->cache.EraseStream(stream.store_id());
    });
  }
  return store;
}

// A protocol's state on the system clock over `store`.
inline std::shared_ptr<PlaybackState> MakePlaybackState(VideoContext* context,
                                                        std::shared_ptr<SegmentStore> store) {
  auto state = std::make_shared<PlaybackState>(context, std::move(store));
  state->now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return state;
}

}  // namespace osprey::server::video
