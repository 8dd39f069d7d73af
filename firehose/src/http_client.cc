#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <strings.h>

#include <chrono>

namespace osprey::firehose {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

std::string HttpResult::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

Result<HttpResult> HttpCall(const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, int64_t timeout_ms) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return Status::InvalidArgument("only http:// URLs are supported: " + url);
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority, port = "80";
  if (size_t colon = authority.rfind(':'); colon != std::string::npos && authority.back() != ']') {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    beast::error_code ec;
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return Status::Unavailable("ConnectionFailed: resolve " + host + ": " + ec.message());
    stream.connect(endpoints, ec);
    if (ec) return Status::Unavailable("ConnectionFailed: connect " + authority + ": " + ec.message());
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, authority);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req, ec);
    if (ec) {
      if (ec == beast::error::timeout) return Status::DeadlineExceeded("RequestTimeout: " + ec.message());
      return Status::Unavailable("ConnectionReset: write: " + ec.message());
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream, buffer, parser, ec);
    if (ec) {
      if (ec == beast::error::timeout) return Status::DeadlineExceeded("RequestTimeout: " + ec.message());
      return Status::Unavailable("ConnectionReset: read: " + ec.message());
    }
    auto& res = parser.get();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(res.body());
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return out;
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("ConnectionFailed: ") + e.what());
  }
}

}  // namespace osprey::firehose
