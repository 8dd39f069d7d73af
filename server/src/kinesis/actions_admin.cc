// Stream settings outside the data path (spec data-streams-api.md section
// 5): EnableEnhancedMonitoring / DisableEnhancedMonitoring and
// StartStreamEncryption / StopStreamEncryption. The engine stores both in
// its registry and seals records at rest (streams/FORMAT.md "Encrypted
// records"); this file validates the wire input and renders the answers.
#include "kinesis/kinesis_routes.h"

namespace osprey::server::kinesis {

namespace {

// ShardLevelMetrics: 1..7 names of the MetricsName enum.
void ValidateMetrics(Validation* v, const std::optional<std::vector<std::string>>& metrics) {
  v->Required("ShardLevelMetrics", metrics.has_value());
  if (!metrics) return;
  if (metrics->empty() || metrics->size() > 7) {
    v->Add("ShardLevelMetrics", "[...]", metrics->empty()
                                             ? "Member must have length greater than or equal to 1"
                                             : "Member must have length less than or equal to 7");
  }
  std::vector<std::string_view> allowed(std::begin(streams::kShardLevelMetrics),
                                        std::end(streams::kShardLevelMetrics));
  allowed.push_back("ALL");
  for (size_t i = 0; i < metrics->size(); ++i) {
    v->Enum("ShardLevelMetrics." + std::to_string(i + 1), (*metrics)[i], allowed);
  }
}

template <bool kEnable>
void ChangeMonitoring(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  auto metrics = c.input.StringList("ShardLevelMetrics");
  if (!metrics.ok()) return c.Fail(metrics.status());
  Validation v;
  ValidateMetrics(&v, *metrics);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (!stream.ok()) return c.Fail(stream.status());
  auto change = kEnable ? c.ctx->engine->EnableMonitoring(*stream, **metrics)
                        : c.ctx->engine->DisableMonitoring(*stream, **metrics);
  if (!change.ok()) return c.Fail(change.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("StreamName").String(*stream);
  out->Key("StreamARN").String(c.ctx->engine->StreamArn(*stream));
  out->Key("CurrentShardLevelMetrics").BeginArray();
  for (const auto& m : change->current) out->String(m);
  out->EndArray().Key("DesiredShardLevelMetrics").BeginArray();
  for (const auto& m : change->desired) out->String(m);
  out->EndArray().EndObject();
  c.Ok(std::move(body));
}

template <bool kStart>
void ChangeEncryption(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  auto type = c.input.String("EncryptionType");
  auto key_id = c.input.String("KeyId");
  if (!type.ok()) return c.Fail(type.status());
  if (!key_id.ok()) return c.Fail(key_id.status());
  Validation v;
  v.Required("EncryptionType", type->has_value());
  v.Required("KeyId", key_id->has_value());
  v.Length("KeyId", *key_id, 1, 2048);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (!stream.ok()) return c.Fail(stream.status());
  // Spec: KMS is the only type these operations take ("NONE" included);
  // anything else is InvalidArgumentException rather than a
  // ValidationException.
  if (**type != "KMS") {
    return c.Fail(Status::InvalidArgument("Invalid EncryptionType " + **type +
                                          ". The only supported EncryptionType is KMS."));
  }
  Status s = kStart ? c.ctx->engine->StartEncryption(*stream, **key_id)
                    : c.ctx->engine->StopEncryption(*stream, **key_id);
  if (!s.ok()) return c.Fail(s);
  c.Empty();
}

}  // namespace

void AddAdminActions(ActionTable* t) {
  t->emplace_back("EnableEnhancedMonitoring", &ChangeMonitoring<true>);
  t->emplace_back("DisableEnhancedMonitoring", &ChangeMonitoring<false>);
  t->emplace_back("StartStreamEncryption", &ChangeEncryption<true>);
  t->emplace_back("StopStreamEncryption", &ChangeEncryption<false>);
}

}  // namespace osprey::server::kinesis
