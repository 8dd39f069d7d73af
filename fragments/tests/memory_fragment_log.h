// Test support: an in-memory FragmentLog. Appends are acknowledged at once
// (inside AppendAsync, as the contract allows) or, in deferred mode, when the
// test calls CompleteNext()/CompleteAll(), optionally with an injected error.
// Indices are 1, 2, 3... (the real store's are microsecond-based).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments::testing {

class MemoryFragmentLog : public FragmentLog {
 public:
  // Deferred: callbacks wait for CompleteNext/CompleteAll.
  void set_deferred(bool deferred) {
    std::lock_guard lock(mu_);
    deferred_ = deferred;
  }
  // The next append (and, the log's error being sticky, every later one)
  // fails with `status`.
  void FailAppendsWith(Status status) {
    std::lock_guard lock(mu_);
    fail_ = std::move(status);
  }

  uint64_t ReserveIndex() override {
    std::lock_guard lock(mu_);
    return ++next_index_;
  }

  void AppendAsync(FragmentInput fragment, AppendCallback done) override {
    Status result;
    {
      std::lock_guard lock(mu_);
      if (!fail_.ok()) {
        result = fail_;
      } else if (!fragments_.empty() && fragment.meta.index <= fragments_.rbegin()->first) {
        result = Status::InvalidArgument("index not increasing");
      } else if (fragment.cluster.empty()) {
        result = Status::InvalidArgument("empty cluster");
      } else {
        fragment.meta.size_bytes = fragment.cluster.size();
        StoredFragment stored{fragment.meta, std::move(fragment.stream_header),
                              std::move(fragment.cluster), std::move(fragment.metadata)};
        fragments_.emplace(stored.meta.index, std::move(stored));
        ++appends_;
      }
      if (deferred_) {
        pending_.emplace_back(std::move(done), std::move(result));
        return;
      }
    }
    done(result);
  }

  // Deferred mode: runs the oldest pending callback (with `override_status`
  // if not OK). False when none is pending.
  bool CompleteNext(Status override_status = Status::Ok()) {
    std::pair<AppendCallback, Status> p;
    {
      std::lock_guard lock(mu_);
      if (pending_.empty()) return false;
      p = std::move(pending_.front());
      pending_.pop_front();
    }
    if (!override_status.ok()) p.second = override_status;
    p.first(p.second);
    return true;
  }
  void CompleteAll() {
    while (CompleteNext()) {
    }
  }
  size_t pending() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }

  // Everything appended successfully, in index order.
  std::vector<StoredFragment> All() const {
    std::lock_guard lock(mu_);
    std::vector<StoredFragment> out;
    for (const auto& [index, f] : fragments_) out.push_back(f);
    return out;
  }

  std::optional<FragmentMeta> Find(uint64_t index) const override {
    std::lock_guard lock(mu_);
    auto it = fragments_.find(index);
    if (it == fragments_.end()) return std::nullopt;
    return it->second.meta;
  }
  std::optional<FragmentMeta> Earliest() const override {
    std::lock_guard lock(mu_);
    if (fragments_.empty()) return std::nullopt;
    return fragments_.begin()->second.meta;
  }
  std::optional<FragmentMeta> Latest() const override {
    std::lock_guard lock(mu_);
    if (fragments_.empty()) return std::nullopt;
    return fragments_.rbegin()->second.meta;
  }
  std::optional<FragmentMeta> After(uint64_t index) const override {
    std::lock_guard lock(mu_);
    auto it = fragments_.upper_bound(index);
    if (it == fragments_.end()) return std::nullopt;
    return it->second.meta;
  }
  std::optional<FragmentMeta> FindByTimestamp(TimestampKind kind, int64_t t) const override {
    std::lock_guard lock(mu_);
    for (const auto& [index, f] : fragments_) {
      const int64_t start = kind == TimestampKind::kServer ? f.meta.server_timestamp_ms
                                                           : f.meta.producer_timestamp_ms;
      if (t < start + f.meta.duration_ms) return f.meta;
    }
    return std::nullopt;
  }
  std::vector<FragmentMeta> ListRange(TimestampKind kind, int64_t start_ms, int64_t end_ms,
                                      uint64_t after_index, size_t limit) const override {
    std::lock_guard lock(mu_);
    std::vector<FragmentMeta> out;
    for (auto it = fragments_.upper_bound(after_index); it != fragments_.end(); ++it) {
      const FragmentMeta& m = it->second.meta;
      const int64_t start =
          kind == TimestampKind::kServer ? m.server_timestamp_ms : m.producer_timestamp_ms;
      if (start >= start_ms && start <= end_ms) out.push_back(m);
      if (out.size() >= limit) break;
    }
    return out;
  }
  Result<StoredFragment> Read(uint64_t index) const override {
    std::lock_guard lock(mu_);
    auto it = fragments_.find(index);
    if (it == fragments_.end()) return Status::NotFound("no fragment " + std::to_string(index));
    return it->second;
  }
  uint64_t Subscribe(NewFragmentCallback) override { return 1; }
  void Unsubscribe(uint64_t) override {}
  Result<uint64_t> ApplyRetention(int64_t, const RetentionPolicy&) override { return uint64_t{0}; }
  StreamStats Stats() const override {
    std::lock_guard lock(mu_);
    StreamStats s;
    s.fragments = fragments_.size();
    s.appends = appends_;
    for (const auto& [index, f] : fragments_) s.bytes += f.cluster.size();
    return s;
  }

 private:
  mutable std::mutex mu_;
  bool deferred_ = false;
  Status fail_;
  uint64_t next_index_ = 0;
  uint64_t appends_ = 0;
  std::map<uint64_t, StoredFragment> fragments_;
  std::deque<std::pair<AppendCallback, Status>> pending_;
};

}  // namespace osprey::fragments::testing
