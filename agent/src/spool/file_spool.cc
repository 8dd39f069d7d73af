#include "spool/file_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "spool/spool_record.h"

namespace osprey::agent::spool {
namespace {

Status PWriteAll(int fd, std::string_view data, uint64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("spool write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace

FileSpool::FileSpool(SpoolOptions options) : options_(std::move(options)) {
  segment_bytes_ = options_.segment_bytes;
  if (segment_bytes_ == 0) {
    segment_bytes_ = std::clamp<uint64_t>(options_.max_bytes / 16, 64 << 10, 64 << 20);
  }
  segment_bytes_ = std::min(segment_bytes_, options_.max_bytes);
}

FileSpool::~FileSpool() {
  for (auto& [first, seg] : segments_) {
    if (seg.fd >= 0) ::close(seg.fd);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string FileSpool::SegmentPath(uint64_t first_seq) const {
  char name[40];
  std::snprintf(name, sizeof(name), "seg-%020llu.osp",
                static_cast<unsigned long long>(first_seq));
  return options_.dir + "/" + name;
}

Status FileSpool::RollLocked(uint64_t first_seq) {
  Segment seg;
  seg.path = SegmentPath(first_seq);
  seg.fd = ::open(seg.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (seg.fd < 0) return Status::FromErrno("create " + seg.path, errno);
  // The directory entry must be durable before a record in the file counts.
  if (Status s = SyncDirectory(options_.dir); !s.ok()) {
    ::close(seg.fd);
    ::unlink(seg.path.c_str());
    return s;
  }
  segments_[first_seq] = seg;
  return Status::Ok();
}

void FileSpool::DeleteSegmentLocked(std::map<uint64_t, Segment>::iterator it) {
  Segment& seg = it->second;
  if (seg.fd >= 0) ::close(seg.fd);
  // No directory fsync: a segment that reappears after power loss holds only
  // acknowledged (or dropped-oldest) records; recovery deletes it again or
  // uploads it once more (see FORMAT.md, "Deletion").
  ::unlink(seg.path.c_str());
  total_bytes_ -= seg.bytes;
  while (!entries_.empty() && entries_.front().segment == it->first) entries_.pop_front();
  segments_.erase(it);
}

Result<uint64_t> FileSpool::Append(int64_t producer_timestamp_ms, std::string_view stream_header,
                                   std::string_view cluster) {
  const uint64_t payload = kPayloadFixedSize + stream_header.size() + cluster.size();
  const uint64_t size = kRecordHeaderSize + payload;
  std::lock_guard lock(mu_);
  if (!sticky_error_.ok()) return sticky_error_;
  if (size > segment_bytes_ || payload > kMaxPayload) {
    return Status::InvalidArgument("fragment larger than a spool segment");
  }
  if (options_.policy == SpoolOverflowPolicy::kRefuseNew && total_bytes_ + size > options_.max_bytes) {
    return Status::ResourceExhausted("spool full");
  }
  const uint64_t seq = next_seq_;
  if (segments_.empty() || segments_.rbegin()->second.bytes + size > segment_bytes_) {
    OSPREY_RETURN_IF_ERROR(RollLocked(seq));
  }
  while (total_bytes_ + size > options_.max_bytes) {
    auto oldest = segments_.begin();
    if (std::next(oldest) == segments_.end()) {
      OSPREY_RETURN_IF_ERROR(RollLocked(seq));
      continue;
    }
    uint64_t unacked = 0;
    for (const Entry& e : entries_) {
      if (e.segment != oldest->first) break;
      if (e.seq > acked_seq_) ++unacked;
    }
    dropped_ += unacked;
    log::Warn("agent.spool", "spool full, dropping oldest segment",
              {{"segment", oldest->second.path}, {"unacked_fragments", unacked}});
    DeleteSegmentLocked(oldest);
  }
  std::string record;
  record.reserve(size);
  EncodeRecord(seq, producer_timestamp_ms, stream_header, cluster, &record);
  auto active = std::prev(segments_.end());
  Segment& seg = active->second;
  Status s = PWriteAll(seg.fd, record, seg.bytes);
  if (s.ok() && ::fdatasync(seg.fd) != 0) s = Status::FromErrno("spool fdatasync", errno);
  if (!s.ok()) {
    // Whether any of it reached the disk is unknown: cut it off best-effort
    // and refuse further appends rather than risk a hole before a later record.
    (void)::ftruncate(seg.fd, static_cast<off_t>(seg.bytes));
    sticky_error_ = s;
    return s;
  }
  entries_.push_back({seq, active->first, seg.bytes, size});
  seg.bytes += size;
  seg.last_seq = seq;
  total_bytes_ += size;
  next_seq_ = seq + 1;
  last_ts_ = producer_timestamp_ms;
  appended_.notify_all();
  return seq;
}

Result<std::optional<SpooledFragment>> FileSpool::ReadFrom(uint64_t seq) {
  std::lock_guard lock(mu_);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), seq,
                             [](const Entry& e, uint64_t s) { return e.seq < s; });
  if (it == entries_.end()) return std::optional<SpooledFragment>();
  const Segment& seg = segments_.at(it->segment);
  std::string buf(it->size, '\0');
  OSPREY_RETURN_IF_ERROR(
      PreadFully(seg.fd, it->offset, buf.size(), buf.data()).WithContext(seg.path));
  std::string_view all(buf);
  OSPREY_ASSIGN_OR_RETURN(RecordView view, DecodeRecordPayload(all.substr(0, kRecordHeaderSize),
                                                               all.substr(kRecordHeaderSize)));
  if (view.seq != it->seq) return Status::Corruption("spool record has an unexpected seq");
  SpooledFragment f;
  f.seq = view.seq;
  f.producer_timestamp_ms = view.producer_timestamp_ms;
  f.stream_header = std::string(view.stream_header);
  f.cluster = std::string(view.cluster);
  return std::optional<SpooledFragment>(std::move(f));
}

bool FileSpool::WaitFor(uint64_t seq, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  appended_.wait_for(lock, timeout, [&] { return closed_ || next_seq_ > seq; });
  return next_seq_ > seq && !entries_.empty() && entries_.back().seq >= seq;
}

Status FileSpool::WriteMarkerLocked(uint64_t seq, int64_t ts) {
  // FORMAT.md: ACKED.tmp, fsync, rename over ACKED, fsync of the directory.
  AtomicWriteOptions write;
  write.temp_suffix = ".tmp";
  return WriteFileAtomically(options_.dir + "/ACKED", EncodeMarker(seq, ts), write);
}

Status FileSpool::Acknowledge(uint64_t seq) {
  std::lock_guard lock(mu_);
  if (seq <= acked_seq_) return Status::Ok();
  if (seq >= next_seq_) return Status::InvalidArgument("acknowledging a fragment never appended");
  // The marker also stores the newest producer timestamp, which keeps
  // LastProducerTimestamp() right once every segment is deleted.
  // Producer timestamps only grow, so the newest one is a safe floor.
  const int64_t ts = last_ts_ ? std::max(acked_ts_, *last_ts_) : acked_ts_;
  OSPREY_RETURN_IF_ERROR(WriteMarkerLocked(seq, ts));
  acked_seq_ = seq;
  acked_ts_ = ts;
  while (!segments_.empty()) {
    auto oldest = segments_.begin();
    if (oldest->second.last_seq == 0 || oldest->second.last_seq > acked_seq_) break;
    DeleteSegmentLocked(oldest);
  }
  return Status::Ok();
}

std::optional<int64_t> FileSpool::LastProducerTimestamp() const {
  std::lock_guard lock(mu_);
  return last_ts_;
}

uint64_t FileSpool::acked_seq() const {
  std::lock_guard lock(mu_);
  return acked_seq_;
}

SpoolStats FileSpool::Stats() const {
  std::lock_guard lock(mu_);
  SpoolStats st;
  st.first_seq = entries_.empty() ? 0 : entries_.front().seq;
  st.last_seq = next_seq_ - 1;
  st.acked_seq = acked_seq_;
  st.bytes = total_bytes_;
  st.segments = segments_.size();
  st.dropped_fragments = dropped_;
  st.truncated_bytes = truncated_;
  return st;
}

void FileSpool::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  appended_.notify_all();
}

}  // namespace osprey::agent::spool
