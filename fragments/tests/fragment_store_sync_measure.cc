// Hand-run measurement behind the fragment store's sync strategy (not a
// ctest). One group commit makes many files durable at once: is one
// fdatasync per dirty file or one syncfs(2) on the filesystem cheaper?
//
// Usage: fragment_store_sync_measure [dir] [rounds]
// For each (files, bytes per file) it appends `bytes` to every file (two
// files per stream: media and index, as the store does) and times
//   a. fdatasync of every dirty file, one after the other (one thread);
//   b. one syncfs on the directory.
// Prints the median and worst round, in milliseconds. Then the same through
// the store: every stream appends one fragment at once, timed until the last
// ack, with syncfs_min_files 0 (fdatasync per file) and 8 (the default).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "osprey/base/logging.h"
#include "osprey/fragments/fragment_store.h"

namespace {

double Ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      std::perror("write");
      std::exit(1);
    }
    off += static_cast<size_t>(n);
  }
}

struct Stat {
  double median;
  double worst;
};

Stat Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.back()};
}

// Milliseconds from submitting one fragment per stream to the last ack.
double StoreRound(std::vector<std::shared_ptr<osprey::fragments::FragmentLog>>& logs,
                  size_t bytes) {
  std::atomic<size_t> acked{0};
  auto t0 = std::chrono::steady_clock::now();
  for (auto& log : logs) {
    osprey::fragments::FragmentInput f;
    f.meta.index = log->ReserveIndex();
    f.meta.server_timestamp_ms = static_cast<int64_t>(f.meta.index / 1000);
    f.cluster.assign(bytes, 'c');
    log->AppendAsync(std::move(f), [&acked](const osprey::Status&) { ++acked; });
  }
  while (acked.load() < logs.size()) std::this_thread::sleep_for(std::chrono::microseconds(100));
  return Ms(t0);
}

void MeasureStore(const std::string& root, int rounds) {
  osprey::log::SetLevel(osprey::log::Level::kWarn);
  std::printf("\nthrough the store, one 512 KiB fragment per stream per round\n");
  std::printf("%8s %14s %14s %14s %14s\n", "streams", "per_file_med", "per_file_max",
              "syncfs_med", "syncfs_max");
  for (int streams : {10, 50, 200}) {
    Stat stats[2];
    for (int mode = 0; mode < 2; ++mode) {
      std::filesystem::remove_all(root);
      osprey::fragments::StoreOptions o;
      o.root = root;
      o.syncfs_min_files = mode == 0 ? 0 : 8;
      auto store = osprey::fragments::OpenFileFragmentStore(o);
      if (!store.ok()) std::exit(1);
      std::vector<std::shared_ptr<osprey::fragments::FragmentLog>> logs;
      for (int s = 0; s < streams; ++s) {
        logs.push_back(std::move((*store)->OpenStream("s" + std::to_string(s))).value());
      }
      StoreRound(logs, 512 << 10);  // warm-up: creates every segment
      std::vector<double> v;
      for (int r = 0; r < rounds; ++r) v.push_back(StoreRound(logs, 512 << 10));
      stats[mode] = Summarise(v);
    }
    std::printf("%8d %14.1f %14.1f %14.1f %14.1f\n", streams, stats[0].median, stats[0].worst,
                stats[1].median, stats[1].worst);
    std::fflush(stdout);
  }
  std::filesystem::remove_all(root);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root =
      (argc > 1 ? std::string(argv[1]) : std::filesystem::temp_directory_path().string()) +
      "/osprey_sync_measure";
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  std::printf("%8s %10s %14s %14s %14s %14s\n", "streams", "bytes", "fdatasync_med",
              "fdatasync_max", "syncfs_med", "syncfs_max");
  for (int streams : {1, 10, 50, 200, 500}) {
    for (size_t bytes : {size_t{64} << 10, size_t{512} << 10}) {
      std::vector<int> fds;
      for (int i = 0; i < streams * 2; ++i) {
        std::string path = root + "/f" + std::to_string(i);
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
          std::perror("open");
          return 1;
        }
        fds.push_back(fd);
      }
      ::syncfs(fds[0]);
      const std::string media(bytes, 'm');
      const std::string index(64, 'i');
      std::vector<double> per_fd;
      std::vector<double> fs;
      for (int r = 0; r < rounds; ++r) {
        for (int strategy = 0; strategy < 2; ++strategy) {
          for (size_t i = 0; i < fds.size(); ++i) WriteAll(fds[i], i % 2 == 0 ? media : index);
          auto t0 = std::chrono::steady_clock::now();
          if (strategy == 0) {
            for (int fd : fds) ::fdatasync(fd);
            per_fd.push_back(Ms(t0));
          } else {
            ::syncfs(fds[0]);
            fs.push_back(Ms(t0));
          }
        }
      }
      Stat a = Summarise(per_fd);
      Stat b = Summarise(fs);
      std::printf("%8d %10zu %14.1f %14.1f %14.1f %14.1f\n", streams, bytes, a.median, a.worst,
                  b.median, b.worst);
      std::fflush(stdout);
      for (int fd : fds) ::close(fd);
      std::filesystem::remove_all(root);
      std::filesystem::create_directories(root);
    }
  }
  std::filesystem::remove_all(root);
  MeasureStore(root, rounds);
  return 0;
}
