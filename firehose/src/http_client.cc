#include "http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>

namespace osprey::firehose {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

std::string HttpResult::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

namespace {

struct Target {
  bool tls = false;
  std::string host, port, authority, path;
};

Result<Target> ParseUrl(const std::string& url) {
  Target t;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    t.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("only http:// and https:// URLs are supported: " + url);
  }
  size_t slash = rest.find('/');
  t.authority = rest.substr(0, slash);
  t.path = slash == std::string::npos ? "/" : rest.substr(slash);
  t.host = t.authority;
  t.port = t.tls ? "443" : "80";
  if (size_t colon = t.authority.rfind(':');
      colon != std::string::npos && t.authority.back() != ']') {
    t.host = t.authority.substr(0, colon);
    t.port = t.authority.substr(colon + 1);
  }
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  if (t.host.empty()) return Status::InvalidArgument("no host in " + url);
  return t;
}

Status TransportError(const beast::error_code& ec, const char* what) {
  if (ec == beast::error::timeout) return Status::DeadlineExceeded("RequestTimeout: " + ec.message());
  return Status::Unavailable(std::string("ConnectionReset: ") + what + ": " + ec.message());
}

// One request/response on a connected stream (plain or TLS).
template <class Stream>
Result<HttpResult> Exchange(Stream& stream, const Target& t, const std::string& method,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body) {
  beast::error_code ec;
  http::request<http::string_body> req{http::string_to_verb(method), t.path, 11};
  req.set(http::field::host, t.authority);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return TransportError(ec, "write");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return TransportError(ec, "read");
  auto& res = parser.get();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  return out;
}

// OpenSSL's reason for a failed handshake: the verification result when the
// certificate was refused ("certificate verify failed" alone says nothing).
std::string HandshakeReason(SSL* ssl, const beast::error_code& ec) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) return X509_verify_cert_error_string(verify);
  return ec.message();
}

}  // namespace

Result<HttpResult> HttpCall(const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, int64_t timeout_ms) {
  OSPREY_ASSIGN_OR_RETURN(Target t, ParseUrl(url));
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(t.host, t.port, ec);
    if (ec) return Status::Unavailable("ConnectionFailed: resolve " + t.host + ": " + ec.message());
    const auto timeout = std::chrono::milliseconds(timeout_ms);
    if (!t.tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      stream.connect(endpoints, ec);
      if (ec) return Status::Unavailable("ConnectionFailed: connect " + t.authority + ": " + ec.message());
      auto out = Exchange(stream, t, method, headers, body);
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      return out;
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx.set_default_verify_paths(ec);
    if (ec) return Status::Internal("TLS: no default CA paths: " + ec.message());
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    // Name check: an IP literal must match an IP SAN, anything else a DNS SAN.
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    boost::system::error_code addr_ec;
    asio::ip::make_address(t.host, addr_ec);
    if (!addr_ec) {
      X509_VERIFY_PARAM_set1_ip_asc(param, t.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, t.host.c_str(), 0);
      SSL_set_tlsext_host_name(stream.native_handle(), t.host.c_str());
    }
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints, ec);
    if (ec) return Status::Unavailable("ConnectionFailed: connect " + t.authority + ": " + ec.message());
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) {
      return Status::Unavailable("ConnectionFailed: TLS handshake with " + t.host + ": " +
                                 HandshakeReason(stream.native_handle(), ec));
    }
    auto out = Exchange(stream, t, method, headers, body);
    // No close_notify round trip: the answer is complete, and a peer that
    // never answers it must not cost the timeout.
    beast::get_lowest_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return out;
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("ConnectionFailed: ") + e.what());
  }
}

}  // namespace osprey::firehose
