// Shared plumbing of the Firehose handlers: decoding, the one error map,
// common validations and Value rendering.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "firehose/firehose_routes.h"
#include "kinesis/protocol.h"
#include "osprey/base/value.h"

namespace osprey::server::firehose {

using kinesis::Codec;
using kinesis::Input;
using kinesis::Output;
using kinesis::Validation;

// The Firehose mapping of engine Status codes to AWS errors (spec 1):
//   Corruption -> SerializationException
//   InvalidArgument -> ValidationException for Validation texts, else
//     InvalidArgumentException
//   NotFound -> ResourceNotFoundException
//   AlreadyExists -> ResourceInUseException
//   FailedPrecondition -> ConcurrentModificationException for version
//     mismatches ("Cannot update firehose: ..."), else ResourceInUseException
//   ResourceExhausted -> LimitExceededException, or 503
//     ServiceUnavailableException for throttling ("Slow down.")
//   Unavailable -> 503 ServiceUnavailableException
//   PermissionDenied -> AccessDeniedException (a policy refusal)
//   anything else -> 500 InternalFailure (logged, not leaked)
ApiError FirehoseError(const Status& status);

// A handler gets the decoded input and answers through `respond` (once).
// The route decodes the body, checks the caller's access to the
// DeliveryStreamName it names (ctx->access) and audits control-plane
// actions before the handler runs.
using Handler = std::function<void(const Input& input, Responder respond)>;
Route MakeRoute(FirehoseContext* ctx, std::string action, Handler handler);

// Convenience for handlers.
Response Ok(Codec codec, std::string body);
Response Fail(Codec codec, const Status& status);

// DeliveryStreamName: required, 1-64, [a-zA-Z0-9_.-]+.
void ValidateStreamName(Validation* v, const std::optional<std::string>& name,
                        std::string_view path = "DeliveryStreamName");
bool IsStreamName(std::string_view s);

// A destination's BufferingHints as Describe shows them: the given
// SizeInMBs and IntervalInSeconds, each defaulting (5 MB, 300 s).
Value BufferingHintsDescription(const Value* given);

// Writes a Value tree (destination descriptions) through the codec writer.
void WriteValue(const Value& value, Output* out);

}  // namespace osprey::server::firehose
