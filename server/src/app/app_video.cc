// The video side of the composition root: the stream catalog, the fragment
// store, the KVS routes, and the retention sweep that connects them.
#include <chrono>

#include "app/app_state.h"
#include "osprey/base/logging.h"
#include "video/dash_routes.h"
#include "video/hls_routes.h"

namespace osprey::server {

namespace {

// Retention 0 keeps no archive, but KVS still serves a live buffer of a few
// minutes (video-api.md section 2): GetMedia readers and a reconnecting
// producer need the last fragments.
constexpr int64_t kLiveBufferMs = 5 * 60'000;
constexpr auto kSweepInterval = std::chrono::seconds(60);

void SweepVideoRetention(App::State* state) {
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  for (const fragments::VideoStream& stream : state->catalog->List("", "", SIZE_MAX)) {
    auto log = state->store->OpenStream(stream.store_id());
    if (!log.ok()) continue;
    fragments::RetentionPolicy policy;
    policy.retention_ms = stream.retention_hours > 0 ? stream.retention_hours * 3'600'000
                                                     : kLiveBufferMs;
    auto deleted = (*log)->ApplyRetention(now, policy);
    if (!deleted.ok()) {
      log::Warn("video", "retention sweep failed",
                {{"stream", stream.name}, {"error", deleted.status().ToString()}});
    } else if (*deleted > 0) {
      log::Info("video", "retention deleted fragments", {{"stream", stream.name}, {"fragments", *deleted}});
    }
  }
}

}  // namespace

Status StartVideo(const ServerOptions& options, const ListenAddress& listen, App::State* state) {
  const std::string video_dir = state->startup.data_dir + "/video";
  fragments::CatalogOptions catalog;
  catalog.path = video_dir + "/catalog.json";
  catalog.region = options.region;
  OSPREY_ASSIGN_OR_RETURN(state->catalog, fragments::StreamCatalog::Open(catalog));
  fragments::StoreOptions store;
  store.root = video_dir + "/fragments";
  OSPREY_ASSIGN_OR_RETURN(state->store, fragments::OpenFileFragmentStore(store));
  state->video.catalog = state->catalog.get();
  state->video.store = state->store.get();
  if (listen.port != 0 || !options.public_url.empty()) {
    state->video.data_endpoint = DataEndpointFor(EndpointFor(options, listen.host, listen.port));
  }
  video::RegisterControlPlaneRoutes(&state->router, &state->video);
  video::RegisterPutMediaRoutes(&state->router, &state->video);
  video::RegisterGetMediaRoutes(&state->router, &state->video);
  video::RegisterArchivedMediaRoutes(&state->router, &state->video);
  // One segment cache for HLS and DASH; a token key each.
  auto segments = video::MakeSegmentStore(&state->video);
  video::RegisterHlsRoutes(&state->router, video::MakePlaybackState(&state->video, segments));
  video::RegisterDashRoutes(&state->router, video::MakePlaybackState(&state->video, segments));
  // A deleted stream's fragments go with it ("Delete makes the data
  // unreadable at once"). Registered after the routes, so open PutMedia
  // sessions have already been told (4008). Runs on the catalog's worker
  // thread, never on a store callback, so DeleteStream may wait there.
  fragments::FragmentStore* fragment_store = state->store.get();
  state->catalog->OnDelete([fragment_store](const fragments::VideoStream& stream) {
    if (Status s = fragment_store->DeleteStream(stream.store_id()); !s.ok()) {
      log::Warn("video", "deleting fragments failed",
                {{"stream", stream.name}, {"error", s.ToString()}});
    }
  });
  state->housekeeping->Add("video retention", kSweepInterval,
                           [state] { SweepVideoRetention(state); });
  return Status::Ok();
}

}  // namespace osprey::server
