// ListFragments NextToken encoding (archived_media.h): round trip, and
// garbage of every kind rejected as InvalidArgument, never a crash.
#include <random>

#include <gtest/gtest.h>

#include "osprey/base/base64.h"
#include "video/archived_media.h"

namespace osprey::server::video {
namespace {

ListCursor Sample() {
  ListCursor c;
  c.kind = fragments::TimestampKind::kProducer;
  c.start_ms = -5;
  c.end_ms = 1'700'000'000'123;
  c.after_index = 1'700'000'000'123'456;
  return c;
}

TEST(ListToken, RoundTrips) {
  for (auto kind : {fragments::TimestampKind::kServer, fragments::TimestampKind::kProducer}) {
    ListCursor c = Sample();
    c.kind = kind;
    std::string token = EncodeListToken(c, "cam-1600000000000");
    EXPECT_LE(token.size(), 4096u);
    for (char ch : token) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '/' || ch == '=');
    auto back = DecodeListToken(token, "cam-1600000000000");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back.value().kind, c.kind);
    EXPECT_EQ(back.value().start_ms, c.start_ms);
    EXPECT_EQ(back.value().end_ms, c.end_ms);
    EXPECT_EQ(back.value().after_index, c.after_index);
  }
}

TEST(ListToken, RejectsAnotherStreamsToken) {
  std::string token = EncodeListToken(Sample(), "cam-1600000000000");
  auto r = DecodeListToken(token, "cam-1600000000001");
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

TEST(ListToken, RejectsGarbage) {
  const std::string token = EncodeListToken(Sample(), "cam-1");
  std::vector<std::string> bad = {"", "=", "!!!!", "QUJD", token.substr(0, token.size() - 4),
                                  token + "AAAA", std::string(5000, 'A'),
                                  base64::Encode(std::string(42, '\0'))};
  // Every single-bit change of the decoded bytes.
  std::string raw = *base64::Decode(token);
  for (size_t i = 0; i < raw.size() * 8; ++i) {
    std::string m = raw;
    m[i / 8] = static_cast<char>(m[i / 8] ^ (1 << (i % 8)));
    bad.push_back(base64::Encode(m));
  }
  for (const auto& b : bad) {
    auto r = DecodeListToken(b, "cam-1");
    EXPECT_FALSE(r.ok()) << b;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    }
  }
  // Random bytes never crash and are (with overwhelming likelihood) rejected.
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 60, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    EXPECT_FALSE(DecodeListToken(base64::Encode(junk), "cam-1").ok());
    EXPECT_FALSE(DecodeListToken(junk, "cam-1").ok());
  }
}

}  // namespace
}  // namespace osprey::server::video
