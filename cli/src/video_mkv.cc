#include "video_mkv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "osprey/fragments/mkv_writer.h"

namespace osprey::cli {
namespace {

constexpr uint32_t kInfoId = 0x1549A966;
constexpr uint32_t kDurationId = 0x4489;
constexpr uint32_t kTimecodeScaleId = 0x2AD7B1;
// A request per batch keeps one GetMediaForFragmentList answer bounded.
constexpr size_t kBatch = 100;

struct Element {
  uint32_t id = 0;
  size_t header = 0;  // bytes of ID + size
  size_t size = 0;    // payload bytes
};

// One EBML element header at `at`; unknown sizes are refused (the stream
// header's elements always have known sizes).
Result<Element> ReadElement(std::string_view b, size_t at) {
  auto vint_length = [](uint8_t first) {
    int n = 1;
    while (n <= 8 && (first & (0x80 >> (n - 1))) == 0) ++n;
    return n;
  };
  if (at >= b.size()) return Status::Corruption("truncated EBML element");
  const int id_len = vint_length(static_cast<uint8_t>(b[at]));
  if (id_len > 4 || at + id_len >= b.size()) return Status::Corruption("bad EBML ID");
  Element e;
  for (int i = 0; i < id_len; ++i) e.id = (e.id << 8) | static_cast<uint8_t>(b[at + i]);
  const size_t s = at + id_len;
  const int size_len = vint_length(static_cast<uint8_t>(b[s]));
  if (size_len > 8 || s + size_len > b.size()) return Status::Corruption("bad EBML size");
  uint64_t size = static_cast<uint8_t>(b[s]) & (0xFF >> size_len);
  for (int i = 1; i < size_len; ++i) size = (size << 8) | static_cast<uint8_t>(b[s + i]);
  e.header = id_len + size_len;
  if (size > b.size() - at - e.header) return Status::Corruption("EBML element past its parent");
  e.size = static_cast<size_t>(size);
  return e;
}

void AppendId(std::string* out, uint32_t id) {
  bool started = false;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const uint8_t byte = static_cast<uint8_t>(id >> shift);
    if (byte != 0 || started) {
      out->push_back(static_cast<char>(byte));
      started = true;
    }
  }
}

void AppendSize8(std::string* out, uint64_t size) {
  out->push_back(0x01);
  for (int shift = 48; shift >= 0; shift -= 8) out->push_back(static_cast<char>(size >> shift));
}

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("write", errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

struct Index {
  int64_t offset = -1;  // end of the last complete piece; -1: start over
  size_t done = 0;      // fragments complete
};

// The prefix of an earlier run that can be kept (see video_get.cc).
Index ReadIndex(const MkvDownload& d, const std::string& header_line, int64_t part_size) {
  Index index;
  std::ifstream in(d.path + ".part.idx");
  std::string line;
  if (!std::getline(in, line)) return index;
  std::istringstream first(line);
  std::string word;
  int64_t offset = 0;
  std::string rest;
  first >> word >> offset;
  std::getline(first, rest);
  if (word != "header" || "header " + std::to_string(offset) + rest != line ||
      rest != header_line || offset > part_size) {
    return index;
  }
  index.offset = offset;
  while (std::getline(in, line) && index.done < d.fragments.size()) {
    std::istringstream fields(line);
    std::string number;
    int64_t end = -1;
    if (!(fields >> number >> end) || number != d.fragments[index.done] || end > part_size ||
        end < index.offset) {
      break;
    }
    index.offset = end;
    ++index.done;
  }
  return index;
}

}  // namespace

Result<std::string> WithDuration(std::string_view stream_header, int64_t duration_ms) {
  std::string out;
  size_t at = 0;
  while (at < stream_header.size()) {
    OSPREY_ASSIGN_OR_RETURN(Element e, ReadElement(stream_header, at));
    const std::string_view whole = stream_header.substr(at, e.header + e.size);
    if (e.id != kInfoId) {
      out.append(whole);
      at += whole.size();
      continue;
    }
    std::string children;
    uint64_t scale_ns = 1000000;
    const std::string_view payload = whole.substr(e.header);
    for (size_t c = 0; c < payload.size();) {
      OSPREY_ASSIGN_OR_RETURN(Element child, ReadElement(payload, c));
      if (child.id == kTimecodeScaleId && child.size <= 8) {
        scale_ns = 0;
        for (size_t i = 0; i < child.size; ++i) {
          scale_ns = (scale_ns << 8) | static_cast<uint8_t>(payload[c + child.header + i]);
        }
      }
      if (child.id != kDurationId) children.append(payload.substr(c, child.header + child.size));
      c += child.header + child.size;
    }
    // Duration is a float in TimecodeScale units.
    const double duration = static_cast<double>(duration_ms) * 1e6 /
                            static_cast<double>(scale_ns == 0 ? 1000000 : scale_ns);
    uint64_t bits;
    std::memcpy(&bits, &duration, sizeof bits);
    AppendId(&children, kDurationId);
    children.push_back(static_cast<char>(0x88));
    for (int shift = 56; shift >= 0; shift -= 8)
      children.push_back(static_cast<char>(bits >> shift));
    AppendId(&out, kInfoId);
    AppendSize8(&out, children.size());
    out += children;
    at += whole.size();
  }
  return out;
}

Result<int64_t> DownloadMkv(const MkvDownload& d, client::GetMediaOptions options) {
  const std::string part = d.path + ".part";
  const std::string idx = part + ".idx";
  const std::string header_line =
      " " + std::to_string(d.fragments.size()) + " " + std::to_string(d.duration_ms);
  struct stat st {};
  const int64_t part_size = ::stat(part.c_str(), &st) == 0 ? st.st_size : -1;
  Index index = part_size >= 0 ? ReadIndex(d, header_line, part_size) : Index{};
  const bool resume = index.offset >= 0;

  const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return Status::FromErrno("open " + part, errno);
  // Anything past the last indexed piece is a torn write of a killed run.
  if (::ftruncate(fd, resume ? index.offset : 0) != 0 || ::lseek(fd, 0, SEEK_END) < 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("truncate " + part, err);
  }
  std::FILE* log = std::fopen(idx.c_str(), resume ? "a" : "w");
  if (log == nullptr) {
    ::close(fd);
    return Status::FromErrno("open " + idx, errno);
  }
  int64_t offset = resume ? index.offset : 0;
  size_t done = index.done;
  const char* stop_env = std::getenv("OSPREY_TEST_STOP_AFTER_FRAGMENTS");
  const long stop_after = stop_env != nullptr ? std::atol(stop_env) : -1;
  long this_run = 0;
  auto finish = [&](Status s) -> Status {
    std::fclose(log);
    ::close(fd);
    return s;
  };
  if (d.progress) d.progress(done, d.fragments.size(), offset);

  while (done < d.fragments.size()) {
    const size_t end = std::min(d.fragments.size(), done + kBatch);
    options.fragment_list.assign(d.fragments.begin() + done, d.fragments.begin() + end);
    auto reader = client::GetMediaReader::Open(options);
    if (!reader.ok()) return finish(reader.status());
    while (done < end) {
      auto f = (*reader)->Next();
      if (!f.ok()) return finish(f.status());
      if (f->fragment_number != d.fragments[done]) {
        return finish(Status::Internal("GetMediaForFragmentList sent fragment " +
                                       f->fragment_number + ", expected " + d.fragments[done]));
      }
      std::string bytes;
      if (offset == 0) {
        // The file's header comes from the first fragment: EBML header,
        // Segment of unknown size (clusters follow without an index), then
        // Info with the range's Duration, and Tracks.
        bytes = fragments::EncodeEbmlHeader();
        AppendId(&bytes, 0x18538067);
        bytes += std::string("\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
        auto header = WithDuration(f->stream_header, d.duration_ms);
        if (!header.ok()) return finish(header.status());
        bytes += *header;
        if (Status s = WriteAll(fd, bytes); !s.ok()) return finish(s);
        offset += static_cast<int64_t>(bytes.size());
        if (::fdatasync(fd) != 0) return finish(Status::FromErrno("sync " + part, errno));
        std::fprintf(log, "header %lld%s\n", static_cast<long long>(offset), header_line.c_str());
        std::fflush(log);
      }
      if (Status s = WriteAll(fd, f->cluster); !s.ok()) return finish(s);
      offset += static_cast<int64_t>(f->cluster.size());
      // The index line is written only once the Cluster is on disk, so an
      // indexed fragment is always complete in the .part file.
      if (::fdatasync(fd) != 0) return finish(Status::FromErrno("sync " + part, errno));
      std::fprintf(log, "%s %lld\n", f->fragment_number.c_str(), static_cast<long long>(offset));
      std::fflush(log);
      ++done;
      ++this_run;
      if (d.progress) d.progress(done, d.fragments.size(), offset);
      if (stop_after >= 0 && this_run >= stop_after && done < d.fragments.size()) {
        return finish(Status::Cancelled("stopped after " + std::to_string(this_run) +
                                        " fragments (OSPREY_TEST_STOP_AFTER_FRAGMENTS)"));
      }
    }
  }
  if (Status s = finish(Status::Ok()); !s.ok()) return s;
  if (std::rename(part.c_str(), d.path.c_str()) != 0) {
    return Status::FromErrno("rename " + part, errno);
  }
  std::remove(idx.c_str());
  return offset;
}

}  // namespace osprey::cli
