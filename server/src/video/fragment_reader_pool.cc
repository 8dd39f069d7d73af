#include "video/fragment_reader_pool.h"

namespace osprey::server::video {

FragmentReadPool::FragmentReadPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

FragmentReadPool::~FragmentReadPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

FragmentReadPool& FragmentReadPool::Shared() {
  static FragmentReadPool* pool = new FragmentReadPool(2);  // intentionally leaked
  return *pool;
}

void FragmentReadPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void FragmentReadPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace osprey::server::video
