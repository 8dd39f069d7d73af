// The data-stream side of the composition root: the stream engine, the
// Kinesis API on it, SubscribeToShard, the retention sweep, and Firehose.
#include <openssl/rand.h>

#include <chrono>

#include "app/app_state.h"
#include "osprey/base/logging.h"

namespace osprey::server {

namespace {
constexpr auto kSweepInterval = std::chrono::seconds(60);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

Status StartDataStreams(const ServerOptions& options, App::State* state) {
  streams::EngineOptions engine;
  engine.root_dir = state->startup.data_dir + "/streams";
  engine.region = options.region;
  engine.enforce_throughput_limits = options.kinesis_shard_limits == "on";
  OSPREY_ASSIGN_OR_RETURN(state->streams, streams::OpenStreamEngine(engine));
  kinesis::KinesisContext& k = state->kinesis;
  k.engine = state->streams.get();
  k.region = options.region;
  k.clock = NowMs;
  // Pagination tokens live five minutes, so a per-process key is enough: a
  // restart costs a paginating client one new first page at most.
  k.token_key.resize(32);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(k.token_key.data()), 32) != 1) {
    return Status::Internal("no random bytes for the pagination key");
  }
  state->subscriptions = std::make_unique<kinesis::Subscriptions>(&k);
  k.subscriptions = state->subscriptions.get();
  k.records_put = state->subscriptions->Notifier();
  kinesis::RegisterKinesisRoutes(&state->router, &k);
  streams::StreamEngine* engine_ptr = state->streams.get();
  state->housekeeping->Add("data stream retention", kSweepInterval, [engine_ptr] {
    auto r = engine_ptr->ApplyRetention(NowMs());
    if (!r.ok()) log::Warn("streams", "retention sweep failed", {{"error", r.status().ToString()}});
  });
  return Status::Ok();
}

Status StartFirehose(const ServerOptions& options, App::State* state) {
  osprey::firehose::FirehoseOptions fo;
  fo.root_dir = state->startup.data_dir + "/firehose";
  fo.s3_root = state->startup.data_dir + "/s3";
  fo.region = options.region;
  fo.allow_plain_http = options.firehose_plain_http == "on";
  if (!options.firehose_s3_endpoint.empty()) {
    osprey::firehose::S3StoreOptions s3;
    s3.endpoint = options.firehose_s3_endpoint;
    s3.region = options.firehose_s3_region.empty() ? options.region : options.firehose_s3_region;
    s3.access_key_id = options.firehose_s3_access_key_id;
    s3.secret_access_key = options.firehose_s3_secret_access_key;
    fo.object_store = osprey::firehose::OpenS3Store(std::move(s3));
  }
  // KinesisStreamAsSource reads this server's data streams. App::State
  // declares the stream engine first, so it outlives the Firehose engine.
  fo.data_streams = state->streams.get();
  OSPREY_ASSIGN_OR_RETURN(state->firehose_engine, osprey::firehose::FirehoseEngine::Open(fo));
  state->firehose.engine = state->firehose_engine.get();
  state->firehose.region = options.region;
  firehose::RegisterFirehoseRoutes(&state->router, &state->firehose);
  return Status::Ok();
}

}  // namespace osprey::server
