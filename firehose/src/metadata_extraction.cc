// MetadataExtraction (spec 5.5): the jq subset "{KEY:.a.b, KEY2:.c}".
#include <simdjson.h>

#include <cctype>
#include <utility>
#include <vector>

#include "osprey/firehose/processor.h"

namespace osprey::firehose {
namespace {

struct Field {
  std::string key;
  std::string pointer;  // JSON pointer, "/a/b"
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsIdent(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

Result<std::vector<Field>> Parse(const std::string& query) {
  std::string_view q = Trim(query);
  Status bad = Status::InvalidArgument("MetadataExtractionQuery '" + query +
                                       "' is not supported (Osprey v1: {key:.field.path, ...})");
  if (q.size() < 2 || q.front() != '{' || q.back() != '}') return bad;
  q = q.substr(1, q.size() - 2);
  std::vector<Field> out;
  while (!Trim(q).empty()) {
    size_t comma = q.find(',');
    std::string_view item = Trim(q.substr(0, comma));
    q = comma == std::string_view::npos ? std::string_view() : q.substr(comma + 1);
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) return bad;
    std::string_view key = Trim(item.substr(0, colon));
    std::string_view path = Trim(item.substr(colon + 1));
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    if (!IsIdent(key) || path.empty() || path.front() != '.') return bad;
    Field f{std::string(key), ""};
    path.remove_prefix(1);
    while (!path.empty()) {
      size_t dot = path.find('.');
      std::string_view part = path.substr(0, dot);
      if (!IsIdent(part)) return bad;
      f.pointer += "/";
      f.pointer += part;
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    if (f.pointer.empty()) return bad;
    out.push_back(std::move(f));
  }
  if (out.empty()) return bad;
  return out;
}

}  // namespace

Status ValidateMetadataQuery(const std::string& query) {
  auto parsed = Parse(query);
  if (!parsed.ok()) return parsed.status();
  return Status::Ok();
}

Result<std::map<std::string, std::string>> ExtractMetadata(const std::string& query,
                                                           std::string_view record) {
  OSPREY_ASSIGN_OR_RETURN(std::vector<Field> fields, Parse(query));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::padded_string padded(record);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return Status::InvalidArgument("record is not valid JSON");
  }
  std::map<std::string, std::string> out;
  for (const Field& f : fields) {
    simdjson::dom::element v;
    if (doc.at_pointer(f.pointer).get(v) != simdjson::SUCCESS || v.is_null()) {
      return Status::InvalidArgument("field " + f.pointer + " not found in record");
    }
    if (v.is_string()) {
      out[f.key] = std::string(std::string_view(v));
    } else if (v.is_array() || v.is_object()) {
      return Status::InvalidArgument("field " + f.pointer + " is not a scalar");
    } else {
      out[f.key] = simdjson::minify(v);
    }
  }
  return out;
}

}  // namespace osprey::firehose
