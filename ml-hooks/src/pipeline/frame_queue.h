// FrameQueue: the hand-off between a stream's reader thread (GetMedia +
// decoding, which must keep reading so the server never holds data for us)
// and its analysis thread (detectors, which may be slow).
//
// Two kinds of item: frames, which may be dropped, and fragment ends, which
// never are (they carry the checkpoint). When the queue holds `max_frames`
// frames, pushing another drops the oldest frame still queued and counts it
// against the fragment it came from: newest frames are worth more to a live
// alarm than old ones.
//
// Threading: one producer, one consumer, any threads. Close() wakes both.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "osprey/client/get_media_reader.h"
#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks::pipeline {

struct FragmentEnd {
  client::MediaFragment meta;  // stream_header and cluster left empty
  int64_t frames = 0;          // frames decoded and queued for this fragment
  int64_t dropped = 0;         // of those, dropped by the queue
};

struct QueueItem {
  std::optional<Frame> frame;
  std::optional<FragmentEnd> end;
};

class FrameQueue {
 public:
  explicit FrameQueue(size_t max_frames) : max_frames_(max_frames) {}

  void PushFrame(Frame frame) {
    std::lock_guard lock(mu_);
    if (frames_ >= max_frames_) DropOldestLocked();
    items_.push_back(QueueItem{std::move(frame), std::nullopt});
    ++frames_;
    ++pending_frames_;
    cv_.notify_one();
  }

  // Ends the current fragment: the item carries the frames pushed since the
  // last end and how many of them were dropped.
  void PushEnd(client::MediaFragment meta) {
    meta.stream_header.clear();
    meta.cluster.clear();
    std::lock_guard lock(mu_);
    items_.push_back(
        QueueItem{std::nullopt, FragmentEnd{std::move(meta), pending_frames_, pending_dropped_}});
    pending_frames_ = 0;
    pending_dropped_ = 0;
    cv_.notify_one();
  }

  // Blocks for the next item; nullopt once closed.
  std::optional<QueueItem> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (closed_) return std::nullopt;
    QueueItem item = std::move(items_.front());
    items_.pop_front();
    if (item.frame) --frames_;
    return item;
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  uint64_t dropped_total() const {
    std::lock_guard lock(mu_);
    return dropped_total_;
  }

 private:
  void DropOldestLocked() {
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (!it->frame) continue;
      // Charge the drop to the fragment this frame belongs to: the first
      // end after it, or the fragment still being pushed.
      auto end = std::find_if(it, items_.end(), [](const QueueItem& q) { return q.end.has_value(); });
      if (end != items_.end()) {
        ++end->end->dropped;
      } else {
        ++pending_dropped_;
      }
      items_.erase(it);
      --frames_;
      ++dropped_total_;
      return;
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueueItem> items_;
  size_t max_frames_;
  size_t frames_ = 0;
  int64_t pending_frames_ = 0;
  int64_t pending_dropped_ = 0;  // drops charged to the fragment being pushed
  uint64_t dropped_total_ = 0;
  bool closed_ = false;
};

}  // namespace osprey::ml_hooks::pipeline
