// How the engine's Status values map to the Kinesis exception names (spec
// data-streams-api.md 2.2). The API layer answers with ErrorTypeName(
// ClassifyError(status)) and status.message() (already the wire text where
// the spec gives one, e.g. "Stream s under account 000000000000 not found.").
//
//   code                  message                         exception
//   NotFound              any                             ResourceNotFoundException
//   AlreadyExists         any                             ResourceInUseException
//   FailedPrecondition    any                             ResourceInUseException
//   InvalidArgument       "<n> validation error(s) detected: ..."
//                                                         ValidationException
//   InvalidArgument       anything else                   InvalidArgumentException
//   ResourceExhausted     "Rate exceeded for shard ..."   ProvisionedThroughputExceededException
//   ResourceExhausted     anything else                   LimitExceededException
//   DeadlineExceeded      "Iterator expired. ..."         ExpiredIteratorException
//   anything else (IOError, Corruption, Internal, ...)    InternalFailure
//
// The two message prefixes are the wire texts themselves, so nothing extra
// leaks into messages. Thread safety: pure functions.
#pragma once

#include <string_view>

#include "osprey/base/status.h"

namespace osprey::streams {

enum class StreamError {
  kNone,  // OK
  kResourceNotFound,
  kResourceInUse,
  kInvalidArgument,
  kValidation,
  kLimitExceeded,
  kProvisionedThroughputExceeded,
  kExpiredIterator,
  kInternalFailure,
};

StreamError ClassifyError(const Status& status);

// "ResourceNotFoundException", ..., "InternalFailure"; "" for kNone.
std::string_view ErrorTypeName(StreamError error);

}  // namespace osprey::streams
