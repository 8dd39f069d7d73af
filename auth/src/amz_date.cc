#include "amz_date.h"

#include <array>
#include <cstdio>

#include "osprey/auth/sigv4.h"
#include "text.h"

namespace osprey::auth {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;

// Reads `n` decimal digits at `pos`; -1 if any is not a digit.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<system_clock::time_point> MakeTime(int y, int mo, int d, int h, int mi, int s) {
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  // No leap seconds: SigV4 clients never send :60, and sys_time cannot hold it.
  if (!ymd.ok() || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return std::nullopt;
  return system_clock::time_point(sys_days(ymd) + hours(h) + minutes(mi) + seconds(s));
}

}  // namespace

std::string FormatAmzDate(system_clock::time_point t) {
  const auto secs = std::chrono::floor<seconds>(t);
  const auto day = std::chrono::floor<days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

Result<system_clock::time_point> ParseAmzDate(std::string_view text) {
  if (text.size() == 16 && text[8] == 'T' && text[15] == 'Z') {
    const int y = Digits(text, 0, 4), mo = Digits(text, 4, 2), d = Digits(text, 6, 2);
    const int h = Digits(text, 9, 2), mi = Digits(text, 11, 2), s = Digits(text, 13, 2);
    if (y >= 0 && mo >= 0 && d >= 0 && h >= 0 && mi >= 0 && s >= 0) {
      if (auto t = MakeTime(y, mo, d, h, mi, s)) return *t;
    }
  }
  // AWS's own wording for this failure.
  return Status::InvalidArgument("Date must be in ISO-8601 'basic format'. Got '" +
                                 internal::Excerpt(text) +
                                 "'. See http://en.wikipedia.org/wiki/ISO_8601");
}

namespace internal {

bool IsValidYyyymmdd(std::string_view text) {
  if (text.size() != 8) return false;
  const int y = Digits(text, 0, 4), mo = Digits(text, 4, 2), d = Digits(text, 6, 2);
  return y >= 0 && mo >= 0 && d >= 0 && MakeTime(y, mo, d, 0, 0, 0).has_value();
}

std::optional<system_clock::time_point> ParseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  //  0    5  8   12   17 20 23 26
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                             "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() < 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text[25] != ' ') {
    return std::nullopt;
  }
  bool day_ok = false;
  for (auto name : kDays) day_ok |= text.substr(0, 3) == name;
  int month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  const std::string_view zone = text.substr(26);
  if (!day_ok || month == 0 ||
      (zone != "GMT" && zone != "UTC" && zone != "+0000" && zone != "-0000")) {
    return std::nullopt;
  }
  const int d = Digits(text, 5, 2), y = Digits(text, 12, 4);
  const int h = Digits(text, 17, 2), mi = Digits(text, 20, 2), s = Digits(text, 23, 2);
  if (d < 0 || y < 0 || h < 0 || mi < 0 || s < 0) return std::nullopt;
  return MakeTime(y, month, d, h, mi, s);
}

}  // namespace internal
}  // namespace osprey::auth
