// UploadSchedule: when a camera with `upload = "schedule"` may upload, as
// the KVS Edge Agent's UploaderConfig does it: a cron expression for the
// start of each window (ScheduleExpression) and a duration
// (DurationInSeconds).
//
// The expression has the five classic cron fields, in UTC:
//
//   minute (0-59) hour (0-23) day-of-month (1-31) month (1-12) day-of-week (0-7, 0 and 7 Sunday)
//
// each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n` (a to
// the field's maximum), or a comma-separated list of those. As in cron, when
// both day fields are restricted a day matching either one matches. Names
// (JAN, MON), `?`, `L`, `W`, `#` and seconds are not accepted.
//
// A window opens at each matching minute and stays open `duration_s`
// seconds; windows may overlap. "0 22 * * *" with 3600: 22:00-23:00 UTC
// daily. "*/15 * * * *" with 300: the first five minutes of every quarter.
//
// Threading: immutable after Parse(); const methods from any thread.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "osprey/base/result.h"

namespace osprey::agent {

class UploadSchedule {
 public:
  static constexpr int64_t kMaxDurationS = 7 * 24 * 3600;

  // InvalidArgument naming the field and the problem, e.g.
  // `hour: 24 is out of range 0-23`, or a duration outside 1..kMaxDurationS.
  static Result<UploadSchedule> Parse(std::string_view cron, int64_t duration_s);

  // True when `epoch_s` lies in [start, start + duration) of some window.
  bool IsOpen(int64_t epoch_s) const;
  // True when a window starts at this minute (`epoch_s` truncated to it).
  bool StartsAt(int64_t epoch_s) const;
  // The first window start at or after `epoch_s`, searching a year ahead;
  // -1 when there is none (e.g. "0 0 31 2 *").
  int64_t NextStart(int64_t epoch_s) const;

  int64_t duration_s() const { return duration_s_; }

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1-31
  std::bitset<13> months_;  // 1-12
  std::bitset<8> weekdays_;  // 0-6 (7 folded into 0)
  bool any_day_ = true;      // day-of-month was "*"
  bool any_weekday_ = true;  // day-of-week was "*"
  int64_t duration_s_ = 0;
};

}  // namespace osprey::agent
