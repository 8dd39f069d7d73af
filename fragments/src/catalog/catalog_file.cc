#include "catalog/catalog_file.h"

#include <simdjson.h>

#include "osprey/base/file_util.h"
#include "osprey/base/json_writer.h"

namespace osprey::fragments::catalog {

namespace dom = simdjson::dom;

namespace {

constexpr std::string_view kFormat = "osprey-stream-catalog";
constexpr int64_t kFormatVersion = 1;

void WriteStream(const VideoStream& s, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("name").String(s.name);
  w.Key("arn").String(s.arn);
  w.Key("device_name").String(s.device_name);
  w.Key("media_type").String(s.media_type);
  w.Key("kms_key_id").String(s.kms_key_id);
  w.Key("version").String(s.version);
  w.Key("status").String(s.status);
  w.Key("creation_ms").Int64(s.creation_ms);
  w.Key("retention_hours").Int64(s.retention_hours);
  w.Key("storage_tier").String(s.storage_tier);
  w.Key("tags").BeginObject();
  for (const auto& [k, v] : s.tags) w.Key(k).String(v);
  w.EndObject();
  w.EndObject();
}

// Reads one member of a stream object; false when absent or of another type.
bool GetString(const dom::object& o, std::string_view key, std::string* out) {
  std::string_view v;
  if (o.at_key(key).get_string().get(v) != simdjson::SUCCESS) return false;
  *out = std::string(v);
  return true;
}

bool GetInt(const dom::object& o, std::string_view key, int64_t* out) {
  return o.at_key(key).get_int64().get(*out) == simdjson::SUCCESS;
}

bool PlainName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<VideoStream> ParseStream(const dom::element& e, size_t index) {
  auto bad = [index](std::string_view why) {
    return Status::Corruption("stream catalog: stream #" + std::to_string(index) + ": " +
                              std::string(why));
  };
  dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return bad("not an object");
  VideoStream s;
  if (!GetString(o, "name", &s.name) || !PlainName(s.name)) return bad("bad name");
  if (!GetString(o, "arn", &s.arn) || s.arn.empty()) return bad("bad arn");
  if (!GetString(o, "device_name", &s.device_name)) return bad("bad device_name");
  if (!GetString(o, "media_type", &s.media_type)) return bad("bad media_type");
  if (!GetString(o, "kms_key_id", &s.kms_key_id)) return bad("bad kms_key_id");
  if (!GetString(o, "version", &s.version) || s.version.empty()) return bad("bad version");
  if (!GetString(o, "status", &s.status) || s.status.empty()) return bad("bad status");
  if (!GetInt(o, "creation_ms", &s.creation_ms) || s.creation_ms < 0) return bad("bad creation_ms");
  if (!GetInt(o, "retention_hours", &s.retention_hours) || s.retention_hours < 0 ||
      s.retention_hours > kMaxRetentionHours) {
    return bad("bad retention_hours");
  }
  if (!GetString(o, "storage_tier", &s.storage_tier)) return bad("bad storage_tier");
  dom::object tags;
  if (o.at_key("tags").get_object().get(tags) != simdjson::SUCCESS) return bad("bad tags");
  for (auto field : tags) {
    std::string_view v;
    if (field.value.get_string().get(v) != simdjson::SUCCESS) return bad("tag value not a string");
    s.tags[std::string(field.key)] = std::string(v);
  }
  if (s.tags.size() > kMaxTags) return bad("more than 50 tags");
  return s;
}

}  // namespace

std::string SerializeCatalog(const CatalogState& state) {
  // One stream per line, so that an operator can read and diff the file;
  // whitespace between tokens is plain JSON.
  std::string out = "{\"format\":\"";
  out += kFormat;
  out += "\",\"format_version\":" + std::to_string(kFormatVersion) +
         ",\"last_creation_ms\":" + std::to_string(state.last_creation_ms) + ",\"streams\":[";
  bool first = true;
  for (const auto& [name, stream] : state.streams) {
    out += first ? "\n" : ",\n";
    first = false;
    WriteStream(stream, &out);
  }
  out += "\n]}\n";
  return out;
}

Result<CatalogState> ParseCatalog(std::string_view text) {
  dom::parser parser;
  dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return Status::Corruption("stream catalog: not valid JSON");
  }
  dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return Status::Corruption("stream catalog: not a JSON object");
  }
  std::string format;
  int64_t version = 0;
  if (!GetString(top, "format", &format) || format != kFormat) {
    return Status::Corruption("stream catalog: missing or unknown \"format\"");
  }
  if (!GetInt(top, "format_version", &version) || version != kFormatVersion) {
    return Status::Corruption("stream catalog: unsupported format_version");
  }
  CatalogState state;
  if (!GetInt(top, "last_creation_ms", &state.last_creation_ms)) {
    return Status::Corruption("stream catalog: bad last_creation_ms");
  }
  dom::array streams;
  if (top.at_key("streams").get_array().get(streams) != simdjson::SUCCESS) {
    return Status::Corruption("stream catalog: bad \"streams\"");
  }
  size_t index = 0;
  for (dom::element e : streams) {
    OSPREY_ASSIGN_OR_RETURN(VideoStream s, ParseStream(e, index));
    if (state.streams.contains(s.name)) {
      return Status::Corruption("stream catalog: duplicate stream " + s.name);
    }
    std::string name = s.name;
    state.streams.emplace(std::move(name), std::move(s));
    ++index;
  }
  return state;
}

Result<std::optional<std::string>> ReadWholeFile(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) return std::optional<std::string>();
    return text.status();
  }
  return std::optional<std::string>(std::move(*text));
}

}  // namespace osprey::fragments::catalog
