// Schedule: the parser and evaluator of the arming windows (grammar in
// rules.h).
#include <array>
#include <cctype>
#include <string>

#include "osprey/ml_hooks/rules.h"

namespace osprey::ml_hooks {
namespace {

constexpr int64_t kMsPerMinute = 60'000;
constexpr int64_t kMinutesPerDay = 24 * 60;
constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status Bad(std::string_view part, std::string_view why) {
  return Status::InvalidArgument("schedule: \"" + std::string(part) + "\": " + std::string(why));
}

Result<int> Day(std::string_view s) {
  for (size_t i = 0; i < kDays.size(); ++i) {
    if (s == kDays[i]) return static_cast<int>(i);
  }
  return Bad(s, "not a day (mon..sun)");
}

Result<uint8_t> Days(std::string_view text) {
  if (text == "daily") return static_cast<uint8_t>(0x7f);
  uint8_t days = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t dash = item.find('-');
    OSPREY_ASSIGN_OR_RETURN(int first, Day(item.substr(0, dash)));
    int last = first;
    if (dash != std::string_view::npos) {
      OSPREY_ASSIGN_OR_RETURN(last, Day(item.substr(dash + 1)));
    }
    // Ranges wrap around the week: "fri-mon" is fri, sat, sun, mon.
    for (int d = first;; d = (d + 1) % 7) {
      days = static_cast<uint8_t>(days | (1u << d));
      if (d == last) break;
    }
  }
  return days;
}

// "HH:MM" -> minute of the day; 24:00 (1440) only when `end`.
Result<int> Minute(std::string_view s, bool end) {
  if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[3])) ||
      !std::isdigit(static_cast<unsigned char>(s[4]))) {
    return Bad(s, "not a time (HH:MM)");
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) {
    return Bad(s, end ? "not a time of day (00:00..24:00)" : "not a time of day (00:00..23:59)");
  }
  return h * 60 + m;
}

// Floor division, so times before 1970 still land on the right day.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view text, int utc_offset_minutes) {
  if (utc_offset_minutes < -840 || utc_offset_minutes > 840) {
    return Status::InvalidArgument("schedule: UTC offset must be within -840..840 minutes");
  }
  Schedule schedule;
  schedule.offset_min_ = utc_offset_minutes;
  const std::string lower = Lower(text);
  std::string_view rest = lower;
  while (!Trim(rest).empty()) {
    const size_t semi = rest.find(';');
    const std::string_view window = Trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    if (window.empty()) continue;  // tolerate "a; b;"
    const size_t space = window.rfind(' ');
    if (space == std::string_view::npos) return Bad(window, "expected \"<days> HH:MM-HH:MM\"");
    const std::string_view times = window.substr(space + 1);
    const size_t dash = times.find('-');
    if (dash == std::string_view::npos) return Bad(times, "expected HH:MM-HH:MM");
    Window w;
    OSPREY_ASSIGN_OR_RETURN(w.days, Days(Trim(window.substr(0, space))));
    OSPREY_ASSIGN_OR_RETURN(w.start_min, Minute(times.substr(0, dash), false));
    OSPREY_ASSIGN_OR_RETURN(w.end_min, Minute(times.substr(dash + 1), true));
    if (w.start_min == w.end_min) return Bad(times, "start equals end");
    schedule.windows_.push_back(w);
  }
  return schedule;
}

bool Schedule::Contains(int64_t epoch_ms) const {
  const int64_t local_min = FloorDiv(epoch_ms, kMsPerMinute) + offset_min_;
  const int64_t day = FloorDiv(local_min, kMinutesPerDay);
  const int minute = static_cast<int>(local_min - day * kMinutesPerDay);
  // 1970-01-01 was a Thursday (index 3 with Monday = 0).
  const int weekday = static_cast<int>(((day + 3) % 7 + 7) % 7);
  const int yesterday = (weekday + 6) % 7;
  for (const Window& w : windows_) {
    const bool today = (w.days >> weekday) & 1;
    if (w.start_min < w.end_min) {
      if (today && minute >= w.start_min && minute < w.end_min) return true;
    } else {
      // Crosses midnight: the evening part belongs to today's window, the
      // morning part to yesterday's.
      if (today && minute >= w.start_min) return true;
      if (((w.days >> yesterday) & 1) && minute < w.end_min) return true;
    }
  }
  return false;
}

}  // namespace osprey::ml_hooks
