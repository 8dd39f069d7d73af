// Event records: what osprey-ml publishes (one JSON object per record) to a
// data stream and a Firehose delivery stream, and what the dataset exporter
// reads back.
//
// JSON shape (compact, members always present in this order; "or null"
// members are null when they do not apply):
//   event_id               deterministic, see EventId()
//   event_type             "detection" | "track_start" | "track_end" | "intrusion"
//   stream_name, stream_arn, fragment_number     strings (may be "")
//   producer_timestamp_ms, server_timestamp_ms   the fragment's, epoch ms
//   frame_time_ms          the frame's presentation time, epoch ms (floor of µs)
//   detector, model, label, score
//   box {x,y,w,h}          pixels of the frame
//   box_norm {x,y,w,h}     box divided by frame_width / frame_height
//   frame_width, frame_height
//   track_id               integer or null (not in a confirmed track)
//   zone, snapshot_key, crop_key   string or null
//   frame_key              string or null: the clean frame (no boxes drawn)
//                          of a track_end's best detection, stored when
//                          training-frame collection is on (dataset.h
//                          builds training sets from such events)
//   frame_boxes            with frame_key: every detection in that frame,
//                          [{label, score, box}], so a training image has
//                          all its objects labelled; else null
//   rule, dwell_ms         intrusion only, else null
//   track_start_ms, track_end_ms, duration_ms    track events, else null
//                          (track_start: end = confirm time so far)
//   replay                 what a viewer needs to see the moment again:
//     {"StreamName", "PlaybackMode": "ON_DEMAND", "start_ms", "end_ms",
//      "HLSFragmentSelector": {"FragmentSelectorType": "PRODUCER_TIMESTAMP",
//        "TimestampRange": {"StartTimestamp": s, "EndTimestamp": s}},
//      "ClipFragmentSelector": same}
//     The two selectors use the AWS wire form (epoch *seconds*, fractional),
//     so {StreamName, PlaybackMode, HLSFragmentSelector} is a ready
//     GetHLSStreamingSessionURL body and {StreamName, ClipFragmentSelector}
//     a GetClip body; start_ms/end_ms say the same in integers.
//
// Which frame an event describes: detection and intrusion, the frame given;
// track_start, the confirming frame; track_end, the track's best detection
// (frame_time_ms, box and score are the best's, so they match the snapshot
// kept for it), with track_start_ms..track_end_ms the whole track. The
// EventSource (fragment fields) is whatever the caller passes: for track_end
// pass the best frame's fragment when it was kept, else the current one.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/ml_hooks/frame.h"
#include "osprey/ml_hooks/rules.h"
#include "osprey/ml_hooks/tracker.h"

namespace osprey::ml_hooks {

enum class EventType { kDetection, kTrackStart, kTrackEnd, kIntrusion };

// "detection", "track_start", "track_end", "intrusion".
std::string_view EventTypeName(EventType type);
Result<EventType> ParseEventType(std::string_view name);

// The stream and fragment a frame came from.
struct EventSource {
  std::string stream_name;
  std::string stream_arn;
  std::string fragment_number;
  int64_t producer_timestamp_ms = 0;  // the fragment's producer (start) timestamp
  int64_t server_timestamp_ms = 0;    // the fragment's server (arrival) timestamp
};

struct Event {
  std::string event_id;
  EventType type = EventType::kDetection;
  EventSource source;
  int64_t frame_time_ms = 0;
  std::string detector;
  std::string model;
  std::string label;
  double score = 0;
  Box box;  // pixels
  int frame_width = 0;
  int frame_height = 0;
  uint64_t track_id = 0;  // 0: null
  std::optional<std::string> zone;
  std::optional<std::string> snapshot_key;
  std::optional<std::string> crop_key;
  std::optional<std::string> frame_key;
  std::vector<Detection> frame_detections;  // with frame_key (JSON frame_boxes)
  std::optional<std::string> rule;  // intrusion
  std::optional<int64_t> dwell_ms;  // intrusion
  std::optional<int64_t> track_start_ms;
  std::optional<int64_t> track_end_ms;
  int64_t replay_start_ms = 0;
  int64_t replay_end_ms = 0;

  // Box divided by the frame size; all 0 when the size is not positive.
  Box NormalisedBox() const;
};

// How much video around an event the replay selector covers.
struct ReplayWindow {
  int64_t before_ms = 5000;
  int64_t after_ms = 5000;
};

// A stable id from what identifies the event, so a record re-published after
// a crash (same stream, frame, track, type) gets the same id and downstream
// can drop the duplicate: "<event_type>-<frame_time_ms>-<track_id>-<16 hex>",
// the hex being FNV-1a 64 of stream name and ARN, type, frame time, track
// id, label, rule, and for untracked detections the box in whole pixels (two
// untracked detections of one frame differ only there). Not a secret or a
// signature; collisions need the same stream, frame time and type.
std::string EventId(const Event& event);

// Builders; each fills event_id. Frame times are µs as the tracker has them.
// `zone`: the zone the detection is in, if the caller wants one reported.
Event MakeDetectionEvent(const EventSource& source, int64_t frame_time_us, int width, int height,
                         const TrackedDetection& detection,
                         std::optional<std::string> zone = std::nullopt,
                         const ReplayWindow& window = {});
// Track start/end. Replay: start - before .. end + after (the whole track).
Event MakeTrackEvent(const EventSource& source, const TrackEvent& track,
                     const ReplayWindow& window = {});
// Replay: dwell start - before .. frame + after (the person entering too).
Event MakeIntrusionEvent(const EventSource& source, const IntrusionAlert& alert,
                         const ReplayWindow& window = {});

// One JSON object, shape above.
std::string ToJson(const Event& event);

// Reads what ToJson wrote (the replay window from start_ms/end_ms).
// Corruption for malformed JSON, InvalidArgument for a missing or mistyped
// member (the message names it).
Result<Event> ParseEventJson(std::string_view json);

}  // namespace osprey::ml_hooks
