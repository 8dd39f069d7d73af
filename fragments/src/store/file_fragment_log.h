// FileFragmentLog: the FragmentLog of one stream folder. Private to the store.
//
// Split over: file_fragment_log.cc (reserve, append, publish, subscribe,
// stats, delete), fragment_log_query.cc (lookups and reads),
// fragment_log_recover.cc (open and crash recovery), fragment_log_retention.cc,
// fragment_log_dedupe.cc (retry recognition: claims, FindOrClaim).
//
// Life of an append: AppendAsync (any thread) writes the media record to the
// active media file under mu_ and hands a SyncItem to the store's Syncer. The
// syncer makes the media durable, appends and syncs the index entry, then
// calls Publish() (entry visible to readers) and the callbacks.
//
// Locking: mu_ guards everything mutable, including the guarded fields of
// the segments. Lock order: mu_ before the Syncer's mutex. Nobody holds mu_
// across an fsync or a disk read.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "osprey/fragments/fragment_store.h"
#include "store/segment.h"
#include "store/store_format.h"
#include "store/syncer.h"

namespace osprey::fragments::store {

// Bytes a fragment in the tail cache is charged.
inline uint64_t TailCost(const StoredFragment& f) {
  return f.cluster.size() + f.stream_header.size() + 128;
}

class FileFragmentLog final : public FragmentLog,
                              public std::enable_shared_from_this<FileFragmentLog> {
 public:
  // Use Open(); public for make_shared.
  FileFragmentLog(std::string dir, const StoreOptions& options, std::shared_ptr<Syncer> syncer);
  ~FileFragmentLog() override;

  // Recovers `dir` (created when absent): see FORMAT.md "Recovery".
  static Result<std::shared_ptr<FileFragmentLog>> Open(std::string dir,
                                                       const StoreOptions& options,
                                                       std::shared_ptr<Syncer> syncer);

  uint64_t ReserveIndex() override;
  void AppendAsync(FragmentInput fragment, AppendCallback done) override;
  bool MayBeDuplicate(int64_t producer_timestamp_ms) const override;
  std::optional<FragmentMeta> FindOrClaim(const FragmentMeta& meta) override;
  void WhenSettled(uint64_t index, AppendCallback done) override;
  std::optional<FragmentMeta> Find(uint64_t index) const override;
  std::optional<FragmentMeta> Earliest() const override;
  std::optional<FragmentMeta> Latest() const override;
  std::optional<FragmentMeta> After(uint64_t index) const override;
  std::optional<FragmentMeta> FindByTimestamp(TimestampKind kind,
                                              int64_t timestamp_ms) const override;
  std::vector<FragmentMeta> ListRange(TimestampKind kind, int64_t start_ms, int64_t end_ms,
                                      uint64_t after_index, size_t limit) const override;
  Result<StoredFragment> Read(uint64_t index) const override;
  uint64_t Subscribe(NewFragmentCallback callback) override;
  void Unsubscribe(uint64_t id) override;
  Result<uint64_t> ApplyRetention(int64_t now_ms, const RetentionPolicy& policy) override;
  StreamStats Stats() const override;

  const std::string& dir() const { return dir_; }

  // Called by the syncer, in index order, once `items` (all of this log) are
  // durable (status OK) or failed. Makes them visible, then runs their
  // callbacks and the subscribers on the calling thread without mu_.
  void Publish(std::vector<SyncItem*>& items, const Status& status);
  // Sticky failure (a write or sync of this stream failed).
  void Fail(const Status& status);
  Status StickyError() const;
  // Fails later appends, waits until no append is in flight. `deleted`
  // also drops every entry so readers get NotFound.
  void Shut(bool deleted);

 private:
  Status Recover();
  // REQUIRES: mu_ held. Starts a new segment when the active one is full
  // (bytes or span) or absent.
  Status MaybeRollLocked(const FragmentInput& f, uint64_t record_bytes);
  // REQUIRES: mu_ held. Position in entries_ of `index`, or of the first
  // entry with a greater one.
  size_t LowerBoundLocked(uint64_t index) const;
  // REQUIRES: mu_ held. The segment holding entry `index`.
  std::shared_ptr<Segment> SegmentForLocked(uint64_t index) const;
  // REQUIRES: mu_ held. Recomputes sorted_/max_duration_ from entries_.
  void RecomputeOrderLocked();
  void NoteOrderLocked(const FragmentMeta& m);
  // REQUIRES: mu_ held. Ends the claim of `index` (if any) and returns its
  // waiters, which the caller runs without mu_ with the append's result.
  std::vector<AppendCallback> EndClaimLocked(uint64_t index);
  // Without mu_: ends the claim of `index`, then runs `done` and the
  // claim's waiters with `status` (an append that failed before the syncer).
  void FailAppend(uint64_t index, AppendCallback done, Status status);
  // Makes `value` the persisted high-water mark (HIGHWATER file, fsynced).
  // REQUIRES: retention_mu_ held, mu_ not held (it fsyncs).
  void WriteHighWater(uint64_t value);

  const std::string dir_;
  const StoreOptions options_;
  const std::shared_ptr<Syncer> syncer_;

  std::mutex retention_mu_;  // serialises ApplyRetention; taken before mu_
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;  // inflight_ reached 0
  // Every retained segment, ascending by base index; the last is active.
  std::vector<std::shared_ptr<Segment>> segments_;  // GUARDED_BY(mu_)
  // Acknowledged fragments, index order. 72 bytes each (IndexEntry).
  std::deque<IndexEntry> entries_;  // GUARDED_BY(mu_)
  // Newest acknowledged fragments, served without disk I/O (live readers
  // read the newest fragment right after it is persisted).
  std::deque<std::shared_ptr<const StoredFragment>> tail_;  // GUARDED_BY(mu_)
  uint64_t tail_bytes_ = 0;                                  // GUARDED_BY(mu_)
  // Whether each timestamp kind is non-decreasing in index order over
  // entries_ (then lookups binary-search; else they scan), [0] server,
  // [1] producer. max_duration_ bounds how far back a containing fragment
  // can start.
  bool sorted_[2] = {true, true};  // GUARDED_BY(mu_)
  int64_t max_duration_ = 0;       // GUARDED_BY(mu_)
  uint64_t last_reserved_ = 0;     // GUARDED_BY(mu_); high-water of indices handed out
  uint64_t last_written_ = 0;      // GUARDED_BY(mu_); newest index written to media
  uint64_t persisted_high_water_ = 0;  // GUARDED_BY(mu_); in the HIGHWATER file
  uint64_t inflight_ = 0;          // GUARDED_BY(mu_); written, not yet published
  Status bg_error_;                // GUARDED_BY(mu_); sticky
  bool shut_ = false;              // GUARDED_BY(mu_); closed or deleted
  bool deleted_ = false;           // GUARDED_BY(mu_)
  StreamStats stats_;              // GUARDED_BY(mu_); fragments/bytes computed
  uint64_t next_subscriber_ = 1;   // GUARDED_BY(mu_)
  std::map<uint64_t, std::shared_ptr<NewFragmentCallback>> subscribers_;  // GUARDED_BY(mu_)
  // Claimed fragments (FindOrClaim found no original) until their append is
  // acknowledged or fails; waiters are WhenSettled callbacks of retries.
  struct Claim {
    FragmentMeta meta;
    std::vector<AppendCallback> waiters;
  };
  std::map<uint64_t, Claim> claims_;  // GUARDED_BY(mu_); by index
};

}  // namespace osprey::fragments::store
