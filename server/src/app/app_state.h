// App::State: everything the running server owns, shared by the files of
// the composition root (app.cc: data dir, credentials, HTTP; app_video.cc:
// the video engines and routes; app_streams.cc: data streams).
//
// Order matters: members are destroyed in reverse. The HTTP server goes
// first (no handler runs afterwards), then housekeeping (no sweep runs),
// then the routes, then the engines they used.
#pragma once

#include <unistd.h>

#include <memory>
#include <string>

#include "access/access_control.h"
#include "access/audit_log.h"
#include "app/app.h"
#include "app/auth_keys.h"
#include "app/housekeeping.h"
#include "config/server_options.h"
#include "firehose/firehose_routes.h"
#include "kinesis/kinesis_routes.h"
#include "kinesis/subscribe_to_shard.h"
#include "osprey/auth/credentials.h"
#include "osprey/auth/rate_limiter.h"
#include "osprey/auth/verifier.h"
#include "osprey/firehose/engine.h"
#include "osprey/fragments/fragment_store.h"
#include "osprey/fragments/stream_catalog.h"
#include "osprey/server/http_server.h"
#include "osprey/server/router.h"
#include "osprey/streams/stream_engine.h"
#include "video/video_routes.h"

namespace osprey::server {

struct App::State {
  Startup startup;
  int lock_fd = -1;
  // Access keys, policies and rate limits; null with --auth=none.
  std::unique_ptr<AuthKeys> keys;
  // The audit log and the access check every family calls (set in the
  // contexts below before their routes are registered).
  std::unique_ptr<access::AuditLog> audit;
  std::unique_ptr<access::AccessControl> access;

  // Engines, declared before the router: handlers (and the workers the
  // routes own) use them until the router is gone.
  std::unique_ptr<fragments::StreamCatalog> catalog;
  std::unique_ptr<fragments::FragmentStore> store;
  video::VideoContext video;
  std::unique_ptr<streams::StreamEngine> streams;
  kinesis::KinesisContext kinesis;
  std::unique_ptr<kinesis::Subscriptions> subscriptions;
  std::unique_ptr<osprey::firehose::FirehoseEngine> firehose_engine;
  firehose::FirehoseContext firehose;

  Router router;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<Housekeeping> housekeeping = std::make_unique<Housekeeping>();
  std::unique_ptr<HangupWatcher> hangup;  // SIGHUP: reload keys, reopen audit.log

  ~State() {
    hangup.reset();  // no reload runs while the rest goes away
    http.reset();    // stop serving before the state handlers use goes away
    housekeeping.reset();
    subscriptions.reset();
    if (lock_fd >= 0) ::close(lock_fd);
  }
};

// Base URL clients should use (--public-url, or the bound address).
std::string EndpointFor(const ServerOptions& options, const std::string& host, uint16_t port);
// What GetDataEndpoint hands out: scheme and authority, no trailing slash
// (clients append "/putMedia"; video-api.md 1.5).
std::string DataEndpointFor(std::string endpoint);

// app_video.cc: catalog, fragment store, video routes, video retention.
// The data endpoint is set here when the port is known in advance (fixed
// port or --public-url), else by App::Start right after the server binds.
Status StartVideo(const ServerOptions& options, const ListenAddress& listen, App::State* state);
// app_streams.cc: the data-stream engine, the Kinesis API, its retention;
// the Firehose engine (delivery to <data_dir>/s3) and its API.
Status StartDataStreams(const ServerOptions& options, App::State* state);
Status StartFirehose(const ServerOptions& options, App::State* state);

}  // namespace osprey::server
