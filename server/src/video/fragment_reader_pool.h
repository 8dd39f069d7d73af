// FragmentReadPool: the few threads on which GetMedia and
// GetMediaForFragmentList read stored fragments, so that a read from disk
// (a cold fragment of a long history can take milliseconds) never runs on a
// connection strand or on the fragment store's syncer thread.
//
// One pool per process (Shared()), two threads: reads are short and each
// reader has at most one in flight, so readers take turns fairly.
//
// Thread safety: Post() from any thread. Tasks run in FIFO order on one of
// the pool's threads; they must not block on each other.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace osprey::server::video {

class FragmentReadPool {
 public:
  explicit FragmentReadPool(int threads);
  // Runs the tasks already queued, then joins the threads.
  ~FragmentReadPool();
  FragmentReadPool(const FragmentReadPool&) = delete;
  FragmentReadPool& operator=(const FragmentReadPool&) = delete;

  // The process-wide pool. Created on first use and never destroyed: readers
  // (held by connections, subscriptions and queued tasks) may outlive any
  // owner we could give it, and an idle pool thread at exit is harmless.
  static FragmentReadPool& Shared();

  void Post(std::function<void()> task);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // GUARDED_BY(mu_)
  bool stop_ = false;                        // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace osprey::server::video
