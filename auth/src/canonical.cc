// The canonical request and string to sign. The rules are summarised in
// sigv4.h; the comments here say where each one comes from.
#include <algorithm>
#include <utility>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "text.h"

namespace osprey::auth {

using internal::AppendTrimAll;
using internal::AppendUriEncoded;
using internal::EqualsIgnoreCase;
using internal::PercentDecode;

std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  // botocore utils.remove_dot_segments: split on '/', drop empty and "."
  // segments (so "//" collapses, which AWS requires though RFC 3986 does
  // not), let ".." drop the previous segment, and keep the leading slash and
  // a trailing one when anything is left.
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string normalized;
  if (path.front() == '/') normalized.push_back('/');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalized.push_back('/');
    normalized.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) normalized.push_back('/');
  if (normalized.empty()) return "/";
  // The path is encoded as received, without decoding first: for non-S3
  // services botocore quote()s the already-encoded path (SigV4Auth.
  // _normalize_url_path), so a '%' on the wire becomes "%25" here.
  std::string out;
  AppendUriEncoded(&out, normalized, /*keep_slash=*/true);
  return out;
}

std::string CanonicalQuery(std::string_view raw_query, AuthLocation location) {
  std::vector<std::pair<std::string, std::string>> params;
  internal::ForEachQueryParam(raw_query, [&](std::string_view raw_name, std::string_view raw_value) {
    std::string name = PercentDecode(raw_name);
    // "The Canonical Query String must include all the query parameters ...
    // except for X-Amz-Signature" (presigned form only).
    if (location == AuthLocation::kQuery && name == "X-Amz-Signature") return;
    // Decode then re-encode, so that whatever escaping the client chose on
    // the wire ("%7e" or "~", "%2f" or "%2F") we sign the one form AWS
    // defines. Clients encode with the same unreserved set, so for their
    // URLs this is the identity.
    params.emplace_back(internal::UriEncode(name, false),
                        internal::UriEncode(PercentDecode(raw_value), false));
  });
  // Sorted by encoded name, then by encoded value for repeated names
  // (test suite get-vanilla-query-order-key / -value).
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

std::string CanonicalHeaders(std::span<const HeaderField> headers,
                             std::span<const std::string> signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out.append(name);
    out.push_back(':');
    bool first = true;
    for (const HeaderField& field : headers) {
      if (!EqualsIgnoreCase(field.name, name)) continue;
      // Repeated headers are joined with ',' in arrival order (test suite
      // get-header-key-duplicate, get-header-value-order).
      if (!first) out.push_back(',');
      AppendTrimAll(&out, field.value);
      first = false;
    }
    out.push_back('\n');
  }
  return out;
}

std::string CanonicalRequest(const RequestView& request,
                             std::span<const std::string> signed_headers,
                             std::string_view payload_hash, AuthLocation location) {
  const internal::TargetParts target = internal::SplitTarget(request.target);
  std::string out;
  out.append(request.method);
  out.push_back('\n');
  out.append(CanonicalUri(target.path));
  out.push_back('\n');
  out.append(CanonicalQuery(target.query, location));
  out.push_back('\n');
  out.append(CanonicalHeaders(request.headers, signed_headers));
  out.push_back('\n');
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.reserve(date.size() + region.size() + service.size() + kTerminator.size() + 3);
  out.append(date).append("/").append(region).append("/").append(service).append("/");
  out.append(kTerminator);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.push_back('\n');
  out.append(amz_date);
  out.push_back('\n');
  out.append(scope);
  out.push_back('\n');
  out.append(Sha256Hex(canonical_request));
  return out;
}

}  // namespace osprey::auth
