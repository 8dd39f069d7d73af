// Verifier::Verify. The order of checks and the wording of each failure
// follow AWS (verifier.h lists them); where AWS's words are known they are
// used verbatim, because SDKs and users search for them.
#include "osprey/auth/verifier.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "amz_date.h"
#include "authorization_internal.h"
#include "osprey/auth/authorization_header.h"
#include "text.h"

namespace osprey::auth {
namespace {

using std::chrono::system_clock;
using internal::EqualsIgnoreCase;

constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

AuthFailure Fail(AuthError error, std::string message, std::string detail = {}) {
  return AuthFailure{error, std::move(message), std::move(detail)};
}

// "5 min." as AWS prints the window; seconds when it is not whole minutes.
std::string SkewText(std::chrono::seconds skew) {
  if (skew.count() % 60 == 0) return std::to_string(skew.count() / 60) + " min.";
  return std::to_string(skew.count()) + " sec.";
}

// Everything both forms have once parsed.
struct Claim {
  SignatureFields fields;
  std::string amz_date;
  system_clock::time_point time;
  std::optional<int64_t> expires;  // presigned only
  AuthLocation location;
};

std::vector<std::string_view> HeaderValues(const RequestView& request, std::string_view name) {
  std::vector<std::string_view> out;
  for (const HeaderField& h : request.headers) {
    if (EqualsIgnoreCase(h.name, name)) out.push_back(h.value);
  }
  return out;
}

bool QueryHas(std::string_view raw_query, std::string_view name) {
  bool found = false;
  internal::ForEachQueryParam(raw_query, [&](std::string_view raw_name, std::string_view) {
    found |= internal::PercentDecode(raw_name) == name;
  });
  return found;
}

// The header form: Authorization plus X-Amz-Date (or Date).
std::variant<Claim, AuthFailure> ClaimFromHeader(const RequestView& request,
                                                 std::string_view authorization) {
  Result<SignatureFields> fields = ParseAuthorizationHeader(authorization);
  const std::vector<std::string_view> amz_dates = HeaderValues(request, "x-amz-date");
  const std::vector<std::string_view> dates = HeaderValues(request, "date");
  if (amz_dates.empty() && dates.empty()) {
    // AWS lists every missing piece in one message; the parser's "requires"
    // sentences come first.
    std::string message;
    if (!fields.ok()) {
      if (!fields.status().message().starts_with(internal::kHeaderRequiresPrefix)) {
        return Fail(AuthError::kIncompleteSignature, fields.status().message());
      }
      message = fields.status().message() + " ";
    }
    message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
    return Fail(AuthError::kIncompleteSignature, message);
  }
  if (!fields.ok()) return Fail(AuthError::kIncompleteSignature, fields.status().message());
  if (amz_dates.size() > 1 || (amz_dates.empty() && dates.size() > 1)) {
    return Fail(AuthError::kIncompleteSignature,
                "The request carries more than one date header; send exactly one X-Amz-Date.");
  }
  Claim claim{std::move(fields).value(), {}, {}, std::nullopt, AuthLocation::kHeader};
  if (!amz_dates.empty()) {
    Result<system_clock::time_point> t = ParseAmzDate(amz_dates[0]);
    if (!t.ok()) return Fail(AuthError::kIncompleteSignature, t.status().message());
    claim.amz_date = amz_dates[0];
    claim.time = *t;
  } else {
    std::optional<system_clock::time_point> t = internal::ParseHttpDate(dates[0]);
    if (!t) {
      return Fail(AuthError::kIncompleteSignature,
                  "Date header must be an HTTP date such as 'Sun, 06 Nov 1994 08:49:37 GMT', not '" +
                      internal::Excerpt(dates[0]) + "'");
    }
    // The string to sign carries the date in ISO 8601 basic form whichever
    // header supplied it (botocore SigV4Auth._set_necessary_date_headers).
    claim.amz_date = FormatAmzDate(*t);
    claim.time = *t;
  }
  return claim;
}

std::variant<Claim, AuthFailure> ClaimFromQuery(std::string_view raw_query) {
  Result<PresignedFields> presigned = ParsePresignedQuery(raw_query);
  if (!presigned.ok()) return Fail(AuthError::kIncompleteSignature, presigned.status().message());
  PresignedFields p = std::move(presigned).value();
  // ParsePresignedQuery validated the date already.
  const system_clock::time_point t = *ParseAmzDate(p.amz_date);
  return Claim{std::move(p.fields), std::move(p.amz_date), t, p.expires, AuthLocation::kQuery};
}

// Deriving a signing key costs four HMACs, and the key changes only with the
// secret, the day, the region and the service: remember the last few per
// thread (no lock). The secret is part of the cache key, so two stores with
// different secrets for one key id never share an entry.
Digest CachedSigningKey(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  struct Entry {
    std::string id;
    Digest key;
  };
  constexpr size_t kEntries = 8;
  thread_local std::array<Entry, kEntries> cache;
  thread_local size_t next = 0;
  std::string id;
  id.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  id.append(secret).append(1, '\0').append(date).append(1, '\0').append(region).append(1, '\0')
      .append(service);
  for (const Entry& e : cache) {
    if (e.id == id) return e.key;
  }
  Digest key = SigningKey(secret, date, region, service);
  cache[next] = Entry{std::move(id), key};
  next = (next + 1) % kEntries;
  return key;
}

}  // namespace

std::string_view AuthFailure::exception_name() const {
  switch (error) {
    case AuthError::kMissingAuthenticationToken: return "MissingAuthenticationTokenException";
    case AuthError::kIncompleteSignature: return "IncompleteSignatureException";
    case AuthError::kInvalidSignature: return "InvalidSignatureException";
    case AuthError::kUnrecognizedClient: return "UnrecognizedClientException";
    case AuthError::kAccessDenied: return "AccessDeniedException";
  }
  return "InvalidSignatureException";
}

Status AuthFailure::ToStatus() const {
  return Status::PermissionDenied(std::string(exception_name()) + ": " + message);
}

const Identity& VerifyResult::identity() const {
  if (!ok()) {
    std::fprintf(stderr, "VerifyResult::identity() on a failure\n");
    std::abort();
  }
  return std::get<Identity>(value_);
}

const AuthFailure& VerifyResult::failure() const {
  if (ok()) {
    std::fprintf(stderr, "VerifyResult::failure() on a success\n");
    std::abort();
  }
  return std::get<AuthFailure>(value_);
}

Verifier::Verifier(const CredentialStore* store, VerifierOptions options)
    : store_(store), options_(std::move(options)) {}

system_clock::time_point Verifier::Now() const {
  return options_.clock ? options_.clock() : system_clock::now();
}

VerifyResult Verifier::Verify(const RequestView& request, std::string_view body_sha256_hex,
                              std::string_view expected_service) const {
  const std::string_view raw_query = internal::SplitTarget(request.target).query;
  const std::vector<std::string_view> authorization = HeaderValues(request, "authorization");
  const bool in_query = QueryHas(raw_query, "X-Amz-Algorithm");
  if (authorization.empty() && !in_query) {
    return Fail(AuthError::kMissingAuthenticationToken, "Missing Authentication Token");
  }
  if (!authorization.empty() && in_query) {
    return Fail(AuthError::kInvalidSignature,
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                "HTTP header.");
  }
  if (authorization.size() > 1) {
    return Fail(AuthError::kIncompleteSignature,
                "The request carries more than one Authorization header.");
  }
  std::variant<Claim, AuthFailure> parsed =
      in_query ? ClaimFromQuery(raw_query) : ClaimFromHeader(request, authorization[0]);
  if (auto* failure = std::get_if<AuthFailure>(&parsed)) return std::move(*failure);
  const Claim& claim = std::get<Claim>(parsed);
  const SignatureFields& f = claim.fields;

  if (f.date != std::string_view(claim.amz_date).substr(0, 8)) {
    return Fail(AuthError::kInvalidSignature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP: '" + f.date + "' != '" + claim.amz_date.substr(0, 8) + "', from '" +
                    claim.amz_date + "'.");
  }
  auto signed_header = [&f](std::string_view name) {
    return std::find(f.signed_headers.begin(), f.signed_headers.end(), name) !=
           f.signed_headers.end();
  };
  if (!signed_header("host") && !signed_header(":authority")) {
    return Fail(AuthError::kInvalidSignature,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (!expected_service.empty() && f.service != expected_service) {
    return Fail(AuthError::kInvalidSignature, "Credential should be scoped to correct service: '" +
                                                  std::string(expected_service) + "'. ");
  }
  if (!options_.allowed_regions.empty() &&
      std::find(options_.allowed_regions.begin(), options_.allowed_regions.end(), f.region) ==
          options_.allowed_regions.end()) {
    return Fail(AuthError::kInvalidSignature,
                "Credential should be scoped to a valid region, not '" + f.region + "'. ");
  }
  const AccessKey* key = store_->Find(f.access_key_id);
  if (key == nullptr) {
    return Fail(AuthError::kUnrecognizedClient,
                "The security token included in the request is invalid.");
  }

  const system_clock::time_point now = std::chrono::floor<std::chrono::seconds>(Now());
  const std::chrono::seconds skew = options_.allowed_skew;
  if (claim.time > now + skew) {
    return Fail(AuthError::kInvalidSignature,
                "Signature not yet current: " + claim.amz_date + " is still later than " +
                    FormatAmzDate(now + skew) + " (" + FormatAmzDate(now) + " + " +
                    SkewText(skew) + ")");
  }
  if (claim.expires) {
    // Presigned with X-Amz-Expires: valid from the signing time until
    // X-Amz-Expires seconds later. AWS documents the answer only for S3
    // (403 AccessDenied "Request has expired", as quoted in
    // aws/aws-sdk-js#3493); JSON services name it AccessDeniedException.
    if (now > claim.time + std::chrono::seconds(*claim.expires)) {
      return Fail(AuthError::kAccessDenied, "Request has expired");
    }
  } else if (claim.time < now - skew) {
    return Fail(AuthError::kInvalidSignature,
                "Signature expired: " + claim.amz_date + " is now earlier than " +
                    FormatAmzDate(now - skew) + " (" + FormatAmzDate(now) + " - " +
                    SkewText(skew) + ")");
  }

  // A body swapped under a signed x-amz-content-sha256 must not pass: the
  // signature covers the header, so the header must describe the body.
  for (std::string_view declared : HeaderValues(request, "x-amz-content-sha256")) {
    if (declared != body_sha256_hex) {
      return Fail(AuthError::kInvalidSignature,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }

  const std::string scope = CredentialScope(f.date, f.region, f.service);
  const Digest signing_key =
      CachedSigningKey(key->secret_access_key, f.date, f.region, f.service);
  auto matches = [&](std::string_view payload_hash, std::string* detail) {
    const std::string canonical =
        CanonicalRequest(request, f.signed_headers, payload_hash, claim.location);
    const std::string sts = StringToSign(claim.amz_date, scope, canonical);
    const bool equal = ConstantTimeEquals(SignatureHex(signing_key, sts), f.signature);
    if (!equal && detail->empty()) {
      *detail = "canonical request:\n" + canonical + "\nstring to sign:\n" + sts;
    }
    return equal;
  };
  std::string detail;
  bool ok = matches(body_sha256_hex, &detail);
  // botocore's generic presigner signs the body hash, S3-style presigners
  // sign UNSIGNED-PAYLOAD; a presigned URL may come from either.
  if (!ok && claim.location == AuthLocation::kQuery) ok = matches(kUnsignedPayload, &detail);
  if (!ok) return Fail(AuthError::kInvalidSignature, std::string(kSignatureMismatch), detail);

  return Identity{f.access_key_id, f.region, f.service, f.date, claim.amz_date,
                  claim.location == AuthLocation::kQuery};
}

}  // namespace osprey::auth
