#include "config/server_options.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace osprey::server {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out.push_back('"');
  return out;
}

bool IsIpv4(const std::string& host, in_addr* out) { return inet_pton(AF_INET, host.c_str(), out) == 1; }
bool IsIpv6(const std::string& host, in6_addr* out) { return inet_pton(AF_INET6, host.c_str(), out) == 1; }

// RFC 1123 host name: dot-separated labels of letters, digits and hyphens,
// 1..63 characters each, not starting or ending with a hyphen.
bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::string quoted = Quote(text);
  const std::string example = " (expected host:port, e.g. 0.0.0.0:9470 or [::1]:9470)";
  if (text.empty()) return Status::InvalidArgument("must not be empty" + example);

  ListenAddress address;
  std::string_view port_text;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(quoted + " has an unterminated \"[\"" + example);
    }
    address.host = std::string(text.substr(1, close - 1));
    address.is_ipv6 = true;
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return Status::InvalidArgument(quoted + " has no port" + example);
    }
    port_text = rest.substr(1);
    in6_addr ignored;
    if (!IsIpv6(address.host, &ignored)) {
      return Status::InvalidArgument(quoted + " has an invalid IPv6 address " + Quote(address.host));
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument(quoted + " has no port" + example);
    }
    address.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (address.host.find(':') != std::string::npos) {
      return Status::InvalidArgument(quoted +
                                     " has an IPv6 address without brackets (write [::1]:9470)");
    }
    if (address.host.empty()) {
      return Status::InvalidArgument(quoted + " has no host (use 0.0.0.0" + std::string(text) +
                                     " for every interface)");
    }
    bool dotted_numbers = std::all_of(address.host.begin(), address.host.end(), [](char c) {
      return c == '.' || std::isdigit(static_cast<unsigned char>(c));
    });
    in_addr ignored;
    if (dotted_numbers && !IsIpv4(address.host, &ignored)) {
      return Status::InvalidArgument(quoted + " has an invalid IPv4 address " + Quote(address.host));
    }
    if (!dotted_numbers && !IsHostName(address.host)) {
      return Status::InvalidArgument(quoted + " has an invalid host name " + Quote(address.host));
    }
  }

  bool digits = !port_text.empty() && port_text.size() <= 5 &&
                std::all_of(port_text.begin(), port_text.end(),
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  int port = digits ? std::stoi(std::string(port_text)) : -1;
  if (port < 0 || port > 65535) {
    return Status::InvalidArgument(quoted + " has an invalid port " + Quote(port_text) +
                                   " (expected 0..65535)");
  }
  address.port = static_cast<uint16_t>(port);
  return address;
}

bool IsLoopbackHost(std::string_view host) {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost") return true;
  in_addr v4;
  if (IsIpv4(lower, &v4)) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (IsIpv6(lower, &v6)) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace osprey::server
