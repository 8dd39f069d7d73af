// CredentialStore: lookup, validation, key generation and the file I/O of
// LoadOrCreate. The TOML parsing is in credentials_toml.cc, alone, because
// toml++ is slow to compile.
#include "osprey/auth/credentials.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "credentials_internal.h"
#include "text.h"

namespace osprey::auth {
namespace {

// Far above any real key list; stops a mistaken path (a log, a disk image)
// from being read into memory.
constexpr off_t kMaxFileSize = 1 << 20;

bool IsKeyIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// `n` characters drawn uniformly from `alphabet` with OpenSSL's CSPRNG.
Result<std::string> RandomChars(size_t n, std::string_view alphabet) {
  // Rejection sampling: a byte at or above `limit` would favour the first
  // characters of the alphabet, so it is drawn again.
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  unsigned char buf[64];
  while (out.size() < n) {
    if (RAND_bytes(buf, sizeof(buf)) != 1) {
      return Status::Internal("OpenSSL RAND_bytes failed: cannot generate an access key");
    }
    for (unsigned char b : buf) {
      if (b < limit && out.size() < n) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  OPENSSL_cleanse(buf, sizeof(buf));
  return out;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("cannot write " + path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Writes `contents` to `path` so that a crash leaves either no file or the
// whole file: temporary file in the same directory, fsync, rename, fsync of
// the directory so the rename itself is durable.
Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".tmp.XXXXXX";
  // mkostemp creates the file with mode 0600 and O_EXCL.
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("cannot create credentials file " + path, errno);
  Status status = WriteAll(fd, contents, tmp);
  if (status.ok() && ::fchmod(fd, 0600) != 0) status = Status::FromErrno("chmod " + tmp, errno);
  if (status.ok() && ::fsync(fd) != 0) status = Status::FromErrno("fsync " + tmp, errno);
  if (::close(fd) != 0 && status.ok()) status = Status::FromErrno("close " + tmp, errno);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Status::FromErrno("cannot rename " + tmp + " to " + path, errno);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Status::FromErrno("cannot open directory " + dir, errno);
  // Some file systems cannot fsync a directory (EINVAL); the file is
  // written either way.
  const int rc = ::fsync(dir_fd);
  const int err = errno;
  ::close(dir_fd);
  if (rc != 0 && err != EINVAL) return Status::FromErrno("fsync " + dir, err);
  return Status::Ok();
}

}  // namespace

namespace internal {

std::string CheckAccessKeyId(std::string_view id) {
  if (id.empty() || id.size() > 128 || !std::all_of(id.begin(), id.end(), IsKeyIdChar)) {
    return "access_key_id '" + Excerpt(id) + "' must be 1 to 128 of [A-Za-z0-9_]";
  }
  return {};
}

std::string CheckSecretAccessKey(std::string_view secret) {
  if (secret.empty() || secret.size() > 256 ||
      !std::all_of(secret.begin(), secret.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return "secret_access_key must be 1 to 256 printable ASCII characters without spaces";
  }
  return {};
}

}  // namespace internal

CredentialStore::CredentialStore(std::vector<AccessKey> sorted_keys)
    : keys_(std::make_unique<const std::vector<AccessKey>>(std::move(sorted_keys))) {}

Result<CredentialStore> CredentialStore::FromKeys(std::vector<AccessKey> keys) {
  if (keys.empty()) return Status::InvalidArgument("no access keys");
  for (const AccessKey& key : keys) {
    std::string error = internal::CheckAccessKeyId(key.access_key_id);
    if (error.empty()) error = internal::CheckSecretAccessKey(key.secret_access_key);
    if (!error.empty()) return Status::InvalidArgument(error);
  }
  std::sort(keys.begin(), keys.end(), [](const AccessKey& a, const AccessKey& b) {
    return a.access_key_id < b.access_key_id;
  });
  for (size_t i = 1; i < keys.size(); ++i) {
    if (keys[i].access_key_id == keys[i - 1].access_key_id) {
      return Status::InvalidArgument("access_key_id '" + keys[i].access_key_id +
                                     "' appears more than once");
    }
  }
  return CredentialStore(std::move(keys));
}

const AccessKey* CredentialStore::Find(std::string_view access_key_id) const {
  auto it = std::lower_bound(
      keys_->begin(), keys_->end(), access_key_id,
      [](const AccessKey& key, std::string_view id) { return key.access_key_id < id; });
  if (it == keys_->end() || it->access_key_id != access_key_id) return nullptr;
  return &*it;
}

Result<AccessKey> CredentialStore::GenerateKey() {
  OSPREY_ASSIGN_OR_RETURN(std::string id_tail,
                          RandomChars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
  OSPREY_ASSIGN_OR_RETURN(
      std::string secret,
      RandomChars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
  AccessKey key;
  key.access_key_id = "OSPR" + id_tail;
  key.secret_access_key = std::move(secret);
  return key;
}

std::string CredentialStore::RenderNewFile(const AccessKey& key) {
  return "# Osprey access keys.\n"
         "#\n"
         "# Clients sign their requests with AWS Signature Version 4 using one of the\n"
         "# key pairs below, exactly as they would use AWS credentials:\n"
         "#   export AWS_ACCESS_KEY_ID=" + key.access_key_id + "\n"
         "#   export AWS_SECRET_ACCESS_KEY=<its secret_access_key>\n"
         "#   aws kinesis list-streams --endpoint-url http://<osprey-host>:<port>\n"
         "# Add a [[keys]] entry per client or device (osprey-server keys add does it;\n"
         "# role = \"camera\" / \"viewer\" limits a key, see docs/security.md), then\n"
         "# restart Osprey or send it SIGHUP to apply, and keep this file private\n"
         "# (chmod 600): its secrets let anyone sign requests.\n"
         "\n"
         "[[keys]]\n"
         "access_key_id = \"" + key.access_key_id + "\"\n"
         "secret_access_key = \"" + key.secret_access_key + "\"\n";
}

Result<LoadedCredentials> CredentialStore::Load(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("credentials file " + path + " does not exist");
    return Status::FromErrno("cannot open credentials file " + path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("cannot stat " + path, err);
  }
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxFileSize) {
    ::close(fd);
    return Status::InvalidArgument("credentials file " + path +
                                   " is not a regular file of at most 1 MiB");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      return Status::FromErrno("cannot read " + path, err);
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);

  OSPREY_ASSIGN_OR_RETURN(CredentialStore store, Parse(text, path));
  LoadedCredentials loaded{std::move(store), false, {}};
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    loaded.warnings.push_back("credentials file " + path + " is accessible by group or others (mode " +
                              mode + "); anyone who can read it can sign requests: chmod 600 " +
                              path);
  }
  return loaded;
}

Status CredentialStore::WriteFile(const std::string& path, std::string_view contents) {
  OSPREY_RETURN_IF_ERROR(Parse(contents, path).status());
  return WriteFileAtomically(path, contents);
}

Result<LoadedCredentials> CredentialStore::LoadOrCreate(const std::string& path) {
  Result<LoadedCredentials> existing = Load(path);
  if (existing.ok() || existing.status().code() != Status::Code::kNotFound) return existing;
  OSPREY_ASSIGN_OR_RETURN(AccessKey key, GenerateKey());
  const std::string contents = RenderNewFile(key);
  OPENSSL_cleanse(key.secret_access_key.data(), key.secret_access_key.size());
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(path, contents));
  // Read back what was written: the same path every later start takes.
  OSPREY_ASSIGN_OR_RETURN(LoadedCredentials created, Load(path));
  created.created = true;
  return created;
}

}  // namespace osprey::auth
