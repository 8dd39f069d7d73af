// TlsChannel: the TLS half of an https:// HttpConnection, on a socket that
// is already connected. OpenSSL stays in tls_channel.cc; nothing public
// names it.
//
// Verification is always on: the peer's chain must lead to a CA in
// `ca_file` (or the system store when it is empty) and the certificate must
// name the host we dialled (a DNS SAN, or an IP SAN for an address).
//
// Threading: one thread may Write() while another Read()s, as HttpConnection
// promises (PutMedia sends fragments while reading acks). OpenSSL forbids two
// threads inside one SSL object at once, so the socket is non-blocking, each
// SSL call runs under a mutex, and the waiting (poll) happens outside it.
// Abort() of the socket (shutdown(2)) from any thread wakes both.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::client {

class TlsChannel {
 public:
  ~TlsChannel();

  // Handshakes on the connected socket `fd` (not owned; must outlive the
  // channel) within `handshake_timeout`; later reads and writes wait at most
  // `io_timeout` for the socket. Errors: InvalidArgument for an unreadable
  // ca_file; Unavailable for a failed handshake, whose message names the
  // reason ("certificate verification failed for host:port: self-signed
  // certificate in certificate chain"); DeadlineExceeded past the timeout.
  static Result<std::unique_ptr<TlsChannel>> Handshake(int fd, const std::string& host,
                                                       uint16_t port, const std::string& ca_file,
                                                       std::chrono::milliseconds handshake_timeout,
                                                       std::chrono::milliseconds io_timeout);

  Status WriteAll(std::string_view bytes);
  // Up to `size` bytes; 0 when the peer closed the connection.
  Result<size_t> Read(char* out, size_t size);

  struct State;

 private:
  explicit TlsChannel(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace osprey::client
