// Per-file route registration of the Firehose adapter; firehose_routes.cc
// calls each. The `ctx` pointer must outlive the router.
#pragma once

#include "firehose/firehose_common.h"

namespace osprey::server::firehose {

// Wraps a synchronous action: `impl` fills the body or returns the error.
using SyncImpl = Status (*)(FirehoseContext*, const Input&, std::string*);

// control_plane.cc: Create/Describe/List/DeleteDeliveryStream.
void RegisterControlPlaneRoutes(Router* router, FirehoseContext* ctx);
// put_records.cc: PutRecord, PutRecordBatch.
void RegisterPutRoutes(Router* router, FirehoseContext* ctx);
// update_and_tags.cc: UpdateDestination, Tag/Untag/ListTagsForDeliveryStream.
void RegisterUpdateAndTagRoutes(Router* router, FirehoseContext* ctx);

// An empty output structure ({} in JSON) in `codec`.
std::string EmptyBody(Codec codec);
// The Handler for a synchronous `impl`.
Handler WrapSync(FirehoseContext* ctx, SyncImpl impl);

}  // namespace osprey::server::firehose
