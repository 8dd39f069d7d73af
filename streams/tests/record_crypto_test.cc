// The encryption envelope (FORMAT.md "Encrypted records") and the frame
// flag that marks it: round trips, tamper detection, key derivation, and
// that unencrypted frames still decode (old data stays readable); and the
// registry lines that persist the settings.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "engine/record_crypto.h"
#include "engine/registry.h"
#include "osprey/base/crc32c.h"
#include "record_format.h"

namespace osprey::streams::engine {
namespace {

const std::string kMaster(32, 'm');
const std::string kNonce = "0123456789ab";

std::string Seal(const std::string& key_id, const std::string& aad, const std::string& plain) {
  std::string out;
  EXPECT_TRUE(SealEnvelope(DeriveDataKey(kMaster, key_id), key_id, kNonce, aad, plain, &out).ok());
  return out;
}

TEST(RecordCrypto, DerivedKeysDifferByKeyIdAndMaster) {
  EXPECT_EQ(DeriveDataKey(kMaster, "alias/a").size(), 32u);
  EXPECT_EQ(DeriveDataKey(kMaster, "alias/a"), DeriveDataKey(kMaster, "alias/a"));
  EXPECT_NE(DeriveDataKey(kMaster, "alias/a"), DeriveDataKey(kMaster, "alias/b"));
  EXPECT_NE(DeriveDataKey(kMaster, "alias/a"), DeriveDataKey(std::string(32, 'n'), "alias/a"));
}

TEST(RecordCrypto, RoundTripIncludingEmptyData) {
  for (const std::string& plain : {std::string(), std::string("hello secret"), std::string(100000, 'x')}) {
    std::string env = Seal("alias/aws/kinesis", "pk", plain);
    ASSERT_EQ(env.size(), kEnvelopeFixedBytes + 17 + plain.size());
    EnvelopeView v;
    ASSERT_TRUE(ParseEnvelope(env, &v));
    EXPECT_EQ(v.key_id, "alias/aws/kinesis");
    EXPECT_EQ(v.nonce, kNonce);
    auto back = OpenEnvelope(DeriveDataKey(kMaster, v.key_id), v, "pk");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, plain);
    if (!plain.empty()) {
      EXPECT_EQ(env.find(plain), std::string::npos);
    }
  }
}

TEST(RecordCrypto, EveryFlippedByteFailsOrIsRejected) {
  const std::string env = Seal("k", "pk", "payload");
  for (size_t i = 0; i < env.size(); ++i) {
    std::string bad = env;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EnvelopeView v;
    if (!ParseEnvelope(bad, &v)) continue;  // version or length byte
    auto r = OpenEnvelope(DeriveDataKey(kMaster, v.key_id), v, "pk");
    EXPECT_FALSE(r.ok()) << "byte " << i;
  }
}

TEST(RecordCrypto, WrongAadOrKeyFails) {
  const std::string env = Seal("k", "pk", "payload");
  EnvelopeView v;
  ASSERT_TRUE(ParseEnvelope(env, &v));
  EXPECT_FALSE(OpenEnvelope(DeriveDataKey(kMaster, "k"), v, "other-pk").ok());
  EXPECT_FALSE(OpenEnvelope(DeriveDataKey(kMaster, "k2"), v, "pk").ok());
}

TEST(RecordCrypto, ShortOrUnknownVersionIsRejected) {
  EnvelopeView v;
  EXPECT_FALSE(ParseEnvelope("", &v));
  EXPECT_FALSE(ParseEnvelope(std::string(kEnvelopeFixedBytes - 1, '\1'), &v));
  std::string env = Seal("k", "pk", "x");
  env[0] = 2;
  EXPECT_FALSE(ParseEnvelope(env, &v));
}

TEST(RecordCrypto, FrameFlagRoundTripsAndPlainFramesStillDecode) {
  for (bool encrypted : {false, true}) {
    RecordInput in{"pk", std::nullopt, "data", encrypted};
    std::string buf;
    format::EncodeRecord(5, 6, in, &buf);
    EXPECT_EQ(static_cast<uint8_t>(buf[24]), encrypted ? format::kFlagEncrypted : 0);
    format::RecordView view;
    size_t size = 0;
    std::string why;
    ASSERT_EQ(format::DecodeRecord(buf, 1 << 20, &view, &size, &why), format::Decode::kOk) << why;
    EXPECT_EQ(view.encrypted, encrypted);
    EXPECT_EQ(view.ToRecord().encrypted, encrypted);
  }
}

}  // namespace
}  // namespace osprey::streams::engine

// Registry version 2 keeps the settings; a version-1 file (written before
// they existed) still opens, as streams without them.
namespace osprey::streams::engine {
namespace {

TEST(RegistrySettings, RoundTripAndVersionOneStillParses) {
  RegistryMeta meta;
  meta.next_stream_id = 2;
  StreamMeta s;
  s.id = 1;
  s.name = "cam";
  s.next_shard_index = 1;
  s.shards.push_back({0, {0, 5}, 10, std::nullopt, std::nullopt, std::nullopt});
  s.shard_level_metrics = {"IncomingBytes", "IteratorAgeMilliseconds"};
  s.kms_key_id = "alias/with space";
  meta.streams.emplace("cam", s);
  const std::string text = SerializeRegistry(meta);
  EXPECT_EQ(text.rfind("osprey-streams-registry 2\n", 0), 0u);
  auto back = ParseRegistry(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, meta);

  meta.streams["cam"].shard_level_metrics.clear();
  meta.streams["cam"].kms_key_id.reset();
  std::string body = SerializeRegistry(meta);
  body = body.substr(0, body.rfind("checksum "));
  body.replace(0, std::string("osprey-streams-registry 2").size(), "osprey-streams-registry 1");
  char sum[32];
  std::snprintf(sum, sizeof sum, "checksum %08x\n", crc32c::Mask(crc32c::Value(body)));
  auto v1 = ParseRegistry(body + sum);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(*v1, meta);
}

}  // namespace
}  // namespace osprey::streams::engine
