// Enhanced fan-out consumers (spec section 5 "Consumers"): register,
// describe, list, deregister. SubscribeToShard is in subscribe_to_shard.cc.
#include "kinesis/kinesis_routes.h"

namespace osprey::server::kinesis {

namespace {

void WriteConsumer(Output& out, const streams::ConsumerDescription& d, bool with_stream) {
  out.BeginObject().Key("ConsumerName").String(d.name).Key("ConsumerARN").String(d.arn);
  out.Key("ConsumerStatus").String(streams::ConsumerStatusName(d.status));
  out.Key("ConsumerCreationTimestamp").TimestampMs(d.created_ms);
  if (with_stream) out.Key("StreamARN").String(d.stream_arn);
  out.EndObject();
}

Result<std::string> ConsumerName(const Input& in, bool required) {
  OSPREY_ASSIGN_OR_RETURN(auto name, in.String("ConsumerName"));
  Validation v;
  if (required) v.Required("ConsumerName", name.has_value());
  v.Length("ConsumerName", name, 1, 128);
  v.Pattern("ConsumerName", name, "[a-zA-Z0-9_.-]+", IsName);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  return name.value_or("");
}

// DescribeStreamConsumer / DeregisterStreamConsumer addressing: StreamARN +
// ConsumerName, or ConsumerARN (consistent when both are given).
Result<streams::ConsumerDescription> FindConsumer(const Call& c) {
  OSPREY_ASSIGN_OR_RETURN(auto consumer_arn, c.input.String("ConsumerARN"));
  OSPREY_ASSIGN_OR_RETURN(auto stream_arn, c.input.String("StreamARN"));
  OSPREY_ASSIGN_OR_RETURN(std::string name, ConsumerName(c.input, false));
  Validation v;
  v.Length("ConsumerARN", consumer_arn, 1, 2048);
  v.Length("StreamARN", stream_arn, 1, 2048);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  if (consumer_arn) {
    OSPREY_ASSIGN_OR_RETURN(auto d, c.ctx->engine->DescribeConsumerByArn(*consumer_arn));
    if ((!name.empty() && name != d.name) || (stream_arn && *stream_arn != d.stream_arn)) {
      return Status::InvalidArgument("ConsumerARN does not match the StreamARN and ConsumerName given.");
    }
    return d;
  }
  if (!stream_arn || name.empty()) {
    return Status::InvalidArgument("Either ConsumerARN or both ConsumerName and StreamARN must be provided.");
  }
  OSPREY_ASSIGN_OR_RETURN(std::string stream, c.ctx->engine->StreamNameFromArn(*stream_arn));
  return c.ctx->engine->DescribeConsumer(stream, name);
}

void RegisterStreamConsumer(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine, /*arn_only=*/true);
  if (!stream.ok()) return c.Fail(stream.status());
  auto name = ConsumerName(c.input, true);
  if (!name.ok()) return c.Fail(name.status());
  auto d = c.ctx->engine->RegisterConsumer(*stream, *name);
  if (!d.ok()) return c.Fail(d.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("Consumer");
  WriteConsumer(*out, *d, false);
  out->EndObject();
  c.Ok(std::move(body));
}

void DescribeStreamConsumer(const Call& c) {
  auto d = FindConsumer(c);
  if (!d.ok()) return c.Fail(d.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("ConsumerDescription");
  WriteConsumer(*out, *d, true);
  out->EndObject();
  c.Ok(std::move(body));
}

void DeregisterStreamConsumer(const Call& c) {
  auto d = FindConsumer(c);
  if (!d.ok()) return c.Fail(d.status());
  auto stream = c.ctx->engine->StreamNameFromArn(d->stream_arn);
  if (!stream.ok()) return c.Fail(stream.status());
  if (Status s = c.ctx->engine->DeregisterConsumer(*stream, d->name); !s.ok()) return c.Fail(s);
  c.Empty();
}

void ListStreamConsumers(const Call& c) {
  auto token = c.input.String("NextToken");
  auto max = c.input.Int("MaxResults");
  if (!token.ok()) return c.Fail(token.status());
  if (!max.ok()) return c.Fail(max.status());
  auto stream = StreamOf(c.input, *c.ctx->engine, /*arn_only=*/true);
  if (!stream.ok()) return c.Fail(stream.status());
  Validation v;
  v.Range("MaxResults", *max, 1, 10000);
  if (!v.ok()) return c.Fail(v.ToStatus());
  size_t skip = 0;
  if (*token) {
    auto payload = DecodeNextToken(*c.ctx, "ListStreamConsumers:" + *stream, **token);
    if (!payload.ok()) return c.Fail(payload.status());
    skip = std::stoul(*payload);
  }
  auto list = c.ctx->engine->ListConsumers(*stream);
  if (!list.ok()) return c.Fail(list.status());
  size_t limit = static_cast<size_t>(std::min<int64_t>(max->value_or(100), 100));
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("Consumers").BeginArray();
  size_t end = std::min(list->size(), skip + limit);
  for (size_t i = skip; i < end; ++i) WriteConsumer(*out, (*list)[i], false);
  out->EndArray();
  if (end < list->size()) {
    out->Key("NextToken").String(
        EncodeNextToken(*c.ctx, "ListStreamConsumers:" + *stream, std::to_string(end)));
  }
  out->EndObject();
  c.Ok(std::move(body));
}

}  // namespace

void AddConsumerActions(ActionTable* t) {
  t->emplace_back("RegisterStreamConsumer", &RegisterStreamConsumer);
  t->emplace_back("DescribeStreamConsumer", &DescribeStreamConsumer);
  t->emplace_back("DeregisterStreamConsumer", &DeregisterStreamConsumer);
  t->emplace_back("ListStreamConsumers", &ListStreamConsumers);
}

}  // namespace osprey::server::kinesis
