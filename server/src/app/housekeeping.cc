#include "app/housekeeping.h"

#include <algorithm>

#include "osprey/base/logging.h"

namespace osprey::server {

Housekeeping::~Housekeeping() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Housekeeping::Add(std::string name, std::chrono::milliseconds interval,
                       std::function<void()> task) {
  tasks_.push_back({std::move(name), interval, std::move(task), {}});
}

void Housekeeping::Start() {
  auto now = std::chrono::steady_clock::now();
  for (auto& t : tasks_) t.due = now + t.interval;
  thread_ = std::thread([this] { Loop(); });
}

void Housekeeping::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_ && !tasks_.empty()) {
    auto next = std::min_element(tasks_.begin(), tasks_.end(),
                                 [](const Task& a, const Task& b) { return a.due < b.due; });
    if (cv_.wait_until(lock, next->due, [this] { return stopping_; })) break;
    lock.unlock();
    auto started = std::chrono::steady_clock::now();
    next->run();
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (took > std::chrono::seconds(1)) {
      log::Warn("housekeeping", "slow task", {{"task", next->name}, {"ms", took.count()}});
    }
    next->due = std::chrono::steady_clock::now() + next->interval;
    lock.lock();
  }
}

}  // namespace osprey::server
