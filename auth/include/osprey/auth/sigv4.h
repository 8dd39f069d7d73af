// AWS Signature Version 4 (SigV4): canonicalisation, signing keys, and a
// client-side signer and presigner.
//
// Everything here is a pure function of its arguments: no clock, no I/O, no
// global state. The server side (which request to trust) lives in
// verifier.h; this file only says how the bytes that get signed are built.
//
// Canonicalisation follows what AWS clients compute for non-S3 services
// (botocore SigV4Auth, the AWS SDKs, the KVS producer C SDK), checked against
// AWS's published test suite (tests/sigv4_test.cc):
//  - Canonical URI: the path as received, dot segments removed and runs of
//    '/' collapsed (botocore utils.remove_dot_segments), empty path -> "/",
//    then URI-encoded byte by byte keeping RFC 3986 unreserved characters and
//    '/'. The path is NOT decoded first: non-S3 services encode the wire path
//    again, so "%3A" on the wire becomes "%253A" in the canonical request.
//  - Canonical query: each name and value percent-decoded ('+' is a literal
//    plus, not a space), re-encoded with only unreserved characters left
//    bare, sorted by encoded name then encoded value, joined with '&'. In
//    the presigned form (AuthLocation::kQuery) X-Amz-Signature is left out.
//  - Canonical headers: for each name in SignedHeaders, the values of every
//    header with that name (any case), in arrival order, each trimmed with
//    inner runs of whitespace collapsed to one space, joined with ','.
//
// Thread safety: all functions may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::auth {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kTerminator = "aws4_request";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of a bodiless request, and
// what the KVS producer signs PutMedia with (video spec 1.3).
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// SigV4 signing keys are scoped to one day, so AWS caps presigned URLs at
// seven days (604800 s); we apply the same cap.
inline constexpr int64_t kMaxPresignExpirySeconds = 604800;

// One header as it arrived: name in any case, value as sent (not trimmed).
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// A request as the signature sees it, independent of any HTTP library. All
// views borrow from the caller and must outlive the calls that use them.
struct RequestView {
  std::string_view method;  // "GET", "POST", ... as sent
  // The raw request-target: path plus optional "?query", still
  // percent-encoded exactly as it was on the wire. An absolute-form target
  // ("http://host/path?q") is accepted; its scheme and authority are ignored.
  std::string_view target;
  // Every header in arrival order; repeated names allowed. HTTP/2 callers
  // must present ":authority" as "host".
  std::span<const HeaderField> headers;
};

// Where the signature travels, which changes one canonicalisation rule: in
// the query form X-Amz-Signature is not part of the canonical query.
enum class AuthLocation { kHeader, kQuery };

using Digest = std::array<uint8_t, 32>;

// --- Primitives -------------------------------------------------------------

std::string HexEncode(std::span<const uint8_t> bytes);  // lowercase
std::string Sha256Hex(std::string_view bytes);
Digest HmacSha256(std::span<const uint8_t> key, std::string_view data);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
// "aws4_request"). `date` is YYYYMMDD.
Digest SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                  std::string_view service);
// Hex HMAC-SHA256 of the string to sign under the signing key.
std::string SignatureHex(const Digest& signing_key, std::string_view string_to_sign);
// Equal lengths and bytes, in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// --- Time -------------------------------------------------------------------

// "20150830T123600Z" (ISO 8601 basic, UTC, whole seconds).
std::string FormatAmzDate(std::chrono::system_clock::time_point t);
// Strict inverse of FormatAmzDate: exactly 16 characters, a real calendar
// date. InvalidArgument otherwise.
Result<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);

// --- Canonical forms ----------------------------------------------------------

// The path part of a request-target, normalised and encoded (see above).
std::string CanonicalUri(std::string_view path);
// The raw query (without '?'), canonicalised (see above).
std::string CanonicalQuery(std::string_view raw_query, AuthLocation location);
// "name:value\n" for each of `signed_headers` (lowercase names, in the
// order given; SignedHeaders is sorted by construction). A signed header the
// request lacks yields "name:\n", which simply fails to verify.
std::string CanonicalHeaders(std::span<const HeaderField> headers,
                             std::span<const std::string> signed_headers);
// Method, canonical URI, canonical query, canonical headers, the
// ';'-joined signed header names and the payload hash, joined by '\n'.
std::string CanonicalRequest(const RequestView& request,
                             std::span<const std::string> signed_headers,
                             std::string_view payload_hash, AuthLocation location);
// "20150830/us-east-1/iam/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// --- Client side ----------------------------------------------------------------

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

struct SigningOptions {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;  // truncated to whole seconds
};

struct SignedRequest {
  // To append to the request, in this order: X-Amz-Date,
  // X-Amz-Security-Token (only with a session token), Authorization.
  std::vector<std::pair<std::string, std::string>> headers_to_add;
  std::string signature;
  std::string canonical_request;  // for debugging a mismatch
};

// Signs a request in the header form. Every header of `request` is signed
// except Authorization, Content-Length, Expect, User-Agent, X-Amzn-Trace-Id
// and the hop-by-hop Connection and Transfer-Encoding (proxies rewrite
// those); X-Amz-Date and X-Amz-Security-Token are added and signed.
// `payload_hash` is the hex SHA-256 of the body (kEmptyPayloadSha256 for
// none) or kUnsignedPayload.
// InvalidArgument: no Host header, a header name that is not an HTTP token,
// or Authorization / X-Amz-Date / X-Amz-Security-Token already present.
Result<SignedRequest> SignRequest(const RequestView& request, std::string_view payload_hash,
                                  const Credentials& credentials, const SigningOptions& options);

struct PresignOptions {
  std::string region;
  std::string service;
  std::chrono::system_clock::time_point time;
  std::chrono::seconds expires{3600};  // 1 .. kMaxPresignExpirySeconds
  // What the canonical request uses as the payload hash. UNSIGNED-PAYLOAD is
  // what S3 presigned URLs use. Note: botocore's generic SigV4QueryAuth (non
  // S3) signs the body hash instead, which for a bodiless GET is
  // kEmptyPayloadSha256; Verifier accepts either.
  std::string payload_hash{kUnsignedPayload};
};

struct PresignedQuery {
  // The authentication parameters, unencoded, in the order they appear in
  // `query`: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
  // X-Amz-SignedHeaders, [X-Amz-Security-Token], X-Amz-Signature.
  std::vector<std::pair<std::string, std::string>> params;
  // The same, encoded and '&'-joined: append to the target after '?' (no
  // query yet) or '&' (after the existing query).
  std::string query;
};

// Presigns `request` (its target may already carry a query; its headers
// must include Host, the only header signed).
// InvalidArgument: no Host, expires outside 1..604800 s, or the target
// already carries X-Amz-* authentication parameters.
Result<PresignedQuery> PresignRequest(const RequestView& request, const Credentials& credentials,
                                      const PresignOptions& options);

}  // namespace osprey::auth
