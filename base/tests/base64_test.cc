#include "osprey/base/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace osprey::base64 {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(Encode(plain), encoded);
    EXPECT_EQ(Decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(Base64, UrlAlphabetWithoutPadding) {
  std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(Encode(bytes), "+//+");
  EXPECT_EQ(EncodeUrl(bytes), "-__-");
  EXPECT_EQ(DecodeUrl("-__-"), std::optional<std::string>(bytes));
  EXPECT_EQ(EncodeUrl("f"), "Zg");
  EXPECT_EQ(DecodeUrl("Zg"), std::optional<std::string>("f"));
  EXPECT_FALSE(DecodeUrl("+//+").has_value());
  EXPECT_FALSE(DecodeUrl("Zg==").has_value());
}

TEST(Base64, RejectsMalformed) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v\n", "Zm 9v", "Zh==", "Zm9=", "====", "Zm=v"}) {
    EXPECT_FALSE(Decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(DecodeUrl("Z").has_value());
}

TEST(Base64, RandomRoundTrip) {
  std::mt19937 rng(7);
  for (int n = 0; n < 200; ++n) {
    std::string bytes(static_cast<size_t>(n), '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    EXPECT_EQ(Decode(Encode(bytes)), std::optional<std::string>(bytes));
    EXPECT_EQ(DecodeUrl(EncodeUrl(bytes)), std::optional<std::string>(bytes));
  }
}

}  // namespace
}  // namespace osprey::base64
