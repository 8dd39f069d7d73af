// GetMediaReader: a KVS GetMedia client that hands out one whole fragment at
// a time, with the metadata GetMedia attaches to it (fragment number, server
// and producer timestamps, the continuation token).
//
// A GetMedia response is an endless chunked body of MKV "chunks", one per
// fragment: EBML header, Segment (unknown size), Info, Tracks,
// Tags(FRAGMENT_NUMBER, SERVER_TIMESTAMP, PRODUCER_TIMESTAMP), Cluster,
// [Tags(producer metadata)], Tags(MILLIS_BEHIND_NOW, CONTINUATION_TOKEN)
// (video-api.md section 5). A fragment is handed out when its
// CONTINUATION_TOKEN tag has been read, which is the last element of its
// chunk, so a live reader gets a fragment as soon as the server sends it
// rather than when the next one starts.
//
// Resuming: a reader that stops (crash, disconnect) resumes with
// StartSelector CONTINUATION_TOKEN = the token of the last fragment it
// finished; the server continues with the fragment after it, so nothing is
// skipped and nothing is handed out twice.
//
// Errors from Next(): Unavailable when the connection drops or the body
// ends (reconnect with the last token); DeadlineExceeded when no byte came
// for `idle_timeout`; an error chunk (ERROR_ID/ERROR_CODE tags) or an HTTP
// error maps to the nearest Status (NotFound for ResourceNotFoundException,
// InvalidArgument for InvalidArgumentException, PermissionDenied for
// NotAuthorized/AccessDenied, ResourceExhausted for
// ConnectionLimitExceeded/ClientLimitExceeded, Internal otherwise) with the
// AWS name in the message; Corruption for malformed MKV; Cancelled after
// Abort().
//
// Thread safety: Next() from one thread; Abort() from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"
#include "osprey/client/http_client.h"

namespace osprey::client {

struct GetMediaStart {
  // "NOW", "EARLIEST", "FRAGMENT_NUMBER", "SERVER_TIMESTAMP",
  // "PRODUCER_TIMESTAMP" or "CONTINUATION_TOKEN".
  std::string type = "NOW";
  std::string value;         // AfterFragmentNumber / ContinuationToken
  int64_t timestamp_ms = 0;  // StartTimestamp for the timestamp selectors
};

struct GetMediaOptions {
  Url url;
  std::string stream_name;  // or
  std::string stream_arn;
  GetMediaStart start;
  // Non-empty: GetMediaForFragmentList of these fragment numbers instead of
  // GetMedia (same chunk format; the body ends after the last, and `start`
  // is ignored).
  std::vector<std::string> fragment_list;
  auth::Credentials credentials;
  std::string region = "us-east-1";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds idle_timeout{60000};
};

// One GetMedia chunk, in the form the fragment store keeps (stream header +
// Cluster), ready for playback::Demux.
struct MediaFragment {
  std::string fragment_number;
  int64_t server_timestamp_ms = 0;
  int64_t producer_timestamp_ms = 0;
  int64_t millis_behind_now = 0;
  std::string continuation_token;
  std::string stream_header;  // the raw Info and Tracks elements
  std::string cluster;        // the raw Cluster element
};

class GetMediaReader {
 public:
  virtual ~GetMediaReader() = default;
  // Sends the request and reads the response head. HTTP errors come back
  // here (see above), before any fragment.
  static Result<std::unique_ptr<GetMediaReader>> Open(const GetMediaOptions& options);
  virtual Result<MediaFragment> Next() = 0;
  virtual void Abort() = 0;
};

// "12.345" (epoch seconds, as the GetMedia timestamp tags carry them) -> ms.
Result<int64_t> ParseEpochSecondsTag(std::string_view text);

}  // namespace osprey::client
