// Result<T>: a value or the Status explaining why there is none.
//
// C++20 has no std::expected; this is the small subset we need. Accessing
// value() of a failed Result is a programming error and aborts (it is not an
// exception: see status.h for why).
//
// Thread safety: as for any value type.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "osprey/base/status.h"

namespace osprey {

template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return Status::NotFound(..)`
  // both read naturally in functions returning Result<T>.
  Result(T value) : value_(std::move(value)) {}  // NOLINT
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) {
      std::fputs("Result constructed from an OK Status without a value\n", stderr);
      std::abort();
    }
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { Check(); return *value_; }
  const T& value() const& { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }
  T* operator->() { Check(); return &*value_; }
  const T* operator->() const { Check(); return &*value_; }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Check() const {
    if (!value_) {
      std::fprintf(stderr, "Result::value() on error: %s\n", status_.ToString().c_str());
      std::abort();
    }
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace osprey

// Declares `lhs` from a Result-returning `expr`, or returns its Status.
#define OSPREY_ASSIGN_OR_RETURN(lhs, expr) \
  OSPREY_ASSIGN_OR_RETURN_IMPL(OSPREY_CONCAT(osprey_result_, __LINE__), lhs, expr)
#define OSPREY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
#define OSPREY_CONCAT(a, b) OSPREY_CONCAT_IMPL(a, b)
#define OSPREY_CONCAT_IMPL(a, b) a##b
