#include "osprey/client/list_fragments.h"

#include <algorithm>
#include <cmath>

#include "osprey/base/json_value.h"

namespace osprey::client {
namespace {

std::string StringOf(const Value& doc, std::string_view key) {
  const Value* v = doc.Find(key);
  return v != nullptr && v->type() == Value::Type::kString ? v->as_string() : std::string();
}

// ProducerTimestamp is epoch seconds, a double (or a whole number).
int64_t SecondsAsMs(const Value& doc, std::string_view key) {
  const Value* v = doc.Find(key);
  if (v == nullptr) return 0;
  if (v->type() == Value::Type::kDouble) return std::llround(v->as_double() * 1000);
  if (v->type() == Value::Type::kInt) return v->as_int() * 1000;
  return 0;
}

}  // namespace

void WriteProducerTimeSelector(JsonWriter* w, std::string_view member, int64_t from_ms,
                               int64_t to_ms) {
  w->Key(member)
      .BeginObject()
      .Key("FragmentSelectorType")
      .String("PRODUCER_TIMESTAMP")
      .Key("TimestampRange")
      .BeginObject()
      .Key("StartTimestamp")
      .Double(static_cast<double>(from_ms) / 1000.0)
      .Key("EndTimestamp")
      .Double(static_cast<double>(to_ms) / 1000.0)
      .EndObject()
      .EndObject();
}

Status ApiError(const JsonResponse& r) {
  std::string name = r.error_type;
  std::string message;
  if (auto doc = ParseJson(r.body); doc.ok()) {
    if (name.empty()) name = StringOf(*doc, "__type");
    message = StringOf(*doc, "message");
    if (message.empty()) message = StringOf(*doc, "Message");
  }
  // Some services send "namespace#Name".
  if (size_t hash = name.rfind('#'); hash != std::string::npos) name = name.substr(hash + 1);
  const std::string text =
      (name.empty() ? "HTTP " + std::to_string(r.status) : name) + (message.empty() ? "" : ": " + message);
  if (name == "ResourceNotFoundException") return Status::NotFound(text);
  if (name == "InvalidArgumentException" || name == "ValidationException") {
    return Status::InvalidArgument(text);
  }
  if (r.status == 403) return Status::PermissionDenied(text);
  return Status::Unavailable(text);
}

Result<std::vector<ListedFragment>> ListFragmentsByProducerTime(const ProducerTimeRange& range) {
  std::vector<ListedFragment> out;
  std::string token;
  do {
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Key("StreamName").String(range.stream_name).Key("MaxResults").Int64(1000);
    if (token.empty()) {
      WriteProducerTimeSelector(&w, "FragmentSelector", range.from_ms, range.to_ms);
    } else {
      w.Key("NextToken").String(token);
    }
    w.EndObject();
    OSPREY_ASSIGN_OR_RETURN(JsonResponse r, PostJson(range.url, KvsCall("/listFragments"), body,
                                                     range.credentials, range.region,
                                                     range.timeout));
    if (r.status != 200) return ApiError(r);
    OSPREY_ASSIGN_OR_RETURN(Value doc, ParseJson(r.body));
    if (const Value* list = doc.Find("Fragments");
        list != nullptr && list->type() == Value::Type::kArray) {
      for (const Value& f : list->as_array()) {
        ListedFragment l;
        l.number = StringOf(f, "FragmentNumber");
        if (l.number.empty()) continue;
        l.producer_ms = SecondsAsMs(f, "ProducerTimestamp");
        const Value* length = f.Find("FragmentLengthInMilliseconds");
        if (length != nullptr && length->type() == Value::Type::kInt) l.length_ms = length->as_int();
        out.push_back(std::move(l));
      }
    }
    token = StringOf(doc, "NextToken");
  } while (!token.empty());
  std::stable_sort(out.begin(), out.end(), [](const ListedFragment& a, const ListedFragment& b) {
    return a.producer_ms < b.producer_ms;
  });
  return out;
}

}  // namespace osprey::client
