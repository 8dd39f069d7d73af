#include "store/syncer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "osprey/base/logging.h"
#include "store/file_fragment_log.h"

namespace osprey::fragments::store {

Syncer::Syncer(const StoreOptions& options, int root_fd, bool allow_syncfs)
    : options_(options), allow_syncfs_(allow_syncfs), root_fd_(root_fd) {}

Syncer::~Syncer() { Close(); }

void Syncer::Start() { thread_ = std::thread([this] { Loop(); }); }

bool Syncer::Submit(SyncItem& item) {
  {
    std::lock_guard lock(mu_);
    if (closing_) return false;
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return true;
}

void Syncer::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closing_ = closed_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t Syncer::sync_calls() const {
  std::lock_guard lock(mu_);
  return sync_calls_;
}

void Syncer::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
    if (queue_.empty()) return;  // closing and drained
    // Group commit: everything submitted while the previous batch synced
    // shares this batch's syncs.
    std::vector<SyncItem> batch;
    batch.swap(queue_);
    lock.unlock();
    RunBatch(batch);
    lock.lock();
  }
}

void Syncer::SyncFds(const std::vector<int>& fds, std::vector<Status>* results) {
  results->assign(fds.size(), Status::Ok());
  if (fds.empty()) return;
  if (allow_syncfs_ && options_.syncfs_min_files > 0 &&
      fds.size() >= options_.syncfs_min_files) {
    // One syncfs writes back the whole filesystem: cheaper than one
    // fdatasync per file once a batch touches many files. An error cannot
    // be attributed to a file, so it fails every stream in the batch.
    Status s = ::syncfs(root_fd_) == 0 ? Status::Ok() : Status::FromErrno("syncfs", errno);
    {
      std::lock_guard lock(mu_);
      ++sync_calls_;
    }
    results->assign(fds.size(), s);
    return;
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    (*results)[i] = options_.sync(fds[i]);
    std::lock_guard lock(mu_);
    ++sync_calls_;
  }
}

void Syncer::RunBatch(std::vector<SyncItem>& batch) {
  // Per log (in order of first appearance) its outcome so far.
  std::vector<FileFragmentLog*> logs;
  std::map<FileFragmentLog*, Status> status;
  for (auto& item : batch) {
    auto [it, fresh] = status.try_emplace(item.log.get(), Status::Ok());
    if (fresh) {
      logs.push_back(item.log.get());
      // A log that already failed does not sync: after a failed fsync the
      // kernel may have dropped the dirty pages, so a later "successful"
      // sync proves nothing.
      it->second = item.log->StickyError();
    }
  }
  auto fail = [&](FileFragmentLog* failed, const Status& s) {
    Status& cur = status[failed];
    if (cur.ok()) {  // logged once per stream, when it first fails
      cur = s;
      failed->Fail(s);
      log::Error("fragments", "fragment store sync failed",
                 {{"dir", failed->dir()}, {"error", s.ToString()}});
    }
  };

  // Phase 1: media bytes (and the files and directory entries of segments
  // created since the last batch).
  std::vector<int> fds;
  std::vector<FileFragmentLog*> fd_log;
  std::set<Segment*> seen;
  std::vector<std::pair<Segment*, FileFragmentLog*>> created;
  for (auto& item : batch) {
    Segment* seg = item.segment.get();
    if (!status[item.log.get()].ok() || !seen.insert(seg).second) continue;
    fds.push_back(seg->media_fd);
    fd_log.push_back(item.log.get());
    if (seg->needs_create_sync) {
      fds.push_back(seg->index_fd);
      fd_log.push_back(item.log.get());
      created.emplace_back(seg, item.log.get());
    }
  }
  std::vector<Status> results;
  SyncFds(fds, &results);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!results[i].ok()) fail(fd_log[i], results[i].WithContext("sync media"));
  }
  std::set<std::string> dirs_synced;
  for (auto [seg, log] : created) {
    if (!status[log].ok()) continue;
    if (dirs_synced.insert(seg->dir).second) {
      if (Status s = SyncDirectory(seg->dir); !s.ok()) {
        fail(log, s);
        continue;
      }
    }
    seg->needs_create_sync = false;
  }

  // Phase 2: index entries, written only now that their media is durable.
  std::map<Segment*, std::string> buffers;
  std::vector<Segment*> order;
  std::map<Segment*, FileFragmentLog*> seg_log;
  for (auto& item : batch) {
    if (!status[item.log.get()].ok()) continue;
    Segment* seg = item.segment.get();
    auto [it, fresh] = buffers.try_emplace(seg);
    if (fresh) {
      order.push_back(seg);
      seg_log[seg] = item.log.get();
    }
    EncodeIndexEntry(item.entry, seg->index_version, &it->second);
  }
  fds.clear();
  fd_log.clear();
  for (Segment* seg : order) {
    FileFragmentLog* log = seg_log[seg];
    if (!status[log].ok()) continue;
    if (Status s = WriteFully(seg->index_fd, buffers[seg]); !s.ok()) {
      fail(log, s.WithContext(seg->index_path()));
      continue;
    }
    seg->index_size += buffers[seg].size();
    fds.push_back(seg->index_fd);
    fd_log.push_back(log);
  }
  SyncFds(fds, &results);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!results[i].ok()) fail(fd_log[i], results[i].WithContext("sync index"));
  }

  // Phase 3: publish and call back, per log in index order.
  std::map<FileFragmentLog*, std::vector<SyncItem*>> per_log;
  for (auto& item : batch) per_log[item.log.get()].push_back(&item);
  for (FileFragmentLog* log : logs) {
    log->Publish(per_log[log], status[log]);
  }
}

}  // namespace osprey::fragments::store
