// Helpers shared by the fragment store tests and the crash child: scratch
// directories, deterministic fragments, a blocking append.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments::testing {

// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "osprey_fstore_XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Fragment `index` of a deterministic sequence: its bytes name it, so any
// fragment read back can be checked alone. `salt` tells streams apart.
inline FragmentInput MakeFragment(uint64_t index, int64_t server_ms, int64_t producer_ms,
                                  const std::string& salt = "", size_t cluster_bytes = 200) {
  FragmentInput f;
  f.meta.index = index;
  f.meta.server_timestamp_ms = server_ms;
  f.meta.producer_timestamp_ms = producer_ms;
  f.meta.duration_ms = 2000;
  f.meta.cluster_timecode = static_cast<uint64_t>(producer_ms);
  f.stream_header = "hdr-" + salt;
  f.cluster = "cluster-" + salt + "-" + std::to_string(index) + "-";
  while (f.cluster.size() < cluster_bytes) {
    f.cluster.push_back(static_cast<char>('a' + (index * 7 + f.cluster.size()) % 26));
  }
  f.metadata = {{"idx", std::to_string(index)}, {"salt", salt}};
  f.meta.size_bytes = f.cluster.size();
  f.meta.content_hash = ContentHash(f.cluster);  // what the store keeps
  return f;
}

// A StoreOptions::sync hook that blocks every sync until Open(), so appends
// stay in the group commit (the original of a retry still in flight).
class SyncGate {
 public:
  std::function<Status(int)> Hook() {
    return [this](int) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return open_; });
      return Status::Ok();
    };
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

inline Status AppendAndWait(FragmentLog& log, FragmentInput f) {
  std::promise<Status> p;
  auto fut = p.get_future();
  log.AppendAsync(std::move(f), [&p](Status s) { p.set_value(std::move(s)); });
  return fut.get();
}

inline std::vector<std::filesystem::path> FilesWithExt(const std::string& dir,
                                                       const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace osprey::fragments::testing
