// A minimal synchronous HTTP/1.1 client (Boost.Beast) for the engine's
// outbound calls: Lambda function URLs, HTTP endpoint destinations, S3.
// http:// and https://. For https the peer's certificate chain is verified
// against OpenSSL's default trust store (the system's CA bundle, or the
// files named by SSL_CERT_FILE / SSL_CERT_DIR), and its name against the
// URL's host (DNS name or IP address), with SNI; TLS 1.2 or later. A
// refused certificate is Unavailable "ConnectionFailed: TLS handshake with
// HOST: <OpenSSL's reason>", which the callers treat like any failed
// connection (retried, then the error output).
//
// Thread safety: each call is independent; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::firehose {

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(std::string_view name) const;  // case-insensitive, "" if absent
};

// POSTs (or `method`s) `body` to `url` ("http[s]://host[:port]/path?query").
// Unavailable on connect/transport errors, DeadlineExceeded on timeout,
// InvalidArgument for a URL it cannot use.
Result<HttpResult> HttpCall(const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, int64_t timeout_ms);

}  // namespace osprey::firehose
