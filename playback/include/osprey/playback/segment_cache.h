// SegmentCache: a bounded LRU cache of remuxed segments (init, fMP4 media,
// MPEG-TS), so that every player of a live stream, and every playlist
// refresh of one player, remuxes a fragment once.
//
// Key: (stream store_id, fragment index, kind, track). Values are immutable
// and shared: Get() hands out a shared_ptr that stays valid after eviction,
// so a response being written never dangles.
//
// Memory bound: each entry is charged its payload size, twice its key's
// stream string (the list entry and the hash node each hold a copy) and
// kEntryOverhead = 384 bytes (list node, hash node, shared_ptr control block,
// std::string headers and malloc rounding: measured at about 330 bytes per
// entry with glibc on x86-64). Put() evicts least recently used entries
// until the charged total is <= max_bytes; a value larger than max_bytes / 4
// is not cached at all (a huge segment would flush everything else).
// Measured (segment_cache_test HeapUseMatchesChargedBytes, 64 MiB bound):
// the heap really held stays within 5% of the charged total for 1 KB and
// 200 KB values. Values still referenced by callers after eviction are not
// counted (they are responses in flight).
//
// Thread safety: every method may be called from any thread concurrently
// (one mutex; the critical sections do no I/O and no remuxing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace osprey::playback {

enum class SegmentKind : uint8_t { kInit = 1, kMp4Media = 2, kTs = 3 };

struct SegmentKey {
  std::string stream;     // VideoStream::store_id()
  uint64_t fragment = 0;  // FragmentMeta::index (for kInit: the fragment whose header it is)
  SegmentKind kind = SegmentKind::kMp4Media;
  uint64_t track = 0;     // TrackNumber (0 for MPEG-TS: all tracks)
  bool operator==(const SegmentKey&) const = default;
};

struct SegmentCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t rejected = 0;  // values too large to cache
  uint64_t entries = 0;
  uint64_t bytes = 0;     // charged bytes (see above)
};

class SegmentCache {
 public:
  static constexpr size_t kEntryOverhead = 384;

  explicit SegmentCache(size_t max_bytes);
  SegmentCache(const SegmentCache&) = delete;
  SegmentCache& operator=(const SegmentCache&) = delete;

  // The cached value (now most recently used), or nullptr; counts a hit or
  // a miss.
  std::shared_ptr<const std::string> Get(const SegmentKey& key);
  // Inserts or replaces; evicts as needed. Returns the shared value (also
  // when it was too large to keep).
  std::shared_ptr<const std::string> Put(const SegmentKey& key, std::string value);
  // Drops every entry of `stream` (stream deleted).
  void EraseStream(const std::string& stream);

  SegmentCacheStats Stats() const;
  size_t max_bytes() const { return max_bytes_; }

  // What one entry is charged.
  static size_t Charge(const SegmentKey& key, size_t value_size) {
    return value_size + 2 * key.stream.size() + kEntryOverhead;
  }

 private:
  struct KeyHash {
    size_t operator()(const SegmentKey& k) const;
  };
  struct Entry {
    SegmentKey key;
    std::shared_ptr<const std::string> value;
    size_t charge;
  };
  using List = std::list<Entry>;

  void EvictLocked();  // REQUIRES: mutex_ held

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  List lru_;  // front: most recently used. GUARDED_BY(mutex_)
  std::unordered_map<SegmentKey, List::iterator, KeyHash> index_;  // GUARDED_BY(mutex_)
  SegmentCacheStats stats_;  // GUARDED_BY(mutex_)
};

}  // namespace osprey::playback
