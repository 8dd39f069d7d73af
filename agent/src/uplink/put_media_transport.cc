// MediaTransport over HTTP/1.1: control plane (DescribeStream/CreateStream)
// and PutMedia with a chunked request body and a chunked ack stream, signed
// as the KVS producer signs them (video-api.md 1.3, 4.1, appendix A).
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "osprey/agent/uplink.h"
#include "osprey/base/logging.h"
#include "osprey/fragments/mkv_writer.h"
#include "osprey/client/http_client.h"

namespace osprey::agent {
namespace {

using client::HttpConnection;

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

class HttpPutMediaSession final : public MediaSession {
 public:
  explicit HttpPutMediaSession(std::unique_ptr<HttpConnection> conn) : conn_(std::move(conn)) {}

  Status Send(std::string_view bytes) override { return conn_->SendChunk(bytes); }
  Status FinishBody() override { return conn_->SendLastChunk(); }

  Result<UploadAck> ReadAck() override {
    for (;;) {
      // One ack per chunk normally; split on newlines to be safe, and take a
      // complete object at the end of a chunk without one.
      size_t nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
        return ParseUploadAck(line);
      }
      if (!pending_.empty() && pending_.back() == '}') {
        Result<UploadAck> ack = ParseUploadAck(pending_);
        if (ack.ok()) {
          pending_.clear();
          return ack;
        }
      }
      OSPREY_ASSIGN_OR_RETURN(std::string chunk, conn_->ReadChunk());
      if (chunk.empty()) return Status::Unavailable("PutMedia response ended");
      pending_ += chunk;
    }
  }

  void Abort() override { conn_->Abort(); }

 private:
  std::unique_ptr<HttpConnection> conn_;
  std::string pending_;  // reader thread only
};

class HttpPutMediaTransport final : public MediaTransport {
 public:
  HttpPutMediaTransport(HttpTransportOptions options, client::Url url)
      : options_(std::move(options)), url_(std::move(url)) {}

  Status EnsureStream() override {
    const std::string name_body = "{\"StreamName\":" + JsonString(options_.stream_name) + "}";
    for (int attempt = 0; attempt < 50; ++attempt) {
      OSPREY_ASSIGN_OR_RETURN(client::JsonResponse r, Post("/describeStream", name_body));
      if (r.status == 200) {
        if (r.body.find("\"ACTIVE\"") != std::string::npos) return Status::Ok();
        if (r.body.find("\"DELETING\"") != std::string::npos) {
          return Status::FailedPrecondition("stream is being deleted");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // CREATING/UPDATING
        continue;
      }
      if (r.status == 404) {
        log::Info("agent.uplink", "stream not found, creating it", {{"stream", options_.stream_name}});
        std::string body = "{\"DeviceName\":\"osprey-agent\",\"StreamName\":" +
                           JsonString(options_.stream_name) + ",\"MediaType\":" +
                           JsonString(options_.media_type) +
                           ",\"DataRetentionInHours\":" + std::to_string(options_.retention_hours) +
                           "}";
        OSPREY_ASSIGN_OR_RETURN(client::JsonResponse c, Post("/createStream", body));
        if (c.status != 200 && c.error_type != "ResourceInUseException") {
          return Status::Unavailable("CreateStream: HTTP " + std::to_string(c.status) + " " +
                                     c.error_type + " " + c.body.substr(0, 200));
        }
        continue;
      }
      if (r.status == 401 || r.status == 403) {
        return Status::PermissionDenied("DescribeStream: HTTP " + std::to_string(r.status) + " " +
                                        r.body.substr(0, 200));
      }
      return Status::Unavailable("DescribeStream: HTTP " + std::to_string(r.status) + " " +
                                 r.error_type);
    }
    return Status::Unavailable("stream did not become ACTIVE");
  }

  Result<std::unique_ptr<MediaSession>> Open(int64_t producer_start_ms) override {
    OSPREY_ASSIGN_OR_RETURN(auto conn, HttpConnection::Connect(url_, options_.connect_timeout,
                                                               options_.ack_timeout));
    // Signed headers as the KVS producer's (appendix A); connection and
    // transfer-encoding are sent but, as SignRequest decides, not signed.
    client::HeaderList headers = {
        {"host", url_.host},
        {"user-agent", "osprey-agent/1.0"},
        {"x-amzn-stream-name", options_.stream_name},
        {"x-amzn-fragment-timecode-type", "ABSOLUTE"},
        {"x-amzn-producer-start-timestamp", fragments::FormatEpochSeconds(producer_start_ms)},
        {"x-amzn-fragment-acknowledgment-required", "1"},
    };
    client::HeaderList unsigned_headers = {{"content-type", "application/json"},
                                           {"transfer-encoding", "chunked"},
                                           {"connection", "keep-alive"}};
    OSPREY_ASSIGN_OR_RETURN(
        std::string head,
        client::SignedRequestHead("POST", "/putMedia", headers, unsigned_headers,
                                  auth::kEmptyPayloadSha256, options_.credentials, options_.region));
    OSPREY_RETURN_IF_ERROR(conn->SendAll(head));
    // The server answers 200 at once after checking the headers, before any
    // body byte (video-ingest.md), so the status can be read right away.
    OSPREY_ASSIGN_OR_RETURN(client::ResponseHead response, conn->ReadResponseHead());
    if (response.status != 200) {
      Result<std::string> body = conn->ReadBody(response);
      std::string detail = "PutMedia: HTTP " + std::to_string(response.status) + " " +
                           response.Header("x-amzn-errortype") + " " +
                           (body.ok() ? body->substr(0, 200) : "");
      if (response.status == 404) return Status::NotFound(detail);
      if (response.status == 401 || response.status == 403) return Status::PermissionDenied(detail);
      return Status::Unavailable(detail);
    }
    if (!response.chunked) return Status::Unavailable("PutMedia response is not chunked");
    return std::unique_ptr<MediaSession>(std::make_unique<HttpPutMediaSession>(std::move(conn)));
  }

 private:
  Result<client::JsonResponse> Post(std::string_view path, std::string_view body) {
    return client::PostJson(url_, client::KvsCall(path), body, options_.credentials, options_.region,
                            options_.connect_timeout);
  }

  const HttpTransportOptions options_;
  const client::Url url_;
};

}  // namespace

Result<std::unique_ptr<MediaTransport>> MakeHttpPutMediaTransport(HttpTransportOptions options) {
  OSPREY_ASSIGN_OR_RETURN(client::Url url, client::ParseEndpoint(options.endpoint));
  url.ca_file = options.ca_file;
  if (url.tls && !url.ca_file.empty() && !std::ifstream(url.ca_file).good()) {
    return Status::InvalidArgument("cannot read the CA file " + url.ca_file);
  }
  if (options.stream_name.empty()) return Status::InvalidArgument("stream name is empty");
  return std::unique_ptr<MediaTransport>(
      std::make_unique<HttpPutMediaTransport>(std::move(options), std::move(url)));
}

}  // namespace osprey::agent
