#include "osprey/base/json_writer.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace osprey {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

std::string DoubleText(double d) {
  std::string out;
  AppendJsonDouble(&out, d);
  return out;
}

TEST(JsonWriterTest, EmptyContainers) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().BeginObject().EndObject().BeginArray().EndArray().EndArray();
  EXPECT_EQ(out, "[{},[]]");
  EXPECT_TRUE(w.complete());
}

TEST(JsonWriterTest, InsertsCommasAndColons) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("StreamName").String("cam-events");
  w.Key("ShardCount").Int64(2);
  w.Key("Open").Bool(true);
  w.Key("Closed").Bool(false);
  w.Key("Next").Null();
  w.Key("Tags").BeginArray().String("a").String("b").EndArray();
  w.Key("Nested").BeginObject().Key("x").Uint64(1).EndObject();
  w.EndObject();
  EXPECT_EQ(out,
            R"({"StreamName":"cam-events","ShardCount":2,"Open":true,"Closed":false,)"
            R"("Next":null,"Tags":["a","b"],"Nested":{"x":1}})");
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.depth(), 0);
}

TEST(JsonWriterTest, AppendsToExistingText) {
  std::string out = "prefix:";
  JsonWriter w(&out);
  w.BeginArray().Int64(1).EndArray();
  EXPECT_EQ(out, "prefix:[1]");
}

TEST(JsonWriterTest, ArrayOfObjects) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray();
  for (int i = 0; i < 3; ++i) {
    w.BeginObject().Key("i").Int64(i).EndObject();
  }
  w.EndArray();
  EXPECT_EQ(out, R"([{"i":0},{"i":1},{"i":2}])");
}

TEST(JsonWriterTest, DepthAndCompleteTrackStructure) {
  std::string out;
  JsonWriter w(&out);
  EXPECT_FALSE(w.complete());
  w.BeginObject().Key("a").BeginArray();
  EXPECT_EQ(w.depth(), 2);
  EXPECT_FALSE(w.complete());
  w.EndArray().EndObject();
  EXPECT_TRUE(w.complete());
}

TEST(JsonWriterTest, IntegerLimits) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray()
      .Int64(std::numeric_limits<int64_t>::min())
      .Int64(std::numeric_limits<int64_t>::max())
      .Int64(0)
      .Int64(-1)
      .Uint64(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807,0,-1,18446744073709551615]");
}

TEST(JsonWriterTest, DoubleIsShortestRoundTrip) {
  EXPECT_EQ(DoubleText(1700000000.123), "1700000000.123");  // AWS timestamp
  EXPECT_EQ(DoubleText(1700000000.0), "1700000000");
  EXPECT_EQ(DoubleText(0.1), "0.1");
  EXPECT_EQ(DoubleText(1.0), "1");
  EXPECT_EQ(DoubleText(-2.5), "-2.5");
  EXPECT_EQ(DoubleText(0.0), "0");
  EXPECT_EQ(DoubleText(-0.0), "-0");
  EXPECT_EQ(DoubleText(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(DoubleText(1e21), "1e+21");
  EXPECT_EQ(DoubleText(0.000001), "0.000001");
  EXPECT_EQ(DoubleText(0.00000123), "0.00000123");
  EXPECT_EQ(DoubleText(1e-7), "1e-7");
  EXPECT_EQ(DoubleText(-1.5e-10), "-1.5e-10");
  EXPECT_EQ(DoubleText(5e-324), "5e-324");
  EXPECT_EQ(DoubleText(1.7976931348623157e308), "1.7976931348623157e+308");
}

TEST(JsonWriterTest, DoubleReadsBackExactly) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (i % 2 == 0) d = static_cast<double>(bits % 4000000000000ULL) / 1000.0;  // timestamps
    const std::string text = DoubleText(d);
    if (text == "null") continue;
    ASSERT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  }
}

TEST(JsonWriterTest, NonFiniteDoubleIsNull) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray()
      .Double(std::numeric_limits<double>::quiet_NaN())
      .Double(std::numeric_limits<double>::infinity())
      .Double(-std::numeric_limits<double>::infinity())
      .Double(1.5)
      .EndArray();
  EXPECT_EQ(out, "[null,null,null,1.5]");
}

TEST(JsonWriterTest, RawIsAppendedVerbatimWithCommas) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").Raw(R"({"b":[1,2]})").Key("c").Raw("3").EndObject();
  EXPECT_EQ(out, R"({"a":{"b":[1,2]},"c":3})");
}

TEST(JsonWriterTest, KeysAreEscaped) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a\"b").Int64(1).EndObject();
  EXPECT_EQ(out, R"({"a\"b":1})");
}

TEST(JsonWriterDeathTest, MisuseAssertsInDebugBuilds) {
  std::string out;
  EXPECT_DEBUG_DEATH(
      {
        JsonWriter w(&out);
        w.BeginObject().Int64(1);  // value without a key
      },
      "");
  EXPECT_DEBUG_DEATH(
      {
        JsonWriter w(&out);
        w.BeginArray().EndObject();
      },
      "");
}

TEST(JsonEscapeTest, QuoteAndBackslash) {
  EXPECT_EQ(Quoted(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(JsonEscape(R"(a"b\c)"), R"(a\"b\\c)");
}

TEST(JsonEscapeTest, ShortFormControlCharacters) {
  EXPECT_EQ(JsonEscape("\b\f\n\r\t"), R"(\b\f\n\r\t)");
}

TEST(JsonEscapeTest, OtherControlCharactersAsUnicodeEscapes) {
  EXPECT_EQ(JsonEscape(std::string_view("\x00\x01\x1f", 3)), R"(\u0000\u0001\u001f)");
  EXPECT_EQ(JsonEscape("a\x0b" "b"), R"(a\u000bb)");
}

TEST(JsonEscapeTest, PlainTextAndSpecialsAreKept) {
  EXPECT_EQ(JsonEscape(""), "");
  EXPECT_EQ(JsonEscape("a/b\x7f"), "a/b\x7f");  // '/' and DEL need no escape
  // Long enough to go through the 8-byte fast path, with specials at the
  // start, in the middle of a word and at the very end.
  const std::string base64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIzNDU2Nzg5MA==";
  EXPECT_EQ(JsonEscape(base64), base64);
  EXPECT_EQ(JsonEscape("\"" + base64 + "\n" + base64 + "\\"),
            "\\\"" + base64 + "\\n" + base64 + "\\\\");
}

TEST(JsonEscapeTest, ValidUtf8IsCopied) {
  const std::string text =
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xA6 \xE2\x80\xA8 \xEF\xBF\xBF \xF4\x8F\xBF\xBF";
  EXPECT_EQ(JsonEscape(text), text);
}

TEST(JsonEscapeTest, InvalidUtf8IsReplaced) {
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(JsonEscape("a\x80z"), "a" + r + "z");            // stray continuation
  EXPECT_EQ(JsonEscape("\xC0\xAF"), r + r);                  // overlong '/'
  EXPECT_EQ(JsonEscape("\xC3"), r);                          // truncated at end
  EXPECT_EQ(JsonEscape("\xE2\x82z"), r + "z");               // truncated 3-byte
  EXPECT_EQ(JsonEscape("\xED\xA0\x80"), r + r + r);          // surrogate U+D800
  EXPECT_EQ(JsonEscape("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(JsonEscape("\xF0\x9F\x90"), r);                  // truncated 4-byte
  EXPECT_EQ(JsonEscape("\xFF\xFE"), r + r);
  EXPECT_EQ(JsonEscape("\xF0\x9F\x90\"x"), r + "\\\"x");     // then an escape
}

TEST(JsonEscapeTest, WriterStringIsEscaped) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("PartitionKey").String("k\x01\xFF\"").EndObject();
  EXPECT_EQ(out, "{\"PartitionKey\":\"k\\u0001\xEF\xBF\xBD\\\"\"}");
}

}  // namespace
}  // namespace osprey
