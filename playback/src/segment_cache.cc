// LRU segment cache (segment_cache.h).
#include "osprey/playback/segment_cache.h"

#include <functional>

namespace osprey::playback {

SegmentCache::SegmentCache(size_t max_bytes) : max_bytes_(max_bytes) {}

size_t SegmentCache::KeyHash::operator()(const SegmentKey& k) const {
  size_t h = std::hash<std::string>()(k.stream);
  h ^= std::hash<uint64_t>()(k.fragment) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= std::hash<uint64_t>()((k.track << 8) | uint64_t(k.kind)) + 0x9e3779b97f4a7c15ULL +
       (h << 6) + (h >> 2);
  return h;
}

std::shared_ptr<const std::string> SegmentCache::Get(const SegmentKey& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

std::shared_ptr<const std::string> SegmentCache::Put(const SegmentKey& key, std::string value) {
  const size_t charge = Charge(key, value.size());
  auto shared = std::make_shared<const std::string>(std::move(value));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {
    stats_.bytes -= it->second->charge;
    lru_.erase(it->second);
    index_.erase(it);
  }
  if (charge > max_bytes_ / 4) {
    ++stats_.rejected;
    stats_.entries = index_.size();
    return shared;
  }
  lru_.push_front(Entry{key, shared, charge});
  index_.emplace(key, lru_.begin());
  stats_.bytes += charge;
  EvictLocked();
  stats_.entries = index_.size();
  return shared;
}

void SegmentCache::EvictLocked() {
  while (stats_.bytes > max_bytes_ && !lru_.empty()) {
    Entry& victim = lru_.back();
    stats_.bytes -= victim.charge;
    index_.erase(victim.key);
    lru_.pop_back();
    ++stats_.evictions;
  }
}

void SegmentCache::EraseStream(const std::string& stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (it->key.stream == stream) {
      stats_.bytes -= it->charge;
      index_.erase(it->key);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
  stats_.entries = index_.size();
}

SegmentCacheStats SegmentCache::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace osprey::playback
