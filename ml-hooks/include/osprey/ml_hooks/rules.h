// The intrusion rule: "a person stays in the garden zone for 3 s while the
// zone is armed" raises one alert per track.
//
// Arming. A rule is armed at a moment when its override says so, or, with no
// live override, when its schedule contains that moment. Overrides come from
// an API call (Arm/Disarm, any thread) and may expire; an expired override
// is forgotten and the schedule rules again. "Moment" is always the frame
// time (the producer's clock, epoch µs), not the wall clock, so replaying old
// fragments gives the same alerts as they had live, and tests need no clock.
//
// Schedule syntax (Schedule::Parse), case-insensitive:
//   schedule := window *( ";" window )           blank: never armed
//   window   := days " " HH:MM "-" HH:MM
//   days     := "daily" | item *( "," item )
//   item     := day | day "-" day                ranges wrap: "fri-mon"
//   day      := mon | tue | wed | thu | fri | sat | sun
//   HH:MM    := 00:00 .. 23:59, and 24:00 as an end
// e.g. "mon-fri 22:00-06:00; sat,sun 00:00-24:00". A window whose end is not
// after its start crosses midnight: it opens on each listed day at the start
// and closes the next day at the end ("mon-fri 22:00-06:00" covers Friday
// night until Saturday 06:00, not Sunday night). start == end is rejected as
// ambiguous (never, or 24 h?). Times are read in UTC shifted by a fixed
// offset (utc_offset_minutes, -840..840); there is no daylight saving: a
// site that wants local summer time updates its offset, which keeps the
// engine free of a time-zone database.
//
// Dwell. A confirmed track (TrackedDetection::track_id != 0; flickers never
// alarm) of one of the rule's labels dwells while its anchor is in the
// rule's zone (ZoneSet) and the rule is armed; dwell restarts when the track
// is seen outside the zone or the rule is disarmed. Frames where the track
// is not detected (the tracker keeps it alive) neither extend nor break
// dwell. Once dwell reaches min_dwell_us the track alerts, exactly once for
// its life. cooldown_us: after an alert, no alert of the same rule (hence
// the same zone) for that long, from any track; a track held back by the
// cooldown alerts once the cooldown is over, if it still dwells then.
// 0 (default): only the one-per-track limit.
//
// Thread safety: Update and Reset on the stream's thread (one RuleEngine per
// stream); Arm, Disarm, ClearOverride, IsArmed and rules() from any thread.
// Overrides are guarded by a mutex; everything else belongs to Update's
// thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "osprey/base/result.h"
#include "osprey/base/status.h"
#include "osprey/ml_hooks/frame.h"
#include "osprey/ml_hooks/tracker.h"
#include "osprey/ml_hooks/zones.h"

namespace osprey::ml_hooks {

class Schedule {
 public:
  Schedule() = default;  // never armed
  // InvalidArgument with the offending part quoted.
  static Result<Schedule> Parse(std::string_view text, int utc_offset_minutes = 0);
  bool Contains(int64_t epoch_ms) const;
  bool empty() const { return windows_.empty(); }

 private:
  struct Window {
    uint8_t days = 0;   // bit 0 = Monday ... bit 6 = Sunday
    int start_min = 0;  // minute of the day the window opens
    int end_min = 0;    // closes (next day when end_min <= start_min)
  };
  std::vector<Window> windows_;
  int offset_min_ = 0;
};

struct IntrusionRuleOptions {
  std::string name;  // unique; Arm/Disarm address it
  std::vector<std::string> labels = {"person"};
  std::string zone;      // a zone of the engine's ZoneSet
  std::string schedule;  // Schedule syntax; "": override only
  int utc_offset_minutes = 0;
  int64_t min_dwell_us = 1'000'000;
  int64_t cooldown_us = 0;
};

struct IntrusionAlert {
  std::string rule;
  std::string zone;
  uint64_t track_id = 0;
  int64_t frame_time_us = 0;  // the frame that completed the dwell
  int64_t dwell_us = 0;       // frame_time_us - dwell start
  Detection detection;        // as tracked in that frame
  int width = 0;
  int height = 0;
};

class RuleEngine {
 public:
  // InvalidArgument for an unnamed or duplicate rule, a zone not in `zones`,
  // no labels, a negative duration or a bad schedule.
  static Result<std::unique_ptr<RuleEngine>> Create(ZoneSet zones,
                                                    std::vector<IntrusionRuleOptions> rules);

  // One call per tracker update, same frame. Returns the alerts it raised.
  std::vector<IntrusionAlert> Update(int64_t frame_time_us, int width, int height,
                                     const TrackerUpdate& update);
  // Forgets every track (stream stopped; feed Tracker::Flush's ends instead
  // to keep cooldowns). Overrides stay.
  void Reset();

  // Override the schedule of rule `rule` ("*": every rule) until `expires_ms`
  // (frame time, epoch ms; nullopt: until cleared). NotFound for an unknown
  // rule.
  Status Arm(std::string_view rule, std::optional<int64_t> expires_ms = std::nullopt);
  Status Disarm(std::string_view rule, std::optional<int64_t> expires_ms = std::nullopt);
  // Back to the schedule alone.
  Status ClearOverride(std::string_view rule);
  // Whether `rule` is armed at `at_ms` (frame time). NotFound for an unknown rule.
  Result<bool> IsArmed(std::string_view rule, int64_t at_ms) const;

  const std::vector<IntrusionRuleOptions>& rules() const { return options_; }

 private:
  struct Override {
    bool armed = false;
    std::optional<int64_t> expires_ms;
  };
  struct Dwell {
    std::optional<int64_t> since_us;
    bool alerted = false;
  };
  struct RuleState {
    Schedule schedule;
    std::map<uint64_t, Dwell> tracks;      // Update's thread only
    std::optional<int64_t> last_alert_us;  // Update's thread only
  };

  RuleEngine() = default;
  Status SetOverride(std::string_view rule, std::optional<Override> value);
  // REQUIRES: mu_ is held.
  bool ArmedLocked(size_t rule, int64_t at_ms) const;

  ZoneSet zones_;
  std::vector<IntrusionRuleOptions> options_;  // immutable after Create
  std::vector<RuleState> state_;               // parallel to options_

  mutable std::mutex mu_;
  std::vector<std::optional<Override>> overrides_;  // GUARDED_BY(mu_), parallel to options_
};

}  // namespace osprey::ml_hooks
