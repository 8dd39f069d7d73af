// The PutMedia acknowledgement line (video-api.md 4.3, appendix A).
#include "osprey/base/json_writer.h"
#include "osprey/fragments/ingest_session.h"

namespace osprey::fragments {

std::string_view AckErrorCodeName(int error_id) {
  switch (error_id) {
    case 4000: return "STREAM_READ_ERROR";
    case 4001: return "MAX_FRAGMENT_SIZE_REACHED";
    case 4002: return "MAX_FRAGMENT_DURATION_REACHED";
    case 4003: return "MAX_CONNECTION_DURATION_REACHED";
    case 4004: return "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS";
    case 4005: return "MORE_THAN_ONE_TRACK_FOUND";
    case 4006: return "INVALID_MKV_DATA";
    case 4007: return "INVALID_PRODUCER_TIMESTAMP";
    case 4008: return "STREAM_NOT_ACTIVE";
    case 4009: return "FRAGMENT_METADATA_LIMIT_REACHED";
    case 4010: return "TRACK_NUMBER_MISMATCH";
    case 4011: return "FRAMES_MISSING_FOR_TRACK";
    case 4012: return "MORE_THAN_ALLOWED_TRACKS_FOUND";
    case 4500: return "KMS_KEY_ACCESS_DENIED";
    case 4501: return "KMS_KEY_DISABLED";
    case 4502: return "KMS_KEY_VALIDATION_ERROR";
    case 4503: return "KMS_KEY_UNAVAILABLE";
    case 4504: return "KMS_KEY_INVALID_USAGE";
    case 4505: return "KMS_KEY_INVALID_STATE";
    case 4506: return "KMS_KEY_NOT_FOUND";
    case 5000: return "INTERNAL_ERROR";
    case 5001: return "ARCHIVAL_ERROR";
    default: return "UNKNOWN_ERROR";
  }
}

namespace {

std::string_view EventTypeName(AckType type) {
  switch (type) {
    case AckType::kBuffering: return "BUFFERING";
    case AckType::kReceived: return "RECEIVED";
    case AckType::kPersisted: return "PERSISTED";
    case AckType::kError: return "ERROR";
    case AckType::kIdle: return "IDLE";
  }
  return "IDLE";
}

}  // namespace

std::string EncodeAck(const Ack& ack) {
  std::string out;
  out.reserve(200);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("EventType").String(EventTypeName(ack.type));
  if (ack.type != AckType::kIdle) {
    // The producer's parser takes the timecode as a bare integer (STRTOUI64).
    if (ack.fragment_timecode) w.Key("FragmentTimecode").Uint64(*ack.fragment_timecode);
    if (!ack.fragment_number.empty()) w.Key("FragmentNumber").String(ack.fragment_number);
  }
  if (ack.type == AckType::kError) {
    w.Key("ErrorId").Int64(ack.error_id);
    w.Key("ErrorCode").String(AckErrorCodeName(ack.error_id));
  }
  w.EndObject();
  out.push_back('\n');
  return out;
}

}  // namespace osprey::fragments
