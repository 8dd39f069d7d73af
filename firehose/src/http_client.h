// A minimal synchronous HTTP/1.1 client (Boost.Beast) for the engine's
// outbound calls: Lambda function URLs, HTTP endpoint destinations, S3.
// Plain http:// only (TLS is not wired yet).
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

// POSTs (or `method`s) `body` to `url` ("http://host[:port]/path?query").
// Unavailable on connect/transport errors, DeadlineExceeded on timeout,
// InvalidArgument for a URL it cannot use.
Result<HttpResult> HttpCall(const std::string& method, const std::string& url,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::string& body, int64_t timeout_ms);

}  // namespace osprey::firehose
