// Recorder: a camera's continuous local recording (record_dir), one
// standalone MKV file per fragment, kept oldest-first within an age and a
// size bound. The layout is in agent/FORMAT.md ("Recording directory").
//
// Files are written to a temporary name and renamed, without fsync: the
// recording is a best-effort local copy (the spool is the durable upload
// queue); after a power loss the newest files may be missing or empty, and
// Open() skips what it cannot use.
//
// Threading: all methods are safe from any thread (one mutex; the capture
// thread adds, the /metrics thread lists and reads).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/agent/fragmenter.h"
#include "osprey/base/result.h"

namespace osprey::agent {

struct RecorderOptions {
  std::string dir;                          // created if missing
  int64_t max_age_ms = 24 * 3600 * 1000LL;  // by producer timestamp against the wall clock
  uint64_t max_bytes = uint64_t{1} << 30;
};

struct RecordedFile {
  int64_t producer_timestamp_ms = 0;
  uint64_t bytes = 0;
  std::string path;
};

struct RecorderStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t written = 0;  // since Open()
  uint64_t pruned = 0;   // deleted by age or size since Open()
  uint64_t errors = 0;   // writes that failed
};

// The file name of a fragment: its producer timestamp, zero-padded.
std::string RecordedFileName(int64_t producer_timestamp_ms);
// Splits a recorded file (or any stream header + one Cluster) at the
// Cluster: `header` is everything before it. Corruption when there is no
// top-level Cluster after the Segment header.
Status SplitRecordedFragment(std::string_view mkv, std::string_view* header,
                             std::string_view* cluster);

class Recorder {
 public:
  // Creates the directory, indexes the files already there (stale temporary
  // files are removed) and prunes. IOError when it cannot be created or read.
  static Result<std::unique_ptr<Recorder>> Open(const RecorderOptions& options);

  // Writes the fragment's stream header + Cluster, then prunes against
  // `now_ms`. A fragment whose timestamp is already recorded is skipped.
  Status Add(const Fragment& fragment, int64_t now_ms);
  // Files with from_ms <= producer timestamp <= to_ms, oldest first.
  std::vector<RecordedFile> List(int64_t from_ms, int64_t to_ms) const;
  RecorderStats Stats() const;

 private:
  explicit Recorder(RecorderOptions options) : options_(std::move(options)) {}
  void PruneLocked(int64_t now_ms);  // REQUIRES: mu_ held

  const RecorderOptions options_;
  mutable std::mutex mu_;
  std::deque<RecordedFile> files_;  // guarded by mu_, by timestamp
  RecorderStats stats_;             // guarded by mu_ (files, bytes derived)
};

}  // namespace osprey::agent
