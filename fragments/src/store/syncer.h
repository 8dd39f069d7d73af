// Syncer: the store's one group-commit thread, shared by every stream.
// Private to the store.
//
// Appenders (any thread, holding their log's mutex so that items of one log
// are queued in index order) Submit() an item whose media record is already
// written to the page cache. The thread takes every item pending at that
// moment and makes them durable together, in two phases:
//   1. every dirty media file (plus, for new segments, both files' headers
//      and the stream directory) is synced;
//   2. the index entries are appended to their index files, which are synced.
// An index entry is thus only ever written after its media bytes are
// durable, so recovery can trust any index entry that passes its CRC and
// lies within the media file (FORMAT.md "Write order").
// Then each log publishes its items and runs callbacks, in index order.
//
// A phase syncs with one fdatasync per dirty file, or with one syncfs(2) on
// the root when the batch dirtied at least StoreOptions::syncfs_min_files
// files and syncfs is allowed (measured in FORMAT.md).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "osprey/fragments/fragment_store.h"
#include "store/segment.h"
#include "store/store_format.h"

namespace osprey::fragments::store {

class FileFragmentLog;

struct SyncItem {
  std::shared_ptr<FileFragmentLog> log;
  std::shared_ptr<Segment> segment;
  IndexEntry entry;
  std::shared_ptr<const StoredFragment> fragment;  // for the log's tail cache
  FragmentLog::AppendCallback done;
};

class Syncer {
 public:
  // `options.sync` must be set. `root_fd` (owned by the caller, open while
  // the Syncer runs) is what syncfs is called on, if `allow_syncfs`.
  Syncer(const StoreOptions& options, int root_fd, bool allow_syncfs);
  ~Syncer();

  void Start();
  // Takes (moves from) `item`; false when the syncer is closed, and then
  // `item` is left untouched.
  bool Submit(SyncItem& item);
  // Drains pending items, stops the thread. Idempotent.
  void Close();

  // Sync calls made (one per fdatasync or syncfs); for tests and stats.
  uint64_t sync_calls() const;

 private:
  void Loop();
  void RunBatch(std::vector<SyncItem>& batch);
  // Makes `fds` durable; (*results)[i] is the outcome for fds[i].
  void SyncFds(const std::vector<int>& fds, std::vector<Status>* results);

  const StoreOptions options_;
  const bool allow_syncfs_;
  const int root_fd_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SyncItem> queue_;  // GUARDED_BY(mu_)
  bool closing_ = false;         // GUARDED_BY(mu_)
  bool closed_ = false;          // GUARDED_BY(mu_)
  uint64_t sync_calls_ = 0;      // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace osprey::fragments::store
