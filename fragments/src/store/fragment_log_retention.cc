// Retention of FileFragmentLog: whole segments (media + index file) go,
// oldest first. Never deleted: the active (last) segment, the segment holding
// the newest acknowledged fragment, and any segment with appends in flight.

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "osprey/base/logging.h"
#include "store/file_fragment_log.h"

namespace osprey::fragments::store {

Result<uint64_t> FileFragmentLog::ApplyRetention(int64_t now_ms, const RetentionPolicy& policy) {
  std::lock_guard retention_lock(retention_mu_);
  size_t doomed_segments = 0;
  size_t doomed_entries = 0;
  uint64_t doomed_bytes = 0;
  uint64_t high_water = 0;
  {
    std::lock_guard lock(mu_);
    if (deleted_) return Status::NotFound("stream deleted: " + dir_);
    if (entries_.empty() || segments_.size() < 2) return uint64_t{0};
    const uint64_t newest = entries_.back().meta.index;
    // Per deletable segment: its entry count and newest server timestamp.
    std::vector<size_t> counts;
    std::vector<int64_t> newest_ms;
    size_t pos = 0;
    for (size_t k = 0; k + 1 < segments_.size(); ++k) {
      const Segment& seg = *segments_[k];
      if (seg.last_written_index >= newest) break;  // holds the newest, or in flight
      const uint64_t next_base = segments_[k + 1]->base_index;
      size_t n = 0;
      int64_t max_ms = INT64_MIN;
      while (pos < entries_.size() && entries_[pos].meta.index < next_base) {
        max_ms = std::max(max_ms, entries_[pos].meta.server_timestamp_ms);
        ++pos;
        ++n;
      }
      counts.push_back(n);
      newest_ms.push_back(max_ms);
    }
    if (policy.retention_ms > 0) {
      const int64_t cutoff = now_ms - policy.retention_ms;
      while (doomed_segments < counts.size() && newest_ms[doomed_segments] < cutoff) {
        ++doomed_segments;
      }
    }
    if (policy.max_bytes > 0) {
      uint64_t total = 0;
      for (const auto& seg : segments_) total += seg->durable_size;
      for (size_t k = 0; k < doomed_segments; ++k) total -= segments_[k]->durable_size;
      while (doomed_segments < counts.size() && total > policy.max_bytes) {
        total -= segments_[doomed_segments]->durable_size;
        ++doomed_segments;
      }
    }
    for (size_t k = 0; k < doomed_segments; ++k) {
      doomed_entries += counts[k];
      doomed_bytes += segments_[k]->durable_size;
    }
    high_water = std::max(last_reserved_, last_written_);
  }
  if (doomed_segments == 0) return uint64_t{0};

  // The high-water mark must be durable before the files that also carry it
  // go, so indices are never handed out twice after a restart.
  WriteHighWater(high_water);

  std::vector<std::shared_ptr<Segment>> doomed;
  {
    std::lock_guard lock(mu_);
    if (deleted_) return Status::NotFound("stream deleted: " + dir_);
    // Only appends (at the back) ran meanwhile; the front is as planned.
    doomed.assign(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(doomed_segments));
    segments_.erase(segments_.begin(),
                    segments_.begin() + static_cast<ptrdiff_t>(doomed_segments));
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(doomed_entries));
    const uint64_t first = entries_.empty() ? UINT64_MAX : entries_.front().meta.index;
    while (!tail_.empty() && tail_.front()->meta.index < first) {
      tail_bytes_ -= TailCost(*tail_.front());
      tail_.pop_front();
    }
    RecomputeOrderLocked();
  }
  for (const auto& seg : doomed) {
    // Index first: a crash in between leaves a media file without index,
    // which recovery removes; readers holding the segment keep its fds.
    for (const std::string& path : {seg->index_path(), seg->media_path()}) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::FromErrno("unlink " + path, errno);
      }
    }
  }
  OSPREY_RETURN_IF_ERROR(SyncDirectory(dir_));
  log::Info("fragments", "retention deleted segments",
            {{"dir", dir_},
             {"segments", static_cast<uint64_t>(doomed_segments)},
             {"fragments", static_cast<uint64_t>(doomed_entries)},
             {"bytes", doomed_bytes}});
  return static_cast<uint64_t>(doomed_entries);
}

}  // namespace osprey::fragments::store
