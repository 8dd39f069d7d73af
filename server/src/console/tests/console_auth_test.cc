// ConsoleAuth (console_auth.h): the session cookie, sign-out, and the
// per-address slow-down of password guessing, on a clock the test moves.
#include "console/console_auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace osprey::server::console {
namespace {

struct Clock {
  int64_t ms = 1'700'000'000'000;
  std::function<int64_t()> fn() {
    return [this] { return ms; };
  }
};

TEST(ConsoleAuthTest, RightPasswordGivesACookieThatExpires) {
  Clock clock;
  ConsoleAuth auth("correct horse", clock.fn());
  ConsoleAuth::SignIn in = auth.TrySignIn("10.0.0.1", "correct horse");
  ASSERT_TRUE(in.ok);
  EXPECT_TRUE(in.cookie.starts_with("v1." + std::to_string(clock.ms + kSessionMs) + "."));
  EXPECT_TRUE(auth.Valid(in.cookie));
  clock.ms += kSessionMs - 1;
  EXPECT_TRUE(auth.Valid(in.cookie));
  clock.ms += 1;
  EXPECT_FALSE(auth.Valid(in.cookie));
}

TEST(ConsoleAuthTest, TamperedOrForeignCookiesAreRejected) {
  Clock clock;
  ConsoleAuth auth("correct horse", clock.fn());
  ConsoleAuth other("correct horse", clock.fn());  // another process: another key
  std::string cookie = auth.TrySignIn("10.0.0.1", "correct horse").cookie;
  EXPECT_FALSE(other.Valid(cookie));
  std::string flipped = cookie;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(auth.Valid(flipped));
  std::string longer = cookie;
  longer.replace(3, 1, "9");  // first digit of the expiry
  EXPECT_FALSE(auth.Valid(longer));
  EXPECT_FALSE(auth.Valid(""));
  EXPECT_FALSE(auth.Valid("v1.1.2"));
  EXPECT_FALSE(auth.Valid(std::string(300, 'a')));
}

TEST(ConsoleAuthTest, SignOutRevokesOnlyThatSession) {
  Clock clock;
  ConsoleAuth auth("correct horse", clock.fn());
  std::string a = auth.TrySignIn("10.0.0.1", "correct horse").cookie;
  std::string b = auth.TrySignIn("10.0.0.2", "correct horse").cookie;
  auth.Revoke(a);
  EXPECT_FALSE(auth.Valid(a));
  EXPECT_TRUE(auth.Valid(b));
}

TEST(ConsoleAuthTest, GuessingLocksTheAddressOutWithGrowingDelays) {
  Clock clock;
  ConsoleAuth auth("correct horse", clock.fn());
  for (int i = 0; i < kFreeFailures; ++i) {
    ConsoleAuth::SignIn r = auth.TrySignIn("10.0.0.9", "guess");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.retry_after_ms, 0);
  }
  EXPECT_EQ(auth.TrySignIn("10.0.0.9", "guess").retry_after_ms, 0);  // sixth: locks for 2 s
  ConsoleAuth::SignIn locked = auth.TrySignIn("10.0.0.9", "correct horse");
  EXPECT_FALSE(locked.ok);
  EXPECT_EQ(locked.retry_after_ms, 2000);
  // Another address is not affected.
  EXPECT_TRUE(auth.TrySignIn("10.0.0.10", "correct horse").ok);
  clock.ms += 2000;
  EXPECT_FALSE(auth.TrySignIn("10.0.0.9", "guess").ok);  // seventh: 4 s
  EXPECT_EQ(auth.TrySignIn("10.0.0.9", "guess").retry_after_ms, 4000);
  clock.ms += 4000;
  EXPECT_TRUE(auth.TrySignIn("10.0.0.9", "correct horse").ok);  // success clears the count
  EXPECT_FALSE(auth.TrySignIn("10.0.0.9", "guess").ok);
  EXPECT_EQ(auth.TrySignIn("10.0.0.9", "guess").retry_after_ms, 0);
}

TEST(ConsoleAuthTest, LockoutIsCapped) {
  Clock clock;
  ConsoleAuth auth("correct horse", clock.fn());
  for (int i = 0; i < 40; ++i) {
    auth.TrySignIn("10.0.0.9", "guess");
    clock.ms += kMaxLockoutMs;
  }
  auth.TrySignIn("10.0.0.9", "guess");
  EXPECT_EQ(auth.TrySignIn("10.0.0.9", "guess").retry_after_ms, kMaxLockoutMs);
}

TEST(ConsoleAuthTest, CookieHeaderParsing) {
  EXPECT_EQ(ConsoleAuth::FromCookieHeader("a=1; osprey_console=v1.x; b=2"), "v1.x");
  EXPECT_EQ(ConsoleAuth::FromCookieHeader("osprey_console=abc"), "abc");
  EXPECT_EQ(ConsoleAuth::FromCookieHeader("osprey_consolex=abc; c=d"), "");
  EXPECT_EQ(ConsoleAuth::FromCookieHeader(""), "");
}

TEST(ConsoleAuthTest, PasswordFileIsGeneratedPrivateAndReused) {
  std::string dir = ::testing::TempDir() + "/console_auth_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  Result<LoadedPassword> first = LoadOrCreatePassword({"", dir});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->password.size(), 20u);
  struct stat st {};
  ASSERT_EQ(::stat(first->path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<LoadedPassword> second = LoadOrCreatePassword({"", dir});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->password, first->password);
  // A configured password wins and touches no file.
  Result<LoadedPassword> configured = LoadOrCreatePassword({"from the option", dir});
  ASSERT_TRUE(configured.ok());
  EXPECT_EQ(configured->password, "from the option");
  EXPECT_TRUE(configured->path.empty());
  std::ofstream(first->path) << "\n";
  EXPECT_EQ(LoadOrCreatePassword({"", dir}).status().code(), Status::Code::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace osprey::server::console
