// Housekeeping: one background thread that runs the server's periodic
// tasks (retention sweeps of the fragment store and the stream engine), so
// that no engine needs its own timer thread and every task stops at one
// place during shutdown.
//
// Thread safety: Add() before Start(); the destructor stops the thread and
// waits for a running task to finish. Tasks run one at a time on the
// housekeeping thread and must not block for long (a sweep deletes files).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace osprey::server {

class Housekeeping {
 public:
  Housekeeping() = default;
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  // `task` runs every `interval`, the first time one interval after Start.
  void Add(std::string name, std::chrono::milliseconds interval, std::function<void()> task);
  void Start();

 private:
  struct Task {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<void()> run;
    std::chrono::steady_clock::time_point due;
  };
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::vector<Task> tasks_;
  std::thread thread_;
};

}  // namespace osprey::server
