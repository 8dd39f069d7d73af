// Byte-level text helpers shared by the auth sources: URI encoding as SigV4
// defines it, lenient percent-decoding, ASCII case folding, and quoting of
// untrusted input for error messages.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace osprey::auth::internal {

// RFC 3986 unreserved: A-Z a-z 0-9 - . _ ~
inline bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// Appends `in` with every byte that is not unreserved (and not '/', when
// `keep_slash`) written as %XX, uppercase hex, as SigV4 requires.
void AppendUriEncoded(std::string* out, std::string_view in, bool keep_slash);
std::string UriEncode(std::string_view in, bool keep_slash);

// Decodes %XX escapes (either hex case). A '%' not followed by two hex
// digits is kept literally; '+' stays '+' (RFC 3986, not form encoding).
std::string PercentDecode(std::string_view in);

char AsciiLower(char c);
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// SigV4 "Trimall": strip leading/trailing whitespace and collapse inner runs
// of whitespace to one space (what botocore does with ' '.join(v.split())).
void AppendTrimAll(std::string* out, std::string_view value);

// HTTP token character (RFC 9110 tchar).
bool IsTokenChar(unsigned char c);

// The path and query of a request-target. An absolute-form target
// ("http://host/p?q") loses its scheme and authority; '#' never reaches a
// server, so it is not special.
struct TargetParts {
  std::string_view path;
  std::string_view query;  // without '?'; empty when there is none
};
TargetParts SplitTarget(std::string_view target);

// Calls fn(raw_name, raw_value) for each '&'-separated parameter of a raw
// query, still percent-encoded; empty pieces ("a=1&&b=2") are skipped, a
// piece without '=' has an empty value.
template <typename Fn>
void ForEachQueryParam(std::string_view raw_query, Fn&& fn) {
  size_t start = 0;
  while (start <= raw_query.size()) {
    size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view piece = raw_query.substr(start, end - start);
    if (!piece.empty()) {
      const size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        fn(piece, std::string_view());
      } else {
        fn(piece.substr(0, eq), piece.substr(eq + 1));
      }
    }
    start = end + 1;
  }
}

// A short, printable rendering of untrusted bytes for messages: at most 64
// bytes, non-printable ones as \xNN, "..." when cut.
std::string Excerpt(std::string_view untrusted);

}  // namespace osprey::auth::internal
