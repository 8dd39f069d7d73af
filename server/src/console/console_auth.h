// ConsoleAuth: who may use the web console (docs/security.md "Web
// console"). One shared password, never an AWS key: the browser trades it
// at POST /console/api/signin for a session cookie, and every
// /console/api/* call presents that cookie.
//
// The cookie is "v1.<expires ms>.<nonce hex>.<HMAC-SHA256 hex>" under a key
// of 32 random bytes made when the server starts, so a restart signs every
// browser out and nothing on disk can mint a session. Sign-out revokes the
// nonce until the cookie would have expired anyway.
//
// Guessing is slowed per client address: the first kFreeFailures wrong
// passwords are answered at once; each later one locks the address out for
// 2^(n - kFreeFailures) s, at most kMaxLockout, during which every attempt
// (even the right password) gets ResourceExhausted. A success clears the
// count; an address forgets its failures kForgetAfter after the last one.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::server::console {

inline constexpr std::string_view kCookieName = "osprey_console";
inline constexpr int64_t kSessionMs = 12 * 3600'000LL;
inline constexpr int kFreeFailures = 5;
inline constexpr int64_t kMaxLockoutMs = 15 * 60'000LL;
inline constexpr int64_t kForgetAfterMs = 15 * 60'000LL;

// Where the password comes from. `configured` (the console_password
// option) wins; otherwise DATA_DIR/console-password is read, or created
// with a fresh random password (mode 0600) when absent.
struct PasswordSource {
  std::string configured;
  std::string data_dir;
};

struct LoadedPassword {
  std::string password;
  std::string path;      // the file, when it came from one
  bool created = false;  // just generated: the caller prints it once
};

// IOError when the file cannot be read or written; InvalidArgument when
// the file is empty.
Result<LoadedPassword> LoadOrCreatePassword(const PasswordSource& source);

class ConsoleAuth {
 public:
  // `now_ms` is the clock (epoch ms); tests pass their own.
  ConsoleAuth(std::string password, std::function<int64_t()> now_ms);

  struct SignIn {
    bool ok = false;
    std::string cookie;       // when ok: the Set-Cookie value's token
    int64_t retry_after_ms = 0;  // > 0: locked out (answer 429)
  };
  // Checks `password` for the client at `address` (an IP, no port).
  SignIn TrySignIn(std::string_view address, std::string_view password);

  // True when `token` is a cookie this process issued, unexpired and not
  // signed out.
  bool Valid(std::string_view token) const;
  // Signs the session out (no-op for an invalid token).
  void Revoke(std::string_view token);

  // The cookie token from a Cookie header value ("a=b; osprey_console=...").
  static std::string_view FromCookieHeader(std::string_view header);

 private:
  struct Parsed {
    int64_t expires_ms = 0;
    std::string nonce;
  };
  bool Parse(std::string_view token, Parsed* out) const;
  std::string Sign(std::string_view payload) const;

  std::string key_;            // 32 random bytes
  std::string password_mac_;   // HMAC(key, password): compared in constant time
  std::function<int64_t()> now_ms_;

  struct Failures {
    int count = 0;
    int64_t last_ms = 0;
    int64_t locked_until_ms = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Failures, std::less<>> failures_;  // GUARDED_BY(mu_)
  std::map<std::string, int64_t, std::less<>> revoked_;    // nonce -> expiry; GUARDED_BY(mu_)
};

}  // namespace osprey::server::console
