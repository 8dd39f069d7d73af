#include "osprey/ml_hooks/rules.h"

#include <algorithm>
#include <set>
#include <utility>

namespace osprey::ml_hooks {

Result<std::unique_ptr<RuleEngine>> RuleEngine::Create(ZoneSet zones,
                                                       std::vector<IntrusionRuleOptions> rules) {
  std::unique_ptr<RuleEngine> engine(new RuleEngine());
  std::set<std::string> names;
  for (const IntrusionRuleOptions& r : rules) {
    if (r.name.empty() || r.name == "*") {
      return Status::InvalidArgument("an intrusion rule needs a name other than \"*\"");
    }
    const std::string ctx = "rule \"" + r.name + "\"";
    if (!names.insert(r.name).second) return Status::InvalidArgument(ctx + " is defined twice");
    if (zones.Find(r.zone) == nullptr) {
      return Status::InvalidArgument(ctx + ": unknown zone \"" + r.zone + "\"");
    }
    if (r.labels.empty()) return Status::InvalidArgument(ctx + ": no labels");
    if (r.min_dwell_us < 0 || r.cooldown_us < 0) {
      return Status::InvalidArgument(ctx + ": min_dwell and cooldown must not be negative");
    }
    RuleState state;
    auto schedule = Schedule::Parse(r.schedule, r.utc_offset_minutes);
    if (!schedule.ok()) return schedule.status().WithContext(ctx);
    state.schedule = std::move(schedule).value();
    engine->state_.push_back(std::move(state));
  }
  engine->zones_ = std::move(zones);
  engine->options_ = std::move(rules);
  engine->overrides_.resize(engine->options_.size());
  return engine;
}

bool RuleEngine::ArmedLocked(size_t rule, int64_t at_ms) const {
  const std::optional<Override>& o = overrides_[rule];
  // An override is live until (not at) its expiry.
  if (o && (!o->expires_ms || at_ms < *o->expires_ms)) return o->armed;
  return state_[rule].schedule.Contains(at_ms);
}

std::vector<IntrusionAlert> RuleEngine::Update(int64_t frame_time_us, int width, int height,
                                               const TrackerUpdate& update) {
  // Floor, so a frame at -0.5 ms is in the millisecond before 0, as
  // Schedule::Contains counts them.
  const int64_t at_ms =
      frame_time_us >= 0 ? frame_time_us / 1000 : -((-frame_time_us + 999) / 1000);
  std::vector<bool> armed(options_.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < options_.size(); ++i) {
      std::optional<Override>& o = overrides_[i];
      if (o && o->expires_ms && at_ms >= *o->expires_ms) o.reset();
      armed[i] = ArmedLocked(i, at_ms);
    }
  }

  std::vector<IntrusionAlert> alerts;
  for (size_t i = 0; i < options_.size(); ++i) {
    const IntrusionRuleOptions& rule = options_[i];
    RuleState& state = state_[i];
    if (!armed[i]) {
      // Dwell counts armed time only; alerted tracks stay alerted.
      for (auto& [id, dwell] : state.tracks) dwell.since_us.reset();
    }
    // A new timeline (frame time went back) must not inherit a cooldown
    // measured on the old one.
    if (state.last_alert_us && frame_time_us < *state.last_alert_us) state.last_alert_us.reset();

    for (const TrackedDetection& td : update.detections) {
      if (td.track_id == 0) continue;
      if (std::find(rule.labels.begin(), rule.labels.end(), td.detection.label) ==
          rule.labels.end()) {
        continue;
      }
      Dwell& dwell = state.tracks[td.track_id];
      if (!armed[i] || !zones_.InZone(rule.zone, td.detection.box, width, height)) {
        dwell.since_us.reset();
        continue;
      }
      if (!dwell.since_us) dwell.since_us = frame_time_us;
      if (dwell.alerted || frame_time_us - *dwell.since_us < rule.min_dwell_us) continue;
      if (rule.cooldown_us > 0 && state.last_alert_us &&
          frame_time_us - *state.last_alert_us < rule.cooldown_us) {
        continue;
      }
      dwell.alerted = true;
      state.last_alert_us = frame_time_us;
      IntrusionAlert alert;
      alert.rule = rule.name;
      alert.zone = rule.zone;
      alert.track_id = td.track_id;
      alert.frame_time_us = frame_time_us;
      alert.dwell_us = frame_time_us - *dwell.since_us;
      alert.detection = td.detection;
      alert.width = width;
      alert.height = height;
      alerts.push_back(std::move(alert));
    }
  }

  for (const TrackEvent& e : update.events) {
    if (e.type != TrackEventType::kEnd) continue;
    for (RuleState& state : state_) state.tracks.erase(e.track_id);
  }
  return alerts;
}

void RuleEngine::Reset() {
  for (RuleState& state : state_) {
    state.tracks.clear();
    state.last_alert_us.reset();
  }
}

Status RuleEngine::SetOverride(std::string_view rule, std::optional<Override> value) {
  std::lock_guard<std::mutex> lock(mu_);
  bool found = false;
  for (size_t i = 0; i < options_.size(); ++i) {
    if (rule == "*" || options_[i].name == rule) {
      overrides_[i] = value;
      found = true;
    }
  }
  if (!found && rule != "*") {
    return Status::NotFound("no intrusion rule named \"" + std::string(rule) + "\"");
  }
  return Status::Ok();
}

Status RuleEngine::Arm(std::string_view rule, std::optional<int64_t> expires_ms) {
  return SetOverride(rule, Override{true, expires_ms});
}

Status RuleEngine::Disarm(std::string_view rule, std::optional<int64_t> expires_ms) {
  return SetOverride(rule, Override{false, expires_ms});
}

Status RuleEngine::ClearOverride(std::string_view rule) { return SetOverride(rule, std::nullopt); }

Result<bool> RuleEngine::IsArmed(std::string_view rule, int64_t at_ms) const {
  for (size_t i = 0; i < options_.size(); ++i) {
    if (options_[i].name != rule) continue;
    std::lock_guard<std::mutex> lock(mu_);
    return ArmedLocked(i, at_ms);
  }
  return Status::NotFound("no intrusion rule named \"" + std::string(rule) + "\"");
}

}  // namespace osprey::ml_hooks
