#include "osprey/agent/recorder.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <filesystem>

#include "osprey/base/logging.h"

namespace osprey::agent {
namespace {

namespace fs = std::filesystem;
constexpr uint32_t kSegmentId = 0x18538067;
constexpr uint32_t kClusterId = 0x1F43B675;
constexpr std::string_view kSuffix = ".mkv";

// An EBML element ID (1-4 bytes, marker bits kept) at `*pos`.
bool ReadId(std::string_view b, size_t* pos, uint32_t* id) {
  if (*pos >= b.size()) return false;
  const auto first = static_cast<uint8_t>(b[*pos]);
  int len = first >= 0x80 ? 1 : first >= 0x40 ? 2 : first >= 0x20 ? 3 : first >= 0x10 ? 4 : 0;
  if (len == 0 || *pos + len > b.size()) return false;
  *id = 0;
  for (int i = 0; i < len; ++i) *id = (*id << 8) | static_cast<uint8_t>(b[*pos + i]);
  *pos += len;
  return true;
}

// An EBML data size (1-8 bytes); `unknown` for the all-ones value.
bool ReadSize(std::string_view b, size_t* pos, uint64_t* size, bool* unknown) {
  if (*pos >= b.size()) return false;
  const auto first = static_cast<uint8_t>(b[*pos]);
  int len = 1;
  while (len <= 8 && (first & (0x80 >> (len - 1))) == 0) ++len;
  if (len > 8 || *pos + len > b.size()) return false;
  uint64_t v = first & (0xFF >> len);
  bool all_ones = v == (0xFFu >> len);
  for (int i = 1; i < len; ++i) {
    const auto byte = static_cast<uint8_t>(b[*pos + i]);
    v = (v << 8) | byte;
    all_ones = all_ones && byte == 0xFF;
  }
  *pos += len;
  *size = v;
  *unknown = all_ones;
  return true;
}

}  // namespace

std::string RecordedFileName(int64_t producer_timestamp_ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016lld.mkv", static_cast<long long>(producer_timestamp_ms));
  return buf;
}

Status SplitRecordedFragment(std::string_view mkv, std::string_view* header, std::string_view* cluster) {
  size_t pos = 0;
  bool in_segment = false;
  while (pos < mkv.size()) {
    const size_t start = pos;
    uint32_t id = 0;
    uint64_t size = 0;
    bool unknown = false;
    if (!ReadId(mkv, &pos, &id) || !ReadSize(mkv, &pos, &size, &unknown)) break;
    if (id == kClusterId && in_segment) {
      *header = mkv.substr(0, start);
      *cluster = mkv.substr(start);
      return Status::Ok();
    }
    if (id == kSegmentId) {
      in_segment = true;  // descend: its children follow
      continue;
    }
    if (unknown || size > mkv.size() - pos) break;
    pos += size;
  }
  return Status::Corruption("no Cluster after the stream header");
}

Result<std::unique_ptr<Recorder>> Recorder::Open(const RecorderOptions& options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError("record_dir " + options.dir + ": " + ec.message());
  std::unique_ptr<Recorder> r(new Recorder(options));
  for (const auto& entry : fs::directory_iterator(options.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) {
      fs::remove(entry.path(), ec);  // a write cut short by a crash
      continue;
    }
    if (!name.ends_with(kSuffix)) continue;
    int64_t ts = 0;
    auto [end, perr] = std::from_chars(name.data(), name.data() + name.size() - kSuffix.size(), ts);
    if (perr != std::errc() || end != name.data() + name.size() - kSuffix.size()) continue;
    const uint64_t bytes = entry.file_size(ec);
    if (ec) continue;
    r->files_.push_back({ts, bytes, entry.path().string()});
    r->stats_.bytes += bytes;
  }
  if (ec) return Status::IOError("record_dir " + options.dir + ": " + ec.message());
  std::sort(r->files_.begin(), r->files_.end(),
            [](const RecordedFile& a, const RecordedFile& b) {
              return a.producer_timestamp_ms < b.producer_timestamp_ms;
            });
  std::lock_guard lock(r->mu_);
  r->PruneLocked(std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count());
  return r;
}

Status Recorder::Add(const Fragment& f, int64_t now_ms) {
  const std::string path = options_.dir + "/" + RecordedFileName(f.producer_timestamp_ms);
  const std::string tmp = path + ".tmp";
  std::lock_guard lock(mu_);
  if (!files_.empty() && files_.back().producer_timestamp_ms >= f.producer_timestamp_ms) {
    return Status::Ok();  // timestamps only grow (Fragmenter); a repeat is not written twice
  }
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  bool ok = out != nullptr;
  if (ok) {
    ok = std::fwrite(f.stream_header.data(), 1, f.stream_header.size(), out) == f.stream_header.size() &&
         std::fwrite(f.cluster.data(), 1, f.cluster.size(), out) == f.cluster.size();
    ok = std::fclose(out) == 0 && ok;
  }
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    ++stats_.errors;
    return Status::IOError("recording " + path + ": " + why);
  }
  const uint64_t bytes = f.stream_header.size() + f.cluster.size();
  files_.push_back({f.producer_timestamp_ms, bytes, path});
  stats_.bytes += bytes;
  ++stats_.written;
  PruneLocked(now_ms);
  return Status::Ok();
}

void Recorder::PruneLocked(int64_t now_ms) {
  // Oldest first, keeping at least the newest file (the one just written).
  while (files_.size() > 1 && (stats_.bytes > options_.max_bytes ||
                               files_.front().producer_timestamp_ms < now_ms - options_.max_age_ms)) {
    std::error_code ec;
    fs::remove(files_.front().path, ec);
    stats_.bytes -= files_.front().bytes;
    ++stats_.pruned;
    files_.pop_front();
  }
}

std::vector<RecordedFile> Recorder::List(int64_t from_ms, int64_t to_ms) const {
  std::lock_guard lock(mu_);
  std::vector<RecordedFile> out;
  for (const RecordedFile& f : files_) {
    if (f.producer_timestamp_ms >= from_ms && f.producer_timestamp_ms <= to_ms) out.push_back(f);
  }
  return out;
}

RecorderStats Recorder::Stats() const {
  std::lock_guard lock(mu_);
  RecorderStats s = stats_;
  s.files = files_.size();
  return s;
}

}  // namespace osprey::agent
