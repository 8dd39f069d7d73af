// Fuzzes DecodeCbor with arbitrary bytes. Whatever decodes must re-encode
// (CborWriter) to bytes that decode to the same tree: the decoder and the
// encoder agree on every value the decoder can produce.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "osprey/base/cbor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto value = osprey::DecodeCbor(in);
  if (!value.ok()) return 0;
  std::string again;
  osprey::CborWriter writer(&again);
  osprey::EncodeCbor(*value, &writer);
  auto round = osprey::DecodeCbor(again);
  if (!round.ok()) std::abort();
  // NaN != NaN, so compare the encodings of both trees instead of the trees.
  std::string third;
  osprey::CborWriter writer3(&third);
  osprey::EncodeCbor(*round, &writer3);
  if (third != again) std::abort();
  return 0;
}
