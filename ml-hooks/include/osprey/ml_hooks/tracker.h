// Tracker: turns each analysed frame's detections into tracks (one object
// followed across frames) for one stream, by box overlap (IoU) alone: no
// appearance model, so it needs no OpenCV and costs microseconds per frame.
//
// Matching. Tracks only ever match detections of their own label. Each track
// is first moved to where its constant-velocity estimate says it is at the
// new frame time (so two people crossing paths keep their ids: their last
// boxes overlap both detections at the crossing, their predicted ones do
// not; the extrapolation stops after 1 s unseen). Then all (track,
// detection) pairs with IoU >= min_iou are taken greedily, best IoU first
// (ties: older track, then earlier detection), each track and detection at
// most once. Greedy rather than Hungarian: with the
// handful of objects a camera sees, both give the same assignment except in
// contrived cases, greedy is deterministic and needs no cost matrix, and
// maximising the *sum* of IoU is not what keeps identities anyway.
//
// Life of a track:
//  - An unmatched detection opens a tentative track. It becomes confirmed
//    after min_hits matched frames in a row; a tentative track that misses a
//    frame is dropped silently, so one-frame flickers never become tracks.
//    Only confirmed tracks get an id (ids start at first_track_id and
//    increase by one per confirmed track of the stream, whatever the label;
//    tracks confirmed in the same frame are numbered in detection order)
//    and raise a kStart event, at the confirming frame.
//  - A confirmed track ends when it has been unmatched for more than
//    max_missed_us of *frame time* (not a frame count: the pipeline samples
//    at different rates per stream and under load), or at Flush(). Its kEnd
//    event carries the duration and the best detection.
//  - "Best" is the highest score, ties broken by the larger box area (a
//    bigger face or person crops better), earliest frame on a full tie. It
//    is chosen among the detections reported with the track's id (from the
//    confirming frame on), so the caller always saw the frame it comes from:
//    when TrackedDetection::is_best is set, keep this frame's snapshot and
//    drop the previous one of that track. One image per track, always the
//    one the kEnd event names.
//
// Time: frame_time_us is the frame's presentation time (epoch µs). A frame
// time earlier than the previous one means a new timeline (producer restart,
// seek): every track is ended first, as by Flush().
//
// Thread safety: none. One Tracker per stream, used by that stream's thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "osprey/ml_hooks/frame.h"

namespace osprey::ml_hooks {

struct TrackerOptions {
  double min_iou = 0.3;               // least overlap with the predicted box to match
  int min_hits = 3;                   // matched frames in a row to confirm (1: at once)
  int64_t max_missed_us = 2'000'000;  // frame time unmatched before a track ends
  // Exponential smoothing of the reported box: reported = a * previous
  // reported + (1 - a) * detected. 0 (default) reports the raw box. Matching
  // and the best detection always use raw boxes.
  double smoothing = 0;
  uint64_t first_track_id = 1;  // e.g. to continue numbering after a restart
};

struct TrackedDetection {
  Detection detection;    // the box is smoothed when options.smoothing > 0
  uint64_t track_id = 0;  // 0: not (yet) in a confirmed track
  bool is_best = false;   // new best of its track: keep this frame's snapshot
};

enum class TrackEventType { kStart, kEnd };

struct TrackEvent {
  TrackEventType type = TrackEventType::kStart;
  uint64_t track_id = 0;
  std::string label;
  int64_t start_us = 0;     // frame time of the track's first detection
  int64_t end_us = 0;       // kEnd: frame time of its last detection; kStart: confirm frame
  int64_t duration_us = 0;  // end_us - start_us
  int hits = 0;             // frames with a detection so far
  // kEnd: the best detection (raw box), its frame time and frame size.
  // kStart: the confirming detection.
  Detection best;
  int64_t best_time_us = 0;
  int best_width = 0;
  int best_height = 0;
};

struct TrackerUpdate {
  std::vector<TrackedDetection> detections;  // one per input detection, same order
  std::vector<TrackEvent> events;            // ends first, then starts
};

// True when `a` beats `b` as a track's best detection (score, then area).
bool BetterDetection(const Detection& a, const Detection& b);

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {});

  // Call for every analysed frame, including frames with no detection (that
  // is how tracks end). width/height: the frame's size, kept with the best
  // detection.
  TrackerUpdate Update(int64_t frame_time_us, int width, int height,
                       const std::vector<Detection>& detections);

  // Ends every confirmed track (stream stopped); tentative ones are dropped.
  // Numbering continues after it.
  std::vector<TrackEvent> Flush();

  // Confirmed tracks alive now.
  size_t active_tracks() const;
  const TrackerOptions& options() const { return options_; }

 private:
  struct Track {
    uint64_t id = 0;      // 0 while tentative
    uint64_t serial = 0;  // creation order, for deterministic tie-breaks
    std::string label;
    Box box;                // last raw box
    Box smoothed;           // last reported box
    double vx = 0, vy = 0;  // centre velocity, px per µs
    int64_t first_us = 0;
    int64_t last_us = 0;
    int hits = 0;
    bool has_best = false;
    Detection best;
    int64_t best_us = 0;
    int best_width = 0, best_height = 0;
  };

  Box Predict(const Track& t, int64_t at_us) const;
  // Moves the track to the detection (box, velocity, hits).
  void Observe(Track* t, const Detection& d, int64_t at_us);
  // Confirms the track when due and updates its best; fills `out`.
  void Report(Track* t, const Detection& d, int64_t at_us, int width, int height,
              TrackedDetection* out, std::vector<TrackEvent>* starts);
  static TrackEvent EndEvent(const Track& t);

  TrackerOptions options_;
  uint64_t next_id_;
  uint64_t next_serial_ = 0;
  bool has_time_ = false;
  int64_t last_frame_us_ = 0;
  std::map<std::string, std::vector<Track>> tracks_;  // by label
};

}  // namespace osprey::ml_hooks
