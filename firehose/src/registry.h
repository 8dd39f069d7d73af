// The delivery-stream registry file: {root}/streams.json.
//
// Format (JSON, Osprey-private):
//   {"format":1,"streams":[{"name":..,"type":..,"status":..,"version":N,
//     "created_ms":N,"updated_ms":N,"throughput_hint":N,"incarnation":"hex16",
//     "destination_kind":"ExtendedS3","destination":{...description...},
//     "tags":{"k":"v"},"source_stream_arn":"..","source_role_arn":"..",
//     "delivery_start_ms":N}]}   (the source_* members: KinesisStreamAsSource)
// Rewritten whole and atomically (osprey/base/file_util.h WriteFileAtomically) on every
// control-plane change; the number of streams is small (quota 5000).
//
// Thread safety: free functions; the engine serialises calls.
#pragma once

#include <string>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/firehose/engine.h"

namespace osprey::firehose {

Status SaveRegistry(const std::string& path, const std::vector<const DeliveryStreamInfo*>& streams);
// Missing file: empty list. Corruption on a malformed file.
Result<std::vector<DeliveryStreamInfo>> LoadRegistry(const std::string& path);

}  // namespace osprey::firehose
