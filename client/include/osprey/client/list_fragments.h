// ListFragments over a producer-time range, every page, for the clients that
// fetch stored footage by time (osprey CLI `video get`, osprey-ml's exporter
// and archive readers), plus the AWS error of a failed JSON call.
//
// Thread safety: free functions; each call uses its own connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/json_writer.h"
#include "osprey/client/http_client.h"

namespace osprey::client {

struct ListedFragment {
  std::string number;       // FragmentNumber
  int64_t producer_ms = 0;  // ProducerTimestamp
  int64_t length_ms = 0;    // FragmentLengthInMilliseconds
};

struct ProducerTimeRange {
  Url url;
  auth::Credentials credentials;
  std::string region = "us-east-1";
  std::string stream_name;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::chrono::milliseconds timeout{30000};
};

// Every fragment whose producer timestamp lies in [from_ms, to_ms],
// following NextToken, sorted by producer time (ListFragments answers in no
// particular order, as KVS does). Errors as ApiError.
Result<std::vector<ListedFragment>> ListFragmentsByProducerTime(const ProducerTimeRange& range);

// Writes `member`: {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
// "TimestampRange": {...}} into the object `w` is inside (ListFragments'
// FragmentSelector, GetClip's ClipFragmentSelector, ...).
void WriteProducerTimeSelector(JsonWriter* w, std::string_view member, int64_t from_ms,
                               int64_t to_ms);

// The Status of a non-200 JSON answer, message "<ErrorName>: <message>":
// NotFound for ResourceNotFoundException, InvalidArgument for the
// validation errors, PermissionDenied for 403, Unavailable otherwise.
Status ApiError(const JsonResponse& response);

}  // namespace osprey::client
