// CBOR (RFC 8949) as the AWS SDKs speak it for application/x-amz-cbor-1.1:
// maps with text keys (AWS writes indefinite-length ones), text strings,
// byte strings for blobs, and timestamps as tag 1 holding an integer of epoch
// MILLISECONDS (AWS's deviation from the RFC's seconds; spec
// data-streams-api.md section 1).
//
// DecodeCbor parses untrusted bytes into a Value (value.h). It accepts every
// well-formed item the SDKs could send: definite and indefinite lengths,
// chunked strings, all integer widths, half/single/double floats, tags (tag 1
// becomes a Value timestamp; other tags are skipped and their content kept),
// undefined as null. Errors (Corruption, with the byte offset): truncated
// input, reserved additional-info values, a non-text map key, a break outside
// an indefinite item, invalid UTF-8 in text is NOT checked (AWS does not
// either; the JSON writer replaces it on output), nesting deeper than
// kMaxCborDepth, and trailing bytes after the one top-level item. Declared
// lengths are checked against the remaining input before anything is
// allocated, so a 9-byte header cannot make us reserve gigabytes.
//
// CborWriter encodes; its method names mirror JsonWriter's so a handler can
// write either codec through a small template or interface.
//
// Thread safety: functions are reentrant; a CborWriter belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"
#include "osprey/base/value.h"

namespace osprey {

inline constexpr int kMaxCborDepth = 64;

Result<Value> DecodeCbor(std::string_view bytes);

class CborWriter {
 public:
  explicit CborWriter(std::string* out) : out_(out) {}
  CborWriter(const CborWriter&) = delete;
  CborWriter& operator=(const CborWriter&) = delete;

  // Maps and arrays are written with indefinite length (0xBF/0x9F ... 0xFF),
  // as the AWS SDKs and services do, so nothing needs counting in advance.
  CborWriter& BeginObject();
  CborWriter& EndObject();
  CborWriter& BeginArray();
  CborWriter& EndArray();
  CborWriter& Key(std::string_view key);
  CborWriter& String(std::string_view s);
  CborWriter& Bytes(std::string_view b);
  CborWriter& Int64(int64_t v);
  CborWriter& UInt64(uint64_t v);
  CborWriter& Double(double v);  // as a float64 (integral values too)
  CborWriter& Bool(bool b);
  CborWriter& Null();
  CborWriter& TimestampMs(int64_t epoch_ms);  // tag 1 + integer milliseconds

 private:
  void Head(uint8_t major, uint64_t value);
  std::string* out_;
};

// Encodes a Value (maps and arrays indefinite-length, as CborWriter does).
void EncodeCbor(const Value& value, CborWriter* writer);

}  // namespace osprey
