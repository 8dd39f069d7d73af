// Hand-run throughput measurement of FileShardLog with real fdatasync (not
// a ctest, not Google Benchmark). Usage: streams_measure [dir]
//   1. one appender, batches of 500 records of 1 KiB
//   2. 16 concurrent appenders, 1 record of 1 KiB per append

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "osprey/base/logging.h"
#include "osprey/streams/file_shard_log.h"

using namespace osprey::streams;

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

RecordInput OneKiB(int i) {
  return RecordInput{"key-" + std::to_string(i % 100), std::nullopt, std::string(1024, 'x')};
}

}  // namespace

int main(int argc, char** argv) {
  osprey::log::SetLevel(osprey::log::Level::kWarn);
  const std::string base = argc > 1 ? argv[1] : "/tmp/osprey_streams_measure";
  std::filesystem::remove_all(base);
  {
    auto log = std::move(OpenFileShardLog(base + "/batch", LogOptions{}).value());
    const int kBatches = 100;
    auto t0 = std::chrono::steady_clock::now();
    for (int b = 0; b < kBatches; ++b) {
      std::vector<RecordInput> batch;
      for (int i = 0; i < 500; ++i) batch.push_back(OneKiB(i));
      if (!log->AppendAndWait(std::move(batch)).ok()) return 1;
    }
    double s = Seconds(t0);
    auto st = log->Stats();
    std::printf("batches of 500 x 1 KiB: %.0f records/s (%.1f MiB/s), %llu fsyncs, %.2f s\n",
                kBatches * 500 / s, kBatches * 500 / 1024.0 / s,
                static_cast<unsigned long long>(st.syncs), s);
  }
  {
    auto log = std::move(OpenFileShardLog(base + "/concurrent", LogOptions{}).value());
    const int kThreads = 16;
    const int kPerThread = 500;
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (!log->AppendAndWait({OneKiB(t)}).ok()) std::abort();
        }
      });
    }
    for (auto& th : threads) th.join();
    double s = Seconds(t0);
    auto st = log->Stats();
    std::printf(
        "16 appenders x 1 record of 1 KiB: %.0f records/s, %llu appends, %llu fsyncs "
        "(%.1f appends per fsync), %.2f s\n",
        kThreads * kPerThread / s, static_cast<unsigned long long>(st.appends),
        static_cast<unsigned long long>(st.syncs),
        static_cast<double>(st.appends) / static_cast<double>(st.syncs), s);
  }
  std::filesystem::remove_all(base);
  return 0;
}
