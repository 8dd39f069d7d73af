// A minimal blocking HTTP/1.1 client on POSIX sockets for Osprey's own
// clients (osprey-agent, osprey-ml, the osprey CLI): SigV4-signed JSON calls
// to the KVS, Kinesis and Firehose APIs, PutMedia's open-ended chunked
// request with a streamed chunked response, and GetMedia's endless chunked
// response. http:// and https:// (TLS 1.2+ through OpenSSL, which stays in
// the .cc files: the server's certificate and host name are always
// verified, against the system CA store or the Url's ca_file).
//
// Thread safety: one HttpConnection may be written by one thread and read by
// another at the same time (PutMedia sends the body while reading acks);
// Abort() may be called from any thread and unblocks both.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"

namespace osprey::client {

class TlsChannel;  // src/tls_channel.h

struct Url {
  std::string host;
  uint16_t port = 80;
  bool tls = false;  // https://
  // https only: a PEM file of CA certificates to trust instead of the
  // system store (e.g. the CA of `osprey-server --self-signed`). Not part
  // of the endpoint text: callers set it from their --ca-file flag.
  std::string ca_file;
};
// "http://host[:port][/]" or "https://host[:port][/]" (port 80 / 443 by
// default) -> Url with an empty ca_file. InvalidArgument for anything else.
Result<Url> ParseEndpoint(std::string_view endpoint);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ResponseHead {
  int status = 0;
  HeaderList headers;
  bool chunked = false;
  int64_t content_length = -1;
  std::string Header(std::string_view name) const;  // case-insensitive; "" when absent
};

// The request line and headers of a SigV4-signed request for `service`
// ("kinesisvideo", "kinesis", "firehose"). `headers` are signed (host first,
// as the KVS producer does); `unsigned_headers` are sent but not signed
// (content-type, content-length).
Result<std::string> SignedRequestHead(std::string_view method, std::string_view path,
                                      const HeaderList& headers, const HeaderList& unsigned_headers,
                                      std::string_view payload_hash,
                                      const auth::Credentials& credentials, std::string_view region,
                                      std::string_view service = "kinesisvideo");

class HttpConnection {
 public:
  ~HttpConnection();
  // Connects (and for https, handshakes) within `timeout`; receive and send
  // timeouts of `io_timeout` apply to every later call (a read that times
  // out is DeadlineExceeded). A certificate that fails verification is
  // Unavailable("certificate verification failed for host:port: <reason>");
  // an unreadable url.ca_file is InvalidArgument.
  static Result<std::unique_ptr<HttpConnection>> Connect(const Url& url,
                                                         std::chrono::milliseconds timeout,
                                                         std::chrono::milliseconds io_timeout);

  Status SendAll(std::string_view bytes);
  // One HTTP chunk ("<hex>\r\n<bytes>\r\n"); an empty `bytes` sends nothing.
  Status SendChunk(std::string_view bytes);
  Status SendLastChunk();  // "0\r\n\r\n"

  Result<ResponseHead> ReadResponseHead();
  // The next piece of a chunked body; empty string at the end of the body.
  Result<std::string> ReadChunk();
  // A whole body (Content-Length, chunked, or until close).
  Result<std::string> ReadBody(const ResponseHead& head);

  void Abort();  // shutdown(2): unblocks readers and writers

 private:
  HttpConnection(int fd, std::unique_ptr<TlsChannel> tls);
  Result<std::string> ReadLine();
  Status Fill();  // reads more into buf_
  Status ReadExact(size_t n, std::string* out);

  int fd_;
  std::unique_ptr<TlsChannel> tls_;  // null for http://
  std::string buf_;  // read side only
};

// What distinguishes the APIs' JSON calls: KVS addresses operations by path
// with application/json; Kinesis and Firehose POST to "/" with an
// X-Amz-Target and application/x-amz-json-1.1.
struct JsonCall {
  std::string path = "/";
  std::string target;  // X-Amz-Target ("Kinesis_20131202.PutRecords"), "" for KVS
  std::string service = "kinesisvideo";
  std::string content_type = "application/json";
};
// KVS control-plane call: POST `path`, application/json, service kinesisvideo.
JsonCall KvsCall(std::string_view path);
// Kinesis Data Streams ("Kinesis_20131202.<op>") and Firehose
// ("Firehose_20150804.<op>") calls.
JsonCall KinesisCall(std::string_view operation);
JsonCall FirehoseCall(std::string_view operation);

// One request with a JSON body on its own connection (Connection: close),
// signed as the AWS SDKs sign it (host, x-amz-date and X-Amz-Target signed).
struct JsonResponse {
  int status = 0;
  std::string body;
  std::string error_type;  // x-amzn-ErrorType without any ":..." suffix
};
Result<JsonResponse> PostJson(const Url& url, const JsonCall& call, std::string_view body,
                              const auth::Credentials& credentials, std::string_view region,
                              std::chrono::milliseconds timeout);

}  // namespace osprey::client
