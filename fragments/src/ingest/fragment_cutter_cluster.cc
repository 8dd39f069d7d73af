// FragmentCutter, Cluster events: BUFFERING at the Timecode, per-frame
// checks, and sealing the fragment with the Cluster's bytes as received.
#include <algorithm>

#include "ingest/fragment_cutter.h"
#include "osprey/fragments/fragment_number.h"

namespace osprey::fragments::internal {
namespace {

constexpr int64_t kMaxEpochMs = 253'402'300'799'999;

}  // namespace

Status FragmentCutter::OnClusterStart(const ClusterStart& c) {
  // The Cluster's bytes start at c.offset; from here on they accumulate
  // from buf_[0] (see the header on retention).
  DropBefore(c.offset);
  if (buf_offset_ + head_ != c.offset) {
    return Reject(ack_error::kInternalError,
                  "Cluster at offset " + std::to_string(c.offset) + ": bytes no longer retained");
  }
  buf_.erase(0, head_);
  buf_offset_ += head_;
  head_ = 0;

  OpenFragment f;
  f.offset = c.offset;
  f.ref.timecode = c.timecode;
  f.ref.index = options_.log->ReserveIndex();
  f.ref.number = FormatFragmentNumber(options_.stream_creation_ms, f.ref.index);
  f.server_timestamp_ms = ArrivalMs(c.offset);
  f.metadata = std::move(pending_metadata_);
  pending_metadata_.clear();
  open_ = std::move(f);
  last_started_ = open_->ref;

  if (c.size && *c.size + (c.data_offset - c.offset) > options_.limits.max_fragment_bytes) {
    return Reject(ack_error::kMaxFragmentSizeReached,
                  "Cluster of " + std::to_string(*c.size + (c.data_offset - c.offset)) +
                      " bytes (limit " + std::to_string(options_.limits.max_fragment_bytes) + ")");
  }
  // Producer timestamp: ABSOLUTE timecodes are epoch time already; RELATIVE
  // ones count from x-amzn-producer-start-timestamp.
  std::optional<int64_t> ms;
  if (c.timecode <= static_cast<uint64_t>(INT64_MAX)) {
    ms = TicksToMs(static_cast<int64_t>(c.timecode));
  }
  if (ms && options_.timecode_type == TimecodeType::kRelative) {
    ms = *ms + options_.producer_start_ms;
  }
  if (!ms || *ms < 0 || *ms > kMaxEpochMs) {
    return Reject(ack_error::kInvalidProducerTimestamp,
                  "Cluster Timecode " + std::to_string(c.timecode) +
                      " gives a producer timestamp outside 1970..9999");
  }
  open_->producer_timestamp_ms = *ms;
  sink_->OnBuffering(open_->ref, *ms);
  return Status::Ok();
}

Status FragmentCutter::OnFrame(const Frame& frame) {
  if (!open_) return Reject(ack_error::kInternalError, "frame outside a fragment");
  OpenFragment& f = *open_;
  const bool declared = std::any_of(tracks_.begin(), tracks_.end(), [&](const TrackEntry& t) {
    return t.number == frame.track_number;
  });
  if (!declared) {
    return Reject(ack_error::kTrackNumberMismatch,
                  "block at offset " + std::to_string(frame.offset) + " has track " +
                      std::to_string(frame.track_number) + ", not declared in Tracks");
  }
  if (previous_last_timecode_ && frame.timecode <= *previous_last_timecode_) {
    return Reject(ack_error::kFragmentTimecodeLesserThanPrevious,
                  "frame timecode " + std::to_string(frame.timecode) +
                      " is not later than the previous fragment's last frame " +
                      std::to_string(*previous_last_timecode_));
  }
  TrackStats& t = f.tracks[frame.track_number];
  if (t.frames == 0) {
    t.min_timecode = t.max_timecode = frame.timecode;
  } else {
    t.min_timecode = std::min(t.min_timecode, frame.timecode);
    t.max_timecode = std::max(t.max_timecode, frame.timecode);
  }
  ++t.frames;
  if (!f.last_timecode || frame.timecode >= *f.last_timecode) {
    f.last_timecode = frame.timecode;
    f.last_track = frame.track_number;
    f.last_block_duration = frame.duration;
  }
  // Early check without the last frame's own duration; the full one
  // (DurationMs) runs when the Cluster ends.
  const std::optional<int64_t> offset_ms =
      TicksToMs(frame.timecode - static_cast<int64_t>(f.ref.timecode));
  if (!offset_ms || *offset_ms > options_.limits.max_fragment_duration_ms) {
    return Reject(ack_error::kMaxFragmentDurationReached,
                  "frame " + std::to_string(offset_ms.value_or(kMaxEpochMs)) +
                      " ms after the Cluster Timecode (limit " +
                      std::to_string(options_.limits.max_fragment_duration_ms) + " ms)");
  }
  return Status::Ok();
}

Status FragmentCutter::OnClusterEnd(const ClusterEnd& c) {
  if (!open_) return Reject(ack_error::kInternalError, "Cluster end without a start");
  OpenFragment& f = *open_;
  const uint64_t size = c.end_offset - c.offset;
  if (size > options_.limits.max_fragment_bytes) {
    return Reject(ack_error::kMaxFragmentSizeReached,
                  "Cluster of " + std::to_string(size) + " bytes (limit " +
                      std::to_string(options_.limits.max_fragment_bytes) + ")");
  }
  for (const TrackEntry& t : tracks_) {
    if (!f.tracks.contains(t.number)) {
      return Reject(ack_error::kFramesMissingForTrack,
                    "no frame of track " + std::to_string(t.number) + " in the Cluster at offset " +
                        std::to_string(c.offset));
    }
  }
  const int64_t duration_ms = DurationMs(f);
  if (duration_ms > options_.limits.max_fragment_duration_ms) {
    return Reject(ack_error::kMaxFragmentDurationReached,
                  "fragment of " + std::to_string(duration_ms) + " ms (limit " +
                      std::to_string(options_.limits.max_fragment_duration_ms) + " ms)");
  }
  if (buf_offset_ != c.offset || head_ != 0 || c.end_offset > fed_end_) {
    return Reject(ack_error::kInternalError, "Cluster bytes not retained");
  }
  // Move the Cluster's bytes out whole; keep what follows it.
  const size_t end = static_cast<size_t>(c.end_offset - buf_offset_);
  std::string rest = buf_.substr(end);
  buf_.resize(end);
  FragmentInput input;
  input.cluster = std::move(buf_);
  buf_ = std::move(rest);
  buf_offset_ = c.end_offset;
  head_ = 0;

  input.meta.index = f.ref.index;
  input.meta.producer_timestamp_ms = f.producer_timestamp_ms;
  input.meta.server_timestamp_ms = f.server_timestamp_ms;
  input.meta.duration_ms = duration_ms;
  input.meta.size_bytes = size;
  input.meta.cluster_timecode = f.ref.timecode;
  input.stream_header = info_raw_ + tracks_raw_;
  input.metadata = std::move(f.metadata);

  previous_last_timecode_ = f.last_timecode;
  const FragmentRef ref = f.ref;
  open_.reset();
  sink_->OnSealed(ref, std::move(input));
  return Status::Ok();
}

}  // namespace osprey::fragments::internal
