// PutMedia over the server's WebSocket ingest (GET /ws/putMedia,
// docs/video-ingest.md): the MediaTransport/MediaSession pair behind
// MakeWebSocketTransport (osprey/agent/uplink_transport.h).
//
// A session is one WsConnection (ws_connection.h): the MKV header and every
// Cluster go out as binary messages, END_OF_STREAM as a text message ends
// the body, and each ack arrives as one text message holding the JSON
// object of PutMedia's ack lines, parsed by ParseUploadAck (upload_ack.cc).
// The Uplink engine (uplink.cc) is unchanged: it advances the spool only on
// PERSISTED, whichever transport carries the bytes.
//
// Threading: as MediaTransport/MediaSession (uplink.h). EnsureStream and
// Open are called by the Uplink's worker thread only; a session's
// libwebsockets callbacks run on the session's own service thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "osprey/agent/uplink.h"
#include "osprey/agent/uplink_transport.h"
#include "uplink/ws_connection.h"

namespace osprey::agent::uplink {

class WsMediaSession final : public MediaSession {
 public:
  // `stream_missing` is set when the server says the stream does not exist,
  // so the transport creates it before the next Open().
  WsMediaSession(std::unique_ptr<WsConnection> conn, std::chrono::milliseconds ack_timeout,
                 std::shared_ptr<std::atomic<bool>> stream_missing)
      : conn_(std::move(conn)), ack_timeout_(ack_timeout), stream_missing_(std::move(stream_missing)) {}

  Status Send(std::string_view mkv_bytes) override;
  Status FinishBody() override;
  Result<UploadAck> ReadAck() override;
  void Abort() override { conn_->Abort(); }

 private:
  std::unique_ptr<WsConnection> conn_;
  const std::chrono::milliseconds ack_timeout_;
  std::shared_ptr<std::atomic<bool>> stream_missing_;
};

class WsMediaTransport final : public MediaTransport {
 public:
  // `control` (not null) runs DescribeStream/CreateStream.
  WsMediaTransport(WebSocketTransportOptions options, WsEndpoint endpoint,
                   std::unique_ptr<MediaTransport> control)
      : options_(std::move(options)), endpoint_(std::move(endpoint)), control_(std::move(control)) {}

  Status EnsureStream() override;
  Result<std::unique_ptr<MediaSession>> Open(int64_t producer_start_ms) override;

 private:
  Result<WsConnectOptions> SignedConnectOptions(int64_t producer_start_ms) const;
  void ReportRefusedCredentials(const Status& s) const;

  const WebSocketTransportOptions options_;
  const WsEndpoint endpoint_;
  const std::unique_ptr<MediaTransport> control_;
  std::shared_ptr<std::atomic<bool>> stream_missing_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace osprey::agent::uplink
