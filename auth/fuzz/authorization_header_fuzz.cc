// libFuzzer target for the SigV4 parsers (authorization_header.h). Every
// input is tried both as an Authorization header value and as a raw query
// string. Beyond not crashing (ASan/UBSan are on), anything that parses must
// round-trip: formatted back and parsed again, it yields the same struct,
// and formatting that gives the same text.
//
// Build and run (see auth/README.md):
//   cmake -S . -B build-auth-fuzz -G Ninja -DOSPREY_FUZZ=ON -DOSPREY_BUILD_TESTS=OFF \
//     -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
//   cmake --build build-auth-fuzz --target fuzz_authorization_header
//   build-auth-fuzz/fuzz/fuzz_authorization_header -max_total_time=20 /tmp/auth-corpus \
//     auth/fuzz/corpus/authorization_header
// (scratch directory first: libFuzzer adds new inputs to the first one).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "osprey/auth/authorization_header.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view input, std::string_view formatted) {
  std::fprintf(stderr, "%s\ninput: %.*s\nformatted: %.*s\n", what, static_cast<int>(input.size()),
               input.data(), static_cast<int>(formatted.size()), formatted.data());
  std::abort();
}

void CheckHeader(std::string_view input) {
  using osprey::auth::FormatAuthorizationHeader;
  using osprey::auth::ParseAuthorizationHeader;
  auto parsed = ParseAuthorizationHeader(input);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) Fail("header rejected without a message", input, "");
    return;
  }
  const std::string formatted = FormatAuthorizationHeader(*parsed);
  auto again = ParseAuthorizationHeader(formatted);
  if (!again.ok()) Fail("formatted header does not parse", input, formatted);
  if (!(*again == *parsed)) Fail("header round trip changed the fields", input, formatted);
  if (FormatAuthorizationHeader(*again) != formatted) Fail("header format unstable", input, formatted);
}

void CheckQuery(std::string_view input) {
  using osprey::auth::FormatPresignedQuery;
  using osprey::auth::ParsePresignedQuery;
  auto parsed = ParsePresignedQuery(input);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) Fail("query rejected without a message", input, "");
    return;
  }
  const std::string formatted = FormatPresignedQuery(*parsed);
  auto again = ParsePresignedQuery(formatted);
  if (!again.ok()) Fail("formatted query does not parse", input, formatted);
  if (!(*again == *parsed)) Fail("query round trip changed the fields", input, formatted);
  if (FormatPresignedQuery(*again) != formatted) Fail("query format unstable", input, formatted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckHeader(input);
  CheckQuery(input);
  return 0;
}
