// Retry recognition of FileFragmentLog (fragment_store.h, FindOrClaim).
//
// A producer that lost a PERSISTED ack sends the fragment again, in a new
// connection, with the same producer timestamp and the same bytes. Two
// places can hold the original:
//  * entries_, once acknowledged (also after a restart: recovery reloads
//    the content hash from version-2 index entries);
//  * claims_, from the moment its ingest session sealed it until its append
//    is acknowledged or fails: the dying connection's copy may still be in
//    the group commit when the new connection re-sends it. The retry then
//    waits for that append (WhenSettled) instead of storing a second copy.
// FindOrClaim checks both and claims under one lock hold, so of two
// identical fragments racing, exactly one is stored.
//
// Only the newest options_.dedupe_window entries are scanned, newest first:
// a retry follows its lost ack within a few fragments, and the scan stays a
// few microseconds (docs/benchmarks.md).

#include <algorithm>

#include "store/file_fragment_log.h"

namespace osprey::fragments::store {
namespace {

// The retry rule (docs/video-ingest.md): same producer timestamp, duration,
// size and content hash. An unknown hash (index version 1) never matches.
bool SameFragment(const FragmentMeta& a, const FragmentMeta& b) {
  return a.content_hash != 0 && a.content_hash == b.content_hash &&
         a.producer_timestamp_ms == b.producer_timestamp_ms && a.duration_ms == b.duration_ms &&
         a.size_bytes == b.size_bytes;
}

}  // namespace

bool FileFragmentLog::MayBeDuplicate(int64_t producer_timestamp_ms) const {
  std::lock_guard lock(mu_);
  for (const auto& [index, claim] : claims_) {
    if (claim.meta.producer_timestamp_ms == producer_timestamp_ms) return true;
  }
  const size_t window = std::min(entries_.size(), options_.dedupe_window);
  for (auto it = entries_.rbegin(); it != entries_.rbegin() + window; ++it) {
    if (it->meta.producer_timestamp_ms == producer_timestamp_ms) return true;
  }
  return false;
}

std::optional<FragmentMeta> FileFragmentLog::FindOrClaim(const FragmentMeta& meta) {
  if (meta.content_hash == 0) return std::nullopt;  // cannot be recognised
  std::lock_guard lock(mu_);
  // A closed or deleted log fails the append that follows; no claim needed.
  if (shut_ || deleted_) return std::nullopt;
  for (const auto& [index, claim] : claims_) {
    if (SameFragment(claim.meta, meta)) {
      ++stats_.duplicates;
      return claim.meta;
    }
  }
  const size_t window = std::min(entries_.size(), options_.dedupe_window);
  for (auto it = entries_.rbegin(); it != entries_.rbegin() + window; ++it) {
    if (SameFragment(it->meta, meta)) {
      ++stats_.duplicates;
      return it->meta;
    }
  }
  claims_[meta.index] = Claim{meta, {}};
  return std::nullopt;
}

void FileFragmentLog::WhenSettled(uint64_t index, AppendCallback done) {
  Status result;
  {
    std::lock_guard lock(mu_);
    if (auto it = claims_.find(index); it != claims_.end()) {
      it->second.waiters.push_back(std::move(done));
      return;
    }
    const size_t pos = LowerBoundLocked(index);
    if (pos < entries_.size() && entries_[pos].meta.index == index) {
      result = Status::Ok();
    } else if (deleted_) {
      result = Status::FailedPrecondition("stream deleted: " + dir_);
    } else if (!bg_error_.ok()) {
      result = bg_error_;
    } else {
      // Its append failed (claims end with the failure) or retention took
      // it: the retry's session fails, and the producer's next attempt
      // stores it afresh.
      result = Status::Unavailable("fragment " + std::to_string(index) + " was not stored");
    }
  }
  done(std::move(result));
}

std::vector<FragmentLog::AppendCallback> FileFragmentLog::EndClaimLocked(uint64_t index) {
  auto it = claims_.find(index);
  if (it == claims_.end()) return {};
  std::vector<AppendCallback> waiters = std::move(it->second.waiters);
  claims_.erase(it);
  return waiters;
}

void FileFragmentLog::FailAppend(uint64_t index, AppendCallback done, Status status) {
  std::vector<AppendCallback> waiters;
  {
    std::lock_guard lock(mu_);
    waiters = EndClaimLocked(index);
  }
  done(status);
  for (auto& w : waiters) w(status);
}

}  // namespace osprey::fragments::store
