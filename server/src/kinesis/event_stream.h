// The AWS event-stream framing (application/vnd.amazon.eventstream) that
// SubscribeToShard answers with (shared/spec/data-streams-api.md section 7):
//
//   total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32
//
// big-endian, CRC-32 (IEEE) over the first 8 bytes and over everything
// before the last 4. Osprey writes only string headers (type 7).
//
// DecodeEventStreamMessage exists for tests and tools that read our output
// back; it checks both CRCs and the limits (16 MiB message, 128 KiB headers).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "osprey/base/result.h"

namespace osprey::server::kinesis {

using EventHeaders = std::vector<std::pair<std::string, std::string>>;

std::string EncodeEventStreamMessage(const EventHeaders& headers, std::string_view payload);

// An event (":message-type: event") with its ":event-type" and
// ":content-type" headers.
std::string EncodeEvent(std::string_view event_type, std::string_view content_type,
                        std::string_view payload);
// An exception (":message-type: exception") with ":exception-type".
std::string EncodeException(std::string_view exception_type, std::string_view content_type,
                            std::string_view payload);

struct EventStreamMessage {
  EventHeaders headers;  // string-valued headers; other types are rendered as text
  std::string payload;
  size_t encoded_size = 0;
};

// Decodes the message at the start of `bytes`. Corruption on a CRC
// mismatch, a bad length or a header type it cannot read; Unavailable
// ("need more bytes") when `bytes` holds only part of a message.
Result<EventStreamMessage> DecodeEventStreamMessage(std::string_view bytes);

}  // namespace osprey::server::kinesis
