// POSIX file helpers with the durability rules every Osprey store relies on:
// the one place that knows how to replace a file atomically and make a
// directory entry survive power loss.
//
// Durability contract:
//  - WriteFileAtomically() writes a temporary file next to `path`, makes it
//    durable through the sync function (fsync unless the caller injects
//    another), renames it over `path` and fsyncs the directory. After a crash
//    `path` holds the old content or the new, never a mix; at worst a stray
//    temporary file is left behind (each module's FORMAT.md says who removes
//    it).
//  - A created, renamed or deleted directory entry is durable only once its
//    directory is fsynced: SyncDirectory() after the change, MakeDirs() does
//    it for each directory it creates.
//
// Errors: every function returns a Status naming the file and the failing
// call (Status::FromErrno); ReadFile() gives NotFound when `path` is absent.
//
// Thread safety: free functions without shared state (the temporary-name
// counter is atomic); concurrent calls on distinct paths are fine, callers
// serialise writers of one path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey {

// Makes what was written to `fd` durable (fsync, fdatasync, or a test seam
// that counts calls or injects errors).
using SyncFn = std::function<Status(int fd)>;

// Writes all of `data` at the file's current offset, retrying on EINTR and
// short writes.
Status WriteFully(int fd, std::string_view data);

// Reads exactly `n` bytes at `offset` into `buf`, retrying on EINTR and short
// reads. Corruption when the file ends first.
Status PreadFully(int fd, uint64_t offset, size_t n, char* buf);
// The same into `*out`, resized to `n`.
Status PreadFully(int fd, uint64_t offset, size_t n, std::string* out);

// fsync of a directory, so an entry created, renamed or deleted in it is
// durable.
Status SyncDirectory(const std::string& dir);

struct AtomicWriteOptions {
  // The temporary file is `path` + temp_suffix. Empty (the default): a name
  // unique in this process, `path` + ".tmp-<pid>-<n>", so concurrent writers
  // of different paths in one folder never share one. Callers whose on-disk
  // format names a fixed temporary file (".tmp", removed or ignored at open)
  // pass it here and serialise their writes; a stale file of that name is
  // removed first.
  std::string temp_suffix;
  // Permissions of the new file (before the umask); 0600 for key files.
  uint32_t mode = 0644;
  // Makes the temporary file durable before the rename; empty means fsync.
  SyncFn sync;
  // fsync the directory after the rename. Only callers for whom losing the
  // rename in a crash is harmless (a cache rebuilt at open) turn it off.
  bool sync_directory = true;
};

// Replaces `path` atomically and durably (see the contract above). On
// failure the temporary file is removed and `path` is unchanged.
Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           const AtomicWriteOptions& options = {});

// The whole file. NotFound when it does not exist.
Result<std::string> ReadFile(const std::string& path);

// mkdir -p (mode 0755), fsyncing the parent of each directory it creates so
// the new entries survive power loss. OK when `path` is already a directory;
// IOError when it exists and is not one.
Status MakeDirs(const std::string& path);

// rm -rf; OK when `path` does not exist.
Status RemoveTree(const std::string& path);

}  // namespace osprey
