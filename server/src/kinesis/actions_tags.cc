// Tag operations (spec section 5 "Tags"): the stream-named ones and the
// generic *Resource ones by ARN, which alias them for stream ARNs.
#include "kinesis/kinesis_routes.h"

namespace osprey::server::kinesis {

namespace {

Result<std::string> StreamOfResource(const Call& c) {
  OSPREY_ASSIGN_OR_RETURN(auto arn, c.input.String("ResourceARN"));
  Validation v;
  v.Required("ResourceARN", arn.has_value());
  v.Length("ResourceARN", arn, 1, 2048);
  OSPREY_RETURN_IF_ERROR(v.ToStatus());
  return c.ctx->engine->StreamNameFromArn(*arn);
}

void ValidateTagKeys(Validation* v, const std::optional<std::vector<std::string>>& keys) {
  v->Required("TagKeys", keys.has_value());
  if (!keys) return;
  if (keys->empty() || keys->size() > 50) {
    v->Add("TagKeys", "[...]", keys->empty() ? "Member must have length greater than or equal to 1"
                                             : "Member must have length less than or equal to 50");
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    v->Length("TagKeys." + std::to_string(i + 1), (*keys)[i], 1, 128);
  }
}

void ValidateTags(Validation* v, const std::optional<std::map<std::string, std::string>>& tags) {
  v->Required("Tags", tags.has_value());
  if (!tags) return;
  if (tags->empty() || tags->size() > 200) {
    v->Add("Tags", "{...}", tags->empty() ? "Member must have length greater than or equal to 1"
                                          : "Member must have length less than or equal to 200");
  }
  for (const auto& [key, value] : *tags) {
    if (key.empty() || key.size() > 128) {
      v->Add("Tags", key, "Map keys must satisfy constraint: [Member must have length less than or "
                          "equal to 128, Member must have length greater than or equal to 1]");
    }
    v->Length("Tags." + key, value, 0, 256);
  }
}

void AddTags(const Call& c, Result<std::string> stream) {
  if (!stream.ok()) return c.Fail(stream.status());
  auto tags = c.input.StringMap("Tags");
  if (!tags.ok()) return c.Fail(tags.status());
  Validation v;
  ValidateTags(&v, *tags);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (Status s = c.ctx->engine->AddTags(*stream, **tags); !s.ok()) return c.Fail(s);
  c.Empty();
}

void RemoveTags(const Call& c, Result<std::string> stream) {
  if (!stream.ok()) return c.Fail(stream.status());
  auto keys = c.input.StringList("TagKeys");
  if (!keys.ok()) return c.Fail(keys.status());
  Validation v;
  ValidateTagKeys(&v, *keys);
  if (!v.ok()) return c.Fail(v.ToStatus());
  if (Status s = c.ctx->engine->RemoveTags(*stream, **keys); !s.ok()) return c.Fail(s);
  c.Empty();
}

void AddTagsToStream(const Call& c) { AddTags(c, StreamOf(c.input, *c.ctx->engine)); }
void TagResource(const Call& c) { AddTags(c, StreamOfResource(c)); }
void RemoveTagsFromStream(const Call& c) { RemoveTags(c, StreamOf(c.input, *c.ctx->engine)); }
void UntagResource(const Call& c) { RemoveTags(c, StreamOfResource(c)); }

void ListTagsForStream(const Call& c) {
  auto stream = StreamOf(c.input, *c.ctx->engine);
  if (!stream.ok()) return c.Fail(stream.status());
  auto start = c.input.String("ExclusiveStartTagKey");
  auto limit = c.input.Int("Limit");
  if (!start.ok()) return c.Fail(start.status());
  if (!limit.ok()) return c.Fail(limit.status());
  Validation v;
  v.Length("ExclusiveStartTagKey", *start, 1, 128);
  v.Range("Limit", *limit, 1, 50);
  if (!v.ok()) return c.Fail(v.ToStatus());
  auto tags = c.ctx->engine->ListTags(*stream);
  if (!tags.ok()) return c.Fail(tags.status());
  size_t max = static_cast<size_t>(limit->value_or(50));
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("Tags").BeginArray();
  size_t n = 0;
  bool more = false;
  for (const auto& [key, value] : *tags) {  // std::map: sorted by key
    if (*start && key <= **start) continue;
    if (n == max) {
      more = true;
      break;
    }
    out->BeginObject().Key("Key").String(key).Key("Value").String(value).EndObject();
    ++n;
  }
  out->EndArray().Key("HasMoreTags").Bool(more).EndObject();
  c.Ok(std::move(body));
}

void ListTagsForResource(const Call& c) {
  auto stream = StreamOfResource(c);
  if (!stream.ok()) return c.Fail(stream.status());
  auto tags = c.ctx->engine->ListTags(*stream);
  if (!tags.ok()) return c.Fail(tags.status());
  std::string body;
  auto out = Output::For(c.codec(), &body);
  out->BeginObject().Key("Tags").BeginArray();
  for (const auto& [key, value] : *tags) {
    out->BeginObject().Key("Key").String(key).Key("Value").String(value).EndObject();
  }
  out->EndArray().EndObject();
  c.Ok(std::move(body));
}

}  // namespace

void AddTagActions(ActionTable* t) {
  t->emplace_back("AddTagsToStream", &AddTagsToStream);
  t->emplace_back("RemoveTagsFromStream", &RemoveTagsFromStream);
  t->emplace_back("ListTagsForStream", &ListTagsForStream);
  t->emplace_back("TagResource", &TagResource);
  t->emplace_back("UntagResource", &UntagResource);
  t->emplace_back("ListTagsForResource", &ListTagsForResource);
}

}  // namespace osprey::server::kinesis
