// Verifier: decides whether a request carries a valid SigV4 signature from a
// known access key, and answers the way AWS does when it does not.
//
//   Verifier verifier(&store, {.allowed_skew = std::chrono::minutes(5)});
//   VerifyResult r = verifier.Verify(request, Sha256Hex(body), "kinesis");
//   if (!r.ok()) -> HTTP r.failure().http_status(),
//                   x-amzn-ErrorType: r.failure().exception_name(),
//                   {"message": r.failure().message}
//
// Accepted: the Authorization header form (date from X-Amz-Date, else Date)
// and the presigned query form (X-Amz-Algorithm=AWS4-HMAC-SHA256 ...), never
// both. Checks, in order: form and syntax; credential date equals the first
// 8 digits of the request date; `host` is signed; scope service equals
// `expected_service` (when given) and region is allowed; the key is known;
// the request time is within the allowed skew (presigned: not before the
// date minus the skew, not after date + X-Amz-Expires); an
// x-amz-content-sha256 header, when present, equals the body hash; finally
// the signature, compared in constant time. A presigned signature is
// accepted when computed over UNSIGNED-PAYLOAD or over the body hash.
//
// Failures (all HTTP 403: an Osprey choice, AWS varies by service):
//   MissingAuthenticationTokenException  no signature at all
//   IncompleteSignatureException         missing or malformed parts/date
//   InvalidSignatureException            mismatch, wrong scope, expired or
//                                        not yet valid, both forms present
//   UnrecognizedClientException          unknown access key
//   AccessDeniedException                presigned URL past X-Amz-Expires
//
// The body hash is whatever the caller passes: the hex SHA-256 of the body,
// or kEmptyPayloadSha256 for PutMedia, whose producer signs the empty
// string and streams the body (video spec 1.3).
//
// Lifetime: `store` must outlive the Verifier.
// Thread safety: Verify() is const and may run on any number of threads at
// once, provided the clock function is thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "osprey/auth/credentials.h"
#include "osprey/auth/sigv4.h"
#include "osprey/base/status.h"

namespace osprey::auth {

struct VerifierOptions {
  // How far the request date may be from our clock, either way. AWS uses 5
  // minutes for Kinesis (15 for some services).
  std::chrono::seconds allowed_skew{300};
  // Regions a credential scope may name; empty: any.
  std::vector<std::string> allowed_regions;
  // Current time; null means std::chrono::system_clock::now. Tests inject.
  std::function<std::chrono::system_clock::time_point()> clock;
};

struct Identity {
  std::string access_key_id;
  std::string region;
  std::string service;
  std::string date;      // YYYYMMDD, from the credential scope
  std::string amz_date;  // the signed request time, YYYYMMDDTHHMMSSZ
  bool presigned = false;
};

enum class AuthError {
  kMissingAuthenticationToken,
  kIncompleteSignature,
  kInvalidSignature,
  kUnrecognizedClient,
  kAccessDenied,
};

struct AuthFailure {
  AuthError error;
  // AWS-shaped, safe to send to the client.
  std::string message;
  // For debug logs only, never for the client: on a signature mismatch, the
  // canonical request and string to sign we computed. Often empty.
  std::string detail;

  // "InvalidSignatureException", ...
  std::string_view exception_name() const;
  // 403, as the REST APIs (Kinesis Video Streams) answer. The JSON 1.1
  // APIs answer these with 400 (data-streams spec 2.2): http_status(service)
  // gives the status for the service a request was signed for.
  int http_status() const { return 403; }
  int http_status(std::string_view service) const {
    return service == "kinesis" || service == "firehose" ? 400 : 403;
  }
  // PermissionDenied("<exception name>: <message>").
  Status ToStatus() const;
};

class [[nodiscard]] VerifyResult {
 public:
  VerifyResult(Identity identity) : value_(std::move(identity)) {}  // NOLINT
  VerifyResult(AuthFailure failure) : value_(std::move(failure)) {}  // NOLINT

  bool ok() const { return value_.index() == 0; }
  // Each aborts when called on the other kind.
  const Identity& identity() const;
  const AuthFailure& failure() const;

 private:
  std::variant<Identity, AuthFailure> value_;
};

class Verifier {
 public:
  Verifier(const CredentialStore* store, VerifierOptions options = {});

  // `body_sha256_hex`: lowercase hex (see above). `expected_service`: the
  // SigV4 service the endpoint serves ("kinesis", "kinesisvideo",
  // "firehose"); empty accepts any.
  VerifyResult Verify(const RequestView& request, std::string_view body_sha256_hex,
                      std::string_view expected_service) const;

 private:
  std::chrono::system_clock::time_point Now() const;

  const CredentialStore* store_;
  VerifierOptions options_;
};

}  // namespace osprey::auth
