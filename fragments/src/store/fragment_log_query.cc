// Lookups and reads of FileFragmentLog. Everything here sees acknowledged
// fragments only (entries_ holds nothing else).
//
// Timestamp lookups: server timestamps are normally non-decreasing in index
// order, producer timestamps only within one producer session (a restarted
// producer may send older times). sorted_ tracks, per kind, whether the
// retained entries are ordered; if so lookups binary-search, otherwise they
// scan entries_ (72 bytes per fragment: about 1 ms per 40 000 fragments).

#include <algorithm>

#include "store/file_fragment_log.h"

namespace osprey::fragments::store {
namespace {

int64_t Ts(const IndexEntry& e, TimestampKind kind) {
  return kind == TimestampKind::kServer ? e.meta.server_timestamp_ms
                                        : e.meta.producer_timestamp_ms;
}

bool Contains(const IndexEntry& e, TimestampKind kind, int64_t t) {
  const int64_t start = Ts(e, kind);
  return start <= t && t < start + std::max<int64_t>(e.meta.duration_ms, 0);
}

size_t KindSlot(TimestampKind kind) { return kind == TimestampKind::kServer ? 0 : 1; }

}  // namespace

void FileFragmentLog::NoteOrderLocked(const FragmentMeta& m) {
  if (entries_.size() >= 2) {
    const FragmentMeta& prev = entries_[entries_.size() - 2].meta;
    if (m.server_timestamp_ms < prev.server_timestamp_ms) sorted_[0] = false;
    if (m.producer_timestamp_ms < prev.producer_timestamp_ms) sorted_[1] = false;
  }
  max_duration_ = std::max(max_duration_, m.duration_ms);
}

void FileFragmentLog::RecomputeOrderLocked() {
  sorted_[0] = sorted_[1] = true;
  max_duration_ = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const FragmentMeta& m = entries_[i].meta;
    if (i > 0) {
      const FragmentMeta& prev = entries_[i - 1].meta;
      if (m.server_timestamp_ms < prev.server_timestamp_ms) sorted_[0] = false;
      if (m.producer_timestamp_ms < prev.producer_timestamp_ms) sorted_[1] = false;
    }
    max_duration_ = std::max(max_duration_, m.duration_ms);
  }
}

size_t FileFragmentLog::LowerBoundLocked(uint64_t index) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), index,
                             [](const IndexEntry& e, uint64_t v) { return e.meta.index < v; });
  return static_cast<size_t>(it - entries_.begin());
}

std::shared_ptr<Segment> FileFragmentLog::SegmentForLocked(uint64_t index) const {
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), index,
      [](uint64_t v, const std::shared_ptr<Segment>& s) { return v < s->base_index; });
  if (it == segments_.begin()) return nullptr;
  return *std::prev(it);
}

std::optional<FragmentMeta> FileFragmentLog::Find(uint64_t index) const {
  std::lock_guard lock(mu_);
  size_t pos = LowerBoundLocked(index);
  if (pos == entries_.size() || entries_[pos].meta.index != index) return std::nullopt;
  return entries_[pos].meta;
}

std::optional<FragmentMeta> FileFragmentLog::Earliest() const {
  std::lock_guard lock(mu_);
  if (entries_.empty()) return std::nullopt;
  return entries_.front().meta;
}

std::optional<FragmentMeta> FileFragmentLog::Latest() const {
  std::lock_guard lock(mu_);
  if (entries_.empty()) return std::nullopt;
  return entries_.back().meta;
}

std::optional<FragmentMeta> FileFragmentLog::After(uint64_t index) const {
  std::lock_guard lock(mu_);
  if (index == UINT64_MAX) return std::nullopt;
  size_t pos = LowerBoundLocked(index + 1);
  if (pos == entries_.size()) return std::nullopt;
  return entries_[pos].meta;
}

std::optional<FragmentMeta> FileFragmentLog::FindByTimestamp(TimestampKind kind,
                                                             int64_t t) const {
  std::lock_guard lock(mu_);
  if (sorted_[KindSlot(kind)]) {
    // First entry starting after t; entries containing t start at most
    // max_duration_ earlier, so the backward scan is a few entries long.
    auto after = std::upper_bound(entries_.begin(), entries_.end(), t,
                                  [kind](int64_t v, const IndexEntry& e) { return v < Ts(e, kind); });
    std::optional<FragmentMeta> best;
    for (auto it = after; it != entries_.begin();) {
      --it;
      if (Ts(*it, kind) + max_duration_ <= t) break;
      if (Contains(*it, kind, t)) best = it->meta;  // keeps the earliest in index order
    }
    if (best) return best;
    if (after != entries_.end()) return after->meta;
    return std::nullopt;
  }
  // Unordered: the first containing t in index order, else the one starting
  // soonest after t (the first of those in index order).
  const IndexEntry* next = nullptr;
  for (const IndexEntry& e : entries_) {
    if (Contains(e, kind, t)) return e.meta;
    if (Ts(e, kind) > t && (next == nullptr || Ts(e, kind) < Ts(*next, kind))) next = &e;
  }
  if (next != nullptr) return next->meta;
  return std::nullopt;
}

std::vector<FragmentMeta> FileFragmentLog::ListRange(TimestampKind kind, int64_t start_ms,
                                                     int64_t end_ms, uint64_t after_index,
                                                     size_t limit) const {
  std::vector<FragmentMeta> out;
  std::lock_guard lock(mu_);
  size_t pos = after_index == 0 ? 0 : (after_index == UINT64_MAX ? entries_.size()
                                                                  : LowerBoundLocked(after_index + 1));
  const bool sorted = sorted_[KindSlot(kind)];
  if (sorted) {
    auto first = std::lower_bound(entries_.begin(), entries_.end(), start_ms,
                                  [kind](const IndexEntry& e, int64_t v) { return Ts(e, kind) < v; });
    pos = std::max(pos, static_cast<size_t>(first - entries_.begin()));
  }
  for (; pos < entries_.size() && out.size() < limit; ++pos) {
    const int64_t ts = Ts(entries_[pos], kind);
    if (ts > end_ms) {
      if (sorted) break;
      continue;
    }
    if (ts >= start_ms) out.push_back(entries_[pos].meta);
  }
  return out;
}

Result<StoredFragment> FileFragmentLog::Read(uint64_t index) const {
  std::shared_ptr<Segment> seg;
  IndexEntry entry;
  {
    std::lock_guard lock(mu_);
    if (deleted_) return Status::NotFound("stream deleted: " + dir_);
    size_t pos = LowerBoundLocked(index);
    if (pos == entries_.size() || entries_[pos].meta.index != index) {
      return Status::NotFound("fragment " + std::to_string(index) + " not found");
    }
    for (const auto& f : tail_) {
      if (f->meta.index == index) return StoredFragment(*f);
    }
    entry = entries_[pos];
    seg = SegmentForLocked(index);
  }
  if (seg == nullptr) return Status::Internal("fragment without segment");
  std::string buf;
  Status s = PreadFully(seg->media_fd, entry.offset, entry.length, &buf);
  if (!s.ok()) {
    return s.code() == Status::Code::kCorruption
               ? Status::Corruption(seg->media_path() + ": fragment " + std::to_string(index) +
                                    " lies past the end of the file")
               : s.WithContext(seg->media_path());
  }
  OSPREY_ASSIGN_OR_RETURN(StoredFragment f, DecodeMediaRecord(buf, index));
  // The media record does not repeat the content hash; the index has it.
  f.meta.content_hash = entry.meta.content_hash;
  if (!(f.meta == entry.meta)) {
    return Status::Corruption(seg->media_path() + ": fragment " + std::to_string(index) +
                              " does not match its index entry");
  }
  return f;
}

}  // namespace osprey::fragments::store
