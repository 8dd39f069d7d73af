// Session tokens: round trip, tampering, other keys, expiry.
#include "osprey/playback/session_token.h"

#include <gtest/gtest.h>

#include "osprey/base/base64.h"

namespace osprey::playback {
namespace {

SessionClaims Claims() {
  SessionClaims c;
  c.store_id = "front-door-1700000000123";
  c.stream_name = "front-door";
  c.mode = PlaybackMode::kOnDemand;
  c.selector = FragmentSelectorType::kProducerTimestamp;
  c.start_ms = 1700000000000;
  c.end_ms = 1700000600000;
  c.container = ContainerFormat::kMpegTs;
  c.discontinuity = DiscontinuityMode::kOnDiscontinuity;
  c.display_fragment_timestamp = true;
  c.max_results = 1000;
  c.created_ms = 1700000700000;
  c.expires_ms = 1700000700000 + 300'000;
  c.session_id = 0x0123456789abcdefULL;
  c.anchor_index = 1700000000123456ULL;
  return c;
}

TEST(SessionToken, RoundTrip) {
  SessionTokenSigner signer(SessionTokenSigner::GenerateKey());
  const SessionClaims c = Claims();
  const std::string token = signer.Encode(c);
  EXPECT_EQ(token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  Result<SessionClaims> back = signer.Decode(token, c.created_ms);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);

  SessionClaims live;
  live.store_id = "s-1";
  live.expires_ms = 10;
  Result<SessionClaims> live_back = signer.Decode(signer.Encode(live), 9);
  ASSERT_TRUE(live_back.ok());
  EXPECT_EQ(*live_back, live);
  EXPECT_FALSE(live_back->start_ms.has_value());
}

TEST(SessionToken, ExpiredIsPermissionDenied) {
  SessionTokenSigner signer("k");
  const SessionClaims c = Claims();
  const std::string token = signer.Encode(c);
  EXPECT_TRUE(signer.Decode(token, c.expires_ms - 1).ok());
  Result<SessionClaims> r = signer.Decode(token, c.expires_ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "session token has expired");
}

TEST(SessionToken, EveryFlippedBitIsRejected) {
  SessionTokenSigner signer("server key");
  const SessionClaims c = Claims();
  const std::string raw = *base64::DecodeUrl(signer.Encode(c));
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = raw;
      bad[i] = char(bad[i] ^ (1 << bit));
      Result<SessionClaims> r = signer.Decode(base64::EncodeUrl(bad), c.created_ms);
      ASSERT_FALSE(r.ok()) << i << ":" << bit;
      EXPECT_EQ(r.status().message(), "session token is invalid");
    }
  }
}

TEST(SessionToken, ExtendingTheExpiryNeedsTheKey) {
  SessionTokenSigner signer("server key");
  SessionClaims c = Claims();
  const std::string raw = *base64::DecodeUrl(signer.Encode(c));
  std::string forged = raw;
  forged[1] = char(0x7F);  // expires_ms high byte: far future
  EXPECT_FALSE(signer.Decode(base64::EncodeUrl(forged), c.expires_ms + 1).ok());
}

TEST(SessionToken, OtherKeyTruncatedAndGarbage) {
  SessionTokenSigner a("key a");
  SessionTokenSigner b("key b");
  const SessionClaims c = Claims();
  const std::string token = a.Encode(c);
  EXPECT_FALSE(b.Decode(token, c.created_ms).ok());
  EXPECT_FALSE(a.Decode(token.substr(0, token.size() - 4), c.created_ms).ok());
  EXPECT_FALSE(a.Decode("", c.created_ms).ok());
  EXPECT_FALSE(a.Decode("not a token!", c.created_ms).ok());
  EXPECT_FALSE(a.Decode(token + "AA", c.created_ms).ok());
  EXPECT_FALSE(a.Decode(std::string(5000, 'A'), c.created_ms).ok());
}

TEST(SessionToken, KeysAreRandom) {
  EXPECT_EQ(SessionTokenSigner::GenerateKey().size(), 32u);
  EXPECT_NE(SessionTokenSigner::GenerateKey(), SessionTokenSigner::GenerateKey());
}

}  // namespace
}  // namespace osprey::playback
