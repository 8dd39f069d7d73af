#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "file_shard_log_impl.h"
#include "osprey/base/logging.h"
#include "segment_index.h"

namespace osprey::streams {
namespace {

LogOptions WithDefaults(LogOptions o) {
  if (!o.clock) {
    o.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!o.sync) {
    o.sync = [](int fd) {
      return ::fdatasync(fd) == 0 ? Status::Ok() : Status::FromErrno("fdatasync", errno);
    };
  }
  if (o.first_index == 0) o.first_index = 1;
  return o;
}

size_t TailCost(const Record& r) {
  // Payload plus a rough per-record overhead (strings, deque slot).
  return r.PayloadBytes() + (r.explicit_hash_key ? r.explicit_hash_key->size() : 0) + 96;
}

}  // namespace

FileShardLog::FileShardLog(std::string dir, LogOptions options)
    : dir_(std::move(dir)), options_(WithDefaults(std::move(options))) {}

FileShardLog::~FileShardLog() {
  (void)Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // Open failed before Close could
}

void FileShardLog::AppendAsync(std::vector<RecordInput> records, AppendCallback done) {
  if (records.empty()) return done(Status::InvalidArgument("append of an empty batch"));
  size_t batch_bytes = 0;
  for (const auto& r : records) {
    size_t n = format::EncodedSize(r);
    if (n - format::kFrameHeaderSize > options_.max_record_bytes ||
        r.partition_key.size() > 0xffff ||
        (r.explicit_hash_key && r.explicit_hash_key->size() > 0xff)) {
      return done(Status::InvalidArgument("record too large for the shard log"));
    }
    batch_bytes += n;
  }
  // Encoding outside the lock would need the indices first; the CRC pass is
  // cheap next to the fsync every batch waits for anyway.
  std::unique_lock lock(mu_);
  if (!open_ || closing_) {
    lock.unlock();
    return done(Status::FailedPrecondition("shard log is closed"));
  }
  if (!bg_error_.ok()) {
    Status s = bg_error_;
    lock.unlock();
    return done(s);
  }
  Segment* seg = segments_.back().get();
  if (!seg->empty() && seg->size + batch_bytes > options_.segment_bytes) {
    if (Status s = RollLocked(); !s.ok()) {
      bg_error_ = s;
      lock.unlock();
      return done(s);
    }
    seg = segments_.back().get();
  }
  const int64_t arrival = std::max(options_.clock(), last_arrival_ms_);
  last_arrival_ms_ = arrival;
  AppendResult result{next_index_, next_index_ + records.size() - 1, arrival};
  std::string buf;
  buf.reserve(batch_bytes);
  std::vector<uint64_t> offsets(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    offsets[i] = seg->size + buf.size();
    format::EncodeRecord(result.first_index + i, arrival, records[i], &buf);
  }
  if (Status s = WriteFully(seg->fd, buf); !s.ok()) {
    // The file may hold part of the batch; recovery truncates it, and the
    // sticky error keeps anything from being written after it.
    bg_error_ = s.WithContext(seg->path);
    log::Error("streams", "shard log write failed", {{"error", bg_error_.ToString()}});
    lock.unlock();
    return done(bg_error_);
  }
  for (size_t i = 0; i < records.size(); ++i) {
    seg->NoteRecord(result.first_index + i, offsets[i], arrival, options_.index_interval_bytes);
  }
  seg->size += buf.size();
  next_index_ = result.last_index + 1;
  ++stats_.appends;
  stats_.records += records.size();
  stats_.bytes += buf.size();
  if (options_.tail_cache_bytes > 0) {
    for (size_t i = 0; i < records.size(); ++i) {
      Record r{result.first_index + i, arrival, std::move(records[i].partition_key),
               std::move(records[i].explicit_hash_key), std::move(records[i].data),
               records[i].encrypted};
      tail_bytes_ += TailCost(r);
      tail_.push_back(std::move(r));
    }
    TrimTailLocked();
  }
  pending_.push_back({result, std::move(done)});
  lock.unlock();
  sync_cv_.notify_one();
}

void FileShardLog::TrimTailLocked() {
  // Never evict records that are not yet visible: the syncer publishes them
  // and readers of the live edge expect them here.
  while (!tail_.empty() && tail_bytes_ > options_.tail_cache_bytes &&
         tail_.front().sequence_index <= synced_index_) {
    tail_bytes_ -= TailCost(tail_.front());
    tail_.pop_front();
  }
}

Status FileShardLog::RollLocked() {
  // Sealing syncs the old segment here, under mu_, once per segment_bytes:
  // afterwards only the active segment ever needs an fsync, so the syncer
  // deals with one fd and every non-last segment is complete on disk.
  Segment* old = segments_.back().get();
  ++stats_.syncs;
  OSPREY_RETURN_IF_ERROR(options_.sync(old->fd).WithContext(old->path));
  old->durable_size = old->size;
  // The index file only speeds up the next open; failing to write it costs
  // a scan then, not data, so it does not fail the log.
  ++stats_.syncs;
  if (Status s = WriteSegmentIndex(*old, options_.sync); !s.ok()) {
    log::Warn("streams", "could not write segment index", {{"error", s.ToString()}});
  }
  OSPREY_ASSIGN_OR_RETURN(auto seg, CreateSegment(dir_, next_index_, options_.sync));
  ++stats_.syncs;  // CreateSegment synced the new header
  ++stats_.segments_rolled;
  segments_.push_back(std::move(seg));
  return Status::Ok();
}

void FileShardLog::SyncLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    sync_cv_.wait(lock, [this] { return !pending_.empty() || closing_; });
    if (pending_.empty()) return;  // closing and drained
    // Everything in pending_ was completely written (under mu_) into the
    // active segment or a sealed (already synced) one; one sync covers all.
    std::vector<Pending> batch;
    batch.swap(pending_);
    std::shared_ptr<Segment> seg = segments_.back();
    const uint64_t target = batch.back().result.last_index;
    const uint64_t size = seg->size;
    Status s = bg_error_;
    if (s.ok()) {
      ++stats_.syncs;
      lock.unlock();
      s = options_.sync(seg->fd);
      lock.lock();
      if (!s.ok()) {
        s = s.WithContext(seg->path);
        log::Error("streams", "shard log sync failed", {{"error", s.ToString()}});
        if (bg_error_.ok()) bg_error_ = s;
      } else if (bg_error_.ok()) {
        synced_index_ = std::max(synced_index_, target);
        seg->durable_size = std::max(seg->durable_size, size);
        TrimTailLocked();
      } else {
        s = bg_error_;  // a write failed while we synced: fail these too
      }
    }
    lock.unlock();
    for (auto& p : batch) {
      if (s.ok()) {
        p.done(p.result);
      } else {
        p.done(s);
      }
    }
    lock.lock();
  }
}

uint64_t FileShardLog::Latest() const {
  std::lock_guard lock(mu_);
  return synced_index_;
}

uint64_t FileShardLog::TrimHorizon() const {
  std::lock_guard lock(mu_);
  return trim_horizon_;
}

LogStats FileShardLog::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Result<RetentionResult> FileShardLog::ApplyRetention(int64_t now_ms, int64_t retention_ms) {
  const int64_t cutoff = now_ms - retention_ms;
  // Hide first (so no read returns an expired record), then delete.
  OSPREY_ASSIGN_OR_RETURN(uint64_t horizon, FindIndexByTime(cutoff));
  std::vector<std::shared_ptr<Segment>> doomed;
  RetentionResult out;
  {
    std::lock_guard lock(mu_);
    trim_horizon_ = std::max(trim_horizon_, horizon);
    // The active segment is never deleted: its name carries next_index_
    // across restarts when it is empty.
    while (segments_.size() > 1 && segments_.front()->last_index < trim_horizon_) {
      doomed.push_back(segments_.front());
      segments_.erase(segments_.begin());
    }
    out.trim_horizon = trim_horizon_;
  }
  for (const auto& seg : doomed) {
    // Index first: a crash in between leaves a segment without an index
    // (rebuilt by a scan), never an index without its segment. Open readers
    // keep the segment's inode alive through the shared fd.
    if (::unlink(IndexPathFor(*seg).c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno("unlink " + IndexPathFor(*seg), errno);
    }
    if (::unlink(seg->path.c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno("unlink " + seg->path, errno);
    }
    ++out.segments_deleted;
    std::lock_guard lock(mu_);
    out.bytes_deleted += seg->size;
  }
  if (!doomed.empty()) {
    OSPREY_RETURN_IF_ERROR(SyncDirectory(dir_));
    log::Info("streams", "retention deleted segments",
              {{"dir", dir_},
               {"segments", out.segments_deleted},
               {"bytes", out.bytes_deleted},
               {"trim_horizon", out.trim_horizon}});
  }
  return out;
}

Status FileShardLog::Close() {
  {
    std::lock_guard lock(mu_);
    if (!open_ || closing_) return bg_error_;
    closing_ = true;
  }
  sync_cv_.notify_one();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard lock(mu_);
  // Release the files (segments close their fds; readers still holding a
  // segment keep only that one) and the directory lock.
  segments_.clear();
  tail_.clear();
  tail_bytes_ = 0;
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  return bg_error_;
}

}  // namespace osprey::streams
