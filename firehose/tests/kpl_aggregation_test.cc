// KPL de-aggregation (kpl_aggregation.h): aggregates built here byte by
// byte from the format's definition (not with AggregateKpl), and every way
// an envelope can be invalid, which must pass the record through.
#include "kpl_aggregation.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace osprey::firehose {
namespace {

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Field(int field, const std::string& bytes) {
  return Varint(uint64_t(field) << 3 | 2) + Varint(bytes.size()) + bytes;
}
std::string Record(uint64_t pk, const std::string& data, int ehk = -1) {
  std::string r = Varint(1 << 3) + Varint(pk);
  if (ehk >= 0) r += Varint(2 << 3) + Varint(uint64_t(ehk));
  return r + Field(3, data);
}
std::string Md5(const std::string& s) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(d), n);
}
std::string Envelope(const std::string& proto) {
  return std::string("\xF3\x89\x9A\xC2", 4) + proto + Md5(proto);
}

const std::string kProto = Field(1, "pk-a") + Field(1, "pk-b") + Field(2, "170141183460469") +
                           Field(3, Record(0, "{\"a\":1}")) +
                           Field(3, Record(1, std::string("bin\0ary", 7), 0)) +
                           Field(3, Record(0, ""));

TEST(KplAggregation, UserRecordsInOrderWithTheirKeys) {
  auto records = DeaggregateKpl(Envelope(kProto));
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].partition_key, "pk-a");
  EXPECT_EQ((*records)[0].data, "{\"a\":1}");
  EXPECT_EQ((*records)[0].explicit_hash_key, "");
  EXPECT_EQ((*records)[1].partition_key, "pk-b");
  EXPECT_EQ((*records)[1].data, std::string("bin\0ary", 7));
  EXPECT_EQ((*records)[1].explicit_hash_key, "170141183460469");
  EXPECT_EQ((*records)[2].data, "");
}

TEST(KplAggregation, TagsAndUnknownFieldsAreSkipped) {
  std::string tag = Field(1, "key") + Field(2, "value");
  std::string rec = Record(0, "x") + Field(4, tag) + Varint(9 << 3) + Varint(7);
  auto records = DeaggregateKpl(Envelope(Field(1, "k") + Field(3, rec) + Varint(15 << 3 | 5) + "abcd"));
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].data, "x");
}

TEST(KplAggregation, InvalidEnvelopesPassThrough) {
  std::string good = Envelope(kProto);
  EXPECT_FALSE(DeaggregateKpl("plain record").has_value());
  EXPECT_FALSE(DeaggregateKpl(kProto).has_value()) << "no magic";
  std::string bad_md5 = good;
  bad_md5.back() ^= 1;
  EXPECT_FALSE(DeaggregateKpl(bad_md5).has_value());
  EXPECT_FALSE(DeaggregateKpl(good.substr(0, 19)).has_value()) << "shorter than magic + MD5";
  // Valid MD5 over a protobuf that does not parse or does not make sense.
  EXPECT_FALSE(DeaggregateKpl(Envelope(kProto.substr(0, kProto.size() - 3))).has_value());
  EXPECT_FALSE(DeaggregateKpl(Envelope(Field(1, "k") + Field(3, Record(1, "x")))).has_value())
      << "partition key index past the table";
  EXPECT_FALSE(DeaggregateKpl(Envelope(Field(1, "k") + Field(3, Record(0, "x", 0)))).has_value())
      << "hash key index past the table";
  EXPECT_FALSE(DeaggregateKpl(Envelope(Field(1, "k") + Field(3, Field(3, "no key index"))))
                   .has_value())
      << "partition_key_index is required";
  EXPECT_FALSE(DeaggregateKpl(Envelope(Field(1, "k") + Varint(3 << 3 | 3))).has_value())
      << "group wire type";
  EXPECT_FALSE(DeaggregateKpl(Envelope(Field(1, "k") + std::string(11, '\xFF'))).has_value())
      << "overlong varint";
}

TEST(KplAggregation, AggregateKplRoundTrips) {
  std::vector<UserRecord> in = {{"a", "", "one"}, {"b", "99", "two"}, {"a", "", std::string(70000, 'z')}};
  std::string bytes = AggregateKpl(in);
  ASSERT_EQ(bytes.substr(0, 4), std::string("\xF3\x89\x9A\xC2", 4));
  auto out = DeaggregateKpl(bytes);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), 3u);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ((*out)[i].partition_key, in[i].partition_key);
    EXPECT_EQ((*out)[i].explicit_hash_key, in[i].explicit_hash_key);
    EXPECT_EQ((*out)[i].data, in[i].data);
  }
}

}  // namespace
}  // namespace osprey::firehose
