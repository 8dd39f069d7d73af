#include <gtest/gtest.h>

#include <set>

#include "osprey/ml_hooks/tracker.h"

namespace osprey::ml_hooks {
namespace {

constexpr int kW = 640;
constexpr int kH = 480;
constexpr int64_t kT0 = 1'795'737'600'000'000;  // 2026-11-27 00:00 UTC, µs
constexpr int64_t k5Fps = 200'000;

Detection Person(double x, double y, double w, double h, double score = 0.8) {
  return Detection{"person", score, Box{x, y, w, h}, "hog", ""};
}

std::vector<TrackEvent> OfType(const std::vector<TrackEvent>& events, TrackEventType type) {
  std::vector<TrackEvent> out;
  for (const TrackEvent& e : events) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

TEST(TrackerTest, TwoPeopleCrossingPathsKeepTheirIds) {
  Tracker tracker;
  // Same size, same line (a corridor seen from the side), 25 px per frame
  // each way. Right after they cross, A's last box overlaps B's new box more
  // than A's own (IoU 0.6 against 0.41): only the velocity keeps them apart.
  uint64_t id_a = 0, id_b = 0;
  int starts = 0;
  for (int k = 0; k < 18; ++k) {
    const Detection a = Person(100 + 25.0 * k, 200, 60, 150);
    const Detection b = Person(510 - 25.0 * k, 200, 60, 150);
    // Alternate the order so the result cannot come from it.
    const bool a_first = k % 2 == 0;
    auto u =
        tracker.Update(kT0 + k * k5Fps, kW, kH, a_first ? std::vector{a, b} : std::vector{b, a});
    starts += static_cast<int>(OfType(u.events, TrackEventType::kStart).size());
    EXPECT_TRUE(OfType(u.events, TrackEventType::kEnd).empty()) << "frame " << k;
    const uint64_t got_a = u.detections[a_first ? 0 : 1].track_id;
    const uint64_t got_b = u.detections[a_first ? 1 : 0].track_id;
    if (k < 2) {
      EXPECT_EQ(got_a, 0u);  // not confirmed yet (min_hits 3)
      EXPECT_EQ(got_b, 0u);
      continue;
    }
    if (k == 2) {
      id_a = got_a;
      id_b = got_b;
      EXPECT_NE(id_a, 0u);
      EXPECT_NE(id_b, 0u);
      EXPECT_NE(id_a, id_b);
    }
    EXPECT_EQ(got_a, id_a) << "frame " << k;
    EXPECT_EQ(got_b, id_b) << "frame " << k;
  }
  EXPECT_EQ(starts, 2);
  EXPECT_EQ(tracker.active_tracks(), 2u);
}

TEST(TrackerTest, PersonWalkingAt5FpsWithMissedFramesIsOneTrackWithItsBestDetection) {
  Tracker tracker;
  const std::set<int> missed = {4, 7, 8, 15, 20, 21};
  std::vector<TrackEvent> events;
  int64_t last_seen_us = 0;
  uint64_t id = 0;
  int64_t best_flag_time = 0;
  for (int k = 0; k < 30; ++k) {
    const int64_t t = kT0 + k * k5Fps;
    std::vector<Detection> dets;
    if (!missed.count(k)) {
      double score = 0.6 + 0.01 * (k % 5);
      double h = 150;
      if (k == 12) score = 0.95;           // the best...
      if (k == 17) score = 0.95, h = 160;  // ...tied on score, but larger
      if (k == 24) score = 0.95, h = 155;  // tied, smaller than frame 17
      dets.push_back(Person(50 + 12.0 * k, 200, 60, h, score));
      last_seen_us = t;
    }
    auto u = tracker.Update(t, kW, kH, dets);
    for (auto& e : u.events) events.push_back(e);
    if (!dets.empty() && k >= 2) {
      if (id == 0) id = u.detections[0].track_id;
      EXPECT_EQ(u.detections[0].track_id, id) << "frame " << k;
      if (u.detections[0].is_best) best_flag_time = t;
    }
  }
  EXPECT_NE(id, 0u);
  // The track lives on through the gaps; it ends only when unmatched for
  // more than 2 s of frame time: still alive at last + 2.0 s, gone at +2.2 s.
  auto u = tracker.Update(last_seen_us + 2'000'000, kW, kH, {});
  EXPECT_TRUE(u.events.empty());
  EXPECT_EQ(tracker.active_tracks(), 1u);
  u = tracker.Update(last_seen_us + 2'200'000, kW, kH, {});
  for (auto& e : u.events) events.push_back(e);
  EXPECT_EQ(tracker.active_tracks(), 0u);

  ASSERT_EQ(events.size(), 2u);
  const TrackEvent& start = events[0];
  EXPECT_EQ(start.type, TrackEventType::kStart);
  EXPECT_EQ(start.track_id, id);
  EXPECT_EQ(start.start_us, kT0);            // the first (tentative) detection
  EXPECT_EQ(start.end_us, kT0 + 2 * k5Fps);  // confirmed at the third
  const TrackEvent& end = events[1];
  EXPECT_EQ(end.type, TrackEventType::kEnd);
  EXPECT_EQ(end.track_id, id);
  EXPECT_EQ(end.label, "person");
  EXPECT_EQ(end.start_us, kT0);
  EXPECT_EQ(end.end_us, last_seen_us);
  EXPECT_EQ(end.duration_us, last_seen_us - kT0);
  EXPECT_EQ(end.hits, 30 - static_cast<int>(missed.size()));
  EXPECT_DOUBLE_EQ(end.best.score, 0.95);
  EXPECT_DOUBLE_EQ(end.best.box.h, 160);
  EXPECT_EQ(end.best_time_us, kT0 + 17 * k5Fps);
  EXPECT_EQ(end.best_width, kW);
  EXPECT_EQ(end.best_height, kH);
  // The last frame flagged is_best is the one the end event names, so the
  // single snapshot the caller kept is the right one.
  EXPECT_EQ(best_flag_time, end.best_time_us);
}

TEST(TrackerTest, IsBestFlagsOnlyImprovements) {
  Tracker tracker(TrackerOptions{.min_hits = 1});
  const double scores[] = {0.5, 0.4, 0.7, 0.7, 0.6, 0.9};
  const bool expected[] = {true, false, true, false, false, true};
  for (int k = 0; k < 6; ++k) {
    auto u = tracker.Update(kT0 + k * k5Fps, kW, kH, {Person(100, 100, 50, 100, scores[k])});
    EXPECT_EQ(u.detections[0].is_best, expected[k]) << "frame " << k;
  }
  EXPECT_TRUE(BetterDetection(Person(0, 0, 10, 20, 0.5), Person(0, 0, 10, 10, 0.5)));
  EXPECT_FALSE(BetterDetection(Person(0, 0, 10, 10, 0.5), Person(0, 0, 10, 10, 0.5)));
  EXPECT_TRUE(BetterDetection(Person(0, 0, 1, 1, 0.6), Person(0, 0, 10, 10, 0.5)));
}

TEST(TrackerTest, FlickersBelowMinHitsMakeNoTrack) {
  Tracker tracker;
  std::vector<TrackEvent> events;
  // One-frame false positives all over the frame, and a two-frame one.
  for (int k = 0; k < 20; ++k) {
    std::vector<Detection> dets = {Person(30.0 * k, 20.0 * (k % 7), 40, 80)};
    if (k == 5 || k == 6) dets.push_back(Person(500, 300, 60, 120));
    auto u = tracker.Update(kT0 + k * k5Fps, kW, kH, dets);
    for (const auto& d : u.detections) EXPECT_EQ(d.track_id, 0u) << "frame " << k;
    for (auto& e : u.events) events.push_back(e);
  }
  for (auto& e : tracker.Flush()) events.push_back(e);
  EXPECT_TRUE(events.empty());
  // A tentative track that misses a frame is dropped: hits at 0, 1, then 3,
  // 4 never reach three in a row.
  for (int k = 30; k <= 34; ++k) {
    std::vector<Detection> dets;
    if (k != 32) dets.push_back(Person(200, 200, 60, 120));
    auto u = tracker.Update(kT0 + k * k5Fps, kW, kH, dets);
    for (const auto& d : u.detections) EXPECT_EQ(d.track_id, 0u) << "frame " << k;
    EXPECT_TRUE(u.events.empty());
  }
  // Control: three in a row confirm.
  auto u = tracker.Update(kT0 + 35 * k5Fps, kW, kH, {Person(200, 200, 60, 120)});
  EXPECT_NE(u.detections[0].track_id, 0u);
  EXPECT_EQ(OfType(u.events, TrackEventType::kStart).size(), 1u);
}

TEST(TrackerTest, LabelsAreTrackedSeparatelyAndIdsIncreasePerStream) {
  Tracker tracker(TrackerOptions{.min_hits = 1, .first_track_id = 7});
  Detection car = Person(100, 100, 80, 80);
  car.label = "car";
  auto u = tracker.Update(kT0, kW, kH, {Person(100, 100, 80, 80), car});
  EXPECT_EQ(u.detections[0].track_id, 7u);
  EXPECT_EQ(u.detections[1].track_id, 8u);
  u = tracker.Update(kT0 + k5Fps, kW, kH, {car, Person(102, 100, 80, 80)});
  EXPECT_EQ(u.detections[0].track_id, 8u);
  EXPECT_EQ(u.detections[1].track_id, 7u);
  auto ends = tracker.Flush();
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].track_id, 7u);
  EXPECT_EQ(ends[0].type, TrackEventType::kEnd);
  EXPECT_EQ(ends[1].label, "car");
  // Numbering continues after a flush (stream restarted).
  u = tracker.Update(kT0 + 2 * k5Fps, kW, kH, {car});
  EXPECT_EQ(u.detections[0].track_id, 9u);
}

TEST(TrackerTest, MissedTimeIsFrameTimeNotFrameCount) {
  // 1 fps: one missed frame leaves 2 s between detections, which a track
  // survives (it ends only past max_missed).
  Tracker slow(TrackerOptions{.min_hits = 1});
  slow.Update(kT0, kW, kH, {Person(100, 100, 60, 120)});
  slow.Update(kT0 + 1'000'000, kW, kH, {});
  auto u = slow.Update(kT0 + 2'000'000, kW, kH, {Person(100, 100, 60, 120)});
  EXPECT_EQ(u.detections[0].track_id, 1u);
  EXPECT_TRUE(u.events.empty());
  // 25 fps: 55 empty frames are 2.2 s: the track is over and a new one starts.
  Tracker fast(TrackerOptions{.min_hits = 1});
  fast.Update(kT0, kW, kH, {Person(100, 100, 60, 120)});
  int ends = 0;
  for (int k = 1; k <= 55; ++k) {
    ends += static_cast<int>(fast.Update(kT0 + k * 40'000, kW, kH, {}).events.size());
  }
  EXPECT_EQ(ends, 1);
  u = fast.Update(kT0 + 56 * 40'000, kW, kH, {Person(100, 100, 60, 120)});
  EXPECT_EQ(u.detections[0].track_id, 2u);
}

TEST(TrackerTest, TimeGoingBackwardsEndsEveryTrack) {
  Tracker tracker(TrackerOptions{.min_hits = 1});
  tracker.Update(kT0, kW, kH, {Person(100, 100, 60, 120)});
  auto u = tracker.Update(kT0 - 60'000'000, kW, kH, {Person(100, 100, 60, 120)});
  ASSERT_EQ(u.events.size(), 2u);
  EXPECT_EQ(u.events[0].type, TrackEventType::kEnd);
  EXPECT_EQ(u.events[0].track_id, 1u);
  EXPECT_EQ(u.events[1].type, TrackEventType::kStart);
  EXPECT_EQ(u.detections[0].track_id, 2u);
}

TEST(TrackerTest, SmoothingDampsTheReportedBoxButNotTheBest) {
  Tracker tracker(TrackerOptions{.min_hits = 1, .smoothing = 0.5});
  tracker.Update(kT0, kW, kH, {Person(100, 100, 60, 120, 0.5)});
  auto u = tracker.Update(kT0 + k5Fps, kW, kH, {Person(110, 100, 60, 120, 0.9)});
  EXPECT_DOUBLE_EQ(u.detections[0].detection.box.x, 105);
  auto ends = tracker.Flush();
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_DOUBLE_EQ(ends[0].best.box.x, 110);
}

}  // namespace
}  // namespace osprey::ml_hooks
