// WsMediaTransport / WsMediaSession (ws_transport.h) and the public
// factory MakeWebSocketTransport (osprey/agent/uplink_transport.h).
#include "uplink/ws_transport.h"

#include <fstream>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/base/logging.h"

namespace osprey::agent {
namespace uplink {

namespace {
constexpr std::string_view kEndOfStream = "END_OF_STREAM";
}  // namespace

Status WsMediaSession::Send(std::string_view mkv_bytes) {
  Status s = conn_->SendBinary(mkv_bytes);
  if (s.ok()) return s;
  // The server refused the request and closed: its error message, not the
  // close, is the reason (the Uplink reports the writer's error first).
  std::optional<std::string> refusal =
      conn_->PeekText([](const std::string& m) { return !WsServerErrorStatus(m).ok(); });
  if (!refusal) return s;
  Status e = WsServerErrorStatus(*refusal);
  if (e.code() == Status::Code::kNotFound) stream_missing_->store(true);
  return e;
}

Status WsMediaSession::FinishBody() { return conn_->SendText(kEndOfStream); }

Result<UploadAck> WsMediaSession::ReadAck() {
  OSPREY_ASSIGN_OR_RETURN(std::string text, conn_->ReadText(ack_timeout_));
  // A refused request after the upgrade: one error object, then close.
  if (Status e = WsServerErrorStatus(text); !e.ok()) {
    if (e.code() == Status::Code::kNotFound) stream_missing_->store(true);
    return e;
  }
  return ParseUploadAck(text);
}

Status WsMediaTransport::EnsureStream() {
  // As the HTTP transport and the KVS producer: DescribeStream, CreateStream
  // on 404, before the first upload.
  Status s = control_->EnsureStream();
  if (s.code() == Status::Code::kPermissionDenied) ReportRefusedCredentials(s);
  if (s.ok()) stream_missing_->store(false);
  return s;
}

void WsMediaTransport::ReportRefusedCredentials(const Status& s) const {
  // Not a network blip: say so loudly. The Uplink keeps retrying with
  // backoff (the spool keeps recording) in case the key is fixed
  // server-side.
  log::Error("agent.uplink", "the server refused the credentials",
             {{"stream", options_.common.stream_name}, {"error", s.ToString()}});
}

Result<WsConnectOptions> WsMediaTransport::SignedConnectOptions(int64_t producer_start_ms) const {
  WsConnectOptions o;
  o.tls = endpoint_.tls;
  o.host = endpoint_.host;
  o.port = endpoint_.port;
  o.host_header = endpoint_.host_header;
  o.target = WsPutMediaTarget(options_.common.stream_name, producer_start_ms);
  o.ca_file = options_.ca_file;
  o.connect_timeout = options_.common.connect_timeout;
  o.send_buffer_bytes = options_.send_buffer_bytes;
  // Signed: Host only (what libwebsockets sends as it is given). The
  // Upgrade/Connection/Sec-WebSocket-* headers are added by libwebsockets
  // and hop-by-hop, so they stay out of the signature, as in a presigned
  // KVS WebSocket URL.
  const std::vector<auth::HeaderField> fields = {{"host", endpoint_.host_header}};
  auth::RequestView view{"GET", o.target, fields};
  auth::SigningOptions signing{options_.common.region, "kinesisvideo",
                               std::chrono::system_clock::now()};
  OSPREY_ASSIGN_OR_RETURN(auth::SignedRequest signed_request,
                          auth::SignRequest(view, auth::kEmptyPayloadSha256,
                                            options_.common.credentials, signing));
  o.extra_headers = signed_request.headers_to_add;
  o.extra_headers.emplace_back("User-Agent", "osprey-agent/1.0");
  return o;
}

Result<std::unique_ptr<MediaSession>> WsMediaTransport::Open(int64_t producer_start_ms) {
  if (stream_missing_->load()) {
    OSPREY_RETURN_IF_ERROR(control_->EnsureStream());
    stream_missing_->store(false);
  }
  OSPREY_ASSIGN_OR_RETURN(WsConnectOptions o, SignedConnectOptions(producer_start_ms));
  Result<std::unique_ptr<WsConnection>> conn = WsConnection::Connect(std::move(o));
  if (!conn.ok()) {
    if (conn.status().code() == Status::Code::kPermissionDenied) {
      ReportRefusedCredentials(conn.status());
    }
    return conn.status();
  }
  return std::unique_ptr<MediaSession>(std::make_unique<WsMediaSession>(
      std::move(conn).value(), options_.common.ack_timeout, stream_missing_));
}

}  // namespace uplink

Result<std::unique_ptr<MediaTransport>> MakeWebSocketTransport(WebSocketTransportOptions options) {
  OSPREY_ASSIGN_OR_RETURN(WsEndpoint endpoint, ParseWsEndpoint(options.common.endpoint));
  if (options.common.stream_name.empty()) return Status::InvalidArgument("stream name is empty");
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    return Status::InvalidArgument("cannot read the CA file " + options.ca_file);
  }
  // The control plane is on the same port over the same TLS (or not).
  HttpTransportOptions http = options.common;
  http.endpoint = options.control_endpoint;
  if (http.endpoint.empty()) http.endpoint = (endpoint.tls ? "https://" : "http://") + endpoint.host_header;
  if (http.ca_file.empty()) http.ca_file = options.ca_file;
  OSPREY_ASSIGN_OR_RETURN(std::unique_ptr<MediaTransport> control_transport,
                          MakeHttpPutMediaTransport(std::move(http)));
  return std::unique_ptr<MediaTransport>(std::make_unique<uplink::WsMediaTransport>(
      std::move(options), std::move(endpoint), std::move(control_transport)));
}

}  // namespace osprey::agent
