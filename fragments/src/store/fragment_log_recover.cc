// Open and crash recovery of one stream folder (FORMAT.md "Recovery").
//
// The index is the truth: an index entry is written only after its media
// record was synced, so an entry that passes its CRC and lies inside its
// media file describes a durable record. Per segment, the valid prefix of
// entries is kept; the first bad entry ends it (torn or corrupt tail), the
// index file is truncated there, and the media file is truncated to the end
// of the last kept record (bytes past it were never acknowledged).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>

#include "osprey/base/logging.h"
#include "store/file_fragment_log.h"

namespace osprey::fragments::store {
namespace {

constexpr char kHighWaterFile[] = "HIGHWATER";

struct Found {
  bool media = false;
  bool index = false;
};

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno("stat " + path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status Truncate(int fd, const std::string& path, uint64_t size, const SyncFn& sync) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return Status::FromErrno("truncate " + path, errno);
  }
  return sync(fd).WithContext(path);
}

void RemoveSegmentFiles(const std::string& dir, uint64_t base) {
  ::unlink(IndexPath(dir, base).c_str());
  ::unlink(MediaPath(dir, base).c_str());
}

}  // namespace

Result<std::shared_ptr<FileFragmentLog>> FileFragmentLog::Open(std::string dir,
                                                               const StoreOptions& options,
                                                               std::shared_ptr<Syncer> syncer) {
  auto log = std::make_shared<FileFragmentLog>(std::move(dir), options, std::move(syncer));
  OSPREY_RETURN_IF_ERROR(log->Recover());
  return log;
}

Status FileFragmentLog::Recover() {
  std::lock_guard lock(mu_);  // no other thread yet; keeps the locking rule uniform
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError("create " + dir_ + ": " + ec.message());

  std::map<uint64_t, Found> found;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return Status::FromErrno("opendir " + dir_, errno);
  while (dirent* e = ::readdir(d)) {
    uint64_t base;
    bool is_media;
    if (ParseSegmentName(e->d_name, &base, &is_media)) {
      (is_media ? found[base].media : found[base].index) = true;
    } else if (std::string_view(e->d_name).ends_with(".tmp")) {
      ::unlink((dir_ + "/" + e->d_name).c_str());  // a HIGHWATER write cut short
    }
  }
  ::closedir(d);

  uint64_t high_water = 0;
  {
    std::string bytes;
    int fd = ::open((dir_ + "/" + kHighWaterFile).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (PreadFully(fd, 0, kHighWaterSize, &bytes).ok() && DecodeHighWater(bytes, &high_water)) {
        persisted_high_water_ = high_water;
      } else {
        log::Warn("fragments", "ignoring unreadable HIGHWATER file", {{"dir", dir_}});
      }
      ::close(fd);
    }
  }

  bool removed_any = false;
  uint64_t fragments = 0;
  uint64_t bytes_dropped = 0;
  for (const auto& [base, what] : found) {
    const std::string mpath = MediaPath(dir_, base);
    const std::string ipath = IndexPath(dir_, base);
    int mfd = what.media ? ::open(mpath.c_str(), O_RDWR | O_APPEND | O_CLOEXEC) : -1;
    int ifd = what.index ? ::open(ipath.c_str(), O_RDWR | O_APPEND | O_CLOEXEC) : -1;
    if ((what.media && mfd < 0) || (what.index && ifd < 0)) {
      int err = errno;
      if (mfd >= 0) ::close(mfd);
      if (ifd >= 0) ::close(ifd);
      return Status::FromErrno("open segment " + std::to_string(base) + " in " + dir_, err);
    }
    auto seg = std::make_shared<Segment>(dir_, base, mfd, ifd);
    std::string header;
    uint64_t hbase = 0;
    uint64_t hextra = 0;
    const bool media_ok = mfd >= 0 && PreadFully(mfd, 0, kFileHeaderSize, &header).ok() &&
                          DecodeFileHeader(FileKind::kMedia, header, &hbase, &hextra) &&
                          hbase == base;
    int version = 0;
    const bool index_ok = ifd >= 0 && PreadFully(ifd, 0, kFileHeaderSize, &header).ok() &&
                          DecodeFileHeader(FileKind::kIndex, header, &hbase, &hextra, &version) &&
                          hbase == base;
    if (!media_ok || !index_ok) {
      if (what.index && base != found.rbegin()->first) {
        // Damage, not a crash: only the newest segment can be mid-creation.
        // Its files are left for inspection and its fragments are lost.
        log::Error("fragments", "skipping segment with a damaged header",
                   {{"dir", dir_}, {"base", base}});
        continue;
      }
      // Both headers are synced before the segment's first index entry is
      // written, so a newest segment with a missing or torn header never
      // held an acknowledged fragment: its creation was cut short. A media
      // file without an index file is what retention (which unlinks the
      // index first) leaves when cut short.
      log::Warn("fragments", "removing segment without acknowledged fragments",
                {{"dir", dir_}, {"base", base}});
      seg.reset();
      RemoveSegmentFiles(dir_, base);
      removed_any = true;
      continue;
    }
    high_water = std::max(high_water, hextra);
    OSPREY_ASSIGN_OR_RETURN(uint64_t media_file, FileSize(mfd, mpath));
    OSPREY_ASSIGN_OR_RETURN(uint64_t index_file, FileSize(ifd, ipath));
    std::string raw;
    OSPREY_RETURN_IF_ERROR(
        PreadFully(ifd, kFileHeaderSize, index_file - kFileHeaderSize, &raw).WithContext(ipath));
    uint64_t end = kFileHeaderSize;  // end of the last kept media record
    size_t kept = 0;
    const char* why = nullptr;
    const uint64_t prev_index = entries_.empty() ? 0 : entries_.back().meta.index;
    // Version 1 files (before content hashes) keep their 64-byte entries;
    // the next append rolls to a new version 2 segment (MaybeRollLocked).
    seg->index_version = version;
    const size_t entry_size = IndexEntrySize(version);
    for (size_t pos = 0; pos < raw.size(); pos += entry_size, ++kept) {
      IndexEntry e;
      if (raw.size() - pos < entry_size) {
        why = "torn index entry";
      } else if (!DecodeIndexEntry(std::string_view(raw).substr(pos, entry_size), version, &e)) {
        why = "index entry checksum mismatch";
      } else if (e.meta.index < base || e.meta.index <= prev_index ||
                 (kept > 0 && e.meta.index <= entries_.back().meta.index)) {
        why = "index entry out of order";
      } else if (e.offset < end || e.offset + e.length > media_file) {
        why = "index entry points past the media file";
      }
      if (why != nullptr) break;
      entries_.push_back(e);
      end = e.offset + e.length;
      seg->first_server_ms = kept == 0 ? e.meta.server_timestamp_ms : seg->first_server_ms;
      seg->last_written_index = e.meta.index;
    }
    const uint64_t index_end = kFileHeaderSize + kept * entry_size;
    if (index_end < index_file) {
      log::Warn("fragments", "truncated torn index tail",
                {{"path", ipath},
                 {"offset", index_end},
                 {"bytes_dropped", index_file - index_end},
                 {"reason", why != nullptr ? why : "torn index entry"}});
      bytes_dropped += index_file - index_end;
      OSPREY_RETURN_IF_ERROR(Truncate(ifd, ipath, index_end, options_.sync));
    }
    if (end < media_file) {
      log::Warn("fragments", "truncated unacknowledged media tail",
                {{"path", mpath}, {"offset", end}, {"bytes_dropped", media_file - end}});
      bytes_dropped += media_file - end;
      OSPREY_RETURN_IF_ERROR(Truncate(mfd, mpath, end, options_.sync));
    }
    if (kept == 0) {
      // Nothing acknowledged in it; a new segment is created on demand.
      seg.reset();
      RemoveSegmentFiles(dir_, base);
      removed_any = true;
      continue;
    }
    seg->media_size = seg->durable_size = end;
    seg->index_size = index_end;
    fragments += kept;
    segments_.push_back(std::move(seg));
  }
  if (removed_any) OSPREY_RETURN_IF_ERROR(SyncDirectory(dir_));

  last_written_ = entries_.empty() ? 0 : entries_.back().meta.index;
  last_reserved_ = std::max(high_water, last_written_);
  RecomputeOrderLocked();
  log::Info("fragments", "fragment log opened",
            {{"dir", dir_},
             {"segments", static_cast<uint64_t>(segments_.size())},
             {"fragments", fragments},
             {"high_water", last_reserved_},
             {"bytes_dropped", bytes_dropped}});
  return Status::Ok();
}

void FileFragmentLog::WriteHighWater(uint64_t value) {
  {
    std::lock_guard lock(mu_);
    if (value <= persisted_high_water_) return;
  }
  // FORMAT.md: written through HIGHWATER.tmp, which recovery removes.
  AtomicWriteOptions write;
  write.temp_suffix = ".tmp";
  write.sync = options_.sync;
  if (Status s = WriteFileAtomically(dir_ + "/" + kHighWaterFile, EncodeHighWater(value), write);
      !s.ok()) {
    // Only costs uniqueness if the clock also stepped back; retention
    // still keeps the newest segment, whose index header has a high-water.
    log::Warn("fragments", "could not write HIGHWATER", {{"error", s.ToString()}});
    return;
  }
  std::lock_guard lock(mu_);
  persisted_high_water_ = std::max(persisted_high_water_, value);
}

}  // namespace osprey::fragments::store
