// Pieces of authorization_header.cc that the signer and verifier share but
// that are not public API.
#pragma once

#include <string>
#include <string_view>

#include "osprey/auth/authorization_header.h"

namespace osprey::auth::internal {

// Every "parts are missing" message from ParseAuthorizationHeader starts
// with this, so that the verifier can append AWS's clause about a missing
// date to it, as AWS lists all missing pieces in one message.
inline constexpr std::string_view kHeaderRequiresPrefix = "Authorization header requires ";

// FormatPresignedQuery, optionally without the X-Amz-Signature parameter
// (the presigner canonicalises the query before it has a signature).
std::string FormatPresignedParams(const PresignedFields& presigned, bool with_signature);

}  // namespace osprey::auth::internal
