#include "kinesis/kinesis_routes.h"

#include <cstring>

#include "access/access_control.h"
#include "osprey/auth/sigv4.h"
#include "kinesis/subscribe_to_shard.h"
#include "osprey/base/base64.h"

namespace osprey::server::kinesis {

namespace {

constexpr int64_t kNextTokenTtlMs = 300'000;
constexpr size_t kTagBytes = 16;

std::string TokenTag(const KinesisContext& ctx, std::string_view signed_part) {
  auth::Digest d = auth::HmacSha256(
      std::span(reinterpret_cast<const uint8_t*>(ctx.token_key.data()), ctx.token_key.size()),
      signed_part);
  return std::string(reinterpret_cast<const char*>(d.data()), kTagBytes);
}

// What a call names for the access check: StreamName, StreamARN,
// ConsumerARN, ResourceARN (as the handler will read them; a member of the
// wrong type is left to the handler, which refuses it). GetRecords with only
// a ShardIterator and ListShards with only a NextToken present a token an
// authorised call was given.
access::Call AccessCallOf(std::string_view api, const Input& input) {
  access::Call call{"kinesis", api, {}, false};
  for (std::string_view member : {"StreamName", "StreamARN", "ConsumerARN", "ResourceARN"}) {
    auto value = input.String(member);
    if (value.ok() && value->has_value()) call.streams.push_back(**value);
  }
  if (call.streams.empty()) {
    auto token = input.String(api == "GetRecords" ? "ShardIterator" : "NextToken");
    call.capability = (api == "GetRecords" || api == "ListShards") && token.ok() &&
                      token->has_value();
  }
  return call;
}

// Runs one operation: codec from Content-Type, body decoded, access checked,
// then the action.
void Dispatch(std::string_view api, Action action, KinesisContext* ctx, Request request,
              Responder respond) {
  auto codec = CodecFromContentType(request.headers.Get("Content-Type").value_or(""));
  if (!codec) {
    // Spec 1, processing step 3: an unsupported content type is an unknown
    // operation (no message), answered in JSON.
    respond(Failure(Codec::kJson, {400, "UnknownOperationException", ""}));
    return;
  }
  auto input = Input::Decode(*codec, request.body);
  if (!input.ok()) {
    respond(Failure(*codec, ToApiError(input.status())));
    return;
  }
  if (ctx->access != nullptr) {
    const access::Call call = AccessCallOf(api, *input);
    respond = ctx->access->Audited(request, call, std::move(respond));
    if (Status denied = ctx->access->Authorize(request, call); !denied.ok()) {
      respond(Failure(*codec, ToApiError(denied)));
      return;
    }
  }
  action(Call{std::move(*input), ctx, Reply{*codec, std::move(respond)}});
}

}  // namespace

bool IsName(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> StreamOf(const Input& input, streams::StreamEngine& engine, bool arn_only) {
  OSPREY_ASSIGN_OR_RETURN(auto name, input.String("StreamName"));
  OSPREY_ASSIGN_OR_RETURN(auto arn, input.String("StreamARN"));
  Validation v;
  if (!arn_only) {
    v.Length("StreamName", name, 1, 128);
    v.Pattern("StreamName", name, "[a-zA-Z0-9_.-]+", IsName);
  } else {
    v.Required("StreamARN", arn.has_value());
  }
  v.Length("StreamARN", arn, 1, 2048);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  if (arn_only) name.reset();
  if (!name && !arn) return Status::InvalidArgument("Either StreamName or StreamARN must be provided.");
  if (arn) {
    OSPREY_ASSIGN_OR_RETURN(std::string from_arn, engine.StreamNameFromArn(*arn));
    if (name && *name != from_arn) {
      return Status::InvalidArgument("StreamARN " + *arn + " and StreamName " + *name +
                                     " do not name the same stream.");
    }
    return from_arn;
  }
  return *name;
}

std::string EncodeNextToken(const KinesisContext& ctx, std::string_view kind,
                            std::string_view payload) {
  std::string body = std::string(kind) + '\n' + std::to_string(ctx.clock()) + '\n' +
                     std::string(payload);
  return base64::EncodeUrl(body + TokenTag(ctx, body));
}

Result<std::string> DecodeNextToken(const KinesisContext& ctx, std::string_view kind,
                                    std::string_view token) {
  auto raw = base64::DecodeUrl(token);
  Status invalid = Status::InvalidArgument("Invalid NextToken.");
  if (!raw || raw->size() < kTagBytes) return invalid;
  std::string body = raw->substr(0, raw->size() - kTagBytes);
  if (!auth::ConstantTimeEquals(raw->substr(body.size()), TokenTag(ctx, body))) return invalid;
  size_t a = body.find('\n');
  size_t b = a == std::string::npos ? a : body.find('\n', a + 1);
  if (b == std::string::npos || body.substr(0, a) != kind) return invalid;
  int64_t issued = std::strtoll(body.c_str() + a + 1, nullptr, 10);
  if (ctx.clock() - issued > kNextTokenTtlMs) {
    return Status::DeadlineExceeded("The NextToken has expired; NextTokens are valid for 300 seconds.");
  }
  return body.substr(b + 1);
}

void RegisterKinesisRoutes(Router* router, KinesisContext* ctx) {
  ActionTable table;
  AddStreamActions(&table);
  AddShardActions(&table);
  AddRecordActions(&table);
  AddConsumerActions(&table);
  for (const auto& [name, action] : table) {
    Route route;
    route.api = std::string(name);
    route.service = "kinesis";
    // The server's limit (default 16 MiB, spec 1: 10 MiB of data is about
    // 13.4 MiB as base64) applies; an operator may lower it.
    route.buffered = [name = name, action = action, ctx](Request request, Responder respond) {
      Dispatch(name, action, ctx, std::move(request), std::move(respond));
    };
    router->AddTarget("Kinesis_20131202." + std::string(name), std::move(route));
  }
  // SubscribeToShard: the request body is read and verified whole, then the
  // answer streams (event-stream frames over chunks or HTTP/2 DATA).
  Route subscribe;
  subscribe.api = "SubscribeToShard";
  subscribe.service = "kinesis";
  subscribe.body = Route::Body::kStreaming;
  subscribe.max_body_bytes = 1u << 20;
  subscribe.streaming = [ctx](std::shared_ptr<Exchange> exchange) {
    if (ctx->access != nullptr) {
      // The body was read whole (and verified) before the handler runs.
      const Request& request = exchange->request();
      auto codec = CodecFromContentType(request.headers.Get("Content-Type").value_or(""));
      auto input = Input::Decode(codec.value_or(Codec::kJson), request.body);
      if (codec && input.ok()) {
        Status denied = ctx->access->Authorize(request, AccessCallOf("SubscribeToShard", *input));
        if (!denied.ok()) return exchange->Respond(Failure(*codec, ToApiError(denied)));
      }
    }
    ctx->subscriptions->Start(std::move(exchange));
  };
  router->AddTarget("Kinesis_20131202.SubscribeToShard", std::move(subscribe));
}

}  // namespace osprey::server::kinesis
