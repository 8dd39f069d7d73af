// The file-backed ShardLog: segment files in one directory per shard.
// On-disk format and recovery rules: streams/FORMAT.md.
//
// Durability design (why a dedicated syncer thread rather than a leader/
// follower group commit): appends come from Asio handlers on the server's
// event loop, which must never block for an fsync. With a syncer thread an
// appender only writes to the page cache under the log mutex and returns;
// the syncer takes every append that arrived while the previous fsync was
// running, issues one fdatasync for all of them, publishes them to readers,
// and runs their callbacks. Leader/follower would need the caller's thread
// to block (as leveldb's writers do), which we can afford only in tests.
//
// Thread safety: as ShardLog. One directory must be opened by at most one
// FileShardLog at a time (not enforced with a lock file yet).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "osprey/base/result.h"
#include "osprey/streams/log_options.h"
#include "osprey/streams/shard_log.h"

namespace osprey::streams {

// What Open found and repaired.
struct RecoveryReport {
  uint64_t segments = 0;       // segment files after recovery
  uint64_t records = 0;        // records found in them
  uint64_t bytes_dropped = 0;  // torn or corrupt tail removed from the last segment
};

// Opens (creating the directory and first segment if needed) the log in
// `dir`, validating every record and truncating a torn or corrupt tail of
// the last segment (logged with osprey::log). Corruption when a segment
// other than the last is damaged, or segments are missing in the middle;
// IOError on filesystem failures. `report` may be null.
Result<std::unique_ptr<ShardLog>> OpenFileShardLog(const std::string& dir,
                                                   const LogOptions& options,
                                                   RecoveryReport* report = nullptr);

}  // namespace osprey::streams
