#include <gtest/gtest.h>

#include "cordon/common/sha256.h"

namespace cordon {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(toHex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(toHex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, HexRoundTripAcceptsEitherCase) {
  const auto digest = sha256("cordon");
  const auto hex = toHex(digest);
  EXPECT_EQ(digestFromHex(hex), digest);
  std::string upper = hex;
  for (char& ch : upper) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  EXPECT_EQ(digestFromHex(upper), digest);
}

TEST(Sha256, RejectsMalformedHex) {
  EXPECT_FALSE(digestFromHex("").has_value());
  EXPECT_FALSE(digestFromHex("abc").has_value());
  EXPECT_FALSE(digestFromHex(std::string(64, 'g')).has_value());
  EXPECT_FALSE(digestFromHex(std::string(65, 'a')).has_value());
}

TEST(Sha256, ConstantTimeEqual) {
  EXPECT_TRUE(constantTimeEqual(sha256("a"), sha256("a")));
  EXPECT_FALSE(constantTimeEqual(sha256("a"), sha256("b")));
}

TEST(RandomHex, LengthAndVariety) {
  const auto first = randomHex(32);
  const auto second = randomHex(32);
  EXPECT_EQ(first.size(), 64U);
  EXPECT_NE(first, second);
}

TEST(RequestId, ThirtyTwoHexDigitsAndDistinct) {
  const auto first = newRequestId();
  const auto second = newRequestId();
  EXPECT_EQ(first.size(), 32U);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(first, second);
}

} // namespace
} // namespace cordon
