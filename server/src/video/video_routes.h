// The Kinesis Video Streams API of osprey-server (shared/spec/video-api.md):
// control plane, PutMedia (chunked HTTP and WebSocket), GetMedia and the
// archived-media reads. Each family registers its routes from its own file;
// app.cc builds one VideoContext and calls every Register* function.
//
// Threading: the context's engines are thread-safe (their headers say so);
// handlers run on connection strands and never block on disk syncs.
#pragma once

#include <cstdint>
#include <string>

#include "osprey/fragments/fragment_store.h"
#include "osprey/fragments/stream_catalog.h"
#include "osprey/server/router.h"

namespace osprey::server::access {
class AccessControl;
}

namespace osprey::server::video {

// Limits a deployment may change; defaults are the KVS ones (video-api.md).
struct VideoLimits {
  uint64_t max_fragment_bytes = 50'000'000;      // 4001
  int64_t max_fragment_duration_ms = 10'000;     // 4002
  int64_t max_connection_duration_ms = 45 * 60'000;  // 4003
  int64_t idle_ack_interval_ms = 3'000;          // IDLE acks while quiet
  int64_t idle_timeout_ms = 30'000;              // close PutMedia after this long without data
  int max_get_media_per_stream = 3;              // ConnectionLimitExceededException
  size_t get_media_queue_bytes = 64u << 20;      // per reader, then it is told and dropped
};

// Everything the video handlers share. Owned by App; outlives the routes.
struct VideoContext {
  fragments::StreamCatalog* catalog = nullptr;
  fragments::FragmentStore* store = nullptr;
  // What GetDataEndpoint returns: scheme and authority, no trailing slash.
  std::string data_endpoint;
  VideoLimits limits;
  // Authorisation and audit (access/access_control.h); null: none.
  const access::AccessControl* access = nullptr;
};

// control_plane.cc: /createStream /describeStream /listStreams /deleteStream
// /updateStream /updateDataRetention /getDataEndpoint /tagStream
// /untagStream /listTagsForStream /tagResource /untagResource
// /listTagsForResource.
void RegisterControlPlaneRoutes(Router* router, VideoContext* context);
// put_media.cc: POST /putMedia (chunked) and the WebSocket ingest endpoint.
void RegisterPutMediaRoutes(Router* router, VideoContext* context);
// get_media.cc: POST /getMedia.
void RegisterGetMediaRoutes(Router* router, VideoContext* context);
// archived_media.cc: /listFragments /getMediaForFragmentList; get_clip.cc:
// /getClip (+ the /getClipStream extension); get_images.cc: /getImages.
void RegisterArchivedMediaRoutes(Router* router, VideoContext* context);

}  // namespace osprey::server::video
