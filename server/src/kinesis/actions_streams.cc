// Stream-level operations (spec data-streams-api.md section 5): create,
// delete, describe, list, retention, mode, limits and tags.
#include <algorithm>

#include "kinesis/kinesis_routes.h"
#include "kinesis/shard_output.h"

namespace osprey::server::kinesis {

namespace {

using streams::StreamEngine;

void CreateStream(const Call& c) {
  auto name = c.input.String("StreamName");
  auto count = c.input.Int("ShardCount");
  auto mode_details = c.input.Object("StreamModeDetails");
  auto tags = c.input.StringMap("Tags");
  auto max_kib = c.input.Int("MaxRecordSizeInKiB");
  for (const Status* s : {&name.status(), &count.status(), &mode_details.status(), &tags.status(),
                          &max_kib.status()}) {
    if (!s->ok()) return c.Fail(*s);
  }
  std::optional<std::string> mode_name;
  if (*mode_details) {
    auto m = (*mode_details)->String("StreamMode");
    if (!m.ok()) return c.Fail(m.status());
    mode_name = *m;
  }
  Validation v;
  v.Required("StreamName", name->has_value());
  v.Length("StreamName", *name, 1, 128);
  v.Pattern("StreamName", *name, "[a-zA-Z0-9_.-]+", IsName);
  v.Range("ShardCount", *count, 1, 100000);
  if (*mode_details) {
    v.Required("StreamModeDetails.StreamMode", mode_name.has_value());
    v.Enum("StreamModeDetails.StreamMode", mode_name, {"PROVISIONED", "ON_DEMAND"});
  }
  v.Range("MaxRecordSizeInKiB", *max_kib, 1024, 10240);
  if (!v.ok()) return c.Fail(v.ToStatus());
  streams::CreateStreamOptions options;
  if (mode_name) options.mode = *streams::ParseStreamMode(*mode_name);
  if (*count) options.shard_count = static_cast<uint32_t>(**count);
  if (*tags) options.tags = **tags;
  if (*max_kib) options.max_record_size_kib = static_cast<uint32_t>(**max_kib);
  if (Status s = c.ctx->engine->CreateStream(**name, options); !s.ok()) return c.Fail(s);
  c.Empty();
}

void DeleteStream(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto enforce = c.input.Bool("EnforceConsumerDeletion");
  if (!enforce.ok()) return c.Fail(enforce.status());
  Status s = c.ctx->engine->DeleteStream(*stream, enforce->value_or(false));
  if (!s.ok()) return c.Fail(s);
  c.Empty();
}

void DescribeStream(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto limit = c.input.Int("Limit");
  auto start = c.input.String("ExclusiveStartShardId");
  if (!limit.ok()) return c.Fail(limit.status());
  if (!start.ok()) return c.Fail(start.status());
  Validation v;
  v.Range("Limit", *limit, 1, 10000);
  v.Length("ExclusiveStartShardId", *start, 1, 128);
  if (!v.ok()) return c.Fail(v.ToStatus());
  auto d = c.ctx->engine->DescribeStream(*stream);
  if (!d.ok()) return c.Fail(d.status());
  size_t max = static_cast<size_t>(std::min<int64_t>(limit->value_or(100), 100));
  std::optional<uint32_t> after;
  if (*start) after = streams::ParseShardId(**start);
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("StreamDescription").BeginObject();
  out->Key("StreamName").String(d->name).Key("StreamARN").String(d->arn);
  out->Key("StreamStatus").String(streams::StreamStatusName(d->status));
  out->Key("StreamModeDetails").BeginObject().Key("StreamMode").String(
      streams::StreamModeName(d->mode)).EndObject();
  out->Key("Shards").BeginArray();
  size_t written = 0;
  bool more = false;
  for (const auto& shard : d->shards) {
    if (*start && (!after || shard.index <= *after)) continue;
    if (written == max) {
      more = true;
      break;
    }
    WriteShard(*out, shard);
    ++written;
  }
  out->EndArray().Key("HasMoreShards").Bool(more);
  out->Key("RetentionPeriodHours").Int64(d->retention_hours);
  out->Key("StreamCreationTimestamp").TimestampMs(d->created_ms);
  WriteMonitoringAndEncryption(*out, *d);
  out->EndObject().EndObject();
  c.Ok(std::move(body));
}

void DescribeStreamSummary(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto d = c.ctx->engine->DescribeStream(*stream);
  if (!d.ok()) return c.Fail(d.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("StreamDescriptionSummary").BeginObject();
  out->Key("StreamName").String(d->name).Key("StreamARN").String(d->arn);
  out->Key("StreamStatus").String(streams::StreamStatusName(d->status));
  out->Key("StreamModeDetails").BeginObject().Key("StreamMode").String(
      streams::StreamModeName(d->mode)).EndObject();
  out->Key("RetentionPeriodHours").Int64(d->retention_hours);
  out->Key("StreamCreationTimestamp").TimestampMs(d->created_ms);
  WriteMonitoringAndEncryption(*out, *d);
  out->Key("OpenShardCount").Int64(d->open_shard_count);
  out->Key("ConsumerCount").Int64(d->consumer_count);
  out->Key("MaxRecordSizeInKiB").Int64(d->max_record_size_kib);
  out->EndObject().EndObject();
  c.Ok(std::move(body));
}

void ListStreams(const Call& c) {
  auto limit = c.input.Int("Limit");
  auto start = c.input.String("ExclusiveStartStreamName");
  auto token = c.input.String("NextToken");
  for (const Status* s : {&limit.status(), &start.status(), &token.status()}) {
    if (!s->ok()) return c.Fail(*s);
  }
  Validation v;
  v.Range("Limit", *limit, 1, 10000);
  v.Length("ExclusiveStartStreamName", *start, 1, 128);
  v.Length("NextToken", *token, 1, 1048576);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (*token && *start) {
    return c.Fail(Status::InvalidArgument(
        "NextToken and ExclusiveStartStreamName cannot be provided together."));
  }
  std::string after = start->value_or("");
  if (*token) {
    auto decoded = DecodeNextToken(*c.ctx, "ListStreams", **token);
    if (!decoded.ok()) return c.Fail(decoded.status());
    after = *decoded;
  }
  size_t max = static_cast<size_t>(std::min<int64_t>(limit->value_or(100), 100));
  streams::ListStreamsResult r = c.ctx->engine->ListStreams(after, max);
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("StreamNames").BeginArray();
  for (const auto& s : r.streams) out->String(s.name);
  out->EndArray().Key("HasMoreStreams").Bool(r.has_more);
  if (r.has_more && !r.streams.empty()) {
    out->Key("NextToken").String(EncodeNextToken(*c.ctx, "ListStreams", r.streams.back().name));
  }
  out->Key("StreamSummaries").BeginArray();
  for (const auto& s : r.streams) {
    out->BeginObject().Key("StreamName").String(s.name).Key("StreamARN").String(s.arn);
    out->Key("StreamStatus").String(streams::StreamStatusName(s.status));
    out->Key("StreamModeDetails").BeginObject().Key("StreamMode").String(
        streams::StreamModeName(s.mode)).EndObject();
    out->Key("StreamCreationTimestamp").TimestampMs(s.created_ms).EndObject();
  }
  out->EndArray().EndObject();
  c.Ok(std::move(body));
}

template <bool kIncrease>
void ChangeRetention(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto hours = c.input.Int("RetentionPeriodHours");
  if (!hours.ok()) return c.Fail(hours.status());
  Validation v;
  v.Required("RetentionPeriodHours", hours->has_value());
  v.Range("RetentionPeriodHours", *hours, 1, 2147483647);
  if (!v.ok()) return c.Fail(v.ToStatus());
  auto h = static_cast<int32_t>(**hours);
  Status s = kIncrease ? c.ctx->engine->IncreaseRetention(*stream, h)
                       : c.ctx->engine->DecreaseRetention(*stream, h);
  if (!s.ok()) return c.Fail(s);
  c.Empty();
}

void UpdateStreamMode(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine, /*arn_only=*/true);
  if (!stream.ok()) return c.Fail(stream.status());
  auto details = c.input.Object("StreamModeDetails");
  if (!details.ok()) return c.Fail(details.status());
  std::optional<std::string> mode;
  if (*details) {
    auto m = (*details)->String("StreamMode");
    if (!m.ok()) return c.Fail(m.status());
    mode = *m;
  }
  Validation v;
  v.Required("StreamModeDetails", details->has_value());
  if (*details) v.Required("StreamModeDetails.StreamMode", mode.has_value());
  v.Enum("StreamModeDetails.StreamMode", mode, {"PROVISIONED", "ON_DEMAND"});
  if (!v.ok()) return c.Fail(v.ToStatus());
  Status s = c.ctx->engine->UpdateStreamMode(*stream, *streams::ParseStreamMode(*mode));
  if (!s.ok()) return c.Fail(s);
  c.Empty();
}

void DescribeLimits(const Call& c) {
  streams::AccountLimits l = c.ctx->engine->DescribeLimits();
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("ShardLimit").Int64(l.shard_limit);
  out->Key("OpenShardCount").Int64(l.open_shard_count);
  out->Key("OnDemandStreamCount").Int64(l.on_demand_stream_count);
  out->Key("OnDemandStreamCountLimit").Int64(l.on_demand_stream_limit).EndObject();
  c.Ok(std::move(body));
}

}  // namespace

void AddStreamActions(ActionTable* t) {
  t->emplace_back("CreateStream", &CreateStream);
  t->emplace_back("DeleteStream", &DeleteStream);
  t->emplace_back("DescribeStream", &DescribeStream);
  t->emplace_back("DescribeStreamSummary", &DescribeStreamSummary);
  t->emplace_back("ListStreams", &ListStreams);
  t->emplace_back("IncreaseStreamRetentionPeriod", &ChangeRetention<true>);
  t->emplace_back("DecreaseStreamRetentionPeriod", &ChangeRetention<false>);
  t->emplace_back("UpdateStreamMode", &UpdateStreamMode);
  t->emplace_back("DescribeLimits", &DescribeLimits);
  AddTagActions(t);
  AddAdminActions(t);
}

}  // namespace osprey::server::kinesis
