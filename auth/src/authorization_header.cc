// Parsers for the Authorization header and the presigned query. The input
// is untrusted: every branch that rejects says precisely why, and every
// echo of the input goes through Excerpt() (short, printable).
#include "osprey/auth/authorization_header.h"

#include <array>

#include "amz_date.h"
#include "authorization_internal.h"
#include "osprey/auth/sigv4.h"
#include "text.h"

namespace osprey::auth {
namespace {

using internal::Excerpt;

constexpr size_t kMaxAccessKeyIdLength = 128;  // IAM's limit
constexpr size_t kMaxScopeNameLength = 64;
constexpr size_t kMaxSignedHeaders = 128;

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsSpaceOrTab(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpaceOrTab(s.back())) s.remove_suffix(1);
  return s;
}

template <typename Pred>
bool AllOf(std::string_view s, Pred pred) {
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsAlnum(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

Status Invalid(std::string message) { return Status::InvalidArgument(message); }

// "AK/20150830/us-east-1/service/aws4_request" into `out`.
Status ParseCredential(std::string_view credential, SignatureFields* out) {
  std::array<std::string_view, 5> parts;
  size_t count = 0;
  size_t start = 0;
  while (true) {
    const size_t slash = credential.find('/', start);
    const std::string_view part = credential.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (count < parts.size()) parts[count] = part;
    ++count;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (count != parts.size()) {
    return Invalid("Credential should have 5 slash-separated parts "
                   "(access-key-id/YYYYMMDD/region/service/aws4_request), not " +
                   std::to_string(count) + ": '" + Excerpt(credential) + "'");
  }
  const auto [key, date, region, service, terminator] = parts;
  if (key.empty() || key.size() > kMaxAccessKeyIdLength ||
      !AllOf(key, [](unsigned char c) { return IsAlnum(c) || c == '_'; })) {
    return Invalid("Credential has an invalid access key id '" + Excerpt(key) +
                   "': expected 1 to 128 of [A-Za-z0-9_]");
  }
  if (!internal::IsValidYyyymmdd(date)) {
    return Invalid("Credential should be scoped to a valid date (YYYYMMDD), not '" +
                   Excerpt(date) + "'.");
  }
  auto scope_name_ok = [](std::string_view s) {
    return !s.empty() && s.size() <= kMaxScopeNameLength &&
           AllOf(s, [](unsigned char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
  };
  if (!scope_name_ok(region)) {
    return Invalid("Credential should be scoped to a valid region, not '" + Excerpt(region) + "'.");
  }
  if (!scope_name_ok(service)) {
    return Invalid("Credential should be scoped to a valid service, not '" + Excerpt(service) +
                   "'.");
  }
  if (terminator != kTerminator) {
    return Invalid("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                   Excerpt(terminator) + "'.");
  }
  out->access_key_id = key;
  out->date = date;
  out->region = region;
  out->service = service;
  out->terminator = terminator;
  return Status::Ok();
}

Status ParseSignedHeaders(std::string_view list, SignatureFields* out) {
  if (list.empty()) return Invalid("SignedHeaders is empty; it must list at least 'host'");
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t semi = list.find(';', start);
    const std::string_view name = list.substr(
        start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
    if (name.empty()) return Invalid("SignedHeaders has an empty name (stray ';')");
    // HTTP/2 clients (the AWS SDK for JavaScript v3) sign the ":authority"
    // pseudo-header in place of "host"; no other pseudo-header is signed.
    if (name != ":authority" && !AllOf(name, [](unsigned char c) {
          return internal::IsTokenChar(c) && !(c >= 'A' && c <= 'Z');
        })) {
      return Invalid("SignedHeaders name '" + Excerpt(name) +
                     "' is not a lowercase HTTP header name");
    }
    // SigV4 requires the list sorted; every SDK sends it so, and a unique
    // sorted list means one request has exactly one canonical form.
    if (!names.empty() && name <= std::string_view(names.back())) {
      return Invalid("SignedHeaders must be sorted and without duplicates: '" + Excerpt(name) +
                     "' follows '" + Excerpt(names.back()) + "'");
    }
    if (names.size() == kMaxSignedHeaders) {
      return Invalid("SignedHeaders lists more than 128 names");
    }
    names.emplace_back(name);
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  out->signed_headers = std::move(names);
  return Status::Ok();
}

Status ParseSignature(std::string_view signature, SignatureFields* out) {
  if (signature.size() != 64 || !AllOf(signature, [](unsigned char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return Invalid("Signature must be 64 lowercase hexadecimal digits, not '" +
                   Excerpt(signature) + "'");
  }
  out->signature = signature;
  return Status::Ok();
}

std::string CredentialString(const SignatureFields& f) {
  return f.access_key_id + "/" + CredentialScope(f.date, f.region, f.service);
}

std::string JoinSignedHeaders(const SignatureFields& f) {
  std::string out;
  for (const std::string& name : f.signed_headers) {
    if (!out.empty()) out.push_back(';');
    out.append(name);
  }
  return out;
}

}  // namespace

Result<SignatureFields> ParseAuthorizationHeader(std::string_view value) {
  if (TrimOws(value).empty()) return Invalid("Authorization header is empty");
  const size_t space = value.find_first_of(" \t");
  const std::string_view algorithm = value.substr(0, space);
  if (algorithm != kAlgorithm) {
    return Invalid("Unsupported Authorization type '" + Excerpt(algorithm) +
                   "': only AWS4-HMAC-SHA256 is accepted");
  }
  std::string_view rest = space == std::string_view::npos ? std::string_view()
                                                           : TrimOws(value.substr(space));
  // Credential, Signature, SignedHeaders: the order AWS lists missing ones.
  static constexpr std::array<std::string_view, 3> kNames = {"Credential", "Signature",
                                                             "SignedHeaders"};
  std::array<std::string_view, 3> values;
  std::array<bool, 3> seen = {false, false, false};
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view element = TrimOws(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (element.empty() || (comma != std::string_view::npos && TrimOws(rest).empty())) {
      return Invalid("Authorization header has an empty element (stray ',')");
    }
    const size_t eq = element.find('=');
    if (eq == std::string_view::npos) {
      return Invalid("Invalid key=value pair (missing equal-sign) in Authorization header: '" +
                     Excerpt(element) + "'");
    }
    const std::string_view name = element.substr(0, eq);
    size_t index = kNames.size();
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (name == kNames[i]) index = i;
    }
    if (index == kNames.size()) {
      return Invalid("Unknown parameter '" + Excerpt(name) +
                     "' in Authorization header (expected Credential, SignedHeaders, Signature)");
    }
    if (seen[index]) {
      return Invalid("Authorization header has more than one '" + std::string(name) +
                     "' parameter");
    }
    seen[index] = true;
    values[index] = element.substr(eq + 1);
  }
  std::string missing;
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (seen[i]) continue;
    if (!missing.empty()) missing.push_back(' ');
    missing.append(internal::kHeaderRequiresPrefix);
    missing.append("'").append(kNames[i]).append("' parameter.");
  }
  if (!missing.empty()) return Invalid(missing);

  SignatureFields fields;
  OSPREY_RETURN_IF_ERROR(ParseCredential(values[0], &fields));
  OSPREY_RETURN_IF_ERROR(ParseSignature(values[1], &fields));
  OSPREY_RETURN_IF_ERROR(ParseSignedHeaders(values[2], &fields));
  return fields;
}

std::string FormatAuthorizationHeader(const SignatureFields& fields) {
  std::string out(kAlgorithm);
  out.append(" Credential=").append(CredentialString(fields));
  out.append(", SignedHeaders=").append(JoinSignedHeaders(fields));
  out.append(", Signature=").append(fields.signature);
  return out;
}

Result<PresignedFields> ParsePresignedQuery(std::string_view raw_query) {
  enum Param { kAlgorithmP, kCredentialP, kSignatureP, kSignedHeadersP, kDateP, kExpiresP, kTokenP };
  // The first five are required, listed in the order AWS names them.
  static constexpr std::array<std::string_view, 7> kNames = {
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",     "X-Amz-SignedHeaders",
      "X-Amz-Date",      "X-Amz-Expires",    "X-Amz-Security-Token"};
  std::array<std::string, 7> values;
  std::array<bool, 7> seen = {};
  std::string duplicate;
  internal::ForEachQueryParam(raw_query, [&](std::string_view raw_name, std::string_view raw_value) {
    const std::string name = internal::PercentDecode(raw_name);
    for (size_t i = 0; i < kNames.size(); ++i) {
      if (name != kNames[i]) continue;
      if (seen[i] && duplicate.empty()) duplicate = kNames[i];
      seen[i] = true;
      values[i] = internal::PercentDecode(raw_value);
    }
  });
  if (!duplicate.empty()) {
    return Invalid("Query-string parameter '" + duplicate + "' appears more than once");
  }
  std::string missing;
  for (size_t i = kAlgorithmP; i <= kDateP; ++i) {
    if (seen[i]) continue;
    missing.append("AWS query-string parameters must include '").append(kNames[i]).append("'. ");
  }
  if (!missing.empty()) return Invalid(missing + "Re-examine the query-string parameters.");

  if (values[kAlgorithmP] != kAlgorithm) {
    return Invalid("X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256', not '" +
                   Excerpt(values[kAlgorithmP]) + "'");
  }
  PresignedFields out;
  OSPREY_RETURN_IF_ERROR(ParseCredential(values[kCredentialP], &out.fields));
  OSPREY_RETURN_IF_ERROR(ParseSignature(values[kSignatureP], &out.fields));
  OSPREY_RETURN_IF_ERROR(ParseSignedHeaders(values[kSignedHeadersP], &out.fields));
  if (auto date = ParseAmzDate(values[kDateP]); !date.ok()) {
    return Invalid("X-Amz-Date: " + date.status().message());
  }
  out.amz_date = values[kDateP];
  if (seen[kExpiresP]) {
    const std::string& text = values[kExpiresP];
    if (text.empty() || !AllOf(text, [](unsigned char c) { return c >= '0' && c <= '9'; })) {
      return Invalid("X-Amz-Expires should be a number, not '" + Excerpt(text) + "'");
    }
    int64_t seconds = 0;
    for (char c : text) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > kMaxPresignExpirySeconds) {
        // S3's wording; the one-week cap comes from the day-scoped key.
        return Invalid(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds");
      }
    }
    out.expires = seconds;
  }
  if (seen[kTokenP]) out.security_token = values[kTokenP];
  return out;
}

std::string internal::FormatPresignedParams(const PresignedFields& p, bool with_signature) {
  std::string out = "X-Amz-Algorithm=";
  out.append(kAlgorithm);
  out.append("&X-Amz-Credential=").append(UriEncode(CredentialString(p.fields), false));
  out.append("&X-Amz-Date=").append(UriEncode(p.amz_date, false));
  if (p.expires) out.append("&X-Amz-Expires=").append(std::to_string(*p.expires));
  out.append("&X-Amz-SignedHeaders=").append(UriEncode(JoinSignedHeaders(p.fields), false));
  if (p.security_token) {
    out.append("&X-Amz-Security-Token=").append(UriEncode(*p.security_token, false));
  }
  if (with_signature) out.append("&X-Amz-Signature=").append(p.fields.signature);
  return out;
}

std::string FormatPresignedQuery(const PresignedFields& presigned) {
  return internal::FormatPresignedParams(presigned, /*with_signature=*/true);
}

}  // namespace osprey::auth
