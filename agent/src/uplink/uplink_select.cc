// The pure half of uplink_transport.h: choosing the transport, parsing the
// WebSocket endpoint, building the upgrade target, reading the server's
// error message. No libwebsockets here (ws_transport.cc has it).
#include <cstdlib>

#include "osprey/agent/uplink_transport.h"
#include "osprey/fragments/mkv_writer.h"

namespace osprey::agent {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view Scheme(std::string_view endpoint) {
  size_t p = endpoint.find("://");
  return p == std::string_view::npos ? std::string_view{} : endpoint.substr(0, p);
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The string value of member `key` in a flat JSON object; "" when absent.
// Enough for the server's two-member error shape (escapes kept verbatim
// except \" and \\).
std::string StringMember(std::string_view json, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  size_t p = json.find(quoted);
  if (p == std::string_view::npos) return "";
  p = json.find(':', p + quoted.size());
  if (p == std::string_view::npos) return "";
  p = json.find('"', p);
  if (p == std::string_view::npos) return "";
  std::string out;
  for (size_t i = p + 1; i < json.size(); ++i) {
    if (json[i] == '"') return out;
    if (json[i] == '\\' && i + 1 < json.size()) ++i;
    out.push_back(json[i]);
  }
  return "";
}

}  // namespace

Result<UplinkKind> ParseUplinkKind(std::string_view text) {
  if (text.empty() || text == "auto") return UplinkKind::kAuto;
  if (text == "http") return UplinkKind::kHttp;
  if (text == "ws" || text == "websocket") return UplinkKind::kWebSocket;
  return Status::InvalidArgument("uplink must be http, ws or auto, not \"" + std::string(text) +
                                 "\"");
}

std::string_view UplinkKindName(UplinkKind kind) {
  switch (kind) {
    case UplinkKind::kHttp: return "http";
    case UplinkKind::kWebSocket: return "websocket";
    case UplinkKind::kAuto: break;
  }
  return "auto";
}

Result<UplinkKind> ResolveUplinkKind(UplinkKind requested, std::string_view endpoint) {
  const std::string_view scheme = Scheme(endpoint);
  const bool ws = scheme == "ws" || scheme == "wss";
  if (!ws && scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("endpoint must start with http://, https://, ws:// or wss://: " +
                                   std::string(endpoint));
  }
  if (requested == UplinkKind::kAuto) return ws ? UplinkKind::kWebSocket : UplinkKind::kHttp;
  return requested;
}

Result<WsEndpoint> ParseWsEndpoint(std::string_view endpoint) {
  WsEndpoint out;
  std::string_view rest;
  if (StartsWith(endpoint, "wss://")) {
    out.tls = true;
    out.port = 443;
    rest = endpoint.substr(6);
  } else if (StartsWith(endpoint, "ws://")) {
    rest = endpoint.substr(5);
  } else if (StartsWith(endpoint, "http://")) {
    rest = endpoint.substr(7);
  } else if (StartsWith(endpoint, "https://")) {
    out.tls = true;
    out.port = 443;
    rest = endpoint.substr(8);
  } else {
    return Status::InvalidArgument("WebSocket endpoint must be ws://, wss://, http:// or https://: " +
                                   std::string(endpoint));
  }
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") {
      return Status::InvalidArgument("endpoint must not have a path: " + std::string(endpoint));
    }
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest, port;
  if (StartsWith(rest, "[")) {  // [v6]:port
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("bad IPv6 host in " + std::string(endpoint));
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return Status::InvalidArgument("bad endpoint " + std::string(endpoint));
      port = rest.substr(close + 2);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return Status::InvalidArgument("endpoint has no host: " + std::string(endpoint));
  out.host = std::string(host);
  if (!port.empty()) {
    char* end = nullptr;
    const std::string p(port);
    long v = std::strtol(p.c_str(), &end, 10);
    if (*end != '\0' || v < 1 || v > 65535) {
      return Status::InvalidArgument("bad port in endpoint " + std::string(endpoint));
    }
    out.port = static_cast<uint16_t>(v);
  }
  const bool bracket = out.host.find(':') != std::string::npos;
  out.host_header = bracket ? "[" + out.host + "]" : out.host;
  if (out.port != (out.tls ? 443 : 80)) out.host_header += ":" + std::to_string(out.port);
  return out;
}

std::string WsPutMediaTarget(std::string_view stream_name, int64_t producer_start_ms) {
  return "/ws/putMedia?StreamName=" + PercentEncode(stream_name) +
         "&FragmentTimecodeType=ABSOLUTE&ProducerStartTimestamp=" +
         PercentEncode(fragments::FormatEpochSeconds(producer_start_ms));
}

Status WsServerErrorStatus(std::string_view text) {
  const std::string type = StringMember(text, "__type");
  if (type.empty()) return Status::Ok();
  const std::string message = type + ": " + StringMember(text, "message");
  if (type == "ResourceNotFoundException") return Status::NotFound(message);
  if (type == "InvalidArgumentException") return Status::InvalidArgument(message);
  if (type == "AccessDeniedException" || type == "NotAuthorizedException" ||
      type == "UnrecognizedClientException" || type == "InvalidSignatureException") {
    return Status::PermissionDenied(message);
  }
  return Status::Unavailable(message);
}

Result<std::unique_ptr<MediaTransport>> MakeUplinkTransport(UplinkKind kind,
                                                            WebSocketTransportOptions options) {
  OSPREY_ASSIGN_OR_RETURN(UplinkKind resolved, ResolveUplinkKind(kind, options.common.endpoint));
  if (resolved == UplinkKind::kWebSocket) return MakeWebSocketTransport(std::move(options));
  std::string& endpoint = options.common.endpoint;
  if (StartsWith(endpoint, "ws://")) endpoint = "http://" + endpoint.substr(5);
  if (StartsWith(endpoint, "wss://")) endpoint = "https://" + endpoint.substr(6);
  if (options.common.ca_file.empty()) options.common.ca_file = options.ca_file;
  return MakeHttpPutMediaTransport(std::move(options.common));
}

}  // namespace osprey::agent
