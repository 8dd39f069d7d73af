#include "tls/self_signed.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace osprey::server::tls {
namespace {

namespace fs = std::filesystem;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using Bio = std::unique_ptr<BIO, Free>;

constexpr long kDay = 86400;
constexpr long kCaDays = 3650;
constexpr long kCertDays = 397;   // the longest browsers accept for a server certificate
constexpr long kRenewDays = 30;

std::string OpenSslError(std::string_view what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

bool IsIp(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  Bio bio(BIO_new_file(path.c_str(), "rb"));
  if (!bio) return Status::IOError(OpenSslError("read " + path));
  std::string out;
  char buf[4096];
  int n;
  while ((n = BIO_read(bio.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

Bio MemBio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Whole file or nothing: a temporary file in the same directory, fsynced,
// then renamed over `path`.
Status WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::FromErrno("create " + tmp, errno);
  ::fchmod(fd, mode);  // whatever the umask
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::FromErrno("write " + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::FromErrno("sync " + tmp, errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno("rename " + tmp, err);
  }
  return Status::Ok();
}

std::string Pem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string Pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Status::Internal(OpenSslError("certificate extension " + value));
  }
  return Status::Ok();
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// A certificate for `key`, valid from an hour ago (clock skew) for `days`,
// issued by `issuer` (null: self-issued). Sign() it after the extensions.
Result<Cert> NewCert(EVP_PKEY* key, const std::string& common_name, long days, X509* issuer) {
  Cert cert(X509_new());
  std::unique_ptr<BIGNUM, Free> serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), 2) != 1 ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * kDay) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return Status::Internal(OpenSslError("new certificate"));
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Osprey"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return Status::Internal(OpenSslError("sign"));
  return Status::Ok();
}

Result<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return Status::Internal(OpenSslError("generate an EC key"));
  return key;
}

Status MakeCa(const SelfSignedFiles& files) {
  OSPREY_ASSIGN_OR_RETURN(Key key, NewKey());
  std::string host = HostName();
  OSPREY_ASSIGN_OR_RETURN(Cert ca, NewCert(key.get(),
                                           "Osprey local CA" + (host.empty() ? "" : " (" + host + ")"),
                                           kCaDays, nullptr));
  OSPREY_RETURN_IF_ERROR(AddExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  OSPREY_RETURN_IF_ERROR(AddExtension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  OSPREY_RETURN_IF_ERROR(AddExtension(ca.get(), ca.get(), NID_subject_key_identifier, "hash"));
  OSPREY_RETURN_IF_ERROR(Sign(ca.get(), key.get()));
  // Key first: a CA certificate without its key would be useless.
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(files.ca_key, Pem(key.get()), 0600));
  return WriteFileAtomically(files.ca_cert, Pem(ca.get()), 0644);
}

Status IssueCert(const SelfSignedFiles& files, X509* ca, EVP_PKEY* ca_key,
                 const std::vector<std::string>& names) {
  OSPREY_ASSIGN_OR_RETURN(Key key, NewKey());
  std::string common_name = names.empty() ? "localhost" : names.front();
  for (const std::string& n : names) {
    if (n != "localhost" && !IsIp(n)) {
      common_name = n;  // the host name reads better than "localhost"
      break;
    }
  }
  OSPREY_ASSIGN_OR_RETURN(Cert cert, NewCert(key.get(), common_name, kCertDays, ca));
  std::string sans;
  for (const std::string& n : names) {
    if (!sans.empty()) sans += ",";
    sans += (IsIp(n) ? "IP:" : "DNS:") + n;
  }
  OSPREY_RETURN_IF_ERROR(AddExtension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE"));
  OSPREY_RETURN_IF_ERROR(AddExtension(cert.get(), ca, NID_key_usage, "critical,digitalSignature"));
  OSPREY_RETURN_IF_ERROR(AddExtension(cert.get(), ca, NID_ext_key_usage, "serverAuth"));
  OSPREY_RETURN_IF_ERROR(AddExtension(cert.get(), ca, NID_subject_key_identifier, "hash"));
  OSPREY_RETURN_IF_ERROR(AddExtension(cert.get(), ca, NID_authority_key_identifier, "keyid:always"));
  OSPREY_RETURN_IF_ERROR(AddExtension(cert.get(), ca, NID_subject_alt_name, sans));
  OSPREY_RETURN_IF_ERROR(Sign(cert.get(), ca_key));
  OSPREY_RETURN_IF_ERROR(WriteFileAtomically(files.key, Pem(key.get()), 0600));
  return WriteFileAtomically(files.cert, Pem(cert.get()) + Pem(ca), 0644);
}

// True when the server certificate on disk can be served as it is.
bool CertStillGood(const SelfSignedFiles& files, X509* ca, const std::vector<std::string>& names) {
  auto cert_text = ReadSmallFile(files.cert);
  auto key_text = ReadSmallFile(files.key);
  if (!cert_text.ok() || !key_text.ok()) {
    ERR_clear_error();
    return false;
  }
  Bio cert_bio = MemBio(*cert_text), key_bio = MemBio(*key_text);
  Cert cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  bool good = cert && key && X509_check_private_key(cert.get(), key.get()) == 1 &&
              X509_verify(cert.get(), X509_get0_pubkey(ca)) == 1 &&
              ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()),
                                   std::time(nullptr) + kRenewDays * kDay) > 0;
  for (const std::string& n : names) {
    if (!good) break;
    good = IsIp(n) ? X509_check_ip_asc(cert.get(), n.c_str(), 0) == 1
                   : X509_check_host(cert.get(), n.c_str(), n.size(), X509_CHECK_FLAG_NO_WILDCARDS,
                                     nullptr) == 1;
  }
  ERR_clear_error();
  return good;
}

}  // namespace

std::vector<std::string> DefaultSubjectAltNames(const std::vector<std::string>& extra) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  std::vector<std::string> more = extra;
  more.insert(more.begin(), HostName());
  for (const std::string& n : more) {
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  return names;
}

Result<SelfSignedFiles> EnsureSelfSigned(const std::string& dir,
                                         const std::vector<std::string>& names) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  const std::string base = fs::absolute(dir, ec).lexically_normal().string();
  SelfSignedFiles files;
  files.ca_cert = base + "/ca.pem";
  files.ca_key = base + "/ca-key.pem";
  files.cert = base + "/server.pem";
  files.key = base + "/server-key.pem";

  if (!fs::exists(files.ca_cert) && !fs::exists(files.ca_key)) {
    OSPREY_RETURN_IF_ERROR(MakeCa(files));
    files.ca_created = true;
  }
  OSPREY_ASSIGN_OR_RETURN(std::string ca_text, ReadSmallFile(files.ca_cert));
  OSPREY_ASSIGN_OR_RETURN(std::string ca_key_text, ReadSmallFile(files.ca_key));
  Bio ca_bio = MemBio(ca_text), ca_key_bio = MemBio(ca_key_text);
  Cert ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
  Key ca_key(PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return Status::Corruption(files.ca_cert + " and " + files.ca_key +
                              " are not a CA certificate and its key; move them away to make a "
                              "new CA (clients must then trust the new ca.pem)");
  }
  if (files.ca_created || !CertStillGood(files, ca.get(), names)) {
    OSPREY_RETURN_IF_ERROR(IssueCert(files, ca.get(), ca_key.get(), names));
    files.cert_created = true;
  }
  return files;
}

}  // namespace osprey::server::tls
