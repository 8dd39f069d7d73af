// Spool::Open and crash recovery of FileSpool (agent/FORMAT.md, "Recovery").
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"
#include "spool/file_spool.h"
#include "spool/spool_record.h"

namespace osprey::agent::spool {

namespace {

Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return Status::FromErrno("open " + path, errno);
  }
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  int err = errno;
  ::close(fd);
  if (n < 0) return Status::FromErrno("read " + path, err);
  return out;
}

// Segment names: seg-<20 digits>.osp; returns the first seq or 0.
uint64_t ParseSegmentName(const std::string& name) {
  if (name.size() != 28 || name.compare(0, 4, "seg-") != 0 || name.compare(24, 4, ".osp") != 0) {
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 4; i < 24; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

}  // namespace


// Reads every record of one segment. The first record that is incomplete or
// fails its CRC ends the segment: the file is truncated there and fsynced.
// Only the newest segment is ever written to, so only it can have a torn
// tail after a crash; a bad record elsewhere is bit rot, handled the same
// way (and logged).
Status FileSpool::ScanSegmentLocked(uint64_t first_seq, Segment* seg) {
  struct stat st;
  if (::fstat(seg->fd, &st) != 0) return Status::FromErrno("stat " + seg->path, errno);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = 0;
  std::string header(kRecordHeaderSize, '\0');
  std::string payload;
  uint64_t expect_seq = std::max(first_seq, next_seq_);
  while (offset + kRecordHeaderSize <= file_size) {
    if (!PreadFully(seg->fd, offset, header.size(), header.data()).ok()) break;
    uint32_t length = 0;
    if (!DecodeRecordHeader(header, &length).ok()) break;
    if (offset + kRecordHeaderSize + length > file_size) break;
    payload.resize(length);
    if (!PreadFully(seg->fd, offset + kRecordHeaderSize, length, payload.data()).ok()) break;
    Result<RecordView> view = DecodeRecordPayload(header, payload);
    if (!view.ok() || view->seq < expect_seq) break;
    const uint64_t size = kRecordHeaderSize + length;
    entries_.push_back({view->seq, first_seq, offset, size});
    seg->last_seq = view->seq;
    last_ts_ = view->producer_timestamp_ms;
    next_seq_ = view->seq + 1;
    expect_seq = next_seq_;
    offset += size;
  }
  if (offset < file_size) {
    log::Warn("agent.spool", "cutting torn or corrupt spool tail",
              {{"segment", seg->path}, {"offset", offset}, {"bytes", file_size - offset}});
    if (::ftruncate(seg->fd, static_cast<off_t>(offset)) != 0 || ::fsync(seg->fd) != 0) {
      return Status::FromErrno("truncate " + seg->path, errno);
    }
    truncated_ += file_size - offset;
  }
  seg->bytes = offset;
  return Status::Ok();
}

Status FileSpool::Recover() {
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return Status::IOError("create spool dir " + options_.dir + ": " + ec.message());

  const std::string lock_path = options_.dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::FromErrno("open " + lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable("spool " + options_.dir + " is in use by another process");
  }

  // The marker is replaced by rename, so it is either the old or the new
  // one, never torn; a stray ACKED.tmp is an unfinished update.
  ::unlink((options_.dir + "/ACKED.tmp").c_str());
  Result<std::string> marker = ReadSmallFile(options_.dir + "/ACKED");
  if (marker.ok()) {
    Status s = DecodeMarker(*marker, &acked_seq_, &acked_ts_);
    if (!s.ok()) return s.WithContext(options_.dir + "/ACKED");
    last_ts_ = acked_ts_;
    next_seq_ = acked_seq_ + 1;
  } else if (marker.status().code() != Status::Code::kNotFound) {
    return marker.status();
  }

  std::vector<std::pair<uint64_t, std::string>> found;
  DIR* d = ::opendir(options_.dir.c_str());
  if (d == nullptr) return Status::FromErrno("list " + options_.dir, errno);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (uint64_t first = ParseSegmentName(name); first != 0) {
      found.emplace_back(first, options_.dir + "/" + name);
    }
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());

  // Records are indexed from seq 1; the acknowledged ones are dropped from
  // the index (and their segments deleted) below.
  next_seq_ = 1;
  for (auto& [first, path] : found) {
    Segment seg;
    seg.path = path;
    seg.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (seg.fd < 0) return Status::FromErrno("open " + path, errno);
    OSPREY_RETURN_IF_ERROR(ScanSegmentLocked(first, &seg));
    total_bytes_ += seg.bytes;
    segments_[first] = seg;
  }
  if (acked_seq_ + 1 > next_seq_) next_seq_ = acked_seq_ + 1;
  if (last_ts_ && acked_ts_ > *last_ts_) last_ts_ = acked_ts_;

  // Drop empty and fully acknowledged segments.
  for (auto it = segments_.begin(); it != segments_.end();) {
    auto next = std::next(it);
    if (it->second.last_seq == 0 || it->second.last_seq <= acked_seq_) DeleteSegmentLocked(it);
    it = next;
  }
  while (!entries_.empty() && entries_.front().seq <= acked_seq_) {
    // Acknowledged records in a segment that also holds newer ones stay on
    // disk until the whole segment is acknowledged; they are not indexed.
    entries_.pop_front();
  }
  log::Info("agent.spool", "spool opened",
            {{"dir", options_.dir}, {"fragments", static_cast<uint64_t>(entries_.size())},
             {"acked_seq", acked_seq_}, {"next_seq", next_seq_}, {"bytes", total_bytes_},
             {"truncated_bytes", truncated_}});
  return Status::Ok();
}

}  // namespace osprey::agent::spool

namespace osprey::agent {

Result<std::unique_ptr<Spool>> Spool::Open(const SpoolOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("spool dir is empty");
  if (options.max_bytes < (64u << 10)) return Status::InvalidArgument("spool max_bytes below 64 KiB");
  auto spool = std::make_unique<spool::FileSpool>(options);
  OSPREY_RETURN_IF_ERROR(spool->Recover());
  return std::unique_ptr<Spool>(std::move(spool));
}

}  // namespace osprey::agent
