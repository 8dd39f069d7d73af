// ParseEventJson: the reader of what event.cc writes (for the dataset
// exporter and tests). Strict about types, lenient about extra members, so a
// newer writer's additions do not break an older reader.
#include <limits>
#include <utility>

#include "osprey/base/json_value.h"
#include "osprey/ml_hooks/event.h"

namespace osprey::ml_hooks {
namespace {

Status Missing(std::string_view key, std::string_view what) {
  return Status::InvalidArgument("event JSON: member \"" + std::string(key) + "\" must be " +
                                 std::string(what));
}

// Members are looked up by name on the parsed object; each helper fails
// with the member's name.
class Reader {
 public:
  explicit Reader(const Value& object) : object_(object) {}

  Result<std::string> String(std::string_view key) const {
    const Value* v = object_.Find(key);
    if (v == nullptr || v->type() != Value::Type::kString) return Missing(key, "a string");
    return v->as_string();
  }
  Result<std::optional<std::string>> OptString(std::string_view key) const {
    const Value* v = object_.Find(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    if (v->type() != Value::Type::kString) return Missing(key, "a string or null");
    return std::optional<std::string>(v->as_string());
  }
  Result<int64_t> Int(std::string_view key) const {
    const Value* v = object_.Find(key);
    if (v == nullptr || v->type() != Value::Type::kInt) return Missing(key, "an integer");
    return v->as_int();
  }
  Result<std::optional<int64_t>> OptInt(std::string_view key) const {
    const Value* v = object_.Find(key);
    if (v == nullptr || v->is_null()) return std::optional<int64_t>();
    if (v->type() != Value::Type::kInt) return Missing(key, "an integer or null");
    return std::optional<int64_t>(v->as_int());
  }
  // JSON does not tell 1 from 1.0: the writer prints whole doubles as
  // integers, so both types are numbers here.
  Result<double> Number(std::string_view key) const {
    const Value* v = object_.Find(key);
    if (v != nullptr && v->type() == Value::Type::kInt) return static_cast<double>(v->as_int());
    if (v != nullptr && v->type() == Value::Type::kDouble) return v->as_double();
    return Missing(key, "a number");
  }
  // [{label, score, box}] or null/absent (events written before training
  // frames existed).
  Result<std::vector<Detection>> Detections(std::string_view key) const;
  Result<Reader> Object(std::string_view key) const {
    const Value* v = object_.Find(key);
    if (v == nullptr || v->type() != Value::Type::kMap) return Missing(key, "an object");
    return Reader(*v);
  }

 private:
  const Value& object_;
};

Result<Box> ReadBox(const Reader& r, std::string_view key) {
  OSPREY_ASSIGN_OR_RETURN(Reader b, r.Object(key));
  Box box;
  OSPREY_ASSIGN_OR_RETURN(box.x, b.Number("x"));
  OSPREY_ASSIGN_OR_RETURN(box.y, b.Number("y"));
  OSPREY_ASSIGN_OR_RETURN(box.w, b.Number("w"));
  OSPREY_ASSIGN_OR_RETURN(box.h, b.Number("h"));
  return box;
}

Result<std::vector<Detection>> Reader::Detections(std::string_view key) const {
  std::vector<Detection> out;
  const Value* v = object_.Find(key);
  if (v == nullptr || v->is_null()) return out;
  if (v->type() != Value::Type::kArray) return Missing(key, "an array or null");
  for (const Value& item : v->as_array()) {
    if (item.type() != Value::Type::kMap) return Missing(key, "an array of objects");
    const Reader d(item);
    Detection det;
    OSPREY_ASSIGN_OR_RETURN(det.label, d.String("label"));
    OSPREY_ASSIGN_OR_RETURN(det.score, d.Number("score"));
    OSPREY_ASSIGN_OR_RETURN(det.box, ReadBox(d, "box"));
    out.push_back(std::move(det));
  }
  return out;
}

Result<int> Dimension(const Reader& r, std::string_view key) {
  OSPREY_ASSIGN_OR_RETURN(int64_t v, r.Int(key));
  if (v < 0 || v > std::numeric_limits<int>::max()) return Missing(key, "a frame dimension");
  return static_cast<int>(v);
}

}  // namespace

Result<Event> ParseEventJson(std::string_view json) {
  OSPREY_ASSIGN_OR_RETURN(Value doc, ParseJson(json));
  if (doc.type() != Value::Type::kMap) {
    return Status::InvalidArgument("event JSON: not an object");
  }
  const Reader r(doc);
  Event e;
  OSPREY_ASSIGN_OR_RETURN(e.event_id, r.String("event_id"));
  OSPREY_ASSIGN_OR_RETURN(std::string type, r.String("event_type"));
  OSPREY_ASSIGN_OR_RETURN(e.type, ParseEventType(type));
  OSPREY_ASSIGN_OR_RETURN(e.source.stream_name, r.String("stream_name"));
  OSPREY_ASSIGN_OR_RETURN(e.source.stream_arn, r.String("stream_arn"));
  OSPREY_ASSIGN_OR_RETURN(e.source.fragment_number, r.String("fragment_number"));
  OSPREY_ASSIGN_OR_RETURN(e.source.producer_timestamp_ms, r.Int("producer_timestamp_ms"));
  OSPREY_ASSIGN_OR_RETURN(e.source.server_timestamp_ms, r.Int("server_timestamp_ms"));
  OSPREY_ASSIGN_OR_RETURN(e.frame_time_ms, r.Int("frame_time_ms"));
  OSPREY_ASSIGN_OR_RETURN(e.detector, r.String("detector"));
  OSPREY_ASSIGN_OR_RETURN(e.model, r.String("model"));
  OSPREY_ASSIGN_OR_RETURN(e.label, r.String("label"));
  OSPREY_ASSIGN_OR_RETURN(e.score, r.Number("score"));
  OSPREY_ASSIGN_OR_RETURN(e.box, ReadBox(r, "box"));
  OSPREY_ASSIGN_OR_RETURN(e.frame_width, Dimension(r, "frame_width"));
  OSPREY_ASSIGN_OR_RETURN(e.frame_height, Dimension(r, "frame_height"));
  OSPREY_ASSIGN_OR_RETURN(std::optional<int64_t> track, r.OptInt("track_id"));
  if (track && *track <= 0) return Missing("track_id", "a positive integer or null");
  e.track_id = track ? static_cast<uint64_t>(*track) : 0;
  OSPREY_ASSIGN_OR_RETURN(e.zone, r.OptString("zone"));
  OSPREY_ASSIGN_OR_RETURN(e.snapshot_key, r.OptString("snapshot_key"));
  OSPREY_ASSIGN_OR_RETURN(e.crop_key, r.OptString("crop_key"));
  OSPREY_ASSIGN_OR_RETURN(e.frame_key, r.OptString("frame_key"));
  OSPREY_ASSIGN_OR_RETURN(e.frame_detections, r.Detections("frame_boxes"));
  OSPREY_ASSIGN_OR_RETURN(e.rule, r.OptString("rule"));
  OSPREY_ASSIGN_OR_RETURN(e.dwell_ms, r.OptInt("dwell_ms"));
  OSPREY_ASSIGN_OR_RETURN(e.track_start_ms, r.OptInt("track_start_ms"));
  OSPREY_ASSIGN_OR_RETURN(e.track_end_ms, r.OptInt("track_end_ms"));
  OSPREY_ASSIGN_OR_RETURN(Reader replay, r.Object("replay"));
  OSPREY_ASSIGN_OR_RETURN(e.replay_start_ms, replay.Int("start_ms"));
  OSPREY_ASSIGN_OR_RETURN(e.replay_end_ms, replay.Int("end_ms"));
  return e;
}

}  // namespace osprey::ml_hooks
