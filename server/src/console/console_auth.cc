#include "console/console_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "osprey/base/file_util.h"
#include "osprey/base/logging.h"

namespace osprey::server::console {

namespace {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // Without randomness no session key can be trusted: stop rather than
    // serve a console anyone could forge cookies for.
    log::Error("console", "RAND_bytes failed");
    std::abort();
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I):
// about 114 bits, easy to read off a log line and type on a phone.
std::string GeneratePassword() {
  static constexpr std::string_view kAlphabet = "abcdefghijkmnopqrstuvwxyz23456789";
  std::string raw = RandomBytes(20);
  std::string out;
  for (unsigned char c : raw) out.push_back(kAlphabet[c % kAlphabet.size()]);
  return out;
}

}  // namespace

Result<LoadedPassword> LoadOrCreatePassword(const PasswordSource& source) {
  LoadedPassword loaded;
  if (!source.configured.empty()) {
    loaded.password = source.configured;
    return loaded;
  }
  loaded.path = source.data_dir + "/console-password";
  Result<std::string> text = ReadFile(loaded.path);
  if (text.ok()) {
    std::string p = *text;
    while (!p.empty() && (p.back() == '\n' || p.back() == '\r' || p.back() == ' ')) p.pop_back();
    if (p.empty()) return Status::InvalidArgument(loaded.path + " is empty: put a password in it "
                                                  "or delete it to have one generated");
    struct stat st {};
    if (::stat(loaded.path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      log::Warn("console", "password file is readable by other users; chmod 600 it",
                {{"file", loaded.path}});
    }
    loaded.password = std::move(p);
    return loaded;
  }
  if (text.status().code() != Status::Code::kNotFound) return text.status();
  loaded.password = GeneratePassword();
  AtomicWriteOptions options;
  options.mode = 0600;
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(loaded.path, loaded.password + "\n", options));
  loaded.created = true;
  return loaded;
}

ConsoleAuth::ConsoleAuth(std::string password, std::function<int64_t()> now_ms)
    : key_(RandomBytes(32)), now_ms_(std::move(now_ms)) {
  password_mac_ = Hmac(key_, password);
}

ConsoleAuth::SignIn ConsoleAuth::TrySignIn(std::string_view address, std::string_view password) {
  const int64_t now = now_ms_();
  SignIn out;
  {
    std::lock_guard lock(mu_);
    // Forget quiet addresses, so the map stays as small as the attack.
    for (auto it = failures_.begin(); it != failures_.end();) {
      if (now - it->second.last_ms > kForgetAfterMs && now >= it->second.locked_until_ms) {
        it = failures_.erase(it);
      } else {
        ++it;
      }
    }
    auto it = failures_.find(address);
    if (it != failures_.end() && it->second.locked_until_ms > now) {
      out.retry_after_ms = it->second.locked_until_ms - now;
      return out;
    }
    // Compared as MACs, in constant time: the answer's timing says nothing
    // about how much of the guess was right.
    if (!SameBytes(Hmac(key_, password), password_mac_)) {
      Failures& f = failures_[std::string(address)];
      f.count++;
      f.last_ms = now;
      if (f.count > kFreeFailures) {
        int shift = std::min(f.count - kFreeFailures, 20);
        f.locked_until_ms = now + std::min<int64_t>(int64_t{1000} << shift, kMaxLockoutMs);
      }
      return out;
    }
    if (it != failures_.end()) failures_.erase(it);
  }
  const int64_t expires = now + kSessionMs;
  const std::string payload = "v1." + std::to_string(expires) + "." + Hex(RandomBytes(16));
  out.ok = true;
  out.cookie = payload + "." + Sign(payload);
  return out;
}

std::string ConsoleAuth::Sign(std::string_view payload) const { return Hex(Hmac(key_, payload)); }

bool ConsoleAuth::Parse(std::string_view token, Parsed* out) const {
  if (token.size() > 256) return false;
  const size_t sig_at = token.rfind('.');
  if (sig_at == std::string_view::npos) return false;
  std::string_view payload = token.substr(0, sig_at);
  if (!SameBytes(token.substr(sig_at + 1), Sign(payload))) return false;
  // Signed by us, so the fields are ours; parse them anyway with care.
  if (!payload.starts_with("v1.")) return false;
  std::string_view rest = payload.substr(3);
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + dot, out->expires_ms);
  if (ec != std::errc() || p != rest.data() + dot) return false;
  out->nonce = std::string(rest.substr(dot + 1));
  return true;
}

bool ConsoleAuth::Valid(std::string_view token) const {
  Parsed parsed;
  if (!Parse(token, &parsed) || parsed.expires_ms <= now_ms_()) return false;
  std::lock_guard lock(mu_);
  return revoked_.find(parsed.nonce) == revoked_.end();
}

void ConsoleAuth::Revoke(std::string_view token) {
  Parsed parsed;
  if (!Parse(token, &parsed)) return;
  const int64_t now = now_ms_();
  std::lock_guard lock(mu_);
  std::erase_if(revoked_, [now](const auto& entry) { return entry.second <= now; });
  revoked_[parsed.nonce] = parsed.expires_ms;
}

std::string_view ConsoleAuth::FromCookieHeader(std::string_view header) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view part = header.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > kCookieName.size() && part.starts_with(kCookieName) &&
        part[kCookieName.size()] == '=') {
      return part.substr(kCookieName.size() + 1);
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace osprey::server::console
