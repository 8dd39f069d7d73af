// Child of the fragment store crash test (fragment_store_crash_test.cc):
// appends fragments to several streams until killed and prints one line
// "<stream> <index>" per acknowledged fragment, flushed, to stdout.
//
// Usage: fragment_store_crash_child <root> <streams>
// Every fragment's bytes derive from (stream, index) (CrashFragment), so the
// parent can check what it reads back without being told the contents.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "fragment_store_crash_common.h"

using namespace osprey::fragments;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <root> <streams>\n", argv[0]);
    return 2;
  }
  auto store = OpenFileFragmentStore(testing::CrashStoreOptions(argv[1]));
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 3;
  }
  const int streams = std::atoi(argv[2]);
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      const std::string id = testing::CrashStreamId(s);
      auto log = (*store)->OpenStream(id);
      if (!log.ok()) std::_Exit(4);
      std::atomic<int> inflight{0};
      for (;;) {
        while (inflight.load() >= 4) std::this_thread::sleep_for(std::chrono::microseconds(200));
        const uint64_t index = (*log)->ReserveIndex();
        ++inflight;
        (*log)->AppendAsync(testing::CrashFragment(id, index), [id, index, &inflight](
                                                                   osprey::Status st) {
          if (!st.ok()) {
            std::fprintf(stderr, "append %s %llu: %s\n", id.c_str(),
                         static_cast<unsigned long long>(index), st.ToString().c_str());
            std::_Exit(5);
          }
          // One write(2) per line: lines never interleave, and the parent
          // sees the ack before anything later can happen.
          const std::string line = id + " " + std::to_string(index) + "\n";
          if (::write(STDOUT_FILENO, line.data(), line.size()) !=
              static_cast<ssize_t>(line.size())) {
            std::_Exit(6);
          }
          --inflight;
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}
