// Per-key request rate limits: a token bucket for each access key that has
// a `requests_per_second` in the credentials file.
//
// A bucket holds at most `burst` tokens and gains `requests_per_second`
// tokens per second; each admitted request takes one. A request finding
// less than one token is refused and takes nothing, so a client that backs
// off gets through again after 1 / requests_per_second.
//
// Thread safety: TokenBucket is a value for one thread; RateLimiter is safe
// from any thread (one mutex, held for a few arithmetic operations).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace osprey::auth {

class CredentialStore;

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  // Starts full.
  TokenBucket(double requests_per_second, double burst, Clock::time_point now);
  // True (and one token taken) when a token is available at `now`.
  bool TryTake(Clock::time_point now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

class RateLimiter {
 public:
  // One bucket per key of `store` that has a rate limit.
  explicit RateLimiter(const CredentialStore& store);
  // True when `access_key_id` may make one more request now (always true
  // for a key without a limit or an unknown key).
  bool Admit(std::string_view access_key_id);
  bool Admit(std::string_view access_key_id, TokenBucket::Clock::time_point now);

 private:
  std::mutex mu_;
  std::map<std::string, TokenBucket, std::less<>> buckets_;  // GUARDED_BY(mu_)
};

}  // namespace osprey::auth
