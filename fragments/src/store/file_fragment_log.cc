#include "store/file_fragment_log.h"

#include <algorithm>

#include "osprey/base/logging.h"

namespace osprey::fragments::store {
namespace {

// Tail cache bounds, per stream: the newest fragments (what live GetMedia
// readers ask for right after PERSISTED), capped in bytes so that hundreds
// of streams cost a bounded amount of memory.
constexpr size_t kTailFragments = 2;
constexpr uint64_t kTailBytes = 8ull << 20;

}  // namespace

FileFragmentLog::FileFragmentLog(std::string dir, const StoreOptions& options,
                                 std::shared_ptr<Syncer> syncer)
    : dir_(std::move(dir)), options_(options), syncer_(std::move(syncer)) {}

FileFragmentLog::~FileFragmentLog() = default;

uint64_t FileFragmentLog::ReserveIndex() {
  std::lock_guard lock(mu_);
  const int64_t now_ms = options_.clock();
  const uint64_t now_us = now_ms > 0 ? static_cast<uint64_t>(now_ms) * 1000 : 0;
  last_reserved_ = std::max(last_reserved_ + 1, now_us);
  return last_reserved_;
}

Status FileFragmentLog::MaybeRollLocked(const FragmentInput& f, uint64_t record_bytes) {
  if (!segments_.empty()) {
    Segment* active = segments_.back().get();
    const bool empty = active->last_written_index == 0;
    if (empty) return Status::Ok();
    const bool full = active->media_size + record_bytes > options_.media_file_bytes;
    const bool long_span =
        f.meta.server_timestamp_ms - active->first_server_ms >= options_.media_file_ms;
    // A segment recovered from an older index format is never appended to:
    // its entries have no room for the content hash.
    const bool old_format = active->index_version != kIndexVersion;
    if (!full && !long_span && !old_format) return Status::Ok();
  }
  // The new segment carries the high-water mark in its index header, so a
  // restart never hands out an index below it even if every older file and
  // the HIGHWATER file were gone.
  OSPREY_ASSIGN_OR_RETURN(auto seg,
                          CreateSegment(dir_, f.meta.index, std::max(last_reserved_, f.meta.index)));
  segments_.push_back(std::move(seg));
  return Status::Ok();
}

void FileFragmentLog::AppendAsync(FragmentInput f, AppendCallback done) {
  const uint64_t index = f.meta.index;
  if (f.cluster.empty()) {
    return FailAppend(index, std::move(done),
                      Status::InvalidArgument("fragment without cluster bytes"));
  }
  if (f.stream_header.size() > 0xffffffffu || f.cluster.size() > 0xffffffffu ||
      f.metadata.size() > 0xffff) {
    return FailAppend(index, std::move(done),
                      Status::InvalidArgument("fragment too large for the store"));
  }
  for (const auto& t : f.metadata) {
    if (t.name.size() > 0xffff || t.value.size() > 0xffff) {
      return FailAppend(index, std::move(done),
                        Status::InvalidArgument("fragment metadata too large for the store"));
    }
  }
  const uint64_t record_bytes = MediaRecordSize(f);
  if (record_bytes > kMaxMediaRecordBytes) {
    return FailAppend(index, std::move(done),
                      Status::InvalidArgument("fragment too large for the store"));
  }
  f.meta.size_bytes = f.cluster.size();
  // Hashed before the lock: the ingest session sets it already (it needs it
  // for FindOrClaim); direct callers get it here.
  if (f.meta.content_hash == 0) f.meta.content_hash = ContentHash(f.cluster);
  std::unique_lock lock(mu_);
  auto fail_now = [&](Status s) {
    std::vector<AppendCallback> waiters = EndClaimLocked(index);
    lock.unlock();
    done(s);
    for (auto& w : waiters) w(s);
  };
  if (deleted_) return fail_now(Status::FailedPrecondition("stream deleted: " + dir_));
  if (shut_) return fail_now(Status::FailedPrecondition("fragment store is closed"));
  if (!bg_error_.ok()) return fail_now(bg_error_);
  if (f.meta.index <= last_written_) {
    return fail_now(Status::InvalidArgument(
        "fragment index " + std::to_string(f.meta.index) + " not above " +
        std::to_string(last_written_)));
  }
  if (Status s = MaybeRollLocked(f, record_bytes); !s.ok()) {
    bg_error_ = s;
    log::Error("fragments", "could not create segment", {{"error", s.ToString()}});
    return fail_now(s);
  }
  Segment* seg = segments_.back().get();
  std::string buf;
  buf.reserve(record_bytes);
  EncodeMediaRecord(f, &buf);
  // Written under mu_ so that the media file's order is the index order;
  // the page cache absorbs it, the syncer thread does the fsync.
  if (Status s = WriteFully(seg->media_fd, buf); !s.ok()) {
    // The file may end in a partial record; nothing is written after it
    // (sticky error) and recovery truncates it.
    bg_error_ = s.WithContext(seg->media_path());
    log::Error("fragments", "media write failed", {{"error", bg_error_.ToString()}});
    return fail_now(bg_error_);
  }
  SyncItem item;
  item.entry = IndexEntry{f.meta, seg->media_size, static_cast<uint32_t>(record_bytes)};
  if (seg->last_written_index == 0) seg->first_server_ms = f.meta.server_timestamp_ms;
  seg->media_size += record_bytes;
  seg->last_written_index = f.meta.index;
  last_written_ = f.meta.index;
  last_reserved_ = std::max(last_reserved_, f.meta.index);
  ++stats_.appends;
  item.log = shared_from_this();
  item.segment = segments_.back();
  item.fragment = std::make_shared<const StoredFragment>(StoredFragment{
      f.meta, std::move(f.stream_header), std::move(f.cluster), std::move(f.metadata)});
  item.done = std::move(done);
  ++inflight_;
  if (!syncer_->Submit(item)) {
    // The store closed between the check above and here. The record is in
    // the media file but will never be indexed: recovery truncates it.
    --inflight_;
    bg_error_ = Status::FailedPrecondition("fragment store is closed");
    done = std::move(item.done);
    return fail_now(bg_error_);
  }
}

void FileFragmentLog::Publish(std::vector<SyncItem*>& items, const Status& status) {
  std::vector<std::shared_ptr<NewFragmentCallback>> subs;
  std::vector<AppendCallback> waiters;  // of claims these items end
  Status s = status;
  {
    std::lock_guard lock(mu_);
    ++stats_.syncs;
    // A write failed while these synced: fail them too, so that no append
    // is acknowledged after an error was reported.
    if (s.ok() && !bg_error_.ok()) s = bg_error_;
    // Under the same lock as the entries become visible, so WhenSettled
    // finds either the claim or the entry, never neither.
    for (SyncItem* item : items) {
      for (auto& w : EndClaimLocked(item->entry.meta.index)) waiters.push_back(std::move(w));
    }
    if (s.ok() && !deleted_) {
      for (SyncItem* item : items) {
        entries_.push_back(item->entry);
        NoteOrderLocked(item->entry.meta);
        item->segment->durable_size = item->entry.offset + item->entry.length;
        tail_.push_back(item->fragment);
        tail_bytes_ += TailCost(*item->fragment);
        while (tail_.size() > kTailFragments || (tail_.size() > 1 && tail_bytes_ > kTailBytes)) {
          tail_bytes_ -= TailCost(*tail_.front());
          tail_.pop_front();
        }
      }
      for (const auto& [id, cb] : subscribers_) subs.push_back(cb);
    }
  }
  for (SyncItem* item : items) {
    item->done(s);
    if (s.ok()) {
      for (const auto& cb : subs) (*cb)(item->entry.meta);
    }
    item->fragment.reset();
  }
  // Retries that waited for these originals learn the same outcome.
  for (auto& w : waiters) w(s);
  std::lock_guard lock(mu_);
  inflight_ -= items.size();
  if (inflight_ == 0) idle_cv_.notify_all();
}

void FileFragmentLog::Fail(const Status& status) {
  std::lock_guard lock(mu_);
  if (bg_error_.ok()) bg_error_ = status;
}

Status FileFragmentLog::StickyError() const {
  std::lock_guard lock(mu_);
  return bg_error_;
}

void FileFragmentLog::Shut(bool deleted) {
  std::unique_lock lock(mu_);
  shut_ = true;
  if (deleted) deleted_ = true;
  idle_cv_.wait(lock, [this] { return inflight_ == 0; });
  if (deleted) {
    entries_.clear();
    tail_.clear();
    tail_bytes_ = 0;
    segments_.clear();
    subscribers_.clear();
  }
}

uint64_t FileFragmentLog::Subscribe(NewFragmentCallback callback) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_subscriber_++;
  subscribers_[id] = std::make_shared<NewFragmentCallback>(std::move(callback));
  return id;
}

void FileFragmentLog::Unsubscribe(uint64_t id) {
  std::lock_guard lock(mu_);
  subscribers_.erase(id);
}

StreamStats FileFragmentLog::Stats() const {
  std::lock_guard lock(mu_);
  StreamStats s = stats_;
  s.fragments = entries_.size();
  s.bytes = 0;
  for (const auto& seg : segments_) s.bytes += seg->durable_size;
  return s;
}

}  // namespace osprey::fragments::store
