#include "osprey/agent/upload_schedule.h"

#include <charconv>
#include <ctime>
#include <vector>

namespace osprey::agent {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
};
constexpr FieldSpec kSpecs[5] = {
    {"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 7}};

Result<int> Number(std::string_view text, const FieldSpec& spec) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(spec.name) + ": \"" + std::string(text) +
                                   "\" is not a number");
  }
  if (v < spec.min || v > spec.max) {
    return Status::InvalidArgument(std::string(spec.name) + ": " + std::to_string(v) +
                                   " is out of range " + std::to_string(spec.min) + "-" +
                                   std::to_string(spec.max));
  }
  return v;
}

// One field into `bits` (index = value). `star` is set when it is "*".
Status ParseField(std::string_view text, const FieldSpec& spec, std::vector<bool>* bits, bool* star) {
  bits->assign(spec.max + 1, false);
  *star = text == "*";
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (item.empty()) return Status::InvalidArgument(std::string(spec.name) + ": empty list item");
    int step = 1;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      OSPREY_ASSIGN_OR_RETURN(step, Number(item.substr(slash + 1), {spec.name, 1, spec.max + 1}));
      item = item.substr(0, slash);
    }
    int lo = spec.min, hi = spec.max;
    if (item != "*") {
      size_t dash = item.find('-');
      OSPREY_ASSIGN_OR_RETURN(lo, Number(item.substr(0, dash), spec));
      if (dash != std::string_view::npos) {
        OSPREY_ASSIGN_OR_RETURN(hi, Number(item.substr(dash + 1), spec));
        if (hi < lo) {
          return Status::InvalidArgument(std::string(spec.name) + ": range " + std::string(item) +
                                         " goes backwards");
        }
      } else if (step == 1) {
        hi = lo;  // "5"; "5/10" runs to the maximum, as in cron
      }
    }
    for (int v = lo; v <= hi; v += step) (*bits)[v] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

}  // namespace

Result<UploadSchedule> UploadSchedule::Parse(std::string_view cron, int64_t duration_s) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < cron.size()) {
    while (i < cron.size() && (cron[i] == ' ' || cron[i] == '\t')) ++i;
    size_t j = i;
    while (j < cron.size() && cron[j] != ' ' && cron[j] != '\t') ++j;
    if (j > i) fields.push_back(cron.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument("must have 5 fields (minute hour day-of-month month "
                                   "day-of-week), got " + std::to_string(fields.size()));
  }
  if (duration_s < 1 || duration_s > kMaxDurationS) {
    return Status::InvalidArgument("duration must be between 1 and " +
                                   std::to_string(kMaxDurationS) + " s, got " +
                                   std::to_string(duration_s));
  }
  UploadSchedule s;
  s.duration_s_ = duration_s;
  std::vector<bool> bits;
  bool star = false;
  OSPREY_RETURN_IF_ERROR(ParseField(fields[0], kSpecs[0], &bits, &star));
  for (int v = 0; v < 60; ++v) s.minutes_[v] = bits[v];
  OSPREY_RETURN_IF_ERROR(ParseField(fields[1], kSpecs[1], &bits, &star));
  for (int v = 0; v < 24; ++v) s.hours_[v] = bits[v];
  OSPREY_RETURN_IF_ERROR(ParseField(fields[2], kSpecs[2], &bits, &s.any_day_));
  for (int v = 1; v <= 31; ++v) s.days_[v] = bits[v];
  OSPREY_RETURN_IF_ERROR(ParseField(fields[3], kSpecs[3], &bits, &star));
  for (int v = 1; v <= 12; ++v) s.months_[v] = bits[v];
  OSPREY_RETURN_IF_ERROR(ParseField(fields[4], kSpecs[4], &bits, &s.any_weekday_));
  for (int v = 0; v <= 7; ++v) {
    if (bits[v]) s.weekdays_[v % 7] = true;
  }
  return s;
}

bool UploadSchedule::StartsAt(int64_t epoch_s) const {
  const time_t t = static_cast<time_t>(epoch_s);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return false;
  if (!minutes_[tm.tm_min] || !hours_[tm.tm_hour] || !months_[tm.tm_mon + 1]) return false;
  const bool day = days_[tm.tm_mday];
  const bool weekday = weekdays_[tm.tm_wday];
  // cron: with both day fields restricted, either may match.
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return weekday;
  if (any_weekday_) return day;
  return day || weekday;
}

bool UploadSchedule::IsOpen(int64_t epoch_s) const {
  // Window starts lie on minute boundaries in (epoch_s - duration, epoch_s].
  const int64_t first = epoch_s - duration_s_ + 1;
  for (int64_t m = epoch_s - (((epoch_s % 60) + 60) % 60); m >= first; m -= 60) {
    if (StartsAt(m)) return true;
  }
  return false;
}

int64_t UploadSchedule::NextStart(int64_t epoch_s) const {
  int64_t m = epoch_s + ((60 - ((epoch_s % 60) + 60) % 60) % 60);
  for (int64_t end = m + 366LL * 24 * 3600; m <= end; m += 60) {
    if (StartsAt(m)) return m;
  }
  return -1;
}

}  // namespace osprey::agent
