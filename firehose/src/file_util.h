// Small POSIX file helpers with the durability rules the engine relies on.
//
// Thread safety: free functions; concurrent calls on distinct paths are fine.
#pragma once

#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey::firehose {

// Replaces `path` atomically and durably: writes `path` + ".tmp-<unique>",
// fsyncs it, renames it over `path` and fsyncs the directory. After a crash
// the file holds either the old or the new content, never a mix.
Status WriteFileAtomic(const std::string& path, std::string_view content);

// Whole file; NotFound when it does not exist.
Result<std::string> ReadFile(const std::string& path);

// mkdir -p, fsyncing each directory it creates and its parent, so a new
// directory entry survives power loss.
Status MakeDirs(const std::string& path);

// fsync of a directory (after rename/unlink inside it).
Status SyncDir(const std::string& dir);

// rm -rf; OK when `path` does not exist.
Status RemoveTree(const std::string& path);

}  // namespace osprey::firehose
