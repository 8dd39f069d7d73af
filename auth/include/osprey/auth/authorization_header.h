// Strict parsers for the two places a SigV4 signature travels:
//
//  - the Authorization header:
//      AWS4-HMAC-SHA256 Credential=AK/20261122/us-east-1/kinesis/aws4_request,
//      SignedHeaders=host;x-amz-date, Signature=<64 lowercase hex>
//    (one line; the three parts in any order, separated by ',' with optional
//    spaces or tabs around it, as botocore, the SDKs and the KVS producer
//    send them);
//  - the presigned query parameters X-Amz-Algorithm, X-Amz-Credential,
//    X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature and
//    optional X-Amz-Security-Token.
//
// These parse untrusted bytes: every malformed input yields InvalidArgument
// whose message says what is wrong, in AWS's wording where AWS has one
// (missing parts are listed as "Authorization header requires 'Credential'
// parameter. ..."). Messages quote at most a short, printable excerpt of the
// input. What is accepted:
//  - access key id: 1..128 of [A-Za-z0-9_] (IAM's pattern);
//  - date: YYYYMMDD, a real calendar date;
//  - region, service: 1..64 of [A-Za-z0-9._-];
//  - terminator: exactly "aws4_request";
//  - SignedHeaders: 1..128 lowercase HTTP token names, ';'-separated, sorted,
//    no duplicates (what every SDK sends);
//  - Signature: exactly 64 lowercase hex digits.
// Anything that parses formats back (Format*) to text that parses to the same
// struct; the fuzzer (fuzz/authorization_header_fuzz.cc) checks this.
//
// Thread safety: pure functions, callable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::auth {

struct SignatureFields {
  std::string access_key_id;
  std::string date;        // YYYYMMDD from the credential scope
  std::string region;
  std::string service;
  std::string terminator;  // always "aws4_request" once parsed
  std::vector<std::string> signed_headers;
  std::string signature;   // 64 lowercase hex digits

  friend bool operator==(const SignatureFields&, const SignatureFields&) = default;
};

Result<SignatureFields> ParseAuthorizationHeader(std::string_view value);
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
std::string FormatAuthorizationHeader(const SignatureFields& fields);

// The presigned (query-string) form.
struct PresignedFields {
  SignatureFields fields;
  std::string amz_date;                 // X-Amz-Date, YYYYMMDDTHHMMSSZ
  std::optional<int64_t> expires;       // X-Amz-Expires, 0..604800 seconds
  std::optional<std::string> security_token;  // X-Amz-Security-Token, decoded

  friend bool operator==(const PresignedFields&, const PresignedFields&) = default;
};

// Parses the raw query (without '?', still percent-encoded). Parameters
// other than the X-Amz-* ones above are ignored; each of those may appear at
// most once.
Result<PresignedFields> ParsePresignedQuery(std::string_view raw_query);
// The X-Amz-* parameters, percent-encoded and '&'-joined, in the order
// Algorithm, Credential, Date, Expires, SignedHeaders, Security-Token,
// Signature (absent optional ones left out).
std::string FormatPresignedQuery(const PresignedFields& presigned);

}  // namespace osprey::auth
