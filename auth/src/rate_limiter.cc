#include "osprey/auth/rate_limiter.h"

#include <algorithm>

#include "osprey/auth/credentials.h"

namespace osprey::auth {

TokenBucket::TokenBucket(double requests_per_second, double burst, Clock::time_point now)
    : rate_(requests_per_second), burst_(std::max(1.0, burst)), tokens_(burst_), last_(now) {}

bool TokenBucket::TryTake(Clock::time_point now) {
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

RateLimiter::RateLimiter(const CredentialStore& store) {
  const auto now = TokenBucket::Clock::now();
  for (const AccessKey& key : store.keys()) {
    if (!key.rate_limit) continue;
    buckets_.emplace(key.access_key_id,
                     TokenBucket(key.rate_limit->requests_per_second, key.rate_limit->burst, now));
  }
}

bool RateLimiter::Admit(std::string_view access_key_id) {
  return Admit(access_key_id, TokenBucket::Clock::now());
}

bool RateLimiter::Admit(std::string_view access_key_id, TokenBucket::Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(access_key_id);
  return it == buckets_.end() || it->second.TryTake(now);
}

}  // namespace osprey::auth
