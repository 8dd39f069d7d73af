// EBML primitives: variable-length integers (element IDs and sizes), value
// decoding, and iteration over the children of a body held in memory.
// Private to fragments/: the parser and the writer share them.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/status.h"

namespace osprey::fragments::ebml {

using Bytes = std::span<const uint8_t>;

inline constexpr uint64_t kUnknownSize = ~uint64_t{0};

// Length in bytes of a vint from its first byte (the count of leading zero
// bits plus one), or 0 when the first byte is 0x00 (no marker in 8 bits).
int VintLength(uint8_t first);

// Outcome of decoding a header from a prefix of the stream.
enum class Decode { kOk, kNeedMore, kInvalid };

struct ElementHeader {
  uint32_t id = 0;
  uint64_t size = 0;  // kUnknownSize when all value bits are ones
  int header_length = 0;
};

// Decodes ID + size at the start of `data`. kInvalid sets `*error` to the
// reason (no offset: callers add it). IDs longer than 4 bytes, IDs whose
// value bits are all zeros or all ones, and sizes longer than 8 bytes are
// invalid.
Decode DecodeHeader(Bytes data, ElementHeader* out, std::string* error);

// Name for messages: "Cluster", "SimpleBlock", or "0x1234" for unknown IDs.
std::string ElementName(uint32_t id);

// Value decoders. Unsigned integers: 0-8 bytes. Floats: 0, 4 or 8 bytes.
Result<uint64_t> ReadUint(Bytes body);
Result<double> ReadFloat(Bytes body);
// A string with trailing NULs removed (old KVS producers pad with them).
std::string ReadString(Bytes body);

// Calls fn(header, body, offset_of_element) for every child of `body`, in
// order. `base_offset` is the stream offset of body[0], used in messages.
// Fails on a malformed header, an unknown size or a child overrunning body.
using ChildFn = std::function<Status(const ElementHeader&, Bytes body, uint64_t offset)>;
Status ForEachChild(Bytes body, uint64_t base_offset, const ChildFn& fn);

// "<Name> at offset N: <what>".
Status Corrupt(uint32_t id, uint64_t offset, std::string_view what);

// Writing: appends to `out`.
void AppendId(std::string* out, uint32_t id);
// Size as a vint of `length` bytes (1-8), or the minimal length when 0.
void AppendSize(std::string* out, uint64_t size, int length = 0);
void AppendUnknownSize(std::string* out);  // 0x01FFFFFFFFFFFFFF
void AppendUint(std::string* out, uint32_t id, uint64_t value, int length = 0);
void AppendFloat(std::string* out, uint32_t id, double value);
void AppendBytes(std::string* out, uint32_t id, std::string_view value);
// Wraps already-encoded children in a master element of known size.
void AppendMaster(std::string* out, uint32_t id, std::string_view children);

inline Bytes AsBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsView(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace osprey::fragments::ebml
