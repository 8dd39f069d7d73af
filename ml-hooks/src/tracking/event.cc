// Event builders, ids and the JSON writer (the reader is event_parse.cc).
#include "osprey/ml_hooks/event.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include "osprey/base/json_writer.h"

namespace osprey::ml_hooks {
namespace {

// Floor, not truncation: frame times before 1970 do not occur in practice,
// but a floor keeps ms and µs ordering identical in every case.
int64_t FloorMs(int64_t us) { return us >= 0 ? us / 1000 : -((-us + 999) / 1000); }

class Fnv1a {
 public:
  void Add(std::string_view s) {
    for (unsigned char c : s) Byte(c);
    Byte(0);  // separator, so ("ab","c") and ("a","bc") differ
  }
  void Add(int64_t v) { Add(std::string_view(std::to_string(v))); }
  uint64_t value() const { return h_; }

 private:
  void Byte(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

void WriteBox(JsonWriter& w, const Box& b) {
  w.BeginObject();
  w.Key("x").Double(b.x);
  w.Key("y").Double(b.y);
  w.Key("w").Double(b.w);
  w.Key("h").Double(b.h);
  w.EndObject();
}

void OptString(JsonWriter& w, std::string_view key, const std::optional<std::string>& v) {
  w.Key(key);
  if (v) {
    w.String(*v);
  } else {
    w.Null();
  }
}

void OptInt(JsonWriter& w, std::string_view key, const std::optional<int64_t>& v) {
  w.Key(key);
  if (v) {
    w.Int64(*v);
  } else {
    w.Null();
  }
}

void WriteSelector(JsonWriter& w, std::string_view key, int64_t start_ms, int64_t end_ms) {
  w.Key(key).BeginObject();
  w.Key("FragmentSelectorType").String("PRODUCER_TIMESTAMP");
  w.Key("TimestampRange").BeginObject();
  // AWS JSON timestamps are epoch seconds; /1000.0 round-trips the ms
  // exactly through the shortest-digits writer (1700000000.123).
  w.Key("StartTimestamp").Double(static_cast<double>(start_ms) / 1000.0);
  w.Key("EndTimestamp").Double(static_cast<double>(end_ms) / 1000.0);
  w.EndObject();
  w.EndObject();
}

Event Common(const EventSource& source, EventType type, int64_t frame_time_us, int width,
             int height, const Detection& d) {
  Event e;
  e.type = type;
  e.source = source;
  e.frame_time_ms = FloorMs(frame_time_us);
  e.detector = d.detector;
  e.model = d.model;
  e.label = d.label;
  e.score = d.score;
  e.box = d.box;
  e.frame_width = width;
  e.frame_height = height;
  return e;
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kDetection:
      return "detection";
    case EventType::kTrackStart:
      return "track_start";
    case EventType::kTrackEnd:
      return "track_end";
    case EventType::kIntrusion:
      return "intrusion";
  }
  return "detection";
}

Result<EventType> ParseEventType(std::string_view name) {
  for (EventType t : {EventType::kDetection, EventType::kTrackStart, EventType::kTrackEnd,
                      EventType::kIntrusion}) {
    if (EventTypeName(t) == name) return t;
  }
  return Status::InvalidArgument("unknown event_type \"" + std::string(name) + "\"");
}

Box Event::NormalisedBox() const {
  if (frame_width <= 0 || frame_height <= 0) return Box{};
  return Box{box.x / frame_width, box.y / frame_height, box.w / frame_width, box.h / frame_height};
}

std::string EventId(const Event& e) {
  Fnv1a h;
  h.Add(e.source.stream_name);
  h.Add(e.source.stream_arn);
  h.Add(EventTypeName(e.type));
  h.Add(e.frame_time_ms);
  h.Add(static_cast<int64_t>(e.track_id));
  h.Add(e.label);
  h.Add(e.rule.value_or(""));
  if (e.track_id == 0) {
    for (double v : {e.box.x, e.box.y, e.box.w, e.box.h}) h.Add(std::llround(v));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h.value()));
  return std::string(EventTypeName(e.type)) + "-" + std::to_string(e.frame_time_ms) + "-" +
         std::to_string(e.track_id) + "-" + hex;
}

Event MakeDetectionEvent(const EventSource& source, int64_t frame_time_us, int width, int height,
                         const TrackedDetection& detection, std::optional<std::string> zone,
                         const ReplayWindow& window) {
  Event e =
      Common(source, EventType::kDetection, frame_time_us, width, height, detection.detection);
  e.track_id = detection.track_id;
  e.zone = std::move(zone);
  e.replay_start_ms = e.frame_time_ms - window.before_ms;
  e.replay_end_ms = e.frame_time_ms + window.after_ms;
  e.event_id = EventId(e);
  return e;
}

Event MakeTrackEvent(const EventSource& source, const TrackEvent& track,
                     const ReplayWindow& window) {
  const EventType type =
      track.type == TrackEventType::kStart ? EventType::kTrackStart : EventType::kTrackEnd;
  Event e =
      Common(source, type, track.best_time_us, track.best_width, track.best_height, track.best);
  e.track_id = track.track_id;
  e.track_start_ms = FloorMs(track.start_us);
  e.track_end_ms = FloorMs(track.end_us);
  e.replay_start_ms = *e.track_start_ms - window.before_ms;
  e.replay_end_ms = *e.track_end_ms + window.after_ms;
  e.event_id = EventId(e);
  return e;
}

Event MakeIntrusionEvent(const EventSource& source, const IntrusionAlert& alert,
                         const ReplayWindow& window) {
  Event e = Common(source, EventType::kIntrusion, alert.frame_time_us, alert.width, alert.height,
                   alert.detection);
  e.track_id = alert.track_id;
  e.zone = alert.zone;
  e.rule = alert.rule;
  e.dwell_ms = alert.dwell_us / 1000;
  e.replay_start_ms = FloorMs(alert.frame_time_us - alert.dwell_us) - window.before_ms;
  e.replay_end_ms = e.frame_time_ms + window.after_ms;
  e.event_id = EventId(e);
  return e;
}

std::string ToJson(const Event& e) {
  std::string out;
  out.reserve(1024);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("event_id").String(e.event_id);
  w.Key("event_type").String(EventTypeName(e.type));
  w.Key("stream_name").String(e.source.stream_name);
  w.Key("stream_arn").String(e.source.stream_arn);
  w.Key("fragment_number").String(e.source.fragment_number);
  w.Key("producer_timestamp_ms").Int64(e.source.producer_timestamp_ms);
  w.Key("server_timestamp_ms").Int64(e.source.server_timestamp_ms);
  w.Key("frame_time_ms").Int64(e.frame_time_ms);
  w.Key("detector").String(e.detector);
  w.Key("model").String(e.model);
  w.Key("label").String(e.label);
  w.Key("score").Double(e.score);
  w.Key("box");
  WriteBox(w, e.box);
  w.Key("box_norm");
  WriteBox(w, e.NormalisedBox());
  w.Key("frame_width").Int64(e.frame_width);
  w.Key("frame_height").Int64(e.frame_height);
  w.Key("track_id");
  if (e.track_id != 0) {
    w.Uint64(e.track_id);
  } else {
    w.Null();
  }
  OptString(w, "zone", e.zone);
  OptString(w, "snapshot_key", e.snapshot_key);
  OptString(w, "crop_key", e.crop_key);
  OptString(w, "frame_key", e.frame_key);
  w.Key("frame_boxes");
  if (e.frame_key) {
    w.BeginArray();
    for (const Detection& d : e.frame_detections) {
      w.BeginObject().Key("label").String(d.label).Key("score").Double(d.score).Key("box");
      WriteBox(w, d.box);
      w.EndObject();
    }
    w.EndArray();
  } else {
    w.Null();
  }
  OptString(w, "rule", e.rule);
  OptInt(w, "dwell_ms", e.dwell_ms);
  OptInt(w, "track_start_ms", e.track_start_ms);
  OptInt(w, "track_end_ms", e.track_end_ms);
  w.Key("duration_ms");
  if (e.track_start_ms && e.track_end_ms) {
    w.Int64(*e.track_end_ms - *e.track_start_ms);
  } else {
    w.Null();
  }
  w.Key("replay").BeginObject();
  w.Key("StreamName").String(e.source.stream_name);
  w.Key("PlaybackMode").String("ON_DEMAND");
  w.Key("start_ms").Int64(e.replay_start_ms);
  w.Key("end_ms").Int64(e.replay_end_ms);
  WriteSelector(w, "HLSFragmentSelector", e.replay_start_ms, e.replay_end_ms);
  WriteSelector(w, "ClipFragmentSelector", e.replay_start_ms, e.replay_end_ms);
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace osprey::ml_hooks
