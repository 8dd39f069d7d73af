// The Firehose API of osprey-server (shared/spec/firehose-api.md): AWS JSON
// 1.1 over POST / with X-Amz-Target Firehose_20150804.<Action>, served by
// the delivery engine (firehose/include/osprey/firehose/engine.h).
//
// app.cc opens one FirehoseEngine (root {data_dir}/firehose, local S3
// folder {data_dir}/s3), builds one FirehoseContext and calls
// RegisterFirehoseRoutes.
//
// Threading: handlers run on connection strands; the engine is thread-safe
// and Put answers arrive on the engine's log thread through the Responder
// (allowed from any thread). No handler blocks on an fsync.
#pragma once

#include <string>

#include "osprey/firehose/engine.h"
#include "osprey/server/router.h"

namespace osprey::server::access {
class AccessControl;
}

namespace osprey::server::firehose {

// Everything the Firehose handlers share. Owned by App; outlives the routes.
struct FirehoseContext {
  osprey::firehose::FirehoseEngine* engine = nullptr;
  std::string region = "us-east-1";
  std::string account = "000000000000";
  // Authorisation and audit (access/access_control.h); null: none.
  const access::AccessControl* access = nullptr;
};

// Registers every supported Firehose_20150804.* action.
void RegisterFirehoseRoutes(Router* router, FirehoseContext* context);

}  // namespace osprey::server::firehose
