// Secret and token detectors (patterns_secrets.cc): exact spans in realistic snippets, and no
// finding for placeholders, digests, identifiers and base64 in ordinary text.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "classify/validators_secrets.h"
#include "cordon/classify/classifier.h"
#include "scan_fixture.h"

namespace cordon::classify {
namespace {

struct Case {
  std::string_view text;
  std::string_view type;   ///< Empty: no finding of any secret type expected.
  std::string_view secret; ///< The expected span's bytes.
};

constexpr std::string_view kSecretTypes[] = {
    "ARTIFACTORY_TOKEN", "TELEGRAM_TOKEN", "TWILIO_KEY",
    "MAILCHIMP_KEY",     "PYPI_TOKEN",     "SQUARE_OAUTH_SECRET",
    "AWS_SECRET_KEY",    "GITLAB_TOKEN",   "NPM_TOKEN",
    "SENDGRID_KEY",      "DISCORD_TOKEN",  "ANTHROPIC_API_KEY",
    "AZURE_STORAGE_KEY", "CRYPTO"};

bool isSecretType(std::string_view type) {
  for (const std::string_view t : kSecretTypes) {
    if (t == type) {
      return true;
    }
  }
  return false;
}

class SecretsTest : public ScanTest {
protected:
  /// Findings of the types under test, as (type, bytes).
  std::vector<std::pair<std::string, std::string>> secrets(std::string_view text) {
    std::vector<Finding> out;
    EXPECT_TRUE(classifier_->scan(text, *scratch_, out).has_value());
    std::vector<std::pair<std::string, std::string>> found;
    for (const Finding& f : out) {
      if (isSecretType(f.type)) {
        found.emplace_back(std::string(f.type), std::string(text.substr(f.start, f.end - f.start)));
      }
    }
    return found;
  }
};

constexpr Case kFound[] = {
    {"curl -H 'X-JFrog-Art-Api: "
     "AKCp8sLVQXdqWtC2kxAZoUzxsFmB9zzqIGlzZD1ZhSaJEfoP9HDSzReCEdeDfw8zzx8Rkbmim' "
     "https://x.jfrog.io",
     "ARTIFACTORY_TOKEN",
     "AKCp8sLVQXdqWtC2kxAZoUzxsFmB9zzqIGlzZD1ZhSaJEfoP9HDSzReCEdeDfw8zzx8Rkbmim"},
    {"artifactory_password=AP6HTCYmU81j1RFz0QWInOa1i4AnVJlcw\n", "ARTIFACTORY_TOKEN",
     "AP6HTCYmU81j1RFz0QWInOa1i4AnVJlcw"},
    {"JF_KEY=AKCp5eTVhJ9ZmQ1xWn7bR3sKdL0aUyP8gH2cFvN4oXzE6tYqB1wMiS9jDk3lGr7uAhC5pVn2Q\n",
     "ARTIFACTORY_TOKEN",
     "AKCp5eTVhJ9ZmQ1xWn7bR3sKdL0aUyP8gH2cFvN4oXzE6tYqB1wMiS9jDk3lGr7uAhC5pVn2Q"},
    {"TELEGRAM_BOT_TOKEN=5938274610:AA9gaXF2uVdGCmw2mTmcquf-4rerTETZ33X\n", "TELEGRAM_TOKEN",
     "5938274610:AA9gaXF2uVdGCmw2mTmcquf-4rerTETZ33X"},
    {"twilio api_key: \"SKfbe05e3d80ad9088ad9d700eec8c3497\"", "TWILIO_KEY",
     "SKfbe05e3d80ad9088ad9d700eec8c3497"},
    {"MAILCHIMP_API_KEY=7cc20931b8af720b2ae82aacc6efc7e8-us14 # marketing", "MAILCHIMP_KEY",
     "7cc20931b8af720b2ae82aacc6efc7e8-us14"},
    {"[pypi]\npassword = "
     "pypi-AgEIcHlwaS5vcmcf7hWS1GheDmXd9rEsg3JnL4rK5LLIj6mMCII2pmyno3aIUahhQzhmKGHruYGQtUuRtahkZg7"
     "Mq4vL-yA1VC-7VOP7TPsngqI0K_-UwLF15omvMGIsFZrIbkFcvZGGlGGEcrYkYk_4WI5VXS2MULvNf\n",
     "PYPI_TOKEN",
     "pypi-AgEIcHlwaS5vcmcf7hWS1GheDmXd9rEsg3JnL4rK5LLIj6mMCII2pmyno3aIUahhQzhmKGHruYGQtUuRtahkZg7"
     "Mq4vL-yA1VC-7VOP7TPsngqI0K_-UwLF15omvMGIsFZrIbkFcvZGGlGGEcrYkYk_4WI5VXS2MULvNf"},
    {"square:\n  oauth_secret: sq0csp-U_PpVgblEi5CFYpvfTD80qRs8wx_prbcxaf_zVXKp4q\n",
     "SQUARE_OAUTH_SECRET", "sq0csp-U_PpVgblEi5CFYpvfTD80qRs8wx_prbcxaf_zVXKp4q"},
    {"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = "
     "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\n",
     "AWS_SECRET_KEY", "6+332P7xtyJe90Z0b4rsnOJrbBP5JOqG1a+ienjq"},
    {"export AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzK9LmP2QaB\"", "AWS_SECRET_KEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzK9LmP2QaB"},
    {"git clone https://oauth2:glpat-uWj-xKKBCJlezzWYEemP@gitlab.com/group/repo.git",
     "GITLAB_TOKEN", "glpat-uWj-xKKBCJlezzWYEemP"},
    {"//registry.npmjs.org/:_authToken=npm_XnVlbYSpNw6x1EpLIuYBEjOhQhTgECJUa8ti\n", "NPM_TOKEN",
     "npm_XnVlbYSpNw6x1EpLIuYBEjOhQhTgECJUa8ti"},
    {"curl -H \"Authorization: Bearer "
     "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\" "
     "https://api.sendgrid.com/v3/mail/send",
     "SENDGRID_KEY", "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"},
    {"client.run('MTA5ODc2NTQzMjEwOTg3NjU0Mw.cPkbIt.tvAeQjz8_SPaJEOheYdkHG1M45-1wFpUtDsPr7')",
     "DISCORD_TOKEN", "MTA5ODc2NTQzMjEwOTg3NjU0Mw.cPkbIt.tvAeQjz8_SPaJEOheYdkHG1M45-1wFpUtDsPr7"},
    {"ANTHROPIC_API_KEY=sk-ant-api03-lEAEv1QAzRtv1q6aL-Gl_IjhMLAxYZQ7Dn6vval6nVsDVibDbiELnJC5YgeS26"
     "TgfCevuV5HNFQt6r129zSUjPAMytD04AA\n",
     "ANTHROPIC_API_KEY",
     "sk-ant-api03-lEAEv1QAzRtv1q6aL-Gl_IjhMLAxYZQ7Dn6vval6nVsDVibDbiELnJC5YgeS26TgfCevuV5HNFQt6r12"
     "9zSUjPAMytD04AA"},
    {"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
     "O88QR45onaJqP46JEXHJKLriWxGEXp91HcXlg/mit8/j5T8c3mDOEO7mhluS4zKEQIKmJtiW5zS36X3lmUgk3Q==;"
     "EndpointSuffix=core.windows.net",
     "AZURE_STORAGE_KEY",
     "O88QR45onaJqP46JEXHJKLriWxGEXp91HcXlg/mit8/j5T8c3mDOEO7mhluS4zKEQIKmJtiW5zS36X3lmUgk3Q=="},
    {"Send the BTC to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa please.", "CRYPTO",
     "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
    {"multisig: 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "CRYPTO",
     "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
    {"segwit bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.", "CRYPTO",
     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
    {"taproot: bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", "CRYPTO",
     "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"},
};

constexpr Case kNotFound[] = {
    {"X-JFrog-Art-Api: AKCxxxxxxxxxxxxxxxxxxxxxxxx", {}, {}},
    {"X-JFrog-Art-Api: <token>", {}, {}},
    {"The APACHEKAFKACLUSTER and AP1STREPORTING teams met.", {}, {}},
    {"testAKCwithinsomeirrelevantstring", {}, {}},
    // AKC / AP shapes inside a base64 blob (a PEM line) without an Artifactory word.
    {"MIIFgTCCA2mgAwIBAgIQ/AKChOBZmLqdWHyGcBvod7bkixTgm2E5P7KN+AP3xK9bQ2mZ7wLhV4\n", {}, {}},
    {"bot110201543:AAHdqTcvCH1vGWJxfSe1ofSAs0K5PALDsaw", {}, {}},
    {"foo:AAH1bjqpKKW3maRSPAxzIU-0v6xNuq2-NjM", {}, {}},
    {"ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", {}, {}},
    {"9276a43e2951aa46e2b1c33ED38357DB-us2 and 3ea4572956e2b381923ed34c31db76aa-2", {}, {}},
    {"pypi-AgEIcHlwaS5vcmcCJDU3OTM1MjliLWIyYTYtNDEwOC05NzRkLTM0MjNiNmEwNWIzYgACF1sxLFsibWluaW1h",
     {},
     {}},
    {"aws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", {}, {}},
    {"aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}", {}, {}},
    // A 40-character base64 run without an AWS key name nearby, and a SHA-1 digest with one.
    {"The build cache key was 6+332P7xtyJe90Z0b4rsnOJrbBP5JOqG1a+ienjq yesterday.", {}, {}},
    {"secret key = da39a3ee5e6b4b0d3255bfef95601890afd80709", {}, {}},
    {"aws secret key file: /Users/Alice/Docs/Keys2024/aws/creds/Backup/x1 ", {}, {}},
    {"commit 9fceb02d0ae598e95dc970b74767f19372d61af8 and sha256 "
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     {},
     {}},
    {"request id 123e4567-e89b-12d3-a456-426614174000 failed", {}, {}},
    {"glpat-xxxxxxxxxxxxxxxxxxxx and npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", {}, {}},
    {"SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", {}, {}},
    // Discord-shaped, but the first part is not shaped like the base64 of a numeric id.
    {"Microsoft_Extensions_Hosting.Config.ApplicationInsightsHostingStart", {}, {}},
    {"sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", {}, {}},
    // An 88-character base64 blob in ordinary text.
    {"payload: "
     "O88QR45onaJqP46JEXHJKLriWxGEXp91HcXlg/mit8/j5T8c3mDOEO7mhluS4zKEQIKmJtiW5zS36X3lmUgk3Q==",
     {},
     {}},
    // Bitcoin-shaped with a broken checksum.
    {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb and bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", {}, {}},
    {"The file 1234567890123456789012345678.txt", {}, {}},
};

TEST_F(SecretsTest, FindsEachTypeWithItsExactSpan) {
  for (const Case& c : kFound) {
    const auto found = secrets(c.text);
    ASSERT_EQ(found.size(), 1U) << c.text;
    EXPECT_EQ(found[0].first, c.type) << c.text;
    EXPECT_EQ(found[0].second, c.secret) << c.text;
  }
}

TEST_F(SecretsTest, IgnoresPlaceholdersDigestsAndPlainBase64) {
  for (const Case& c : kNotFound) {
    const auto found = secrets(c.text);
    EXPECT_TRUE(found.empty()) << c.text << " -> " << (found.empty() ? "" : found[0].first) << ":"
                               << (found.empty() ? "" : found[0].second);
  }
}

TEST(SecretValidatorsTest, Bitcoin) {
  EXPECT_TRUE(bitcoinBase58Valid("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"));
  EXPECT_TRUE(bitcoinBase58Valid("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"));
  EXPECT_FALSE(bitcoinBase58Valid("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"));
  EXPECT_FALSE(bitcoinBase58Valid("11111111111111111111111111111111"));
  EXPECT_TRUE(bitcoinBech32Valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
  EXPECT_TRUE(bitcoinBech32Valid("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"));
  EXPECT_FALSE(bitcoinBech32Valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
  // A v1 program with the bech32 (not bech32m) checksum is invalid (BIP 350).
  EXPECT_FALSE(bitcoinBech32Valid(
      "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx"));
}

TEST(SecretValidatorsTest, DiscordAndMixed) {
  EXPECT_TRUE(discordTokenValid(
      "MTA5ODc2NTQzMjEwOTg3NjU0Mw.cPkbIt.tvAeQjz8_SPaJEOheYdkHG1M45-1wFpUtDsPr7"));
  EXPECT_FALSE(discordTokenValid("MTIz.abcdef.ghijklmnopqrstuvwxyz0123456"));
  EXPECT_TRUE(mixedSecretValid("AKCp8sLVQXdqWtC2kxAZoUzxsFmB9zzqIG"));
  EXPECT_FALSE(mixedSecretValid("AKCxxxxxxxxxx"));
  EXPECT_FALSE(mixedSecretValid("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
}

// Each of the three kinds of character is needed, whatever else (bytes above 0x7f, '/', '+')
// the text holds; an AWS secret also refuses path-like texts.
TEST(SecretValidatorsTest, MixedAndAwsTable) {
  struct Case {
    std::string_view text;
    bool mixed;
    bool aws;
  };
  const Case cases[] = {
      {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true, true},
      {"wJalrXUtnFEMI/K7MDENG/bP/RfiC/EXAMPLEKEY", true, false},      // four '/'
      {"wJalrXUtnFEMI+K7MDENG+bPxR/iC+EXAMPLE+EY", true, false},      // five '/' and '+' in all
      {"WJALRXUTNFEMI/K7MDENG/BPXRFICYEXAMPLEKEY", false, false},     // no lowercase
      {"wjalrxutnfemi/k7mdeng/bpxrficyexamplekey", false, false},     // no uppercase
      {"wJalrXUtnFEMI/KxMDENG/bPxRfiCYEXAMPLEKEY", false, false},     // no digit
      {"wJalrXUtnFEMI\xc3\xa9K7MDENG/bPxRfiCYEXAMPLEKE", true, true}, // UTF-8 inside
      {"aB1", false, false}, // mixed, but too little entropy
      {"", false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(mixedSecretValid(c.text), c.mixed) << c.text;
    EXPECT_EQ(awsSecretValid(c.text), c.aws) << c.text;
  }
}

} // namespace
} // namespace cordon::classify
