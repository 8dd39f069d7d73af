// GetMedia (video-api.md section 5): the StartSelector, parsed and resolved
// against a stream's FragmentLog. The route itself (get_media.cc) hands the
// resolved cursor to a FragmentReader in follow mode.
//
// Thread safety: pure functions over a thread-safe FragmentLog.
#pragma once

#include <cstdint>
#include <string>

#include "osprey/base/result.h"
#include "osprey/fragments/fragment_store.h"
#include "video/kvs_json.h"

namespace osprey::server::video {

struct StartSelector {
  enum class Type {
    kNow,
    kEarliest,
    kFragmentNumber,      // AfterFragmentNumber: the chunk after it
    kServerTimestamp,     // StartTimestamp: the chunk containing it
    kProducerTimestamp,
    kContinuationToken,   // the chunk after the one that carried the token
  };
  Type type = Type::kNow;
  std::string fragment_number;  // AfterFragmentNumber or ContinuationToken
  int64_t timestamp_ms = 0;     // StartTimestamp
};

// The StartSelector member of a GetMedia body, checked as the AWS model does
// (InvalidArgument in ValidationException wording): required; type one of
// the six; AfterFragmentNumber 1-128 digits; ContinuationToken 1-128
// [a-zA-Z0-9_.-]; StartTimestamp epoch seconds. The extra field of the
// chosen type is required; the others are ignored.
Result<StartSelector> ParseStartSelector(const JsonRequest& body);

// The cursor for a FragmentReader: the first chunk sent is the first
// fragment with index > the result (so 0 means "from the oldest").
//   NOW                  the newest fragment's index (0 when empty)
//   EARLIEST             0
//   FRAGMENT_NUMBER,     the fragment's own index. NotFound when the number
//   CONTINUATION_TOKEN   is not one of this stream's (another stream, a
//                        deleted incarnation, or an index the log never
//                        held); a number older than every retained fragment
//                        is accepted (retention removed it: start at the
//                        oldest). A token that is not a fragment number of
//                        ours at all is InvalidArgument.
//   SERVER_/PRODUCER_    the fragment containing the timestamp, else the
//   TIMESTAMP            first starting after it; when none does, the live
//                        head (as NOW).
Result<uint64_t> ResolveStartSelector(const StartSelector& selector,
                                      const fragments::FragmentLog& log,
                                      int64_t stream_creation_ms);

}  // namespace osprey::server::video
