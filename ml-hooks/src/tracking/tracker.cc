#include "osprey/ml_hooks/tracker.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace osprey::ml_hooks {
namespace {

// How far ahead a track's velocity is extrapolated. Past this, a missed
// object is assumed to have stopped rather than kept walking: a person who
// pauses behind a pillar for 2 s reappears near where they vanished more
// often than 2 s of strides further on.
constexpr int64_t kMaxExtrapolationUs = 1'000'000;

// Weight of the newest measurement in the velocity estimate. Detector boxes
// jitter by a few pixels; averaging the last steps keeps a standing person's
// velocity near zero without lagging a walking one by more than a frame.
constexpr double kVelocityGain = 0.5;

Box Blend(const Box& previous, const Box& now, double a) {
  return Box{a * previous.x + (1 - a) * now.x, a * previous.y + (1 - a) * now.y,
             a * previous.w + (1 - a) * now.w, a * previous.h + (1 - a) * now.h};
}

}  // namespace

bool BetterDetection(const Detection& a, const Detection& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.box.Area() > b.box.Area();
}

Tracker::Tracker(TrackerOptions options)
    : options_(options), next_id_(options.first_track_id == 0 ? 1 : options.first_track_id) {
  // 0 means "no track" in TrackedDetection, so it can never be an id.
  if (options_.min_hits < 1) options_.min_hits = 1;
  if (options_.max_missed_us < 0) options_.max_missed_us = 0;
  options_.smoothing = std::clamp(options_.smoothing, 0.0, 0.99);
}

size_t Tracker::active_tracks() const {
  size_t n = 0;
  for (const auto& [label, tracks] : tracks_) {
    for (const Track& t : tracks) n += t.id != 0 ? 1 : 0;
  }
  return n;
}

Box Tracker::Predict(const Track& t, int64_t at_us) const {
  const double dt = static_cast<double>(std::min(at_us - t.last_us, kMaxExtrapolationUs));
  if (dt <= 0) return t.box;
  Box p = t.box;
  p.x += t.vx * dt;
  p.y += t.vy * dt;
  return p;
}

TrackEvent Tracker::EndEvent(const Track& t) {
  TrackEvent e;
  e.type = TrackEventType::kEnd;
  e.track_id = t.id;
  e.label = t.label;
  e.start_us = t.first_us;
  e.end_us = t.last_us;
  e.duration_us = t.last_us - t.first_us;
  e.hits = t.hits;
  e.best = t.best;
  e.best_time_us = t.best_us;
  e.best_width = t.best_width;
  e.best_height = t.best_height;
  return e;
}

void Tracker::Observe(Track* t, const Detection& d, int64_t at_us) {
  const int64_t dt = at_us - t->last_us;
  if (t->hits > 0 && dt > 0) {
    const double vx = (d.box.CenterX() - t->box.CenterX()) / static_cast<double>(dt);
    const double vy = (d.box.CenterY() - t->box.CenterY()) / static_cast<double>(dt);
    // The first step has no history to average with.
    const double g = t->hits == 1 ? 1.0 : kVelocityGain;
    t->vx = (1 - g) * t->vx + g * vx;
    t->vy = (1 - g) * t->vy + g * vy;
  }
  t->smoothed = t->hits == 0 ? d.box : Blend(t->smoothed, d.box, options_.smoothing);
  t->box = d.box;
  t->last_us = at_us;
  ++t->hits;
}

void Tracker::Report(Track* t, const Detection& d, int64_t at_us, int width, int height,
                     TrackedDetection* out, std::vector<TrackEvent>* starts) {
  out->detection.box = t->smoothed;
  if (t->id == 0 && t->hits >= options_.min_hits) {
    t->id = next_id_++;
    TrackEvent e;
    e.type = TrackEventType::kStart;
    e.track_id = t->id;
    e.label = t->label;
    e.start_us = t->first_us;
    e.end_us = at_us;
    e.duration_us = at_us - t->first_us;
    e.hits = t->hits;
    e.best = d;
    e.best_time_us = at_us;
    e.best_width = width;
    e.best_height = height;
    starts->push_back(std::move(e));
  }
  if (t->id == 0) return;
  out->track_id = t->id;
  if (!t->has_best || BetterDetection(d, t->best)) {
    t->has_best = true;
    t->best = d;
    t->best_us = at_us;
    t->best_width = width;
    t->best_height = height;
    out->is_best = true;
  }
}

TrackerUpdate Tracker::Update(int64_t frame_time_us, int width, int height,
                              const std::vector<Detection>& detections) {
  TrackerUpdate result;
  if (has_time_ && frame_time_us < last_frame_us_) result.events = Flush();
  has_time_ = true;
  last_frame_us_ = frame_time_us;

  // End expired tracks before matching, so an object that comes back after
  // max_missed_us starts a new track instead of reviving the old one.
  for (auto& [label, tracks] : tracks_) {
    std::erase_if(tracks, [&](const Track& t) {
      if (frame_time_us - t.last_us <= options_.max_missed_us) return false;
      if (t.id != 0) result.events.push_back(EndEvent(t));
      return true;
    });
  }
  // Oldest first whatever the label (as Flush does). Flush's ends, when time
  // went back, are already in order and nothing else expired then.
  std::sort(result.events.begin(), result.events.end(),
            [](const TrackEvent& a, const TrackEvent& b) { return a.track_id < b.track_id; });

  result.detections.reserve(detections.size());
  std::map<std::string, std::vector<size_t>> by_label;
  for (size_t i = 0; i < detections.size(); ++i) {
    result.detections.push_back(TrackedDetection{detections[i], 0, false});
    by_label[detections[i].label].push_back(i);
  }

  // Which track took each detection: (label, serial). Ids and best
  // detections are settled afterwards in detection order, so two tracks
  // confirmed in one frame are numbered as the detector listed them, not by
  // label.
  std::vector<std::pair<std::string, uint64_t>> owner(detections.size());
  std::vector<bool> det_used(detections.size(), false);
  for (auto& [label, indices] : by_label) {
    std::vector<Track>& tracks = tracks_[label];
    // (IoU, track index, detection index) for every pair that may match.
    std::vector<std::tuple<double, size_t, size_t>> pairs;
    for (size_t ti = 0; ti < tracks.size(); ++ti) {
      const Box predicted = Predict(tracks[ti], frame_time_us);
      for (size_t di : indices) {
        const double iou = IoU(predicted, detections[di].box);
        if (iou >= options_.min_iou && iou > 0) pairs.emplace_back(iou, ti, di);
      }
    }
    std::sort(pairs.begin(), pairs.end(), [&](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
      const uint64_t sa = tracks[std::get<1>(a)].serial, sb = tracks[std::get<1>(b)].serial;
      if (sa != sb) return sa < sb;
      return std::get<2>(a) < std::get<2>(b);
    });
    std::vector<bool> track_used(tracks.size(), false);
    for (const auto& [iou, ti, di] : pairs) {
      if (track_used[ti] || det_used[di]) continue;
      track_used[ti] = det_used[di] = true;
      Observe(&tracks[ti], detections[di], frame_time_us);
      owner[di] = {label, tracks[ti].serial};
    }
    // A tentative track must be seen in consecutive frames.
    for (size_t ti = tracks.size(); ti-- > 0;) {
      if (!track_used[ti] && tracks[ti].id == 0) tracks.erase(tracks.begin() + ti);
    }
    for (size_t di : indices) {
      if (det_used[di]) continue;
      Track t;
      t.serial = next_serial_++;
      t.label = label;
      t.first_us = frame_time_us;
      t.last_us = frame_time_us;
      Observe(&t, detections[di], frame_time_us);
      owner[di] = {label, t.serial};
      tracks.push_back(std::move(t));
    }
  }
  // Labels absent from this frame: their tentative tracks missed it.
  for (auto& [label, tracks] : tracks_) {
    if (by_label.count(label) == 0) std::erase_if(tracks, [](const Track& t) { return t.id == 0; });
  }
  std::erase_if(tracks_, [](const auto& kv) { return kv.second.empty(); });

  std::vector<TrackEvent> starts;
  for (size_t di = 0; di < detections.size(); ++di) {
    for (Track& t : tracks_[owner[di].first]) {
      if (t.serial != owner[di].second) continue;
      Report(&t, detections[di], frame_time_us, width, height, &result.detections[di], &starts);
      break;
    }
  }
  for (TrackEvent& e : starts) result.events.push_back(std::move(e));
  return result;
}

std::vector<TrackEvent> Tracker::Flush() {
  std::vector<TrackEvent> events;
  for (const auto& [label, tracks] : tracks_) {
    for (const Track& t : tracks) {
      if (t.id != 0) events.push_back(EndEvent(t));
    }
  }
  // Oldest first, whatever the label, so callers see ends in a stable order.
  std::sort(events.begin(), events.end(),
            [](const TrackEvent& a, const TrackEvent& b) { return a.track_id < b.track_id; });
  tracks_.clear();
  return events;
}

}  // namespace osprey::ml_hooks
