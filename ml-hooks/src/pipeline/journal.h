// FragmentJournal: osprey-ml's checkpoint for one camera stream, an
// append-only file of JSON lines, one per fragment fully processed (every
// frame analysed or dropped by policy, every event published):
//   {"fragment_number":"...","continuation_token":"...","producer_ms":...,
//    "server_ms":...,"frames":N,"dropped":N,"events":N,"next_track_id":N}
// The last complete line says where GetMedia resumes after a restart
// (StartSelector CONTINUATION_TOKEN) and where track numbering continues.
//
// Durability: a line is written with one write(2) and fdatasync'd before
// Append returns, after the fragment's events were accepted by the outputs.
// A crash can leave a torn last line: Open truncates the file back to the
// last newline, so that fragment is processed again (its events carry the
// same ids; see publisher.h). The file is rewritten to its last line when
// it passes 4 MiB, atomically (base/file_util.h).
//
// Threading: one journal per stream, used by that stream's analysis thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "osprey/base/result.h"

namespace osprey::ml_hooks::pipeline {

struct JournalEntry {
  std::string fragment_number;
  std::string continuation_token;
  int64_t producer_ms = 0;
  int64_t server_ms = 0;
  int64_t frames = 0;   // analysed
  int64_t dropped = 0;  // dropped by the queue policy
  int64_t events = 0;   // published
  uint64_t next_track_id = 1;
};

class FragmentJournal {
 public:
  ~FragmentJournal();
  // Opens (creating) `path`, repairing a torn tail.
  static Result<std::unique_ptr<FragmentJournal>> Open(const std::string& path);

  const std::optional<JournalEntry>& last() const { return last_; }
  Status Append(const JournalEntry& entry);

  static std::string Render(const JournalEntry& entry);
  static Result<JournalEntry> Parse(std::string_view line);

 private:
  FragmentJournal(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  Status Compact();

  std::string path_;
  int fd_;
  uint64_t size_;
  std::optional<JournalEntry> last_;
};

}  // namespace osprey::ml_hooks::pipeline
