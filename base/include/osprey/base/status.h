// Status: the outcome of an operation that can fail, passed across module
// boundaries instead of exceptions (see shared/STYLE.md 4.3: C callbacks and
// Asio handlers must never unwind).
//
// An OK Status holds no allocation, so returning success costs a pointer copy.
// A failed Status carries one Code and a human-readable message; the HTTP
// layer maps codes to wire error names in one place, never the engines.
//
// Thread safety: a Status is a value; distinct objects may be used from
// distinct threads freely, one object needs external synchronisation.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace osprey {

class [[nodiscard]] Status {
 public:
  enum class Code : int {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kAlreadyExists,
    kResourceExhausted,  // throttling, quotas, limits
    kUnavailable,
    kDeadlineExceeded,
    kCorruption,
    kIOError,
    kCancelled,
    kPermissionDenied,   // authentication or authorisation failed
    kFailedPrecondition, // the target is in the wrong state (version, status)
    kInternal,
  };

  Status() noexcept = default;
  Status(Code code, std::string_view message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string_view m) { return {Code::kInvalidArgument, m}; }
  static Status NotFound(std::string_view m) { return {Code::kNotFound, m}; }
  static Status AlreadyExists(std::string_view m) { return {Code::kAlreadyExists, m}; }
  static Status ResourceExhausted(std::string_view m) { return {Code::kResourceExhausted, m}; }
  static Status Unavailable(std::string_view m) { return {Code::kUnavailable, m}; }
  static Status DeadlineExceeded(std::string_view m) { return {Code::kDeadlineExceeded, m}; }
  static Status Corruption(std::string_view m) { return {Code::kCorruption, m}; }
  static Status IOError(std::string_view m) { return {Code::kIOError, m}; }
  static Status Cancelled(std::string_view m) { return {Code::kCancelled, m}; }
  static Status PermissionDenied(std::string_view m) { return {Code::kPermissionDenied, m}; }
  static Status FailedPrecondition(std::string_view m) { return {Code::kFailedPrecondition, m}; }
  static Status Internal(std::string_view m) { return {Code::kInternal, m}; }
  // An IOError whose message ends with strerror(err).
  static Status FromErrno(std::string_view context, int err);

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  // Empty for OK.
  const std::string& message() const;
  // "NotFound: stream x" or "OK"; for logs, not for the wire.
  std::string ToString() const;

  // A copy with "context: " prepended to the message; OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }

 private:
  struct Rep {
    Code code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

std::string_view CodeName(Status::Code code);

}  // namespace osprey

// Returns early from the enclosing function when `expr` is not OK.
#define OSPREY_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::osprey::Status osprey_status_ = (expr);     \
    if (!osprey_status_.ok()) return osprey_status_; \
  } while (0)
