// CredentialStore: the access keys Osprey accepts, loaded from a TOML file.
//
// File format (exactly this; unknown keys are rejected, naming key and line):
//
//   # comments explaining usage
//   [[keys]]
//   access_key_id = "OSPR3K7Q9Z2M4X8C1V6B"
//   secret_access_key = "<40 characters>"
//
// Optional fields of an entry (README.md "Credentials file" has examples):
//
//   role = "camera"                 # admin | camera | viewer (policy.h)
//   streams = ["front-door"]        # where the role applies; default ["*"]
//   requests_per_second = 5         # token bucket rate, > 0
//   burst = 10                      # bucket size, >= 1; default
//                                   # max(1, requests_per_second)
//   [[keys.statement]]              # any number, after the entry's fields
//   effect = "Deny"                 # "Allow" | "Deny"
//   action = ["kinesisvideo:DeleteStream"]   # string or list of strings
//   resource = "*"                  # string or list of strings
//
// A key with neither role nor statements has no policy: it may do
// everything (the keys of files written before policies existed). A key
// with either gets the role's statements followed by its own.
//
// Rules: at least one [[keys]] entry; access_key_id 1..128 of [A-Za-z0-9_]
// and unique; secret_access_key 1..256 printable ASCII characters, no spaces;
// `streams` only with `role`; `burst` only with `requests_per_second`.
//
// LoadOrCreate() on a missing file creates it with one random key pair
// (id "OSPR" + 16 of [A-Z0-9], secret 40 of [A-Za-z0-9+/], from OpenSSL
// RAND_bytes), written atomically (temporary file, fsync, rename, fsync of
// the directory) with mode 0600, and says so, so that the server can print
// how to use the key. A file readable or writable by group or others is
// accepted with a warning the caller should log; this library never logs.
//
// Errors: IOError (cannot read, create or write; message has the path and
// strerror), InvalidArgument (malformed file; message "path:line: what").
//
// Thread safety: immutable after construction; every const method is safe
// from any thread. Pointers returned by Find() live as long as the store
// (moving a store keeps them valid).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/auth/policy.h"
#include "osprey/base/result.h"

namespace osprey::auth {

struct RateLimit {
  double requests_per_second = 0;
  double burst = 1;
};

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
  // Absent: full access. Present: evaluated with auth::Evaluate.
  std::optional<Policy> policy = std::nullopt;
  std::optional<RateLimit> rate_limit = std::nullopt;
  std::string role = {};  // as written, for logs; empty without one
};

struct LoadedCredentials;

class CredentialStore {
 public:
  // Reads `path`, or creates it as described above when it does not exist.
  static Result<LoadedCredentials> LoadOrCreate(const std::string& path);
  // Reads `path`; NotFound when it does not exist.
  static Result<LoadedCredentials> Load(const std::string& path);
  // Parses file contents; `source_name` prefixes error messages.
  static Result<CredentialStore> Parse(std::string_view toml_text, std::string_view source_name);
  // Validates and adopts `keys` (same rules as the file).
  static Result<CredentialStore> FromKeys(std::vector<AccessKey> keys);

  CredentialStore(CredentialStore&&) noexcept = default;
  CredentialStore& operator=(CredentialStore&&) noexcept = default;

  // The key with this id, or nullptr.
  const AccessKey* Find(std::string_view access_key_id) const;
  // All keys, sorted by access_key_id.
  const std::vector<AccessKey>& keys() const { return *keys_; }
  size_t size() const { return keys_->size(); }

  // The text LoadOrCreate writes for a new file holding `key` (exposed so
  // tests and docs show the real thing).
  static std::string RenderNewFile(const AccessKey& key);
  // A fresh random key pair. Internal on RAND_bytes failure.
  static Result<AccessKey> GenerateKey();
  // Replaces the file at `path` with `contents` the way LoadOrCreate
  // creates it (atomically, mode 0600), after checking that `contents`
  // parses (InvalidArgument, nothing written, when it does not). For tools
  // that edit the file (osprey-server keys add).
  static Status WriteFile(const std::string& path, std::string_view contents);

 private:
  explicit CredentialStore(std::vector<AccessKey> sorted_keys);
  // Behind a pointer so that AccessKey pointers survive moves.
  std::unique_ptr<const std::vector<AccessKey>> keys_;
};

struct LoadedCredentials {
  CredentialStore store;
  bool created = false;               // the file did not exist and was written
  std::vector<std::string> warnings;  // e.g. permissions; for the caller to log
};

}  // namespace osprey::auth
