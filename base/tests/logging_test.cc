#include "osprey/base/logging.h"

#include <string>

#include <gtest/gtest.h>

namespace osprey::log {
namespace {

std::string g_captured;
void Capture(std::string_view line) { g_captured.append(line); }

TEST(LoggingTest, FormatsLogfmtWithQuotingOnlyWhereNeeded) {
  std::string line = Format(Level::kWarn, "http", "slow client",
                            {{"addr", "127.0.0.1:5"}, {"bytes", int64_t{42}}, {"note", "a b=c"}});
  EXPECT_EQ(line.rfind("ts=", 0), 0u);
  EXPECT_NE(line.find(" level=warn module=http msg=\"slow client\" addr=127.0.0.1:5 bytes=42 "
                      "note=\"a b=c\"\n"),
            std::string::npos)
      << line;
}

TEST(LoggingTest, EscapesControlCharactersAndQuotes) {
  std::string line = Format(Level::kInfo, "", "x", {{"v", "line1\n\"q\"\x01"}});
  EXPECT_NE(line.find("v=\"line1\\n\\\"q\\\"\\x01\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // exactly one newline: the terminator
}

TEST(LoggingTest, LevelFilterDropsLowerLevels) {
  SetSinkForTesting(&Capture);
  g_captured.clear();
  SetLevel(Level::kWarn);
  Info("m", "hidden");
  Warn("m", "shown");
  SetLevel(Level::kInfo);
  SetSinkForTesting(nullptr);
  EXPECT_EQ(g_captured.find("hidden"), std::string::npos);
  EXPECT_NE(g_captured.find("msg=shown"), std::string::npos);
}

TEST(LoggingTest, ParseLevel) {
  Level l;
  EXPECT_TRUE(ParseLevel("debug", &l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_TRUE(ParseLevel("warning", &l));
  EXPECT_EQ(l, Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud", &l));
}

}  // namespace
}  // namespace osprey::log
