// Helpers shared by the streams tests: scratch directories, record makers
// and a manual clock.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "osprey/streams/file_shard_log.h"
#include "osprey/streams/record.h"

namespace osprey::streams::testing {

// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "osprey_streams_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline RecordInput MakeInput(const std::string& key, const std::string& data,
                             const char* hash_key = nullptr) {
  RecordInput in;
  in.partition_key = key;
  if (hash_key != nullptr) in.explicit_hash_key = hash_key;
  in.data = data;
  return in;
}

// Record i of a deterministic test sequence: its data names it, so a reader
// can check any record in isolation.
inline RecordInput Numbered(uint64_t i, size_t size = 16) {
  std::string data = "rec-" + std::to_string(i) + "-";
  while (data.size() < size) data.push_back(static_cast<char>('a' + (i + data.size()) % 26));
  return MakeInput("k" + std::to_string(i % 7), data);
}

// A clock tests move by hand; safe from any thread.
class ManualClock {
 public:
  explicit ManualClock(int64_t start_ms) : now_(start_ms) {}
  int64_t Now() const { return now_.load(); }
  void Set(int64_t ms) { now_.store(ms); }
  void Advance(int64_t ms) { now_.fetch_add(ms); }
  ClockFn AsFn() {
    return [this] { return now_.load(); };
  }

 private:
  std::atomic<int64_t> now_;
};

inline std::vector<std::filesystem::path> SegmentFiles(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace osprey::streams::testing
