// Reads: served from the in-memory tail when it covers the start, else by
// scanning segment files from the nearest sparse-index entry.

#include <algorithm>

#include "file_shard_log_impl.h"
#include "segment_reader.h"

namespace osprey::streams {
namespace {

bool Full(const ReadResult& out, size_t bytes, size_t next_bytes, const ReadLimits& limits) {
  if (out.records.empty()) return false;  // always return at least one record
  return out.records.size() >= limits.max_records || bytes + next_bytes > limits.max_bytes;
}

}  // namespace

Result<ReadResult> FileShardLog::Read(uint64_t from_index, const ReadLimits& limits) {
  return ReadFrom(Start{false, from_index, 0}, limits);
}

Result<ReadResult> FileShardLog::ReadFromTimestamp(int64_t timestamp_ms, const ReadLimits& limits) {
  return ReadFrom(Start{true, 0, timestamp_ms}, limits);
}

Result<uint64_t> FileShardLog::FindIndexByTime(int64_t t) {
  ReadLimits one{1, 0};
  OSPREY_ASSIGN_OR_RETURN(ReadResult r, ReadFrom(Start{true, 0, t}, one));
  return r.records.empty() ? r.next_index : r.records.front().sequence_index;
}

Result<ReadResult> FileShardLog::ReadFrom(Start start, const ReadLimits& limits) {
  ReadResult out;
  std::vector<ReadPlan> plans;
  uint64_t first;
  uint64_t last;
  {
    std::lock_guard lock(mu_);
    // Only acknowledged records are visible: synced_index_ is the bound.
    last = synced_index_;
    first = trim_horizon_;
    if (!start.by_time) first = std::max(first, start.index);
    out.next_index = first;
    if (first > last) return out;
    if (ReadTailLocked(start, first, last, limits, &out)) return out;
    for (const auto& seg : segments_) {
      if (seg->empty() || seg->last_index < first || seg->base_index > last) continue;
      if (start.by_time && seg->max_arrival_ms < start.time_ms) continue;
      uint64_t offset = format::kSegmentHeaderSize;
      if (plans.empty()) {
        offset = seg->SeekIndex(first);
        if (start.by_time) offset = std::max(offset, seg->SeekTime(start.time_ms));
      }
      plans.push_back({seg, offset, seg->durable_size});
    }
  }
  OSPREY_RETURN_IF_ERROR(ReadDisk(plans, start, first, last, limits, &out));
  if (!out.records.empty()) {
    out.next_index = out.records.back().sequence_index + 1;
  } else if (start.by_time) {
    out.next_index = last + 1;  // every visible record is older than the time
  }
  return out;
}

bool FileShardLog::ReadTailLocked(Start start, uint64_t first, uint64_t last,
                                  const ReadLimits& limits, ReadResult* out) {
  if (tail_.empty()) return false;
  const Record& front = tail_.front();
  // By time the tail also suffices when its oldest record is already older
  // than the wanted time: arrival times never decrease, so nothing before
  // the tail can qualify.
  const bool covers =
      front.sequence_index <= first || (start.by_time && front.arrival_ms < start.time_ms);
  if (!covers) return false;
  size_t pos = first > front.sequence_index ? first - front.sequence_index : 0;
  if (start.by_time) {
    auto it = std::partition_point(tail_.begin() + static_cast<std::ptrdiff_t>(pos), tail_.end(),
                                   [&](const Record& r) { return r.arrival_ms < start.time_ms; });
    pos = static_cast<size_t>(it - tail_.begin());
  }
  size_t bytes = 0;
  for (; pos < tail_.size() && tail_[pos].sequence_index <= last; ++pos) {
    const Record& r = tail_[pos];
    if (Full(*out, bytes, r.PayloadBytes(), limits)) break;
    bytes += r.PayloadBytes();
    out->records.push_back(r);
  }
  if (!out->records.empty()) {
    out->next_index = out->records.back().sequence_index + 1;
  } else if (start.by_time) {
    out->next_index = last + 1;
  }
  return true;
}

Status FileShardLog::ReadDisk(const std::vector<ReadPlan>& plans, Start start, uint64_t first,
                              uint64_t last, const ReadLimits& limits, ReadResult* out) {
  size_t bytes = 0;
  for (const auto& plan : plans) {
    SegmentReader reader(plan.segment->fd, plan.offset, plan.end, options_.max_record_bytes);
    format::RecordView rec;
    for (;;) {
      auto outcome = reader.Next(&rec);
      if (outcome == SegmentReader::Outcome::kEnd) break;
      if (outcome != SegmentReader::Outcome::kRecord) {
        // The region read is below durable_size, so it was complete and
        // verified once: anything wrong now is damage, never a torn write.
        Status why = outcome == SegmentReader::Outcome::kTorn
                         ? Status::Corruption("record cut short")
                         : reader.status();
        return Status(
            outcome == SegmentReader::Outcome::kIOError ? why.code() : Status::Code::kCorruption,
            plan.segment->path + " offset " + std::to_string(reader.record_offset()) + ": " +
                why.message());
      }
      if (rec.index > last) return Status::Ok();
      if (rec.index < first || (start.by_time && rec.arrival_ms < start.time_ms)) continue;
      if (!out->records.empty() && rec.index != out->records.back().sequence_index + 1) {
        return Status::Corruption(plan.segment->path + ": sequence gap at offset " +
                                  std::to_string(reader.record_offset()));
      }
      size_t payload = rec.data.size() + rec.partition_key.size();
      if (Full(*out, bytes, payload, limits)) return Status::Ok();
      bytes += payload;
      out->records.push_back(rec.ToRecord());
    }
  }
  return Status::Ok();
}

}  // namespace osprey::streams
