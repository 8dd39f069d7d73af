#include "osprey/ml_hooks/rules.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace osprey::ml_hooks {
namespace {

constexpr int64_t kFri = 1'795'737'600'000;  // 2026-11-27 00:00 UTC, a Friday, ms
constexpr int64_t kSat = kFri + 86'400'000;
constexpr int64_t kSun = kSat + 86'400'000;
constexpr int64_t kMon = kSun + 86'400'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kMin = 60'000;
constexpr int kW = 1000;
constexpr int kH = 500;

TEST(ScheduleTest, SameDayWindowAndDailyFullDay) {
  auto s = Schedule::Parse("mon-fri 09:00-17:30");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->Contains(kFri + 9 * kHour - 1));
  EXPECT_TRUE(s->Contains(kFri + 9 * kHour));
  EXPECT_TRUE(s->Contains(kFri + 17 * kHour + 29 * kMin));
  EXPECT_FALSE(s->Contains(kFri + 17 * kHour + 30 * kMin));  // end is exclusive
  EXPECT_FALSE(s->Contains(kSat + 12 * kHour));
  EXPECT_TRUE(s->Contains(kMon + 12 * kHour));

  auto daily = Schedule::Parse("Daily 00:00-24:00");
  ASSERT_TRUE(daily.ok());
  for (int64_t t = kFri; t < kFri + 7 * 86'400'000; t += 7 * kMin + 13) {
    ASSERT_TRUE(daily->Contains(t)) << t;
  }
  EXPECT_FALSE(Schedule().Contains(kFri));
  EXPECT_TRUE(Schedule::Parse("  ").ok());
}

TEST(ScheduleTest, WindowAcrossMidnightBelongsToTheDayItOpens) {
  auto s = Schedule::Parse("mon-fri 22:00-06:00");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->Contains(kFri + 21 * kHour + 59 * kMin));
  EXPECT_TRUE(s->Contains(kFri + 22 * kHour));             // Friday night...
  EXPECT_TRUE(s->Contains(kSat + 5 * kHour + 59 * kMin));  // ...into Saturday morning
  EXPECT_FALSE(s->Contains(kSat + 6 * kHour));
  EXPECT_FALSE(s->Contains(kSat + 23 * kHour));  // Saturday night is not listed
  EXPECT_FALSE(s->Contains(kSun + 23 * kHour));  // nor Sunday night
  EXPECT_FALSE(s->Contains(kMon + 3 * kHour));   // so Monday 03:00 is off
  EXPECT_TRUE(s->Contains(kFri + 3 * kHour));    // Thursday night's morning part
}

TEST(ScheduleTest, SeveralWindowsDayListsWrappingRangesAndOffsets) {
  auto s = Schedule::Parse("sat, sun 10:00-12:00; fri-mon 20:00-21:00");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->Contains(kSun + 11 * kHour));
  EXPECT_FALSE(s->Contains(kMon + 11 * kHour));
  EXPECT_TRUE(s->Contains(kMon + 20 * kHour + 30 * kMin));  // fri-mon wraps the weekend
  EXPECT_FALSE(s->Contains(kFri - 86'400'000 + 20 * kHour + 30 * kMin));  // Thursday
  // UTC+2: 22:00 local on Friday is 20:00 UTC.
  auto local = Schedule::Parse("fri 22:00-23:00", 120);
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(local->Contains(kFri + 20 * kHour));
  EXPECT_FALSE(local->Contains(kFri + 22 * kHour));
  // UTC-5: Friday 22:00 local is Saturday 03:00 UTC (the day shifts too).
  auto west = Schedule::Parse("fri 22:00-23:00", -300);
  ASSERT_TRUE(west.ok());
  EXPECT_TRUE(west->Contains(kSat + 3 * kHour));
  EXPECT_FALSE(west->Contains(kFri + 22 * kHour));
}

TEST(ScheduleTest, BadSchedulesAreRejected) {
  for (const char* bad :
       {"weekdays 09:00-17:00", "mon 9:00-17:00", "mon 09:00", "mon 24:00-01:00", "mon 10:00-10:00",
        "mon 09:60-10:00", "09:00-17:00", "mon-xyz 01:00-02:00", "mon 01:00-25:00"}) {
    auto s = Schedule::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << bad;
    }
  }
  EXPECT_FALSE(Schedule::Parse("daily 00:00-24:00", 900).ok());
}

// A yard zone on the left half of the frame (by feet).
ZoneSet Yard() { return *ZoneSet::Create({{"yard", {{0, 0}, {0.5, 0}, {0.5, 1}, {0, 1}}}}); }

IntrusionRuleOptions YardRule(std::string schedule = "daily 00:00-24:00") {
  IntrusionRuleOptions r;
  r.name = "yard-night";
  r.zone = "yard";
  r.schedule = std::move(schedule);
  r.min_dwell_us = 3'000'000;
  return r;
}

// One frame with tracked people: (track id, x of the box), all 80x200 at
// y 100, feet at y 300/500.
TrackerUpdate Frame(std::vector<std::pair<uint64_t, double>> people) {
  TrackerUpdate u;
  for (auto [id, x] : people) {
    u.detections.push_back({Detection{"person", 0.9, Box{x, 100, 80, 200}, "hog", ""}, id, false});
  }
  return u;
}

// Feeds 5 fps frames of one person from `from_ms` for `seconds`, x as given;
// returns the alerts.
std::vector<IntrusionAlert> Walk(RuleEngine* engine, int64_t from_ms, double seconds, uint64_t id,
                                 double x) {
  std::vector<IntrusionAlert> alerts;
  for (int64_t t = 0; t <= static_cast<int64_t>(seconds * 1000); t += 200) {
    for (auto& a : engine->Update((from_ms + t) * 1000, kW, kH, Frame({{id, x}}))) {
      alerts.push_back(a);
    }
  }
  return alerts;
}

TEST(IntrusionRuleTest, DwellShorterThanMinDwellRaisesNothingLongerRaisesOnePerTrack) {
  auto engine = RuleEngine::Create(Yard(), {YardRule()});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  RuleEngine& e = **engine;
  EXPECT_TRUE(Walk(&e, kFri, 2.8, 1, 100).empty());           // 2.8 s < 3 s
  e.Update((kFri + 3000) * 1000, kW, kH, Frame({{1, 700}}));  // leaves the yard
  // Back in: dwell starts over, so another 2.8 s is still nothing.
  EXPECT_TRUE(Walk(&e, kFri + 3200, 2.8, 1, 100).empty());

  auto alerts = Walk(&e, kFri + 10'000, 20, 2, 200);  // 20 s in the yard
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].rule, "yard-night");
  EXPECT_EQ(alerts[0].zone, "yard");
  EXPECT_EQ(alerts[0].track_id, 2u);
  EXPECT_EQ(alerts[0].frame_time_us, (kFri + 13'000) * 1000);
  EXPECT_EQ(alerts[0].dwell_us, 3'000'000);
  EXPECT_EQ(alerts[0].width, kW);
  EXPECT_DOUBLE_EQ(alerts[0].detection.box.x, 200);
  // A second person, no cooldown: their own alert.
  EXPECT_EQ(Walk(&e, kFri + 31'000, 4, 3, 50).size(), 1u);
}

TEST(IntrusionRuleTest, UntrackedOtherLabelsAndMissedFrames) {
  auto engine = RuleEngine::Create(Yard(), {YardRule()});
  ASSERT_TRUE(engine.ok());
  // Detections without a confirmed track never alarm.
  EXPECT_TRUE(Walk(engine->get(), kFri, 10, 0, 100).empty());
  // A car in the yard is not a person.
  TrackerUpdate car = Frame({{5, 100}});
  car.detections[0].detection.label = "car";
  for (int k = 0; k <= 50; ++k) {
    EXPECT_TRUE((*engine)->Update((kFri + 20'000 + k * 200) * 1000, kW, kH, car).empty());
  }
  // Frames where the tracker kept the track but had no detection do not
  // break dwell: seen at 0 s and 1 s, unseen until 3.2 s, which alerts.
  RuleEngine& e = **engine;
  const int64_t t0 = kFri + 40'000;
  EXPECT_TRUE(e.Update(t0 * 1000, kW, kH, Frame({{6, 100}})).empty());
  EXPECT_TRUE(e.Update((t0 + 1000) * 1000, kW, kH, Frame({{6, 100}})).empty());
  EXPECT_TRUE(e.Update((t0 + 2000) * 1000, kW, kH, Frame({})).empty());
  EXPECT_EQ(e.Update((t0 + 3200) * 1000, kW, kH, Frame({{6, 100}})).size(), 1u);
}

TEST(IntrusionRuleTest, DisarmedRaisesNothing) {
  // Schedule "mon-fri 22:00-06:00": Saturday afternoon is disarmed.
  auto engine = RuleEngine::Create(Yard(), {YardRule("mon-fri 22:00-06:00")});
  ASSERT_TRUE(engine.ok());
  EXPECT_TRUE(Walk(engine->get(), kSat + 15 * kHour, 30, 1, 100).empty());
  // Empty schedule and no override: never armed.
  auto never = RuleEngine::Create(Yard(), {YardRule("")});
  ASSERT_TRUE(never.ok());
  EXPECT_TRUE(Walk(never->get(), kFri, 30, 1, 100).empty());
}

TEST(IntrusionRuleTest, ScheduleAcrossMidnightArmsFridayNightAndSaturdayMorning) {
  auto engine = RuleEngine::Create(Yard(), {YardRule("mon-fri 22:00-06:00")});
  ASSERT_TRUE(engine.ok());
  RuleEngine& e = **engine;
  EXPECT_EQ(Walk(&e, kFri + 23 * kHour, 5, 1, 100).size(), 1u);
  EXPECT_EQ(Walk(&e, kSat + 2 * kHour, 5, 2, 100).size(), 1u);
  EXPECT_TRUE(Walk(&e, kSat + 7 * kHour, 5, 3, 100).empty());
  // Dwell counts armed time only: in at 05:59:58, the window closes at
  // 06:00, so no 3 s of armed dwell ever accumulate.
  EXPECT_TRUE(Walk(&e, kSat + 6 * kHour - 2000, 10, 4, 100).empty());
  EXPECT_TRUE(*e.IsArmed("yard-night", kFri + 22 * kHour));
  EXPECT_FALSE(*e.IsArmed("yard-night", kSat + 22 * kHour));
  EXPECT_EQ(e.IsArmed("nope", kFri).status().code(), Status::Code::kNotFound);
}

TEST(IntrusionRuleTest, OverrideWithExpiry) {
  auto engine = RuleEngine::Create(Yard(), {YardRule("")});
  ASSERT_TRUE(engine.ok());
  RuleEngine& e = **engine;
  const int64_t t0 = kSat + 12 * kHour;
  ASSERT_TRUE(e.Arm("yard-night", t0 + 60'000).ok());  // armed for one minute
  EXPECT_TRUE(*e.IsArmed("yard-night", t0));
  EXPECT_FALSE(*e.IsArmed("yard-night", t0 + 60'000));  // expiry is exclusive
  EXPECT_EQ(Walk(&e, t0, 5, 1, 100).size(), 1u);
  EXPECT_TRUE(Walk(&e, t0 + 61'000, 5, 2, 100).empty());  // expired: schedule (never)

  // Disarm overrides a schedule that says armed, until cleared.
  auto always = RuleEngine::Create(Yard(), {YardRule()});
  ASSERT_TRUE(always.ok());
  RuleEngine& a = **always;
  ASSERT_TRUE(a.Disarm("*").ok());
  EXPECT_TRUE(Walk(&a, t0, 10, 1, 100).empty());
  ASSERT_TRUE(a.ClearOverride("yard-night").ok());
  EXPECT_EQ(Walk(&a, t0 + 20'000, 5, 2, 100).size(), 1u);
  EXPECT_EQ(a.Arm("garage").code(), Status::Code::kNotFound);
}

TEST(IntrusionRuleTest, CooldownHoldsBackOtherTracksOfTheSameZone) {
  IntrusionRuleOptions rule = YardRule();
  rule.cooldown_us = 60'000'000;
  auto engine = RuleEngine::Create(Yard(), {rule});
  ASSERT_TRUE(engine.ok());
  RuleEngine& e = **engine;
  // Two people enter together: one alert, the other is within the cooldown.
  std::vector<IntrusionAlert> alerts;
  for (int64_t t = 0; t <= 30'000; t += 200) {
    for (auto& a : e.Update((kFri + t) * 1000, kW, kH, Frame({{1, 50}, {2, 250}}))) {
      alerts.push_back(a);
    }
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].track_id, 1u);
  // Track 2 is still there when the cooldown ends (60 s after the alert at
  // 3 s): it alerts then, once.
  alerts.clear();
  for (int64_t t = 30'200; t <= 90'000; t += 200) {
    for (auto& a : e.Update((kFri + t) * 1000, kW, kH, Frame({{2, 250}}))) alerts.push_back(a);
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].track_id, 2u);
  EXPECT_EQ(alerts[0].frame_time_us, (kFri + 63'000) * 1000);
}

TEST(IntrusionRuleTest, TrackEndForgetsStateAndCreateValidates) {
  auto engine = RuleEngine::Create(Yard(), {YardRule()});
  ASSERT_TRUE(engine.ok());
  RuleEngine& e = **engine;
  EXPECT_TRUE(Walk(&e, kFri, 2, 1, 100).empty());
  TrackerUpdate end;
  TrackEvent ended;
  ended.type = TrackEventType::kEnd;
  ended.track_id = 1;
  end.events.push_back(ended);
  e.Update((kFri + 2200) * 1000, kW, kH, end);
  // Same id again (a restarted tracker) dwells from scratch.
  EXPECT_TRUE(Walk(&e, kFri + 2400, 2, 1, 100).empty());

  EXPECT_FALSE(RuleEngine::Create(Yard(), {YardRule("mon 25:00-01:00")}).ok());
  IntrusionRuleOptions unknown_zone = YardRule();
  unknown_zone.zone = "garden";
  EXPECT_FALSE(RuleEngine::Create(Yard(), {unknown_zone}).ok());
  EXPECT_FALSE(RuleEngine::Create(Yard(), {YardRule(), YardRule()}).ok());
  IntrusionRuleOptions no_labels = YardRule();
  no_labels.labels.clear();
  EXPECT_FALSE(RuleEngine::Create(Yard(), {no_labels}).ok());
}

TEST(IntrusionRuleTest, ArmAndDisarmFromAnotherThread) {
  auto engine = RuleEngine::Create(Yard(), {YardRule("")});
  ASSERT_TRUE(engine.ok());
  RuleEngine& e = **engine;
  std::atomic<bool> stop{false};
  std::thread api([&] {
    for (int i = 0; !stop.load(); ++i) {
      if (i % 2 == 0)
        EXPECT_TRUE(e.Arm("yard-night").ok());
      else
        EXPECT_TRUE(e.Disarm("yard-night").ok());
    }
  });
  for (int k = 0; k < 20'000; ++k) {
    e.Update((kFri + k * 200) * 1000, kW, kH, Frame({{static_cast<uint64_t>(k / 50 + 1), 100}}));
  }
  stop = true;
  api.join();
  ASSERT_TRUE(e.Arm("yard-night").ok());
  EXPECT_TRUE(*e.IsArmed("yard-night", kFri));
}

}  // namespace
}  // namespace osprey::ml_hooks
