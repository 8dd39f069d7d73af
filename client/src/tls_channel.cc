#include "tls_channel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace osprey::client {
namespace {

using Clock = std::chrono::steady_clock;

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// One context per CA file for the whole process: loading the system store
// parses a few hundred certificates, too slow to repeat on every call
// (osprey-ml posts one JSON call per event). Contexts are never freed.
Result<SSL_CTX*> ContextFor(const std::string& ca_file) {
  static std::mutex mu;
  static std::map<std::string, SSL_CTX*>* contexts = new std::map<std::string, SSL_CTX*>();
  std::lock_guard lock(mu);
  if (auto it = contexts->find(ca_file); it != contexts->end()) return it->second;
  if (!ca_file.empty() && !std::ifstream(ca_file).good()) {
    return Status::InvalidArgument("cannot read the CA file " + ca_file + ": " +
                                   std::strerror(errno));
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status::Internal("SSL_CTX_new: " + OpenSslError());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // PutMedia writes while another thread reads: partial writes let WriteAll
  // drop the lock between records; our HTTP framing (Content-Length,
  // chunked) already detects truncation, so a missing close_notify is EOF.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                           : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  if (ok != 1) {
    std::string why = OpenSslError();
    SSL_CTX_free(ctx);
    if (ca_file.empty()) return Status::Internal("cannot load the system CA store: " + why);
    return Status::InvalidArgument("cannot load the CA file " + ca_file + ": " + why);
  }
  contexts->emplace(ca_file, ctx);
  return ctx;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

struct TlsChannel::State {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer;  // host:port, for messages
  std::chrono::milliseconds io_timeout{0};
  std::mutex mu;  // one thread inside `ssl` at a time

  ~State() {
    if (ssl != nullptr) SSL_free(ssl);
  }

  // Waits for the socket to be readable (`want_read`) or writable. Outside
  // `mu`, so the other direction can proceed meanwhile.
  Status Wait(bool want_read, Clock::time_point deadline, std::string_view what) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Status::DeadlineExceeded(std::string(what) + " timed out");
      pollfd p{fd, static_cast<short>(want_read ? POLLIN : POLLOUT), 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc > 0) return Status::Ok();  // readable, writable, or hung up: the SSL call says which
      if (rc == 0) return Status::DeadlineExceeded(std::string(what) + " timed out");
      if (errno != EINTR) return Status::FromErrno("poll", errno);
    }
  }

  // Runs one SSL call under the lock; >0 is progress, else the SSL error.
  template <class F>
  std::pair<int, int> Call(F f) {
    std::lock_guard lock(mu);
    ERR_clear_error();
    errno = 0;
    int n = f();
    return {n, n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, n)};
  }

  Status Failure(int err, std::string_view what) {
    if (err == SSL_ERROR_SYSCALL) {
      if (errno == 0) return Status::Unavailable("connection closed by the server");
      return Status::FromErrno(std::string(what), errno);
    }
    if (err == SSL_ERROR_ZERO_RETURN) return Status::Unavailable("connection closed by the server");
    return Status::Unavailable("TLS " + std::string(what) + " with " + peer + ": " + OpenSslError());
  }
};

TlsChannel::TlsChannel(std::unique_ptr<State> state) : state_(std::move(state)) {}
TlsChannel::~TlsChannel() = default;

Result<std::unique_ptr<TlsChannel>> TlsChannel::Handshake(int fd, const std::string& host,
                                                          uint16_t port,
                                                          const std::string& ca_file,
                                                          std::chrono::milliseconds handshake_timeout,
                                                          std::chrono::milliseconds io_timeout) {
  OSPREY_ASSIGN_OR_RETURN(SSL_CTX * ctx, ContextFor(ca_file));
  auto state = std::make_unique<State>();
  state->fd = fd;
  state->peer = host + ":" + std::to_string(port);
  state->io_timeout = io_timeout;
  state->ssl = SSL_new(ctx);
  if (state->ssl == nullptr) return Status::Internal("SSL_new: " + OpenSslError());
  SSL* ssl = state->ssl;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (IsIpLiteral(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI: names only, never addresses
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(ssl, kAlpn, sizeof kAlpn);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  SSL_set_fd(ssl, fd);

  const auto deadline = Clock::now() + handshake_timeout;
  for (;;) {
    auto [n, err] = state->Call([ssl] { return SSL_connect(ssl); });
    if (n == 1) break;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      OSPREY_RETURN_IF_ERROR(
          state->Wait(err == SSL_ERROR_WANT_READ, deadline, "TLS handshake with " + state->peer));
      continue;
    }
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return Status::Unavailable("certificate verification failed for " + state->peer + ": " +
                                 X509_verify_cert_error_string(verify) +
                                 (ca_file.empty() ? " (not trusted by the system CA store)"
                                                  : " (CA file " + ca_file + ")"));
    }
    return state->Failure(err, "handshake");
  }
  return std::unique_ptr<TlsChannel>(new TlsChannel(std::move(state)));
}

Status TlsChannel::WriteAll(std::string_view bytes) {
  State& s = *state_;
  while (!bytes.empty()) {
    const auto deadline = Clock::now() + s.io_timeout;
    int chunk = static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20));
    auto [n, err] = s.Call([&] { return SSL_write(s.ssl, bytes.data(), chunk); });
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      Status w = s.Wait(err == SSL_ERROR_WANT_READ, deadline, "send");
      if (!w.ok()) return w;
      continue;
    }
    return s.Failure(err, "send");
  }
  return Status::Ok();
}

Result<size_t> TlsChannel::Read(char* out, size_t size) {
  State& s = *state_;
  const auto deadline = Clock::now() + s.io_timeout;
  for (;;) {
    auto [n, err] = s.Call([&] { return SSL_read(s.ssl, out, static_cast<int>(size)); });
    if (n > 0) return static_cast<size_t>(n);
    if (err == SSL_ERROR_ZERO_RETURN) return size_t{0};
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      OSPREY_RETURN_IF_ERROR(s.Wait(err == SSL_ERROR_WANT_READ, deadline, "read"));
      continue;
    }
    if (err == SSL_ERROR_SYSCALL && errno == 0) return size_t{0};
    return s.Failure(err, "read");
  }
}

}  // namespace osprey::client
