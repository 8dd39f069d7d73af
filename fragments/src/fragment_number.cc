#include "osprey/fragments/fragment_number.h"

#include <cstdint>
#include <cstdio>

namespace osprey::fragments {

namespace {
constexpr size_t kCreationDigits = 13;
constexpr size_t kIndexDigits = 33;
static_assert(1 + kCreationDigits + kIndexDigits == kFragmentNumberDigits);
}  // namespace

std::string FormatFragmentNumber(int64_t stream_creation_ms, uint64_t index) {
  // uint64 has at most 20 digits, so the index field is zero-padded on the
  // left; the wide field leaves room for a wider index later without
  // changing the width clients have seen.
  char buf[kFragmentNumberDigits + 1];
  std::snprintf(buf, sizeof buf, "9%013lld%013d%020llu",
                static_cast<long long>(stream_creation_ms), 0,
                static_cast<unsigned long long>(index));
  return std::string(buf, kFragmentNumberDigits);
}

Result<ParsedFragmentNumber> ParseFragmentNumber(std::string_view text) {
  if (text.size() != kFragmentNumberDigits || text[0] != '9') {
    return Status::InvalidArgument("not an Osprey fragment number");
  }
  ParsedFragmentNumber out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return Status::InvalidArgument("not an Osprey fragment number");
    int d = c - '0';
    if (i >= 1 && i < 1 + kCreationDigits) {
      out.stream_creation_ms = out.stream_creation_ms * 10 + d;
    } else if (i >= 1 + kCreationDigits && i < 1 + kCreationDigits + 13) {
      if (d != 0) return Status::InvalidArgument("fragment index out of range");
    } else if (i >= 1 + kCreationDigits + 13) {
      if (out.index > (UINT64_MAX - static_cast<uint64_t>(d)) / 10) {
        return Status::InvalidArgument("fragment index out of range");
      }
      out.index = out.index * 10 + static_cast<uint64_t>(d);
    }
  }
  return out;
}

}  // namespace osprey::fragments
