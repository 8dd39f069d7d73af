// ParseUploadAck: a small parser for the flat JSON objects of video-api.md
// 4.3 (string and number members only; anything else is skipped when it is
// a literal, refused otherwise).
#include <cctype>
#include <cstdlib>

#include "osprey/agent/uplink.h"

namespace osprey::agent {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    out->clear();
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        char e = s_[pos_++];
        switch (e) {
          case 'n': out->push_back('\n'); break;
          case 't': out->push_back('\t'); break;
          case 'u': pos_ += 4; out->push_back('?'); break;  // not used by acks
          default: out->push_back(e);
        }
      } else {
        out->push_back(c);
      }
    }
    return false;
  }
  // A number, true/false/null: returns the raw token.
  bool Scalar(std::string* out) {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '-' || s_[pos_] == '+' || s_[pos_] == '.')) {
      ++pos_;
    }
    *out = std::string(s_.substr(start, pos_ - start));
    return pos_ > start;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<UploadAck> ParseUploadAck(std::string_view json) {
  Scanner sc(json);
  UploadAck ack;
  if (!sc.Eat('{')) return Status::InvalidArgument("ack is not a JSON object");
  bool first = true;
  while (!sc.Eat('}')) {
    if (!first && !sc.Eat(',')) return Status::InvalidArgument("ack: expected ','");
    first = false;
    std::string key, value;
    if (!sc.String(&key) || !sc.Eat(':')) return Status::InvalidArgument("ack: expected a member");
    bool is_string = sc.Peek('"');
    if (is_string ? !sc.String(&value) : !sc.Scalar(&value)) {
      return Status::InvalidArgument("ack: unsupported value for " + key);
    }
    if (key == "EventType") {
      using T = UploadAck::Type;
      ack.type = value == "BUFFERING" ? T::kBuffering
                 : value == "RECEIVED" ? T::kReceived
                 : value == "PERSISTED" ? T::kPersisted
                 : value == "ERROR"     ? T::kError
                 : value == "IDLE"      ? T::kIdle
                                        : T::kUnknown;
    } else if (key == "FragmentTimecode") {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (end == value.c_str()) return Status::InvalidArgument("ack: bad FragmentTimecode");
      ack.fragment_timecode = v;
    } else if (key == "FragmentNumber") {
      ack.fragment_number = value;
    } else if (key == "ErrorId") {
      ack.error_id = std::atoi(value.c_str());
    } else if (key == "ErrorCode") {
      ack.error_code = value;
    }
  }
  if (!sc.AtEnd()) return Status::InvalidArgument("ack: trailing bytes");
  return ack;
}

bool IsPermanentAckError(int error_id) {
  switch (error_id) {
    case 4001: case 4002: case 4004: case 4006: case 4007:
    case 4009: case 4010: case 4011: case 4012:
      return true;
    default:
      return false;  // 4000 (taken over), 4003, 4008, 5000, 5001: retry
  }
}

}  // namespace osprey::agent
