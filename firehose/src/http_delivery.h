// One HTTP endpoint delivery attempt (spec 6): the request body, the
// headers, and the classification of the answer.
//
// Thread safety: pure functions plus one blocking HTTP call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "osprey/firehose/config.h"

namespace osprey::firehose {

// Records in one endpoint request at most (spec 6).
constexpr size_t kMaxHttpRecords = 10'000;

// {"requestId":..,"timestamp":..,"records":[{"data":"<base64>"},...]},
// gzipped as a whole when the destination asks for GZIP.
std::string BuildHttpRequestBody(const std::vector<std::string>& records, const std::string& request_id,
                                 int64_t now_ms, bool gzip);

struct HttpOutcome {
  bool delivered = false;
  bool permanent = false;  // 413: no retry, not written to the error bucket
  std::string error_code;  // HttpEndpoint.*
  std::string error_message;
};

// POSTs `body` to the destination URL with the X-Amz-Firehose-* headers.
HttpOutcome PostToEndpoint(const HttpEndpointDestination& d, const std::string& source_arn,
                           const std::string& request_id, const std::string& body);

}  // namespace osprey::firehose
