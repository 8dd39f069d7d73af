// AuditLog: DATA_DIR/audit.log, one JSON object per line for every
// control-plane call (create, delete, update, tag, retention, reshard,
// consumer registration) across KVS, Kinesis and Firehose, whether it
// succeeded or was refused. docs/operations.md describes the fields.
//
// Durability: each line is one write(2) on a file opened O_APPEND, so a line
// is never interleaved with another and is in the kernel once Append
// returns (it survives a crash of the server, not a power cut: no
// fdatasync, so that no request thread waits on a disk).
//
// Rotation: when a line would take the file past `rotate_bytes`, the file
// is renamed to audit.log.1 (replacing the previous one) and a new one is
// started; at most two files exist. External rotation works too: rename
// the file, then SIGHUP the server (Reopen).
//
// Thread safety: Append is safe from any thread (one mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::server::access {

class AuditLog {
 public:
  static constexpr uint64_t kDefaultRotateBytes = 64ull << 20;

  // Opens (creating, mode 0600) `path` for appending. IOError.
  static Result<std::unique_ptr<AuditLog>> Open(std::string path,
                                                uint64_t rotate_bytes = kDefaultRotateBytes);
  ~AuditLog();

  // Appends `line` and a newline. A failure is logged (once per kind of
  // error), never returned: auditing must not fail the call it records.
  void Append(std::string_view line);

  // Starts a new file at `path` (for logrotate's rename-then-signal: the
  // server reopens on SIGHUP). On failure keeps the current one and logs.
  void Reopen();

  const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, int fd, uint64_t size, uint64_t rotate_bytes);
  void RotateLocked();  // REQUIRES: mu_ held

  const std::string path_;
  const uint64_t rotate_bytes_;
  std::mutex mu_;
  int fd_;               // GUARDED_BY(mu_)
  uint64_t size_;        // GUARDED_BY(mu_)
  bool warned_ = false;  // GUARDED_BY(mu_)
};

}  // namespace osprey::server::access
