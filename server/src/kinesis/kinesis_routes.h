// The Kinesis Data Streams API of osprey-server: X-Amz-Target
// Kinesis_20131202.<Operation>, JSON 1.1 or CBOR 1.1, on the data-stream
// engine (streams/stream_engine.h). One file per group of operations
// (actions_*.cc); this header is what app.cc and the action files share.
//
// Threading: handlers run on connection strands; PutRecord(s) answer from
// the shard log's thread once the records are durable (Responder may be
// called from any thread). Nothing here blocks on a disk sync.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kinesis/protocol.h"
#include "osprey/server/router.h"
#include "osprey/streams/stream_engine.h"

namespace osprey::server::access {
class AccessControl;
}

namespace osprey::server::kinesis {

class Subscriptions;

struct KinesisContext {
  streams::StreamEngine* engine = nullptr;
  Subscriptions* subscriptions = nullptr;  // SubscribeToShard (subscribe_to_shard.h)
  // Called from a put's completion (any thread) so SubscribeToShard sends
  // new records at once (Subscriptions::Notifier()); empty: nobody listens.
  // Safe to call after the Subscriptions are gone.
  std::function<void()> records_put;
  std::string account = "000000000000";
  std::string region = "us-east-1";
  // Key of pagination tokens (ListStreams, ListShards, ListStreamConsumers).
  std::string token_key;
  std::function<int64_t()> clock;  // epoch ms
  // Authorisation and audit (access/access_control.h); null: none.
  const access::AccessControl* access = nullptr;
};

void RegisterKinesisRoutes(Router* router, KinesisContext* context);

// How to answer one call: cheap to copy into an asynchronous callback (the
// request body is not in it).
struct Reply {
  Codec codec = Codec::kJson;
  Responder respond;

  void Ok(std::string body) const { respond(Success(codec, std::move(body))); }
  // An operation without output members: 200 with an empty body (spec 1).
  void Empty() const { respond(Success(codec, "")); }
  void Fail(const Status& status) const { respond(Failure(codec, ToApiError(status))); }
};

// One call of an operation, handed to its action function.
struct Call {
  Input input;
  KinesisContext* ctx = nullptr;
  Reply reply;

  Codec codec() const { return input.codec(); }
  void Ok(std::string body) const { reply.Ok(std::move(body)); }
  void Empty() const { reply.Empty(); }
  void Fail(const Status& status) const { reply.Fail(status); }
};

using Action = void (*)(const Call& call);

// The stream a request addresses (spec 3 "Addr"): StreamName, StreamARN or
// both (consistent). `arn_only` for operations that take only the ARN.
Result<std::string> StreamOf(const Input& input, streams::StreamEngine& engine,
                             bool arn_only = false);

// Pagination tokens: opaque, signed, issued at a time; Decode fails with
// InvalidArgument when forged or malformed, DeadlineExceeded ("NextToken
// ... expired") past 300 s.
std::string EncodeNextToken(const KinesisContext& ctx, std::string_view kind,
                            std::string_view payload);
Result<std::string> DecodeNextToken(const KinesisContext& ctx, std::string_view kind,
                                    std::string_view token);

// StreamName / ConsumerName pattern [a-zA-Z0-9_.-]+.
bool IsName(std::string_view s);

// Action groups (actions_*.cc), each adding its operations to `table`.
using ActionTable = std::vector<std::pair<std::string_view, Action>>;
void AddStreamActions(ActionTable* table);
void AddShardActions(ActionTable* table);
void AddRecordActions(ActionTable* table);
void AddConsumerActions(ActionTable* table);
void AddTagActions(ActionTable* table);
// Enable/DisableEnhancedMonitoring, Start/StopStreamEncryption (actions_admin.cc).
void AddAdminActions(ActionTable* table);

}  // namespace osprey::server::kinesis
