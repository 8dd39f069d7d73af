// Client-side signing: the header form (SignRequest) and the presigned
// query form (PresignRequest), built on the same canonicalisation the
// verifier uses, so that what we sign is exactly what we would accept.
#include <algorithm>
#include <array>

#include "authorization_internal.h"
#include "osprey/auth/authorization_header.h"
#include "osprey/auth/sigv4.h"
#include "text.h"

namespace osprey::auth {
namespace {

using internal::EqualsIgnoreCase;

// Headers the signer leaves unsigned. Authorization carries the signature;
// Content-Length, Connection and Transfer-Encoding are rewritten by proxies
// and HTTP stacks; botocore leaves out Expect, User-Agent and
// X-Amzn-Trace-Id (auth.SIGNED_HEADERS_BLACKLIST) for the same reason.
constexpr std::array<std::string_view, 7> kUnsigned = {
    "authorization", "connection",      "content-length",  "expect",
    "transfer-encoding", "user-agent", "x-amzn-trace-id"};

size_t CountHeader(std::span<const HeaderField> headers, std::string_view name) {
  return static_cast<size_t>(std::count_if(headers.begin(), headers.end(), [&](const HeaderField& h) {
    return EqualsIgnoreCase(h.name, name);
  }));
}

Status CheckCredentials(const Credentials& credentials, std::string_view region,
                        std::string_view service) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("credentials need an access key id and a secret access key");
  }
  if (region.empty() || service.empty()) {
    return Status::InvalidArgument("signing needs a region and a service");
  }
  return Status::Ok();
}

Status CheckHost(std::span<const HeaderField> headers) {
  // SigV4 requires host to be signed, and the signer cannot guess what the
  // HTTP stack will put there (a port or not).
  if (CountHeader(headers, "host") != 1) {
    return Status::InvalidArgument("the request needs exactly one Host header to be signed");
  }
  return Status::Ok();
}

}  // namespace

Result<SignedRequest> SignRequest(const RequestView& request, std::string_view payload_hash,
                                  const Credentials& credentials, const SigningOptions& options) {
  OSPREY_RETURN_IF_ERROR(CheckCredentials(credentials, options.region, options.service));
  OSPREY_RETURN_IF_ERROR(CheckHost(request.headers));
  for (std::string_view added : {"authorization", "x-amz-date", "x-amz-security-token"}) {
    if (CountHeader(request.headers, added) != 0) {
      return Status::InvalidArgument("the request already has a '" + std::string(added) +
                                     "' header; the signer adds it");
    }
  }
  const std::string amz_date = FormatAmzDate(options.time);

  std::vector<HeaderField> all(request.headers.begin(), request.headers.end());
  all.push_back({"X-Amz-Date", amz_date});
  if (!credentials.session_token.empty()) {
    all.push_back({"X-Amz-Security-Token", credentials.session_token});
  }
  std::vector<std::string> signed_names;
  for (const HeaderField& h : all) {
    if (h.name.empty() || !std::all_of(h.name.begin(), h.name.end(), [](char c) {
          return internal::IsTokenChar(static_cast<unsigned char>(c));
        })) {
      return Status::InvalidArgument("header name '" + internal::Excerpt(h.name) +
                                     "' is not an HTTP token");
    }
    std::string lower = internal::AsciiLower(h.name);
    if (std::find(kUnsigned.begin(), kUnsigned.end(), lower) == kUnsigned.end()) {
      signed_names.push_back(std::move(lower));
    }
  }
  std::sort(signed_names.begin(), signed_names.end());
  signed_names.erase(std::unique(signed_names.begin(), signed_names.end()), signed_names.end());

  const RequestView full{request.method, request.target, all};
  SignatureFields fields;
  fields.access_key_id = credentials.access_key_id;
  fields.date = amz_date.substr(0, 8);
  fields.region = options.region;
  fields.service = options.service;
  fields.terminator = kTerminator;
  fields.signed_headers = signed_names;

  SignedRequest out;
  out.canonical_request = CanonicalRequest(full, signed_names, payload_hash, AuthLocation::kHeader);
  const std::string sts =
      StringToSign(amz_date, CredentialScope(fields.date, fields.region, fields.service),
                   out.canonical_request);
  out.signature =
      SignatureHex(SigningKey(credentials.secret_access_key, fields.date, fields.region,
                              fields.service),
                   sts);
  fields.signature = out.signature;
  out.headers_to_add.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    out.headers_to_add.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  out.headers_to_add.emplace_back("Authorization", FormatAuthorizationHeader(fields));
  return out;
}

Result<PresignedQuery> PresignRequest(const RequestView& request, const Credentials& credentials,
                                      const PresignOptions& options) {
  OSPREY_RETURN_IF_ERROR(CheckCredentials(credentials, options.region, options.service));
  OSPREY_RETURN_IF_ERROR(CheckHost(request.headers));
  const int64_t expires = options.expires.count();
  if (expires < 1 || expires > kMaxPresignExpirySeconds) {
    return Status::InvalidArgument("presigned URLs must expire after 1 to 604800 seconds, not " +
                                   std::to_string(expires));
  }
  const internal::TargetParts target = internal::SplitTarget(request.target);
  bool has_auth_param = false;
  internal::ForEachQueryParam(target.query, [&](std::string_view raw_name, std::string_view) {
    has_auth_param |= internal::PercentDecode(raw_name).starts_with("X-Amz-");
  });
  if (has_auth_param) {
    return Status::InvalidArgument("the target already carries X-Amz-* query parameters");
  }

  PresignedFields p;
  p.amz_date = FormatAmzDate(options.time);
  p.fields.access_key_id = credentials.access_key_id;
  p.fields.date = p.amz_date.substr(0, 8);
  p.fields.region = options.region;
  p.fields.service = options.service;
  p.fields.terminator = kTerminator;
  p.fields.signed_headers = {"host"};
  p.expires = expires;
  if (!credentials.session_token.empty()) p.security_token = credentials.session_token;

  // Canonicalise the target as it will be sent: its own query plus ours.
  std::string full_target(target.path);
  full_target.push_back('?');
  if (!target.query.empty()) full_target.append(target.query).push_back('&');
  full_target.append(internal::FormatPresignedParams(p, /*with_signature=*/false));
  const RequestView full{request.method, full_target, request.headers};
  const std::string canonical = CanonicalRequest(full, p.fields.signed_headers, options.payload_hash,
                                                 AuthLocation::kQuery);
  const std::string sts = StringToSign(
      p.amz_date, CredentialScope(p.fields.date, p.fields.region, p.fields.service), canonical);
  p.fields.signature = SignatureHex(
      SigningKey(credentials.secret_access_key, p.fields.date, p.fields.region, p.fields.service),
      sts);

  PresignedQuery out;
  out.query = FormatPresignedQuery(p);
  internal::ForEachQueryParam(out.query, [&](std::string_view name, std::string_view value) {
    out.params.emplace_back(std::string(name), internal::PercentDecode(value));
  });
  return out;
}

}  // namespace osprey::auth
