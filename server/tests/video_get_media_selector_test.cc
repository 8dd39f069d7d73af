// StartSelector parsing and resolution against a FragmentLog (get_media.h).
#include <gtest/gtest.h>

#include "memory_fragment_log.h"
#include "osprey/fragments/fragment_number.h"
#include "video/get_media.h"

namespace osprey::server::video {
namespace {

using fragments::testing::MemoryFragmentLog;

constexpr int64_t kCreation = 1'600'000'000'000;

Result<StartSelector> Parse(const std::string& selector_json) {
  auto body = JsonRequest::Parse(R"({"StreamName":"cam","StartSelector":)" + selector_json + "}");
  EXPECT_TRUE(body.ok());
  return ParseStartSelector(body.value());
}

class SelectorTest : public ::testing::Test {
 protected:
  // Fragments 1..4 (MemoryFragmentLog indices): server 1000, 2000, 3000,
  // 4000 (200 ms each); producer time 50 s later, to tell the kinds apart.
  void SetUp() override {
    for (int i = 1; i <= 4; ++i) {
      fragments::FragmentInput in;
      in.meta.index = log_.ReserveIndex();
      in.meta.server_timestamp_ms = i * 1000;
      in.meta.producer_timestamp_ms = 50'000 + i * 1000;
      in.meta.duration_ms = 200;
      in.cluster = "x";
      log_.AppendAsync(std::move(in), [](Status s) { ASSERT_TRUE(s.ok()); });
    }
  }
  Result<uint64_t> Resolve(const std::string& selector_json) {
    auto s = Parse(selector_json);
    if (!s.ok()) return s.status();
    return ResolveStartSelector(s.value(), log_, kCreation);
  }
  std::string Number(uint64_t index) { return fragments::FormatFragmentNumber(kCreation, index); }

  MemoryFragmentLog log_;
};

TEST_F(SelectorTest, NowAndEarliest) {
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"NOW"})").value(), 4u);
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"EARLIEST"})").value(), 0u);
  MemoryFragmentLog empty;
  EXPECT_EQ(ResolveStartSelector(Parse(R"({"StartSelectorType":"NOW"})").value(), empty, kCreation).value(), 0u);
}

TEST_F(SelectorTest, FragmentNumberAndTokenStartAfterTheFragment) {
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" + Number(2) + "\"}").value(), 2u);
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":")" + Number(4) + "\"}").value(), 4u);
  // Unknown index, or another stream's number: not found.
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" + Number(9) + "\"}").status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" +
                    fragments::FormatFragmentNumber(kCreation + 1, 2) + "\"}").status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"42"})").status().code(),
            Status::Code::kNotFound);
  // A token that is not ours is an invalid argument.
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"abc"})").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":")" +
                    fragments::FormatFragmentNumber(kCreation + 1, 2) + "\"}").status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(SelectorTest, NumberOlderThanEveryRetainedFragmentStartsAtTheOldest) {
  MemoryFragmentLog log;
  for (int i = 0; i < 3; ++i) log.ReserveIndex();  // indices 1-3 "removed by retention"
  fragments::FragmentInput in;
  in.meta.index = log.ReserveIndex();
  in.cluster = "x";
  log.AppendAsync(std::move(in), [](Status) {});
  auto s = Parse(R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" + Number(2) + "\"}");
  EXPECT_EQ(ResolveStartSelector(s.value(), log, kCreation).value(), 2u);
}

TEST_F(SelectorTest, TimestampsFindTheContainingFragment) {
  // After(result) is the first chunk sent.
  auto first = [&](const std::string& json) {
    auto r = Resolve(json);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    auto next = log_.After(r.value());
    return next ? next->index : 0;
  };
  EXPECT_EQ(first(R"({"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":2.1})"), 2u);
  EXPECT_EQ(first(R"({"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":2.5})"), 3u);
  EXPECT_EQ(first(R"({"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":0})"), 1u);
  EXPECT_EQ(first(R"({"StartSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":53.1})"), 3u);
  EXPECT_EQ(first(R"({"StartSelectorType":"PRODUCER_TIMESTAMP","StartTimestamp":3.1})"), 1u);
  // Past the newest fragment: the live head.
  EXPECT_EQ(Resolve(R"({"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":99})").value(), 4u);
}

TEST(StartSelectorParse, ValidationErrors) {
  struct Case {
    std::string json;
    std::string message_part;
  };
  for (const Case& k : std::vector<Case>{
           {R"({})", "startSelector.startSelectorType"},
           {R"({"StartSelectorType":"now"})", "Member must satisfy enum value set"},
           {R"({"StartSelectorType":7})", "startSelectorType"},
           {R"({"StartSelectorType":"FRAGMENT_NUMBER"})", "startSelector.afterFragmentNumber"},
           {R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":""})", "greater than or equal to 1"},
           {R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":"1.5"})", "^[0-9]+$"},
           {R"({"StartSelectorType":"FRAGMENT_NUMBER","AfterFragmentNumber":")" + std::string(129, '1') + "\"}",
            "less than or equal to 128"},
           {R"({"StartSelectorType":"CONTINUATION_TOKEN","ContinuationToken":"a/b"})", "pattern"},
           {R"({"StartSelectorType":"PRODUCER_TIMESTAMP"})", "startSelector.startTimestamp"},
           {R"({"StartSelectorType":"SERVER_TIMESTAMP","StartTimestamp":"yesterday"})", "timestamp"},
       }) {
    auto r = Parse(k.json);
    ASSERT_FALSE(r.ok()) << k.json;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << k.json;
    EXPECT_NE(r.status().message().find(k.message_part), std::string::npos)
        << k.json << " -> " << r.status().message();
  }
  auto body = JsonRequest::Parse(R"({"StreamName":"cam"})");
  EXPECT_NE(ParseStartSelector(body.value()).status().message().find("startSelector"), std::string::npos);
  // Fields of other types are ignored.
  auto ok = Parse(R"({"StartSelectorType":"NOW","AfterFragmentNumber":"x"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value().type, StartSelector::Type::kNow);
}

}  // namespace
}  // namespace osprey::server::video
