#include "osprey/ml_hooks/event.h"

#include <gtest/gtest.h>

#include <cmath>

#include "osprey/base/json_value.h"

namespace osprey::ml_hooks {
namespace {

constexpr int64_t kT0Us = 1'795'737'600'123'456;  // 2026-11-27 00:00:00.123456 UTC

EventSource Source() {
  EventSource s;
  s.stream_name = "front-door";
  s.stream_arn = "arn:aws:kinesisvideo:eu-west-1:000000000000:stream/front-door/1";
  s.fragment_number = "91343852333181432392682062607743920146264";
  s.producer_timestamp_ms = 1'795'737'599'000;
  s.server_timestamp_ms = 1'795'737'600'400;
  return s;
}

TrackedDetection Tracked(uint64_t id) {
  return TrackedDetection{
      Detection{"person", 0.875, Box{96.5, 120, 64, 180}, "dnn", "yolov8n.onnx"}, id, true};
}

const Value& At(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  EXPECT_NE(m, nullptr) << key;
  static const Value kNull;
  return m != nullptr ? *m : kNull;
}

TEST(EventTest, IntrusionJsonCarriesEveryFieldAndParsesBack) {
  IntrusionAlert alert;
  alert.rule = "yard-night";
  alert.zone = "yard";
  alert.track_id = 42;
  alert.frame_time_us = kT0Us;
  alert.dwell_us = 3'200'000;
  alert.detection = Tracked(42).detection;
  alert.width = 1280;
  alert.height = 720;
  Event e = MakeIntrusionEvent(Source(), alert);
  e.snapshot_key = "front-door/2026/11/27/42.jpg";
  const std::string json = ToJson(e);

  auto doc = ParseJson(json);
  ASSERT_TRUE(doc.ok()) << json;
  const Value& v = *doc;
  EXPECT_EQ(At(v, "event_type").as_string(), "intrusion");
  EXPECT_EQ(At(v, "event_id").as_string(), e.event_id);
  EXPECT_EQ(At(v, "stream_name").as_string(), "front-door");
  EXPECT_EQ(At(v, "stream_arn").as_string(), Source().stream_arn);
  EXPECT_EQ(At(v, "fragment_number").as_string(), Source().fragment_number);
  EXPECT_EQ(At(v, "producer_timestamp_ms").as_int(), 1'795'737'599'000);
  EXPECT_EQ(At(v, "server_timestamp_ms").as_int(), 1'795'737'600'400);
  EXPECT_EQ(At(v, "frame_time_ms").as_int(), 1'795'737'600'123);
  EXPECT_EQ(At(v, "detector").as_string(), "dnn");
  EXPECT_EQ(At(v, "model").as_string(), "yolov8n.onnx");
  EXPECT_EQ(At(v, "label").as_string(), "person");
  EXPECT_DOUBLE_EQ(At(v, "score").as_double(), 0.875);
  const Value& box = At(v, "box");
  EXPECT_DOUBLE_EQ(At(box, "x").as_double(), 96.5);
  EXPECT_EQ(At(box, "y").as_int(), 120);  // whole doubles print as integers
  const Value& norm = At(v, "box_norm");
  EXPECT_EQ(At(norm, "x").as_double(), 96.5 / 1280);
  EXPECT_EQ(At(norm, "y").as_double(), 120.0 / 720);
  EXPECT_EQ(At(norm, "w").as_double(), 64.0 / 1280);
  EXPECT_EQ(At(norm, "h").as_double(), 0.25);
  EXPECT_EQ(At(v, "frame_width").as_int(), 1280);
  EXPECT_EQ(At(v, "frame_height").as_int(), 720);
  EXPECT_EQ(At(v, "track_id").as_int(), 42);
  EXPECT_EQ(At(v, "zone").as_string(), "yard");
  EXPECT_EQ(At(v, "snapshot_key").as_string(), "front-door/2026/11/27/42.jpg");
  EXPECT_TRUE(At(v, "crop_key").is_null());
  EXPECT_TRUE(At(v, "frame_key").is_null());
  EXPECT_EQ(At(v, "rule").as_string(), "yard-night");
  EXPECT_EQ(At(v, "dwell_ms").as_int(), 3200);
  EXPECT_TRUE(At(v, "track_start_ms").is_null());
  EXPECT_TRUE(At(v, "duration_ms").is_null());

  // Replay: from the dwell start - 5 s to the frame + 5 s, as integers and
  // as ready-to-send AWS selectors in epoch seconds.
  const Value& replay = At(v, "replay");
  EXPECT_EQ(At(replay, "StreamName").as_string(), "front-door");
  EXPECT_EQ(At(replay, "PlaybackMode").as_string(), "ON_DEMAND");
  const int64_t start_ms = 1'795'737'600'123 - 3200 - 5000;
  const int64_t end_ms = 1'795'737'600'123 + 5000;
  EXPECT_EQ(At(replay, "start_ms").as_int(), start_ms);
  EXPECT_EQ(At(replay, "end_ms").as_int(), end_ms);
  for (const char* key : {"HLSFragmentSelector", "ClipFragmentSelector"}) {
    const Value& sel = At(replay, key);
    EXPECT_EQ(At(sel, "FragmentSelectorType").as_string(), "PRODUCER_TIMESTAMP");
    const Value& range = At(sel, "TimestampRange");
    EXPECT_EQ(std::llround(At(range, "StartTimestamp").as_double() * 1000), start_ms);
    EXPECT_EQ(std::llround(At(range, "EndTimestamp").as_double() * 1000), end_ms);
  }

  auto back = ParseEventJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const Event& b = *back;
  EXPECT_EQ(b.event_id, e.event_id);
  EXPECT_EQ(b.type, EventType::kIntrusion);
  EXPECT_EQ(b.source.stream_name, e.source.stream_name);
  EXPECT_EQ(b.source.stream_arn, e.source.stream_arn);
  EXPECT_EQ(b.source.fragment_number, e.source.fragment_number);
  EXPECT_EQ(b.source.producer_timestamp_ms, e.source.producer_timestamp_ms);
  EXPECT_EQ(b.source.server_timestamp_ms, e.source.server_timestamp_ms);
  EXPECT_EQ(b.frame_time_ms, e.frame_time_ms);
  EXPECT_EQ(b.detector, "dnn");
  EXPECT_EQ(b.model, "yolov8n.onnx");
  EXPECT_EQ(b.label, "person");
  EXPECT_EQ(b.score, 0.875);
  EXPECT_EQ(b.box.x, 96.5);
  EXPECT_EQ(b.box.h, 180);
  EXPECT_EQ(b.frame_width, 1280);
  EXPECT_EQ(b.frame_height, 720);
  EXPECT_EQ(b.track_id, 42u);
  EXPECT_EQ(b.zone, e.zone);
  EXPECT_EQ(b.snapshot_key, e.snapshot_key);
  EXPECT_EQ(b.crop_key, std::nullopt);
  EXPECT_EQ(b.rule, "yard-night");
  EXPECT_EQ(b.dwell_ms, 3200);
  EXPECT_EQ(b.replay_start_ms, start_ms);
  EXPECT_EQ(b.replay_end_ms, end_ms);
  EXPECT_EQ(b.NormalisedBox().x, At(norm, "x").as_double());
  // The id is a function of the record: recomputing it from what was read
  // back gives the same id, so a re-published event dedups.
  EXPECT_EQ(EventId(b), e.event_id);
  EXPECT_EQ(ToJson(b), json);
}

TEST(EventTest, TrackEndDescribesTheBestDetectionAndTheWholeTrack) {
  TrackEvent end;
  end.type = TrackEventType::kEnd;
  end.track_id = 7;
  end.label = "person";
  end.start_us = kT0Us;
  end.end_us = kT0Us + 12'400'000;
  end.duration_us = 12'400'000;
  end.best = Tracked(7).detection;
  end.best_time_us = kT0Us + 4'000'000;
  end.best_width = 640;
  end.best_height = 360;
  const Event e = MakeTrackEvent(Source(), end, ReplayWindow{2000, 3000});
  auto back = ParseEventJson(ToJson(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->type, EventType::kTrackEnd);
  EXPECT_EQ(back->frame_time_ms, 1'795'737'604'123);  // the best frame
  EXPECT_EQ(back->track_start_ms, 1'795'737'600'123);
  EXPECT_EQ(back->track_end_ms, 1'795'737'612'523);
  EXPECT_EQ(back->replay_start_ms, 1'795'737'600'123 - 2000);
  EXPECT_EQ(back->replay_end_ms, 1'795'737'612'523 + 3000);
  EXPECT_EQ(back->rule, std::nullopt);
  EXPECT_EQ(back->zone, std::nullopt);
  auto doc = ParseJson(ToJson(e));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(At(*doc, "duration_ms").as_int(), 12'400);
  EXPECT_EQ(At(*doc, "event_type").as_string(), "track_end");

  TrackEvent start = end;
  start.type = TrackEventType::kStart;
  EXPECT_NE(MakeTrackEvent(Source(), start).event_id, e.event_id);
}

TEST(EventTest, IdsAreDeterministicAndDistinguishWhatDiffers) {
  const Event a = MakeDetectionEvent(Source(), kT0Us, 640, 360, Tracked(3), "yard");
  const Event again = MakeDetectionEvent(Source(), kT0Us, 640, 360, Tracked(3));
  EXPECT_EQ(a.event_id, again.event_id);  // the zone is not part of identity
  EXPECT_EQ(a.event_id.rfind("detection-1795737600123-3-", 0), 0u) << a.event_id;
  EXPECT_NE(MakeDetectionEvent(Source(), kT0Us + 1000, 640, 360, Tracked(3)).event_id, a.event_id);
  EXPECT_NE(MakeDetectionEvent(Source(), kT0Us, 640, 360, Tracked(4)).event_id, a.event_id);
  EventSource other = Source();
  other.stream_name = "back-door";
  EXPECT_NE(MakeDetectionEvent(other, kT0Us, 640, 360, Tracked(3)).event_id, a.event_id);
  // Two untracked detections of one frame differ by their box.
  TrackedDetection left = Tracked(0), right = Tracked(0);
  right.detection.box.x += 200;
  const Event l = MakeDetectionEvent(Source(), kT0Us, 640, 360, left);
  EXPECT_NE(l.event_id, MakeDetectionEvent(Source(), kT0Us, 640, 360, right).event_id);
  // Untracked: track_id is null in JSON and 0 after reading back.
  auto doc = ParseJson(ToJson(l));
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(At(*doc, "track_id").is_null());
  EXPECT_TRUE(At(*doc, "zone").is_null());
  auto back = ParseEventJson(ToJson(l));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->track_id, 0u);
  EXPECT_EQ(back->replay_start_ms, 1'795'737'600'123 - 5000);
}

TEST(EventTest, ParseRejectsWhatIsNotAnEvent) {
  EXPECT_EQ(ParseEventJson("{").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseEventJson("[]").status().code(), Status::Code::kInvalidArgument);
  std::string json = ToJson(MakeDetectionEvent(Source(), kT0Us, 640, 360, Tracked(3)));
  std::string bad_type = json;
  bad_type.replace(bad_type.find("\"detection\""), 11, "\"sighting\"");
  EXPECT_FALSE(ParseEventJson(bad_type).ok());
  std::string no_label = json;
  no_label.replace(no_label.find("\"label\""), 7, "\"lable\"");
  auto r = ParseEventJson(no_label);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("label"), std::string::npos);
  // Extra members from a newer writer are ignored.
  std::string extra = json;
  extra.insert(1, "\"schema\":2,");
  EXPECT_TRUE(ParseEventJson(extra).ok());
  // Zero frame size: box_norm is all zeros rather than infinities.
  Event e = MakeDetectionEvent(Source(), kT0Us, 0, 0, Tracked(3));
  EXPECT_EQ(e.NormalisedBox().x, 0);
  EXPECT_TRUE(ParseJson(ToJson(e)).ok());
}

TEST(EventTest, FrameKeyOfTrainingFramesRoundTrips) {
  TrackEvent end;
  end.type = TrackEventType::kEnd;
  end.track_id = 7;
  end.label = "person";
  end.best.label = "person";
  end.best.score = 0.9;
  end.best.box = Box{10, 20, 30, 60};
  end.best_width = 640;
  end.best_height = 480;
  Event e = MakeTrackEvent(Source(), end);
  e.frame_key = "training/cam/2026/11/29/" + e.event_id + ".jpg";
  Detection other;
  other.label = "person";
  other.score = 0.625;
  other.box = Box{300, 40, 50, 100};
  e.frame_detections = {end.best, other};
  auto back = ParseEventJson(ToJson(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->frame_key, e.frame_key);
  ASSERT_EQ(back->frame_detections.size(), 2u);
  EXPECT_EQ(back->frame_detections[1].label, "person");
  EXPECT_EQ(back->frame_detections[1].score, 0.625);
  EXPECT_EQ(back->frame_detections[1].box.x, 300);
  EXPECT_EQ(back->frame_detections[1].box.h, 100);
  e.frame_key.reset();
  EXPECT_EQ(ParseEventJson(ToJson(e))->frame_key, std::nullopt);
}

}  // namespace
}  // namespace osprey::ml_hooks
