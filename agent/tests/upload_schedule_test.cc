// UploadSchedule: cron fields, day-of-month/day-of-week semantics, windows.
#include "osprey/agent/upload_schedule.h"

#include <gtest/gtest.h>

namespace osprey::agent {
namespace {

// 2026-11-29 (a Sunday) 00:00:00 UTC.
constexpr int64_t kSunday = 1795910400;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

UploadSchedule Must(const char* cron, int64_t duration_s) {
  auto s = UploadSchedule::Parse(cron, duration_s);
  EXPECT_TRUE(s.ok()) << cron << ": " << s.status().ToString();
  return s.ok() ? *s : *UploadSchedule::Parse("* * * * *", 1);
}

std::string ErrorOf(const char* cron, int64_t duration_s = 60) {
  auto s = UploadSchedule::Parse(cron, duration_s);
  EXPECT_FALSE(s.ok()) << cron;
  return s.ok() ? "" : s.status().message();
}

TEST(UploadSchedule, NightlyWindow) {
  UploadSchedule s = Must("0 22 * * *", 3600);
  EXPECT_FALSE(s.IsOpen(kSunday + 22 * kHour - 1));
  EXPECT_TRUE(s.IsOpen(kSunday + 22 * kHour));
  EXPECT_TRUE(s.IsOpen(kSunday + 23 * kHour - 1));
  EXPECT_FALSE(s.IsOpen(kSunday + 23 * kHour));
  EXPECT_TRUE(s.IsOpen(kSunday + kDay + 22 * kHour + 1800));
  EXPECT_EQ(s.NextStart(kSunday), kSunday + 22 * kHour);
  EXPECT_EQ(s.NextStart(kSunday + 22 * kHour), kSunday + 22 * kHour);
  EXPECT_EQ(s.NextStart(kSunday + 22 * kHour + 1), kSunday + kDay + 22 * kHour);
}

TEST(UploadSchedule, WindowAcrossMidnightAndSeconds) {
  UploadSchedule s = Must("30 23 * * *", 90 * 60);
  EXPECT_TRUE(s.IsOpen(kSunday + kDay - 1));
  EXPECT_TRUE(s.IsOpen(kSunday + kDay + 3599));
  EXPECT_FALSE(s.IsOpen(kSunday + kDay + 3600));
  UploadSchedule short_one = Must("0 * * * *", 30);
  EXPECT_TRUE(short_one.IsOpen(kSunday + 29));
  EXPECT_FALSE(short_one.IsOpen(kSunday + 30));
}

TEST(UploadSchedule, ListsRangesSteps) {
  UploadSchedule s = Must("*/15 8-10,20 * * *", 60);
  for (int h = 0; h < 24; ++h) {
    for (int m = 0; m < 60; ++m) {
      bool expected = (m % 15 == 0) && ((h >= 8 && h <= 10) || h == 20);
      EXPECT_EQ(s.StartsAt(kSunday + h * kHour + m * 60), expected) << h << ":" << m;
    }
  }
  UploadSchedule from5 = Must("5/20 0 * * *", 60);  // 5, 25, 45
  EXPECT_TRUE(from5.StartsAt(kSunday + 5 * 60));
  EXPECT_TRUE(from5.StartsAt(kSunday + 45 * 60));
  EXPECT_FALSE(from5.StartsAt(kSunday + 15 * 60));
  UploadSchedule stepped = Must("0 0-23/6 * * *", 60);
  EXPECT_TRUE(stepped.StartsAt(kSunday + 18 * kHour));
  EXPECT_FALSE(stepped.StartsAt(kSunday + 19 * kHour));
}

TEST(UploadSchedule, DayFieldsAsCron) {
  // Weekdays only: Monday to Friday.
  UploadSchedule weekdays = Must("0 12 * * 1-5", 60);
  EXPECT_FALSE(weekdays.StartsAt(kSunday + 12 * kHour));
  EXPECT_TRUE(weekdays.StartsAt(kSunday + kDay + 12 * kHour));
  EXPECT_FALSE(weekdays.StartsAt(kSunday + 6 * kDay + 12 * kHour));  // Saturday
  // 7 is Sunday too.
  EXPECT_TRUE(Must("0 0 * * 7", 60).StartsAt(kSunday));
  // Both restricted: the 1st of the month OR any Sunday.
  UploadSchedule either = Must("0 0 1 * 0", 60);
  EXPECT_TRUE(either.StartsAt(kSunday));               // Sunday the 29th
  EXPECT_TRUE(either.StartsAt(kSunday + 2 * kDay));    // Tuesday 1 December
  EXPECT_FALSE(either.StartsAt(kSunday + 3 * kDay));   // Wednesday the 2nd
  // Month: only in December.
  UploadSchedule december = Must("0 0 * 12 *", 60);
  EXPECT_FALSE(december.StartsAt(kSunday));
  EXPECT_TRUE(december.StartsAt(kSunday + 2 * kDay));
  EXPECT_EQ(Must("0 0 31 2 *", 60).NextStart(kSunday), -1);
}

TEST(UploadSchedule, Errors) {
  EXPECT_EQ(ErrorOf("0 22 * *"), "must have 5 fields (minute hour day-of-month month day-of-week), got 4");
  EXPECT_EQ(ErrorOf("0 24 * * *"), "hour: 24 is out of range 0-23");
  EXPECT_EQ(ErrorOf("60 * * * *"), "minute: 60 is out of range 0-59");
  EXPECT_EQ(ErrorOf("* * 0 * *"), "day-of-month: 0 is out of range 1-31");
  EXPECT_EQ(ErrorOf("* * * 13 *"), "month: 13 is out of range 1-12");
  EXPECT_EQ(ErrorOf("* * * * 8"), "day-of-week: 8 is out of range 0-7");
  EXPECT_EQ(ErrorOf("* * * JAN *"), "month: \"JAN\" is not a number");
  EXPECT_EQ(ErrorOf("*/0 * * * *"), "minute: 0 is out of range 1-60");
  EXPECT_EQ(ErrorOf("10-5 * * * *"), "minute: range 10-5 goes backwards");
  EXPECT_EQ(ErrorOf("1,,2 * * * *"), "minute: empty list item");
  EXPECT_EQ(ErrorOf("? * * * *"), "minute: \"?\" is not a number");
  EXPECT_EQ(ErrorOf("* * * * *", 0), "duration must be between 1 and 604800 s, got 0");
  EXPECT_EQ(ErrorOf("* * * * *", UploadSchedule::kMaxDurationS + 1),
            "duration must be between 1 and 604800 s, got 604801");
}

TEST(UploadSchedule, LongestWindowStillAnswers) {
  UploadSchedule s = Must("0 0 * * 0", UploadSchedule::kMaxDurationS);  // always open
  for (int64_t t = kSunday; t < kSunday + 8 * kDay; t += 7919) EXPECT_TRUE(s.IsOpen(t)) << t;
}

}  // namespace
}  // namespace osprey::agent
