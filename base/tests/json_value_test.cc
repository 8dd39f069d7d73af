#include "osprey/base/json_value.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace osprey {
namespace {

TEST(JsonValue, ParsesEveryType) {
  auto v = ParseJson(R"({"s":"x","i":-5,"d":1.5,"b":true,"n":null,"a":[1,"two"],"m":{"k":2}})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->type(), Value::Type::kMap);
  EXPECT_EQ(*v->Find("s"), Value::String("x"));
  EXPECT_EQ(*v->Find("i"), Value::Int(-5));
  EXPECT_EQ(*v->Find("d"), Value::Double(1.5));
  EXPECT_EQ(*v->Find("b"), Value::Bool(true));
  EXPECT_TRUE(v->Find("n")->is_null());
  EXPECT_EQ(*v->Find("a"), Value::MakeArray({Value::Int(1), Value::String("two")}));
  EXPECT_EQ(*v->Find("m"), Value::MakeMap({{"k", Value::Int(2)}}));
}

TEST(JsonValue, LargeUnsignedBecomesDouble) {
  auto v = ParseJson("18446744073709551615");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, Value::Double(18446744073709551615.0));
  EXPECT_EQ(*ParseJson("9223372036854775807"), Value::Int(9223372036854775807));
}

TEST(JsonValue, KeepsMemberOrderAndDuplicates) {
  auto v = ParseJson(R"({"b":1,"a":2,"b":3})");
  ASSERT_TRUE(v.ok());
  const Value::Map& m = v->as_map();
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].first, "b");
  EXPECT_EQ(m[1].first, "a");
  EXPECT_EQ(*v->Find("b"), Value::Int(1));  // the first one
}

TEST(JsonValue, MalformedIsCorruption) {
  for (std::string_view bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated"}) {
    auto v = ParseJson(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), Status::Code::kCorruption) << bad;
  }
}

TEST(JsonValue, TooDeepIsCorruption) {
  std::string deep(2000, '[');
  deep += std::string(2000, ']');
  EXPECT_FALSE(ParseJson(deep).ok());
}

TEST(JsonValue, ToJsonIsCompactAndOrdered) {
  Value v = Value::MakeMap({{"z", Value::Int(1)},
                            {"a", Value::MakeArray({Value::Bool(false), Value()})},
                            {"s", Value::String("q\"")},
                            {"d", Value::Double(0.5)}});
  EXPECT_EQ(ToJson(v), R"({"z":1,"a":[false,null],"s":"q\"","d":0.5})");
}

TEST(JsonValue, ToJsonWritesBytesAsBase64AndTimestampsAsMs) {
  Value v = Value::MakeMap({{"b", Value::Bytes("hi")}, {"t", Value::TimestampMs(1700000000123)}});
  EXPECT_EQ(ToJson(v), R"({"b":"aGk=","t":1700000000123})");
}

TEST(JsonValue, RoundTrip) {
  const std::string text = R"({"name":"s","n":[1,2.25,{"x":null}],"ok":true})";
  auto v = ParseJson(text);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(ToJson(*v), text);
}

TEST(JsonValue, ParsesFromManyThreads) {
  // Each thread has its own parser; results must not mix.
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &bad] {
      for (int i = 0; i < 500; ++i) {
        std::string text = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        auto v = ParseJson(text);
        if (!v.ok() || *v->Find("t") != Value::Int(t) || *v->Find("i") != Value::Int(i)) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace osprey
