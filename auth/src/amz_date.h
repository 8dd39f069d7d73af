// Date parsing helpers private to auth (the public ones, FormatAmzDate and
// ParseAmzDate, are declared in sigv4.h).
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace osprey::auth::internal {

// True for "YYYYMMDD" naming a real calendar date.
bool IsValidYyyymmdd(std::string_view text);

// An HTTP Date header in IMF-fixdate form, "Sun, 06 Nov 1994 08:49:37 GMT",
// also with "+0000"/"-0000" for GMT (what Python's email.utils.formatdate,
// and so botocore, writes). nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

}  // namespace osprey::auth::internal
