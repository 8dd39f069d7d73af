// ServerOptions: everything osprey-server can be configured with, as a plain
// struct whose defaults are the built-in configuration. config_loader.h fills
// it from flags, OSPREY_* environment variables and a TOML file; the
// commented sample deploy/osprey-server.toml sets every field to the default
// written here, and a test keeps the two equal.
//
// Also the listen-address syntax (host:port) shared by the loader and the
// server, so both agree on what an address means.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::server {

struct ServerOptions {
  // Address to accept HTTP on, as host:port. The host is an IPv4 address, an
  // IPv6 address in brackets ([::1]:9470) or a host name; 0.0.0.0 means every
  // IPv4 interface and [::] every interface. Port 0 picks a free port (the
  // server reports the one it got).
  std::string listen = "0.0.0.0:9470";

  // Directory for streams, fragments, credentials and the LOCK file; created
  // if missing. Relative paths are relative to the working directory.
  std::string data_dir = "./osprey-data";

  // Request authentication: "sigv4" (AWS Signature Version 4, as the AWS SDKs
  // send) or "none". "none" is accepted only when `listen` is a loopback
  // address, so an unauthenticated server is never reachable from outside.
  std::string auth = "sigv4";

  // Lowest log level written: "debug", "info", "warn" or "error".
  std::string log_level = "info";

  // The AWS region the server claims to be (in ARNs and the SigV4 scope).
  std::string region = "us-east-1";

  // Base URL clients should use (returned by GetDataEndpoint and in HLS
  // URLs), e.g. https://video.example.com. Empty: derived from `listen`.
  std::string public_url = "";

  // Password of the web console at /console (docs/security.md). Empty: the
  // one in DATA_DIR/console-password, generated (0600) at first start.
  std::string console_password = "";

  // Worker threads for network I/O; 0 means one per CPU core. 0..256.
  int threads = 0;

  // Time allowed for a client to send a complete request header, in ms.
  int64_t header_timeout_ms = 10000;

  // A keep-alive connection with no request in flight is closed after this
  // many ms of silence.
  int64_t idle_timeout_ms = 60000;

  // Largest request body accepted by the JSON APIs (PutRecords and friends),
  // in bytes: 16 MiB. Streaming uploads (PutMedia) are not bound by it.
  int64_t max_body_bytes = 16777216;

  // Connections beyond this many are refused until others close.
  int max_connections = 10000;

  // On SIGTERM/SIGINT, in-flight requests get this many ms to finish before
  // connections are closed.
  int64_t shutdown_grace_ms = 30000;

  // Kinesis per-shard write throughput (1 MiB/s and 1,000 records/s per
  // shard, data-streams spec 4.8): "off" (default: a shard takes what the
  // disk takes) or "on" (records beyond it fail with
  // ProvisionedThroughputExceededException, as on AWS, so producers' backoff
  // can be tested against Osprey).
  std::string kinesis_shard_limits = "off";

  // TLS (docs/security.md). With tls_cert and tls_key (PEM files: the
  // certificate chain, leaf first, and its private key) the listen port
  // speaks TLS only: HTTPS, h2 by ALPN, wss. Both or neither.
  std::string tls_cert = "";
  std::string tls_key = "";
  // "on": serve TLS with a certificate from a CA of our own, both made at
  // first start in DATA_DIR/tls/ (ca.pem is what clients must trust) and
  // reused afterwards. Not with tls_cert/tls_key.
  std::string self_signed = "off";
  // Extra names for the self-signed certificate, comma-separated DNS names
  // or IP addresses, besides localhost, 127.0.0.1, ::1 and the host name.
  std::string tls_san = "";

  // Firehose (docs/firehose.md). "on": HttpEndpoint destinations may also
  // use http:// URLs (spec firehose.allow_plain_http); https:// always works.
  std::string firehose_plain_http = "off";
  // Where S3 destinations (BucketARN arn:aws:s3:::NAME) are written. Empty:
  // the local folder DATA_DIR/s3/NAME/. Else an S3-compatible endpoint,
  // http(s)://host[:port] (path-style requests, SigV4 with the key below and
  // firehose_s3_region, or `region` when that is empty).
  std::string firehose_s3_endpoint = "";
  std::string firehose_s3_region = "";
  std::string firehose_s3_access_key_id = "";
  // Prefer OSPREY_FIREHOSE_S3_SECRET_ACCESS_KEY or the file: a flag is
  // visible in `ps`.
  std::string firehose_s3_secret_access_key = "";

  friend bool operator==(const ServerOptions&, const ServerOptions&) = default;
};

// A parsed `listen` value.
struct ListenAddress {
  std::string host;   // without brackets: "0.0.0.0", "::1", "localhost"
  uint16_t port = 0;  // 0: pick a free port
  bool is_ipv6 = false;
};

// Parses host:port as described for ServerOptions::listen. Errors are
// InvalidArgument with a message that quotes the text and says what is
// wrong, without naming where it came from (callers add that).
Result<ListenAddress> ParseListenAddress(std::string_view text);

// True for 127.0.0.0/8, ::1 (and IPv4-mapped ::ffff:127.x.y.z) and
// "localhost" in any case. `host` is ListenAddress::host (no brackets).
bool IsLoopbackHost(std::string_view host);

}  // namespace osprey::server
