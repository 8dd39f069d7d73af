#include "osprey/base/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace osprey {
namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string TempPath(const std::string& path, const std::string& suffix) {
  if (!suffix.empty()) return path + suffix;
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

}  // namespace

Status WriteFully(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status PreadFully(int fd, uint64_t offset, size_t n, char* buf) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("pread", errno);
    }
    if (r == 0) return Status::Corruption("unexpected end of file");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

Status PreadFully(int fd, uint64_t offset, size_t n, std::string* out) {
  out->resize(n);
  return PreadFully(fd, offset, n, out->data());
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open directory " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno("fsync directory " + dir, err);
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           const AtomicWriteOptions& options) {
  const std::string tmp = TempPath(path, options.temp_suffix);
  // A fixed name may be left over from a crashed write; O_TRUNC would keep
  // its mode, so it is removed first and `options.mode` always applies.
  if (!options.temp_suffix.empty()) ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  static_cast<mode_t>(options.mode));
  if (fd < 0) return Status::FromErrno("create " + tmp, errno);
  Status s = WriteFully(fd, contents);
  if (s.ok()) {
    if (options.sync) {
      s = options.sync(fd);
    } else if (::fsync(fd) != 0) {
      s = Status::FromErrno("fsync", errno);
    }
  }
  if (::close(fd) != 0 && s.ok()) s = Status::FromErrno("close", errno);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Status::FromErrno("rename", errno);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s.WithContext(tmp);
  }
  return options.sync_directory ? SyncDirectory(Parent(path)) : Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::FromErrno("open " + path, errno);
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::FromErrno("read " + path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status MakeDirs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return Status::IOError(path + " exists and is not a directory");
  }
  std::string parent = Parent(path);
  if (parent != path) OSPREY_RETURN_IF_ERROR(MakeDirs(parent));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno("mkdir " + path, errno);
  }
  return SyncDirectory(parent);
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError("remove " + path + ": " + ec.message());
  return Status::Ok();
}

}  // namespace osprey
