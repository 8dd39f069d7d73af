// Shard operations (spec section 5): ListShards with ShardFilter and
// pagination, and resharding (SplitShard, MergeShards, UpdateShardCount).
#include <algorithm>
#include <sstream>

#include "kinesis/kinesis_routes.h"
#include "kinesis/shard_output.h"

namespace osprey::server::kinesis {

namespace {

using Filter = streams::ShardFilter;

const std::vector<std::pair<std::string_view, Filter::Type>> kFilterTypes = {
    {"AFTER_SHARD_ID", Filter::Type::kAfterShardId},
    {"AT_TRIM_HORIZON", Filter::Type::kAtTrimHorizon},
    {"FROM_TRIM_HORIZON", Filter::Type::kFromTrimHorizon},
    {"AT_LATEST", Filter::Type::kAtLatest},
    {"AT_TIMESTAMP", Filter::Type::kAtTimestamp},
    {"FROM_TIMESTAMP", Filter::Type::kFromTimestamp}};

// The continuation of a listing: stream, filter and the last shard index
// returned, one field per line.
std::string TokenPayload(const std::string& stream, const Filter& f, uint32_t last) {
  return stream + "\n" + std::to_string(static_cast<int>(f.type)) + "\n" + f.shard_id.value_or("") +
         "\n" + (f.timestamp_ms ? std::to_string(*f.timestamp_ms) : "") + "\n" + std::to_string(last);
}

bool ParsePayload(const std::string& payload, std::string* stream, Filter* f, uint32_t* last) {
  std::istringstream in(payload);
  std::string type, shard, ts, last_text;
  if (!std::getline(in, *stream) || !std::getline(in, type) || !std::getline(in, shard) ||
      !std::getline(in, ts) || !std::getline(in, last_text)) {
    return false;
  }
  f->type = static_cast<Filter::Type>(std::stoi(type));
  if (!shard.empty()) f->shard_id = shard;
  if (!ts.empty()) f->timestamp_ms = std::stoll(ts);
  *last = static_cast<uint32_t>(std::stoul(last_text));
  return true;
}

Result<Filter> ReadFilter(const Input& input) {
  OSPREY_ASSIGN_OR_RETURN(auto filter, input.Object("ShardFilter"));
  Filter f;
  if (!filter) return f;
  OSPREY_ASSIGN_OR_RETURN(auto type, filter->String("Type"));
  OSPREY_ASSIGN_OR_RETURN(auto shard, filter->String("ShardId"));
  OSPREY_ASSIGN_OR_RETURN(auto ts, filter->TimestampMs("Timestamp"));
  Validation v;
  v.Required("ShardFilter.Type", type.has_value());
  std::vector<std::string_view> names;
  for (const auto& [n, t] : kFilterTypes) names.push_back(n);
  v.Enum("ShardFilter.Type", type, names);
  v.Length("ShardFilter.ShardId", shard, 1, 128);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  for (const auto& [n, t] : kFilterTypes) {
    if (*type == n) f.type = t;
  }
  bool needs_shard = f.type == Filter::Type::kAfterShardId;
  bool needs_ts = f.type == Filter::Type::kAtTimestamp || f.type == Filter::Type::kFromTimestamp;
  if (needs_shard != shard.has_value()) {
    return Status::InvalidArgument(needs_shard ? "ShardId must be specified for AFTER_SHARD_ID."
                                               : "ShardId is only valid with AFTER_SHARD_ID.");
  }
  if (needs_ts != ts.has_value()) {
    return Status::InvalidArgument(needs_ts ? "Timestamp must be specified for " + *type + "."
                                            : "Timestamp is not valid with " + *type + ".");
  }
  f.shard_id = shard;
  f.timestamp_ms = ts;
  return f;
}

void ListShards(const Call& c) {
  auto token = c.input.String("NextToken");
  auto name = c.input.String("StreamName");
  auto arn = c.input.String("StreamARN");
  auto start = c.input.String("ExclusiveStartShardId");
  auto max = c.input.Int("MaxResults");
  auto created = c.input.TimestampMs("StreamCreationTimestamp");
  for (const Status* s : {&token.status(), &name.status(), &arn.status(), &start.status(),
                          &max.status(), &created.status()}) {
    if (!s->ok()) return c.Fail(*s);
  }
  Validation v;
  v.Length("NextToken", *token, 1, 1048576);
  v.Length("ExclusiveStartShardId", *start, 1, 128);
  v.Range("MaxResults", *max, 1, 10000);
  if (!v.ok()) return c.Fail(v.ToStatus());
  std::string stream;
  Filter filter;
  // Shards with an index up to this one are skipped; -1 lists from the
  // first (an unparseable ExclusiveStartShardId sorts before every id).
  std::optional<int64_t> after;
  if (*token) {
    if (*name || *arn || *start || *created) {
      return c.Fail(Status::InvalidArgument("NextToken and StreamName cannot be provided together."));
    }
    auto payload = DecodeNextToken(*c.ctx, "ListShards", **token);
    if (!payload.ok()) return c.Fail(payload.status());
    uint32_t last = 0;
    if (!ParsePayload(*payload, &stream, &filter, &last)) {
      return c.Fail(Status::InvalidArgument("Invalid NextToken."));
    }
    after = last;
  } else {
    if (!*name && !*arn) {
      return c.Fail(Status::InvalidArgument("Either NextToken or StreamName should be provided."));
    }
    auto s = StreamOf(c.input, *c.ctx->engine);
    if (!s.ok()) return c.Fail(s.status());
    stream = *s;
    auto f = ReadFilter(c.input);
    if (!f.ok()) return c.Fail(f.status());
    filter = *f;
    if (*start) {
      std::optional<uint32_t> index = streams::ParseShardId(**start);
      after = index ? static_cast<int64_t>(*index) : -1;
    }
  }
  auto shards = c.ctx->engine->ListShards(stream, filter);
  if (!shards.ok()) return c.Fail(shards.status());
  size_t limit = static_cast<size_t>(max->value_or(1000));
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("Shards").BeginArray();
  size_t n = 0;
  bool more = false;
  uint32_t last = 0;
  for (const auto& shard : *shards) {
    if (after && static_cast<int64_t>(shard.index) <= *after) continue;
    if (n == limit) {
      more = true;
      break;
    }
    WriteShard(*out, shard);
    last = shard.index;
    ++n;
  }
  out->EndArray();
  if (more) out->Key("NextToken").String(EncodeNextToken(*c.ctx, "ListShards", TokenPayload(stream, filter, last)));
  out->EndObject();
  c.Ok(std::move(body));
}

Result<std::string> RequiredString(const Input& in, std::string_view member, size_t max_len) {
  OSPREY_ASSIGN_OR_RETURN(auto value, in.String(member));
  Validation v;
  v.Required(member, value.has_value());
  v.Length(member, value, 1, max_len);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  return *value;
}

void SplitShard(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto shard = RequiredString(c.input, "ShardToSplit", 128);
  if (!shard.ok()) return c.Fail(shard.status());
  auto key = RequiredString(c.input, "NewStartingHashKey", 39);
  if (!key.ok()) return c.Fail(key.status());
  if (Status s = c.ctx->engine->SplitShard(*stream, *shard, *key); !s.ok()) return c.Fail(s);
  c.Empty();
}

void MergeShards(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto a = RequiredString(c.input, "ShardToMerge", 128);
  if (!a.ok()) return c.Fail(a.status());
  auto b = RequiredString(c.input, "AdjacentShardToMerge", 128);
  if (!b.ok()) return c.Fail(b.status());
  if (Status s = c.ctx->engine->MergeShards(*stream, *a, *b); !s.ok()) return c.Fail(s);
  c.Empty();
}

void UpdateShardCount(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto target = c.input.Int("TargetShardCount");
  auto scaling = c.input.String("ScalingType");
  if (!target.ok()) return c.Fail(target.status());
  if (!scaling.ok()) return c.Fail(scaling.status());
  Validation v;
  v.Required("TargetShardCount", target->has_value());
  v.Range("TargetShardCount", *target, 1, 2147483647);
  v.Required("ScalingType", scaling->has_value());
  v.Enum("ScalingType", *scaling, {"UNIFORM_SCALING"});
  if (!v.ok()) return c.Fail(v.ToStatus());
  auto r = c.ctx->engine->UpdateShardCount(*stream, static_cast<uint32_t>(**target));
  if (!r.ok()) return c.Fail(r.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("StreamName").String(*stream);
  out->Key("CurrentShardCount").Int64(r->current_shard_count);
  out->Key("TargetShardCount").Int64(r->target_shard_count);
  out->Key("StreamARN").String(c.ctx->engine->StreamArn(*stream)).EndObject();
  c.Ok(std::move(body));
}

}  // namespace

void AddShardActions(ActionTable* t) {
  t->emplace_back("ListShards", &ListShards);
  t->emplace_back("SplitShard", &SplitShard);
  t->emplace_back("MergeShards", &MergeShards);
  t->emplace_back("UpdateShardCount", &UpdateShardCount);
}

}  // namespace osprey::server::kinesis
