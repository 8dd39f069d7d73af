// IngestSession: the protocol-free core of PutMedia (video-api.md section 4).
// One session per upload (a chunked PutMedia request, or the agent's
// WebSocket) for one stream. The adapter feeds it the body bytes in chunks of
// any size; the session parses the Matroska stream, cuts one fragment per
// Cluster exactly as the producer framed it, checks the PutMedia rules,
// stores each fragment through the stream's FragmentLog and reports the KVS
// acknowledgements through a callback. The adapter writes each Ack with
// EncodeAck() as one line (one HTTP chunk, or one WebSocket text message).
//
// Acks of one fragment always come in the order BUFFERING (Cluster Timecode
// read: its first bytes have arrived), RECEIVED (Cluster complete and valid),
// PERSISTED (AppendAsync acknowledged it). PERSISTED acks come in fragment
// order. IDLE acks are the adapter's business (it knows when the line is
// quiet): EncodeAck(Ack{AckType::kIdle}).
//
// Retries: a fragment identical to one the stream already stored or is
// storing (FragmentLog::FindOrClaim: same producer timestamp, duration, size
// and content hash) is not stored again; its acks carry the original's
// FragmentNumber, and its PERSISTED comes once the original is durable. When
// a fragment's producer timestamp is already known (MayBeDuplicate), its
// BUFFERING is held until the Cluster is complete, so that all three acks
// name the same fragment (docs/video-ingest.md "Retries after a lost ACK").
//
// Errors (ERROR ack; ErrorId/ErrorCode per video-api.md 4.3) always end the
// session, as in KVS: the producer reconnects and resends from its buffer.
// The fragment being received when the error happens is never stored;
// fragments already RECEIVED are stored and get their PERSISTED before the
// ERROR ack, which is the last ack of the session. docs/video-ingest.md
// lists every check and its error.
//
// Lifecycle: Feed() any number of times, then EndOfBody() (the body ended),
// Shutdown() (server shutdown or idle timeout: seal what is complete) or
// Fail() (the adapter ends it: another producer took over, stream deleted).
// `on_done` runs exactly once, after the last ack, when every stored
// fragment is PERSISTED (or has failed). Destroying the session stops all
// callbacks; appends in flight complete in the store unobserved.
//
// Thread safety: every method may be called from any thread; the session
// serialises them with an internal mutex. The ack callback runs with that
// mutex held (on the caller's thread, or on the store's thread for
// PERSISTED), which is what keeps acks in order: it must be quick (queue the
// bytes) and must not call back into the session. `on_done` runs without the
// lock held and may call anything, including destroying the IngestSession.
// FragmentLog::AppendAsync is never called with the lock held.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "osprey/fragments/fragment_store.h"

namespace osprey::fragments {

enum class AckType { kBuffering, kReceived, kPersisted, kError, kIdle };

// ErrorId values of video-api.md 4.3.
namespace ack_error {
inline constexpr int kStreamReadError = 4000;
inline constexpr int kMaxFragmentSizeReached = 4001;
inline constexpr int kMaxFragmentDurationReached = 4002;
inline constexpr int kMaxConnectionDurationReached = 4003;
inline constexpr int kFragmentTimecodeLesserThanPrevious = 4004;
inline constexpr int kInvalidMkvData = 4006;
inline constexpr int kInvalidProducerTimestamp = 4007;
inline constexpr int kStreamNotActive = 4008;
inline constexpr int kFragmentMetadataLimitReached = 4009;
inline constexpr int kTrackNumberMismatch = 4010;
inline constexpr int kFramesMissingForTrack = 4011;
inline constexpr int kMoreThanAllowedTracksFound = 4012;
inline constexpr int kInternalError = 5000;
inline constexpr int kArchivalError = 5001;
}  // namespace ack_error

// The symbolic ErrorCode of an ErrorId ("INVALID_MKV_DATA"); "UNKNOWN_ERROR"
// for ids not in video-api.md 4.3.
std::string_view AckErrorCodeName(int error_id);

struct Ack {
  AckType type = AckType::kIdle;
  // The raw Cluster Timecode as received (TimecodeScale units); absent for
  // IDLE and for an ERROR that concerns no fragment.
  std::optional<uint64_t> fragment_timecode;
  std::string fragment_number;  // 47 digits; empty when absent
  int error_id = 0;             // ERROR only
  std::string message;          // ERROR only: why, for logs (not on the wire)
  bool operator==(const Ack&) const = default;
};

// One JSON object and a newline, e.g.
//   {"EventType":"BUFFERING","FragmentTimecode":1700000000123,"FragmentNumber":"9170..."}\n
//   {"EventType":"ERROR","FragmentTimecode":5,"FragmentNumber":"91...","ErrorId":4004,
//    "ErrorCode":"FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"}\n
//   {"EventType":"IDLE"}\n
// FragmentNumber is a string; FragmentTimecode and ErrorId are numbers;
// absent fields are left out. Always well under 1024 bytes (appendix A).
std::string EncodeAck(const Ack& ack);

// x-amzn-fragment-timecode-type.
enum class TimecodeType { kAbsolute, kRelative };

struct IngestLimits {
  uint64_t max_fragment_bytes = 50'000'000;          // 4001: Cluster element bytes
  int64_t max_fragment_duration_ms = 10'000;         // 4002
  int64_t max_connection_duration_ms = 45 * 60'000;  // 4003, checked on Feed
  int max_tracks = 3;                                // 4012
  int max_metadata_per_fragment = 10;                // 4009
  size_t max_metadata_name_bytes = 128;              // 4009
  size_t max_metadata_value_bytes = 256;             // 4009
};

struct IngestOptions {
  // The stream's log; required. Shared so appends in flight keep it alive.
  std::shared_ptr<FragmentLog> log;
  // Stream creation time: the prefix of every FragmentNumber.
  int64_t stream_creation_ms = 0;
  TimecodeType timecode_type = TimecodeType::kAbsolute;
  // x-amzn-producer-start-timestamp in epoch ms; used with kRelative.
  int64_t producer_start_ms = 0;
  IngestLimits limits;
  // Epoch ms; default: the system clock. Server timestamps and 4003.
  std::function<int64_t()> clock;
};

// How a session ended, for the adapter's logs and metrics.
struct IngestSummary {
  int error_id = 0;            // 0: ended cleanly
  std::string error_message;
  uint64_t fragments_persisted = 0;
  uint64_t fragments_retried = 0;  // recognised retries, answered with the original
  uint64_t bytes_received = 0;
};

class IngestSession {
 public:
  using AckCallback = std::function<void(const Ack&)>;
  using DoneCallback = std::function<void(const IngestSummary&)>;

  IngestSession(IngestOptions options, AckCallback on_ack, DoneCallback on_done);
  ~IngestSession();
  IngestSession(const IngestSession&) = delete;
  IngestSession& operator=(const IngestSession&) = delete;

  // The next bytes of the body. Ignored once the session is ending.
  void Feed(std::span<const uint8_t> data);
  void Feed(std::string_view data) {
    Feed(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  }
  // The body ended. An open Cluster ends here (sealed and stored if valid);
  // a stream cut inside an element is 4006.
  void EndOfBody();
  // Ends the session without a verdict on the stream: an open Cluster is
  // sealed if the bytes so far end on an element boundary, otherwise it is
  // dropped silently (the producer resends it; it never got PERSISTED).
  void Shutdown();
  // Ends the session with an ERROR ack `error_id` (after the PERSISTED of
  // fragments already received). No effect once the session is ending.
  void Fail(int error_id, std::string message);

  // True once EndOfBody/Shutdown/Fail was called or an error happened.
  bool ending() const;
  // True once on_done has been called (or is being called).
  bool done() const;

  class Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace osprey::fragments
