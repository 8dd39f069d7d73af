// A dataset FrameSource over stored footage of one stream on an Osprey (or
// KVS-compatible) server: ListFragments with a PRODUCER_TIMESTAMP range,
// ordered by producer timestamp, then GetMediaForFragmentList in batches,
// decoded by FragmentFrames. Frames come out in presentation order, only
// those whose time lies in [from_ms, to_ms].
//
// Errors: the server's (NotFound for an unknown stream, InvalidArgument for
// a bad range, PermissionDenied for bad credentials) from the first Next();
// Unavailable when the connection drops mid-way.
//
// Threading: one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "osprey/auth/sigv4.h"
#include "osprey/base/result.h"
#include "osprey/client/http_client.h"
#include "osprey/ml_hooks/dataset.h"
#include "osprey/ml_hooks/fragment_frames.h"

namespace osprey::ml_hooks {

struct ServerRange {
  client::Url url;
  auth::Credentials credentials;
  std::string region = "us-east-1";
  std::string stream_name;
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  FrameSampling sampling;
};

Result<std::unique_ptr<FrameSource>> OpenServerFrameSource(const ServerRange& range);

}  // namespace osprey::ml_hooks
