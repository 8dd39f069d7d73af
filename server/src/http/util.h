// Small helpers of the HTTP layer.
#pragma once

#include <string>
#include <string_view>

namespace osprey::server {

// Splits a request-target at the first '?'.
void SplitTarget(std::string_view target, std::string* path, std::string* query);

// A random (version 4) UUID, as AWS uses for x-amzn-RequestId.
std::string NewRequestId();

// The current time as an HTTP date ("Sun, 22 Nov 2026 05:33:04 GMT"),
// recomputed at most once per second per thread.
std::string HttpDate();

}  // namespace osprey::server
