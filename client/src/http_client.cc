#include "osprey/client/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tls_channel.h"

namespace osprey::client {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void SetTimeout(int fd, int opt, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

}  // namespace

Result<Url> ParseEndpoint(std::string_view endpoint) {
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  Url url;
  std::string_view rest;
  if (endpoint.substr(0, kHttp.size()) == kHttp) {
    rest = endpoint.substr(kHttp.size());
  } else if (endpoint.substr(0, kHttps.size()) == kHttps) {
    rest = endpoint.substr(kHttps.size());
    url.tls = true;
    url.port = 443;
  } else {
    return Status::InvalidArgument("endpoint must be http://host[:port] or https://host[:port]");
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.find_first_not_of('/', slash) != std::string_view::npos) {
      return Status::InvalidArgument("endpoint must not have a path");
    }
    rest = rest.substr(0, slash);
  }
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    std::string port(rest.substr(colon + 1));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p <= 0 || p > 65535) {
      return Status::InvalidArgument("bad port in endpoint");
    }
    url.port = static_cast<uint16_t>(p);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Status::InvalidArgument("endpoint has no host");
  url.host = std::string(rest);
  return url;
}

std::string ResponseHead::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

Result<std::string> SignedRequestHead(std::string_view method, std::string_view path,
                                      const HeaderList& headers, const HeaderList& unsigned_headers,
                                      std::string_view payload_hash,
                                      const auth::Credentials& credentials,
                                      std::string_view region, std::string_view service) {
  std::vector<auth::HeaderField> fields;
  for (const auto& [k, v] : headers) fields.push_back({k, v});
  auth::RequestView view{method, path, fields};
  auth::SigningOptions options{std::string(region), std::string(service),
                               std::chrono::system_clock::now()};
  OSPREY_ASSIGN_OR_RETURN(auth::SignedRequest signed_request,
                          auth::SignRequest(view, payload_hash, credentials, options));
  std::string head = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  for (const auto& [k, v] : signed_request.headers_to_add) head += k + ": " + v + "\r\n";
  for (const auto& [k, v] : unsigned_headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  return head;
}

HttpConnection::HttpConnection(int fd, std::unique_ptr<TlsChannel> tls)
    : fd_(fd), tls_(std::move(tls)) {}

HttpConnection::~HttpConnection() {
  tls_.reset();  // before the descriptor it uses
  ::close(fd_);
}

Result<std::unique_ptr<HttpConnection>> HttpConnection::Connect(
    const Url& url, std::chrono::milliseconds timeout, std::chrono::milliseconds io_timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return Status::Unavailable("resolve " + url.host + ": " + gai_strerror(rc));
  }
  Status last = Status::Unavailable("no address for " + url.host);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 ? 0 : -1;
      int err = ETIMEDOUT;
      socklen_t len = sizeof(err);
      if (rc == 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (rc != 0 || err != 0) {
        errno = err;
        rc = -1;
      }
    }
    if (rc != 0) {
      last = Status::Unavailable("connect " + url.host + ":" + port + ": " + std::strerror(errno));
      ::close(fd);
      continue;
    }
    ::freeaddrinfo(res);
    int flags = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &flags, sizeof(flags));
    if (url.tls) {
      // TLS keeps the socket non-blocking and waits in poll() itself.
      Result<std::unique_ptr<TlsChannel>> tls =
          TlsChannel::Handshake(fd, url.host, url.port, url.ca_file, timeout, io_timeout);
      if (!tls.ok()) {
        ::close(fd);
        return tls.status();
      }
      return std::unique_ptr<HttpConnection>(new HttpConnection(fd, std::move(tls).value()));
    }
    // Back to blocking, with timeouts.
    int fl = 0;
    ::ioctl(fd, FIONBIO, &fl);
    SetTimeout(fd, SO_RCVTIMEO, io_timeout);
    SetTimeout(fd, SO_SNDTIMEO, io_timeout);
    return std::unique_ptr<HttpConnection>(new HttpConnection(fd, nullptr));
  }
  ::freeaddrinfo(res);
  return last;
}

Status HttpConnection::SendAll(std::string_view bytes) {
  if (tls_) return tls_->WriteAll(bytes);
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::DeadlineExceeded("send timed out");
      return Status::FromErrno("send", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status HttpConnection::SendChunk(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  char size[24];
  std::snprintf(size, sizeof(size), "%zx\r\n", bytes.size());
  OSPREY_RETURN_IF_ERROR(SendAll(size));
  OSPREY_RETURN_IF_ERROR(SendAll(bytes));
  return SendAll("\r\n");
}

Status HttpConnection::SendLastChunk() { return SendAll("0\r\n\r\n"); }

void HttpConnection::Abort() { ::shutdown(fd_, SHUT_RDWR); }

Status HttpConnection::Fill() {
  char tmp[16384];
  if (tls_) {
    OSPREY_ASSIGN_OR_RETURN(size_t n, tls_->Read(tmp, sizeof(tmp)));
    if (n == 0) return Status::Unavailable("connection closed by the server");
    buf_.append(tmp, n);
    return Status::Ok();
  }
  for (;;) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Status::Unavailable("connection closed by the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::DeadlineExceeded("read timed out");
    return Status::FromErrno("recv", errno);
  }
}

Result<std::string> HttpConnection::ReadLine() {
  for (;;) {
    size_t pos = buf_.find("\r\n");
    if (pos != std::string::npos) {
      std::string line = buf_.substr(0, pos);
      buf_.erase(0, pos + 2);
      return line;
    }
    if (buf_.size() > 65536) return Status::Corruption("HTTP line too long");
    OSPREY_RETURN_IF_ERROR(Fill());
  }
}

Status HttpConnection::ReadExact(size_t n, std::string* out) {
  while (buf_.size() < n) OSPREY_RETURN_IF_ERROR(Fill());
  out->append(buf_, 0, n);
  buf_.erase(0, n);
  return Status::Ok();
}

Result<ResponseHead> HttpConnection::ReadResponseHead() {
  ResponseHead head;
  for (;;) {
    OSPREY_ASSIGN_OR_RETURN(std::string status_line, ReadLine());
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) {
      return Status::Corruption("bad HTTP status line: " + status_line.substr(0, 80));
    }
    head.status = std::atoi(status_line.c_str() + 9);
    head.headers.clear();
    for (;;) {
      OSPREY_ASSIGN_OR_RETURN(std::string line, ReadLine());
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      head.headers.emplace_back(line.substr(0, colon), value);
    }
    if (head.status != 100) break;  // skip "100 Continue"
  }
  head.chunked = IEquals(head.Header("transfer-encoding"), "chunked");
  if (std::string cl = head.Header("content-length"); !cl.empty()) {
    head.content_length = std::atoll(cl.c_str());
  }
  return head;
}

Result<std::string> HttpConnection::ReadChunk() {
  OSPREY_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
  char* end = nullptr;
  unsigned long long size = std::strtoull(size_line.c_str(), &end, 16);
  if (end == size_line.c_str()) return Status::Corruption("bad chunk size line");
  if (size > (64u << 20)) return Status::Corruption("chunk too large");
  std::string data;
  if (size == 0) {
    // Trailers, then the empty line.
    for (;;) {
      OSPREY_ASSIGN_OR_RETURN(std::string line, ReadLine());
      if (line.empty()) break;
    }
    return data;
  }
  OSPREY_RETURN_IF_ERROR(ReadExact(static_cast<size_t>(size), &data));
  OSPREY_ASSIGN_OR_RETURN(std::string crlf, ReadLine());
  if (!crlf.empty()) return Status::Corruption("chunk not followed by CRLF");
  return data;
}

Result<std::string> HttpConnection::ReadBody(const ResponseHead& head) {
  std::string body;
  if (head.chunked) {
    for (;;) {
      OSPREY_ASSIGN_OR_RETURN(std::string piece, ReadChunk());
      if (piece.empty()) return body;
      body += piece;
      if (body.size() > (16u << 20)) return Status::Corruption("response body too large");
    }
  }
  if (head.content_length >= 0) {
    OSPREY_RETURN_IF_ERROR(ReadExact(static_cast<size_t>(head.content_length), &body));
    return body;
  }
  for (;;) {  // until the server closes
    Status s = Fill();
    if (!s.ok()) break;
    if (buf_.size() > (16u << 20)) return Status::Corruption("response body too large");
  }
  body.swap(buf_);
  return body;
}

JsonCall KvsCall(std::string_view path) {
  JsonCall call;
  call.path = std::string(path);
  return call;
}

JsonCall KinesisCall(std::string_view operation) {
  return JsonCall{"/", "Kinesis_20131202." + std::string(operation), "kinesis",
                  "application/x-amz-json-1.1"};
}

JsonCall FirehoseCall(std::string_view operation) {
  return JsonCall{"/", "Firehose_20150804." + std::string(operation), "firehose",
                  "application/x-amz-json-1.1"};
}

Result<JsonResponse> PostJson(const Url& url, const JsonCall& call, std::string_view body,
                              const auth::Credentials& credentials, std::string_view region,
                              std::chrono::milliseconds timeout) {
  OSPREY_ASSIGN_OR_RETURN(auto conn, HttpConnection::Connect(url, timeout, timeout));
  // As the AWS clients: host (without the port), user-agent, x-amz-date and
  // the target signed; content-type and content-length not.
  HeaderList headers = {{"host", url.host}, {"user-agent", "osprey/1.0"}};
  if (!call.target.empty()) headers.push_back({"x-amz-target", call.target});
  HeaderList unsigned_headers = {{"content-type", call.content_type},
                                 {"content-length", std::to_string(body.size())},
                                 {"connection", "close"}};
  OSPREY_ASSIGN_OR_RETURN(std::string head,
                          SignedRequestHead("POST", call.path, headers, unsigned_headers,
                                            auth::Sha256Hex(body), credentials, region,
                                            call.service));
  OSPREY_RETURN_IF_ERROR(conn->SendAll(head));
  OSPREY_RETURN_IF_ERROR(conn->SendAll(body));
  OSPREY_ASSIGN_OR_RETURN(ResponseHead response, conn->ReadResponseHead());
  JsonResponse out;
  out.status = response.status;
  out.error_type = response.Header("x-amzn-errortype");
  out.error_type = out.error_type.substr(0, out.error_type.find(':'));
  OSPREY_ASSIGN_OR_RETURN(out.body, conn->ReadBody(response));
  return out;
}

}  // namespace osprey::client
