#include "registry.h"

#include "json_value.h"
#include "osprey/base/file_util.h"

namespace osprey::firehose {

Status SaveRegistry(const std::string& path, const std::vector<const DeliveryStreamInfo*>& streams) {
  Value::Array list;
  for (const DeliveryStreamInfo* s : streams) {
    Value::Map tags;
    for (const auto& [k, v] : s->tags) tags.emplace_back(k, Value::String(v));
    list.push_back(Value::MakeMap({
        {"name", Value::String(s->name)},
        {"type", Value::String(s->type)},
        {"status", Value::String(std::string(StatusName(s->status)))},
        {"version", Value::Int(s->version_id)},
        {"created_ms", Value::Int(s->create_ms)},
        {"updated_ms", Value::Int(s->update_ms)},
        {"throughput_hint", Value::Int(s->throughput_hint_mbs)},
        {"incarnation", Value::String(s->incarnation)},
        {"destination_kind", Value::String(s->destination_kind)},
        {"destination", s->destination},
        {"tags", Value::MakeMap(std::move(tags))},
        {"source_stream_arn", Value::String(s->source_stream_arn)},
        {"source_role_arn", Value::String(s->source_role_arn)},
        {"delivery_start_ms", Value::Int(s->delivery_start_ms)},
    }));
  }
  Value root = Value::MakeMap({{"format", Value::Int(1)}, {"streams", Value::MakeArray(std::move(list))}});
  return WriteFileAtomically(path, ToJson(root) + "\n");
}

Result<std::vector<DeliveryStreamInfo>> LoadRegistry(const std::string& path) {
  std::vector<DeliveryStreamInfo> out;
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) return out;
    return text.status();
  }
  auto root = ParseJson(*text);
  if (!root.ok()) return Status::Corruption(path + ": malformed registry");
  const Value* list = root->Find("streams");
  if (GetInt(*root, "format", 0) != 1 || list == nullptr || list->type() != Value::Type::kArray) {
    return Status::Corruption(path + ": unknown registry format");
  }
  for (const Value& v : list->as_array()) {
    DeliveryStreamInfo s;
    s.name = GetString(v, "name");
    s.type = GetString(v, "type", "DirectPut");
    std::string status = GetString(v, "status", "ACTIVE");
    s.status = status == "CREATING" ? StreamStatus::kCreating
               : status == "DELETING" ? StreamStatus::kDeleting : StreamStatus::kActive;
    s.version_id = GetInt(v, "version", 1);
    s.create_ms = GetInt(v, "created_ms", 0);
    s.update_ms = GetInt(v, "updated_ms", 0);
    s.throughput_hint_mbs = GetInt(v, "throughput_hint", 0);
    s.incarnation = GetString(v, "incarnation");
    s.destination_kind = GetString(v, "destination_kind");
    if (const Value* d = v.Find("destination")) s.destination = *d;
    s.source_stream_arn = GetString(v, "source_stream_arn");
    s.source_role_arn = GetString(v, "source_role_arn");
    s.delivery_start_ms = GetInt(v, "delivery_start_ms", 0);
    if (const Value* t = v.Find("tags"); t != nullptr && t->type() == Value::Type::kMap) {
      for (const auto& [k, x] : t->as_map()) {
        if (x.type() == Value::Type::kString) s.tags[k] = x.as_string();
      }
    }
    if (s.name.empty() || s.incarnation.size() != 16) return Status::Corruption(path + ": bad stream entry");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace osprey::firehose
