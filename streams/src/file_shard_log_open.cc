// Open and crash recovery. Rules (FORMAT.md "Recovery"): every record of
// every segment is validated; the last segment may end in a torn or corrupt
// tail, which is truncated and reported; damage anywhere else is Corruption.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "file_shard_log_impl.h"
#include "osprey/base/logging.h"
#include "segment_index.h"
#include "segment_reader.h"

namespace osprey::streams {
namespace {

Result<std::vector<uint64_t>> ListSegments(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno("opendir " + dir, errno);
  std::vector<uint64_t> bases;
  while (dirent* e = ::readdir(d)) {
    uint64_t base;
    if (ParseSegmentName(e->d_name, &base)) bases.push_back(base);
  }
  ::closedir(d);
  std::sort(bases.begin(), bases.end());
  return bases;
}

}  // namespace

Result<std::unique_ptr<ShardLog>> OpenFileShardLog(const std::string& dir,
                                                   const LogOptions& options,
                                                   RecoveryReport* report) {
  auto log = std::make_unique<FileShardLog>(dir, options);
  RecoveryReport local;
  OSPREY_RETURN_IF_ERROR(log->Open(report != nullptr ? report : &local));
  return std::unique_ptr<ShardLog>(std::move(log));
}

Status FileShardLog::Open(RecoveryReport* report) {
  *report = RecoveryReport{};
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError("create " + dir_ + ": " + ec.message());
  // Two logs appending to one directory would interleave records; an
  // advisory lock (released by the kernel when the process dies, so kill -9
  // leaves nothing stale) turns that into an error.
  const std::string lock_path = dir_ + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::FromErrno("open " + lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return errno == EWOULDBLOCK ? Status::FailedPrecondition(dir_ + " is already open")
                                : Status::FromErrno("flock " + lock_path, errno);
  }
  OSPREY_ASSIGN_OR_RETURN(std::vector<uint64_t> bases, ListSegments(dir_));

  std::lock_guard lock(mu_);  // no other thread yet; keeps the locking rule uniform
  if (bases.empty()) {
    OSPREY_ASSIGN_OR_RETURN(auto seg, CreateSegment(dir_, options_.first_index, options_.sync));
    segments_.push_back(std::move(seg));
  }
  for (size_t i = 0; i < bases.size(); ++i) {
    std::string path = SegmentPath(dir_, bases[i]);
    int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno("open " + path, errno);
    auto seg = std::make_shared<Segment>(path, fd, bases[i]);
    OSPREY_RETURN_IF_ERROR(RecoverSegment(seg, i + 1 == bases.size(), report));
    if (!segments_.empty() && segments_.back()->last_index + 1 != seg->base_index) {
      return Status::Corruption(path + ": records missing before index " +
                                std::to_string(seg->base_index));
    }
    segments_.push_back(std::move(seg));
  }
  for (const auto& seg : segments_) {
    if (!seg->empty()) last_arrival_ms_ = std::max(last_arrival_ms_, seg->max_arrival_ms);
  }
  next_index_ = segments_.back()->last_index + 1;
  synced_index_ = next_index_ - 1;  // everything that survived is durable now
  trim_horizon_ = segments_.front()->base_index;
  report->segments = segments_.size();
  open_ = true;
  syncer_ = std::thread([this] { SyncLoop(); });
  log::Info("streams", "shard log opened",
            {{"dir", dir_},
             {"segments", report->segments},
             {"records", report->records},
             {"next_index", next_index_},
             {"bytes_dropped", report->bytes_dropped}});
  return Status::Ok();
}

Status FileShardLog::RecoverSegment(const std::shared_ptr<Segment>& seg, bool is_last,
                                    RecoveryReport* report) {
  struct stat st;
  if (::fstat(seg->fd, &st) != 0) return Status::FromErrno("stat " + seg->path, errno);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  std::string header(format::kSegmentHeaderSize, '\0');
  ssize_t n = file_size < header.size() ? 0 : ::pread(seg->fd, header.data(), header.size(), 0);
  uint64_t base = 0;
  if (n != static_cast<ssize_t>(header.size()) || !format::ParseSegmentHeader(header, &base) ||
      base != seg->base_index) {
    // A header shorter than its size is a segment whose creation was cut
    // short: no record was ever appended to it, so it restarts empty.
    if (is_last && file_size < format::kSegmentHeaderSize) {
      std::string fresh;
      format::AppendSegmentHeader(seg->base_index, &fresh);
      if (::ftruncate(seg->fd, 0) != 0) return Status::FromErrno("truncate " + seg->path, errno);
      OSPREY_RETURN_IF_ERROR(WriteFully(seg->fd, fresh));
      OSPREY_RETURN_IF_ERROR(options_.sync(seg->fd));
      report->bytes_dropped += file_size;
      log::Warn("streams", "rewrote torn segment header",
                {{"path", seg->path}, {"bytes_dropped", file_size}});
      return Status::Ok();
    }
    return Status::Corruption(seg->path + ": bad segment header");
  }

  if (!is_last && !options_.verify_sealed_segments && LoadSegmentIndex(seg.get(), file_size)) {
    report->records += seg->last_index - seg->base_index + 1;
    return Status::Ok();
  }

  SegmentReader reader(seg->fd, format::kSegmentHeaderSize, file_size, options_.max_record_bytes);
  format::RecordView rec;
  for (;;) {
    auto outcome = reader.Next(&rec);
    if (outcome == SegmentReader::Outcome::kRecord && rec.index != seg->last_index + 1) {
      outcome = SegmentReader::Outcome::kCorrupt;  // a valid frame out of sequence
    }
    if (outcome == SegmentReader::Outcome::kRecord) {
      seg->NoteRecord(rec.index, reader.record_offset(), rec.arrival_ms,
                      options_.index_interval_bytes);
      ++report->records;
      continue;
    }
    if (outcome == SegmentReader::Outcome::kEnd) break;
    if (outcome == SegmentReader::Outcome::kIOError) return reader.status();
    const uint64_t at = reader.record_offset();
    std::string why = outcome == SegmentReader::Outcome::kTorn ? "torn record"
                      : reader.status().ok()                   ? "record out of sequence"
                                                               : reader.status().message();
    if (!is_last) {
      // Sealed segments were fsynced before the next one was created, so
      // they cannot have a torn tail: this is damage, and skipping it would
      // silently lose acknowledged records.
      return Status::Corruption(seg->path + " offset " + std::to_string(at) + ": " + why);
    }
    const uint64_t dropped = file_size - at;
    if (::ftruncate(seg->fd, static_cast<off_t>(at)) != 0) {
      return Status::FromErrno("truncate " + seg->path, errno);
    }
    OSPREY_RETURN_IF_ERROR(options_.sync(seg->fd));
    report->bytes_dropped += dropped;
    log::Warn("streams", "truncated shard log tail",
              {{"path", seg->path},
               {"offset", at},
               {"bytes_dropped", dropped},
               {"reason", why},
               {"last_index", seg->last_index}});
    break;
  }
  seg->size = seg->durable_size = reader.record_offset();
  if (!is_last && !seg->empty()) {
    // Scanned because its index file was missing or stale: write it so the
    // next open need not scan again.
    if (Status s = WriteSegmentIndex(*seg, options_.sync); !s.ok()) {
      log::Warn("streams", "could not write segment index", {{"error", s.ToString()}});
    }
  }
  return Status::Ok();
}

}  // namespace osprey::streams
