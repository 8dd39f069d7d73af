#include "access/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "osprey/base/logging.h"

namespace osprey::server::access {

namespace {

int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(std::string path, uint64_t rotate_bytes) {
  const int fd = OpenForAppend(path);
  if (fd < 0) return Status::FromErrno("cannot open audit log " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot stat audit log " + path, err);
  }
  return std::unique_ptr<AuditLog>(
      new AuditLog(std::move(path), fd, static_cast<uint64_t>(st.st_size), rotate_bytes));
}

AuditLog::AuditLog(std::string path, int fd, uint64_t size, uint64_t rotate_bytes)
    : path_(std::move(path)), rotate_bytes_(rotate_bytes), fd_(fd), size_(size) {}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

void AuditLog::RotateLocked() {
  const std::string old = path_ + ".1";
  if (::rename(path_.c_str(), old.c_str()) != 0) {
    log::Warn("audit", "cannot rotate the audit log",
              {{"path", path_}, {"error", std::strerror(errno)}});
    return;
  }
  const int fd = OpenForAppend(path_);
  if (fd < 0) {
    log::Error("audit", "cannot reopen the audit log",
               {{"path", path_}, {"error", std::strerror(errno)}});
    return;  // keep writing to the renamed file rather than lose lines
  }
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
}

void AuditLog::Reopen() {
  const int fd = OpenForAppend(path_);
  if (fd < 0) {
    log::Error("audit", "cannot reopen the audit log",
               {{"path", path_}, {"error", std::strerror(errno)}});
    return;
  }
  struct stat st;
  const uint64_t size = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  std::lock_guard lock(mu_);
  ::close(fd_);
  fd_ = fd;
  size_ = size;
  warned_ = false;
}

void AuditLog::Append(std::string_view line) {
  std::string text(line);
  text.push_back('\n');
  std::lock_guard lock(mu_);
  if (size_ > 0 && size_ + text.size() > rotate_bytes_) RotateLocked();
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!warned_) {
        log::Error("audit", "cannot write the audit log",
                   {{"path", path_}, {"error", std::strerror(n < 0 ? errno : EIO)}});
        warned_ = true;
      }
      return;
    }
    rest.remove_prefix(static_cast<size_t>(n));
    size_ += static_cast<uint64_t>(n);
  }
}

}  // namespace osprey::server::access
