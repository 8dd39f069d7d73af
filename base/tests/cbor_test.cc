#include "osprey/base/cbor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace osprey {
namespace {

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

Value Decode(std::string_view hex) {
  auto v = DecodeCbor(Hex(hex));
  EXPECT_TRUE(v.ok()) << hex << ": " << v.status().ToString();
  return v.ok() ? *v : Value();
}

// Examples from RFC 8949 appendix A.
TEST(Cbor, RfcIntegers) {
  EXPECT_EQ(Decode("00"), Value::Int(0));
  EXPECT_EQ(Decode("17"), Value::Int(23));
  EXPECT_EQ(Decode("1818"), Value::Int(24));
  EXPECT_EQ(Decode("1903e8"), Value::Int(1000));
  EXPECT_EQ(Decode("1a000f4240"), Value::Int(1000000));
  EXPECT_EQ(Decode("1b000000e8d4a51000"), Value::Int(1000000000000));
  EXPECT_EQ(Decode("20"), Value::Int(-1));
  EXPECT_EQ(Decode("3903e7"), Value::Int(-1000));
  // 2^64-1 does not fit int64: it becomes a double.
  EXPECT_EQ(Decode("1bffffffffffffffff"), Value::Double(18446744073709551615.0));
}

TEST(Cbor, RfcFloats) {
  EXPECT_EQ(Decode("f93c00"), Value::Double(1.0));
  EXPECT_EQ(Decode("f93e00"), Value::Double(1.5));
  EXPECT_EQ(Decode("f97bff"), Value::Double(65504.0));
  EXPECT_EQ(Decode("f90001"), Value::Double(5.960464477539063e-8));
  EXPECT_EQ(Decode("fa47c35000"), Value::Double(100000.0));
  EXPECT_EQ(Decode("fb3ff199999999999a"), Value::Double(1.1));
  EXPECT_EQ(Decode("f9c400"), Value::Double(-4.0));
  EXPECT_TRUE(std::isinf(Decode("f97c00").as_double()));
}

TEST(Cbor, RfcSimpleStringsAndContainers) {
  EXPECT_EQ(Decode("f4"), Value::Bool(false));
  EXPECT_EQ(Decode("f5"), Value::Bool(true));
  EXPECT_EQ(Decode("f6"), Value());
  EXPECT_EQ(Decode("f7"), Value());
  EXPECT_EQ(Decode("4401020304"), Value::Bytes("\x01\x02\x03\x04"));
  EXPECT_EQ(Decode("6449455446"), Value::String("IETF"));
  EXPECT_EQ(Decode("62c3bc"), Value::String("\xc3\xbc"));
  EXPECT_EQ(Decode("5f42010243030405ff"), Value::Bytes("\x01\x02\x03\x04\x05"));
  EXPECT_EQ(Decode("7f657374726561646d696e67ff"), Value::String("streaming"));
  Value nested = Decode("8301820203820405");
  ASSERT_EQ(nested.type(), Value::Type::kArray);
  ASSERT_EQ(nested.as_array().size(), 3u);
  EXPECT_EQ(nested.as_array()[2].as_array()[1], Value::Int(5));
  EXPECT_EQ(Decode("9f018202039f0405ffff"), Decode("8301820203820405"));
  Value map = Decode("bf61610161629f0203ffff");
  ASSERT_NE(map.Find("b"), nullptr);
  EXPECT_EQ(map.Find("a")->as_int(), 1);
  EXPECT_EQ(map.Find("b")->as_array().size(), 2u);
  EXPECT_EQ(map.Find("c"), nullptr);
}

TEST(Cbor, AwsTimestampsAreMilliseconds) {
  // tag 1 + 1700000000123 (what the Java SDK sends for a Timestamp member).
  Value t = Decode("c11b0000018bcfe5687b");
  ASSERT_EQ(t.type(), Value::Type::kTimestamp);
  EXPECT_EQ(t.as_int(), 1700000000123);
  // Other tags keep their content (e.g. tag 0, a date string).
  EXPECT_EQ(Decode("c074323031332d30332d32315432303a30343a30305a"),
            Value::String("2013-03-21T20:04:00Z"));
}

TEST(Cbor, RoundTripThroughWriter) {
  std::string out;
  CborWriter w(&out);
  w.BeginObject();
  w.Key("StreamName").String("events");
  w.Key("Data").Bytes(std::string("\x00\xff\x10", 3));
  w.Key("Count").Int64(-70000);
  w.Key("Big").UInt64(5000000000);
  w.Key("Ratio").Double(0.25);
  w.Key("Ok").Bool(true);
  w.Key("Nothing").Null();
  w.Key("At").TimestampMs(1700000000123);
  w.Key("List").BeginArray().Int64(1).String("x").EndArray();
  w.EndObject();
  auto v = DecodeCbor(out);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->Find("StreamName")->as_string(), "events");
  EXPECT_EQ(v->Find("Data")->type(), Value::Type::kBytes);
  EXPECT_EQ(v->Find("Data")->as_string(), std::string("\x00\xff\x10", 3));
  EXPECT_EQ(v->Find("Count")->as_int(), -70000);
  EXPECT_EQ(v->Find("Big")->as_int(), 5000000000);
  EXPECT_EQ(v->Find("Ratio")->as_double(), 0.25);
  EXPECT_TRUE(v->Find("Ok")->as_bool());
  EXPECT_TRUE(v->Find("Nothing")->is_null());
  EXPECT_EQ(*v->Find("At"), Value::TimestampMs(1700000000123));
  EXPECT_EQ(v->Find("List")->as_array()[1].as_string(), "x");
  // Re-encoding the tree gives bytes that decode to the same tree.
  std::string again;
  CborWriter w2(&again);
  EncodeCbor(*v, &w2);
  auto v2 = DecodeCbor(again);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v, *v2);
}

TEST(Cbor, IntegerEncodingWidthsAreMinimal) {
  auto enc = [](int64_t v) {
    std::string out;
    CborWriter(&out).Int64(v);
    return out;
  };
  EXPECT_EQ(enc(23), Hex("17"));
  EXPECT_EQ(enc(24), Hex("1818"));
  EXPECT_EQ(enc(1000), Hex("1903e8"));
  EXPECT_EQ(enc(-1000), Hex("3903e7"));
  EXPECT_EQ(enc(INT64_MIN), Hex("3b7fffffffffffffff"));
}

TEST(Cbor, RejectsMalformedInput) {
  const char* bad[] = {
      "",                    // nothing
      "18",                  // truncated argument
      "1c",                  // reserved additional info
      "62c3",                // text shorter than declared
      "83 01 02",            // array shorter than declared (spaces stripped below)
      "a1 01 02",            // map key not text
      "ff",                  // break at top level
      "5f 61 61 ff",         // text chunk inside a byte string
      "7f 7f ff ff",         // nested indefinite chunk
      "9f 01",               // unterminated indefinite array
      "01 02",               // trailing bytes
      "9b 00 00 00 ff ff ff ff ff",  // absurd array length
      "c1 61 61",            // timestamp tag on text
      "1f",                  // indefinite integer
  };
  for (const char* text : bad) {
    std::string hex;
    for (const char* p = text; *p; ++p) {
      if (*p != ' ') hex.push_back(*p);
    }
    auto v = DecodeCbor(Hex(hex));
    EXPECT_FALSE(v.ok()) << text;
    if (!v.ok()) {
      EXPECT_EQ(v.status().code(), Status::Code::kCorruption) << text;
    }
  }
}

TEST(Cbor, DepthIsBounded) {
  std::string deep(kMaxCborDepth + 1, '\x81');
  deep.push_back('\x00');
  EXPECT_FALSE(DecodeCbor(deep).ok());
  std::string ok(kMaxCborDepth, '\x81');
  ok.push_back('\x00');
  EXPECT_TRUE(DecodeCbor(ok).ok());
}

}  // namespace
}  // namespace osprey
