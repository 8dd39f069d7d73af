// AuthKeys: the access keys osprey-server verifies signatures against, with
// their policies and rate limits, replaceable while the server runs.
//
// Each Snapshot is immutable except for its rate-limit buckets; a request
// takes the current one (an atomic shared_ptr load) and keeps it for as long
// as it needs, so a reload never pulls a key from under a request being
// verified. Reload() re-reads credentials.toml; a file that does not parse
// leaves the running keys in place (the error is returned for the log).
//
// HangupWatcher runs a callback on its own thread for each SIGHUP (the
// signal handler only writes a byte to a pipe), so that an operator's
// `systemctl reload osprey-server` / `kill -HUP` re-reads the keys and
// reopens the audit log.
//
// Thread safety: current() and Reload() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "osprey/auth/credentials.h"
#include "osprey/auth/rate_limiter.h"
#include "osprey/auth/verifier.h"
#include "osprey/base/result.h"

namespace osprey::server {

class AuthKeys {
 public:
  struct Snapshot {
    explicit Snapshot(auth::CredentialStore s)
        : store(std::move(s)), verifier(&store), limiter(store) {}
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

    const auth::CredentialStore store;
    const auth::Verifier verifier;  // points into `store`
    auth::RateLimiter limiter;
  };

  // Takes over the keys read at start from `path`.
  AuthKeys(std::string path, auth::CredentialStore initial);

  std::shared_ptr<Snapshot> current() const { return current_.load(); }
  // The store alone, sharing ownership of its snapshot.
  std::shared_ptr<const auth::CredentialStore> store() const;

  // Re-reads the file. On success the new keys apply to every request that
  // starts afterwards (rate-limit buckets start full); on failure nothing
  // changes. Returns the warnings of the load (e.g. file mode).
  Result<std::vector<std::string>> Reload();

 private:
  const std::string path_;
  std::atomic<std::shared_ptr<Snapshot>> current_;
};

class HangupWatcher {
 public:
  // Installs the SIGHUP handler and starts the thread. IOError when no pipe.
  static Result<std::unique_ptr<HangupWatcher>> Start(std::function<void()> on_hangup);
  // Stops the thread; SIGHUP goes back to being ignored.
  ~HangupWatcher();

 private:
  HangupWatcher(int read_fd, std::function<void()> on_hangup);
  void Run();

  int read_fd_;
  std::function<void()> on_hangup_;
  std::thread thread_;
};

}  // namespace osprey::server
