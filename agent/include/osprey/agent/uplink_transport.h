// Choosing the uplink transport: PutMedia over chunked HTTP (uplink.h,
// MakeHttpPutMediaTransport) or PutMedia over the server's WebSocket ingest,
// GET /ws/putMedia (docs/video-ingest.md), through libwebsockets, plain
// (ws://) or TLS (wss://). Both implement MediaTransport, so the Uplink
// engine, its spool handling and its PERSISTED rule are the same for both.
//
// libwebsockets stays inside agent/src/uplink: nothing here names it.
//
// Threading: the free functions are pure and safe from any thread. The
// WebSocket transport follows MediaTransport's contract (uplink.h); each of
// its sessions runs one libwebsockets service thread of its own, started by
// Open() and joined when the session is destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "osprey/agent/uplink.h"
#include "osprey/base/result.h"

namespace osprey::agent {

enum class UplinkKind {
  kAuto,       // from the endpoint's scheme: ws:// and wss:// -> WebSocket, else HTTP
  kHttp,       // POST /putMedia, chunked
  kWebSocket,  // GET /ws/putMedia
};
// "auto" or "", "http", "ws" or "websocket". InvalidArgument otherwise.
Result<UplinkKind> ParseUplinkKind(std::string_view text);
std::string_view UplinkKindName(UplinkKind kind);  // "auto", "http", "websocket"
// kAuto resolved from `endpoint`; an explicit kind is kept when the scheme
// can carry it (http:// and ws:// serve both, since the server has both
// routes on one port; so do https:// and wss://). InvalidArgument for an
// unknown scheme.
Result<UplinkKind> ResolveUplinkKind(UplinkKind requested, std::string_view endpoint);

// Where a WebSocket upload goes, from an endpoint "ws://host[:port][/]",
// "wss://host[:port][/]", "http://host[:port][/]" (taken as ws://) or
// "https://host[:port][/]" (taken as wss://).
struct WsEndpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  uint16_t port = 80;
  // The Host header value: host, plus ":port" unless it is the scheme's
  // default. It is signed, so it must be exactly what is sent.
  std::string host_header;
};
// InvalidArgument for any other scheme, a path other than "/", a bad port.
Result<WsEndpoint> ParseWsEndpoint(std::string_view endpoint);

// The request target of the upgrade request (video-ingest.md):
// /ws/putMedia?StreamName=<enc>&FragmentTimecodeType=ABSOLUTE&ProducerStartTimestamp=<s.mmm>
// with the stream name percent-encoded (RFC 3986 unreserved kept).
std::string WsPutMediaTarget(std::string_view stream_name, int64_t producer_start_ms);

// A text message from the server that is not an ack: the AWS error shape
// {"__type":"ResourceNotFoundException","message":"..."} the server sends
// when the upgraded request is refused (then it closes). OK for anything
// else. NotFound for ResourceNotFoundException, PermissionDenied for the
// access/signature exceptions, InvalidArgument for InvalidArgumentException,
// Unavailable otherwise; the message carries the type and text.
Status WsServerErrorStatus(std::string_view text);

struct WebSocketTransportOptions {
  // endpoint (ws://, wss:// or http://), stream, region, credentials,
  // retention, media type, connect and ack timeouts.
  HttpTransportOptions common;
  // wss:// and https://: a PEM file of CA certificates to trust instead of
  // the system store (e.g. osprey-server --self-signed's ca.pem). Empty: the
  // system store. Also used for common.endpoint and control_endpoint when
  // common.ca_file is empty.
  std::string ca_file;
  // Where DescribeStream/CreateStream go (http:// or https://host:port).
  // Empty: the endpoint with ws:// -> http://, wss:// -> https://.
  std::string control_endpoint;
  // Bytes queued for the socket before Send() blocks (back-pressure, as a
  // blocking socket's buffer gives the HTTP transport).
  size_t send_buffer_bytes = size_t{1} << 20;
};

// PutMedia over GET /ws/putMedia. The upgrade request is SigV4-signed
// (service kinesisvideo, empty-payload hash), headers added by
// libwebsockets' handshake callback. EnsureStream() runs DescribeStream
// (CreateStream on 404) on the control endpoint, as the HTTP transport
// does (over https for wss://). A 401/403 from either is logged at error
// level ("the server refused the credentials").
// Open() errors: PermissionDenied for a 401/403 upgrade
// response, Unavailable for connection and TLS failures (the reason from
// libwebsockets in the message), DeadlineExceeded past connect_timeout.
// InvalidArgument for a bad endpoint or an unreadable ca_file.
Result<std::unique_ptr<MediaTransport>> MakeWebSocketTransport(WebSocketTransportOptions options);

// The transport for `kind` (kAuto resolved from the endpoint), for
// osprey-agent --uplink and ospreysink's uplink property.
Result<std::unique_ptr<MediaTransport>> MakeUplinkTransport(UplinkKind kind,
                                                            WebSocketTransportOptions options);

}  // namespace osprey::agent
