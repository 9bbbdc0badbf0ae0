#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/classify/classifier.h"

namespace cordon::classify {
namespace {

struct Span {
  std::string type;
  std::string text;
  friend bool operator==(const Span&, const Span&) = default;
};

std::ostream& operator<<(std::ostream& os, const Span& span) {
  return os << span.type << ":" << span.text;
}

class ClassifierTest : public ::testing::Test {
protected:
  void SetUp() override { use({}); }

  void use(const std::vector<config::CustomEntity>& custom) {
    auto built = Classifier::build(custom);
    ASSERT_TRUE(built.has_value()) << built.error().detail;
    classifier_ = *built;
    scratch_ = classifier_->makeScratch();
    ASSERT_NE(scratch_, nullptr);
  }

  std::vector<Finding> scan(std::string_view text) {
    std::vector<Finding> out;
    auto result = classifier_->scan(text, *scratch_, out);
    EXPECT_TRUE(result.has_value());
    for (std::size_t i = 1; i < out.size(); ++i) {
      EXPECT_LE(out[i - 1].end, out[i].start) << "overlap or unsorted";
    }
    for (const Finding& f : out) {
      EXPECT_LT(f.start, f.end);
      EXPECT_LE(f.end, text.size());
      EXPECT_GT(f.score, 0.0F);
      EXPECT_LE(f.score, 1.0F);
    }
    return out;
  }

  std::vector<Span> spans(std::string_view text) {
    std::vector<Span> out;
    for (const Finding& f : scan(text)) {
      out.push_back(Span{std::string(f.type), std::string(text.substr(f.start, f.end - f.start))});
    }
    return out;
  }

  ClassifierConstSharedPtr classifier_;
  ScratchPtr scratch_;
};

struct Positive {
  std::string_view text;
  std::string_view type;
  std::string_view value;
};

TEST_F(ClassifierTest, FindsEachBuiltInTypeWithExactSpan) {
  const Positive cases[] = {
      {"Contact me at john.doe@example.com, thanks.", "EMAIL_ADDRESS", "john.doe@example.com"},
      {"my credit card: 4111 1111 1111 1111, thanks", "CREDIT_CARD", "4111 1111 1111 1111"},
      {"Card 378282246310005 on file", "CREDIT_CARD", "378282246310005"},
      {"charge 4012-8888-8888-1881 today", "CREDIT_CARD", "4012-8888-8888-1881"},
      {"Please wire it to DE89 3704 0044 0532 0130 00.", "IBAN_CODE",
       "DE89 3704 0044 0532 0130 00"},
      {"IBAN GB82WEST12345698765432", "IBAN_CODE", "GB82WEST12345698765432"},
      {"His SSN is 111-22-3333.", "US_SSN", "111-22-3333"},
      {"social security number 078051121 on the form", "US_SSN", "078051121"},
      {"routing number 121000358", "ABA_ROUTING_NUMBER", "121000358"},
      {"Server at 192.168.1.100 is down", "IP_ADDRESS", "192.168.1.100"},
      {"use the DNS server 8.8.8.8", "IP_ADDRESS", "8.8.8.8"},
      {"ping 2001:db8::8a2e:370:7334 now", "IP_ADDRESS", "2001:db8::8a2e:370:7334"},
      {"See https://www.microsoft.com/store/abc/.", "URL", "https://www.microsoft.com/store/abc/"},
      {"go to www.protectai.com today", "URL", "www.protectai.com"},
      {"call (523) 222-8888 x 623 please", "PHONE_NUMBER", "(523) 222-8888 x 623"},
      {"Phone: +44 20 7946 0958", "PHONE_NUMBER", "+44 20 7946 0958"},
      {"reach me on 555-123-4567", "PHONE_NUMBER", "555-123-4567"},
      {"AWS_token: AKIALALEMEL33243OLIB", "AWS_ACCESS_KEY", "AKIALALEMEL33243OLIB"},
      {"My github token is: 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", "GITHUB_TOKEN",
       "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"},
      {"slack_token: xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1", "SLACK_TOKEN",
       "xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1"},
      {"hook https://hooks.slack.com/services/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",
       "SLACK_WEBHOOK",
       "https://hooks.slack.com/services/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"},
      {"key: \"AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs\"", "GOOGLE_API_KEY",
       "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs"},
      {"STRIPE=sk_live_ReTllpYQYfIZu2Jnf2lAPFjD", "STRIPE_KEY", "sk_live_ReTllpYQYfIZu2Jnf2lAPFjD"},
      {"OPENAI_API_KEY=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", "OPENAI_API_KEY",
       "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"},
      {"huggingface-cli login --token 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", "HUGGINGFACE_TOKEN",
       "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"},
      {"Authorization: Bearer "
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxLCJiIjoyLCJjIjozfQ."
       "hxhGCCCmGV9nT1slief1WgEsOsfdnlVizNrODxfh1M8",
       "JWT",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxLCJiIjoyLCJjIjozfQ."
       "hxhGCCCmGV9nT1slief1WgEsOsfdnlVizNrODxfh1M8"},
      {"Turkish ID 10000000146", "TR_NATIONAL_ID", "10000000146"},
      {"hetu 131052-308T, thanks", "FI_PERSONAL_IDENTITY_CODE", "131052-308T"},
      {"19910924-2397 är mitt pnr.", "SE_PERSONNUMMER", "19910924-2397"},
      {"key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSz\n"
       "-----END RSA PRIVATE KEY-----\nbye",
       "PRIVATE_KEY",
       "-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSz\n"
       "-----END RSA PRIVATE KEY-----"},
  };
  for (const Positive& c : cases) {
    EXPECT_EQ(spans(c.text), (std::vector<Span>{{std::string(c.type), std::string(c.value)}}))
        << c.text;
  }
}

TEST_F(ClassifierTest, ByteOffsetsInMultiByteText) {
  const std::string_view text = "他的电子邮箱是test@test.com，电话号码13011112222。";
  const auto found = scan(text);
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0].type, "EMAIL_ADDRESS");
  EXPECT_EQ(text.substr(found[0].start, found[0].end - found[0].start), "test@test.com");
  EXPECT_EQ(found[1].type, "PHONE_NUMBER");
  EXPECT_EQ(text.substr(found[1].start, found[1].end - found[1].start), "13011112222");
}

TEST_F(ClassifierTest, OrdinaryBusinessTextHasNoFindings) {
  const std::string_view negatives[] = {
      "Order #100234567 shipped; tracking number 1Z999AA10123456784, invoice INV-2024-00017.",
      "request id 123e4567-e89b-12d3-a456-426614174000 failed",
      "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      "upgrade to version 10.2.3.4 of the firmware",
      "bad address 300.168.1.1 and 1.2.3.4.5 and 1.2.3",
      "as required by [23.2.2.1] and section 20.11.4.3 of the standard",
      "see copy1.in, ctype.is and misc-inst.cc",
      "2024-05-17T12:30:45.123Z INFO started in 1748503543012 ms",
      "Total: $1,234,567.89 (was 1 234 567,89 EUR)",
      "card 4111111111111112 was declined",
      "16 digits 1234567890123456 fail Luhn",
      "call std::vector<int>::size() and A::B",
      "Session 987654321 ended; item 123456789 returned",
      "xoxb-Slack_BOT_TOKEN and ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx placeholders",
      "TODAYINASIAASACKOFRICEFELLOVER",
      "see config.py and README.md for details",
      "The meeting is at 10:30 in room 4.2, budget 12.5%.",
  };
  for (const std::string_view text : negatives) {
    EXPECT_EQ(spans(text), std::vector<Span>{}) << text;
  }
}

TEST_F(ClassifierTest, UndashedSsnNeedsContext) {
  EXPECT_EQ(spans("reference 078051121"), std::vector<Span>{});
  EXPECT_EQ(spans("ssn: 078051121"), (std::vector<Span>{{"US_SSN", "078051121"}}));
}

TEST_F(ClassifierTest, OverlapsKeepHigherScoreThenLonger) {
  // The e-mail's domain is also a bare-domain URL; the e-mail scores higher and wins.
  EXPECT_EQ(spans("mail bob@example.com now"),
            (std::vector<Span>{{"EMAIL_ADDRESS", "bob@example.com"}}));
  // The webhook is also a URL with the same span; the secret type scores higher.
  EXPECT_EQ(spans("https://hooks.slack.com/services/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")
                .at(0)
                .type,
            "SLACK_WEBHOOK");
  // Credentials in a URL are not an e-mail address; the password outranks the URL around it.
  EXPECT_EQ(spans("Use this URL: https://username:password@llm-guard.com"),
            (std::vector<Span>{{"BASIC_AUTH_CREDENTIALS", "password"}, {"URL", "llm-guard.com"}}));
  // A URL holding an IP address: one finding, the longer one.
  EXPECT_EQ(spans("GET http://10.1.2.3/index.html"),
            (std::vector<Span>{{"URL", "http://10.1.2.3/index.html"}}));
}

TEST_F(ClassifierTest, CustomWordsAreCaseInsensitiveWholeWords) {
  config::CustomEntity project;
  project.policy.type = "PROJECT_CODENAME";
  project.words = {"Apollo", "blue falcon"};
  use({project});
  EXPECT_EQ(
      spans("status of APOLLO and Blue Falcon?"),
      (std::vector<Span>{{"PROJECT_CODENAME", "APOLLO"}, {"PROJECT_CODENAME", "Blue Falcon"}}));
  EXPECT_EQ(spans("apollonian bluefalcon xapollo"), std::vector<Span>{});
  const auto& types = classifier_->types();
  EXPECT_NE(std::find(types.begin(), types.end(), "PROJECT_CODENAME"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "CREDIT_CARD"), types.end());
}

TEST_F(ClassifierTest, CustomRegex) {
  config::CustomEntity employee;
  employee.policy.type = "EMPLOYEE_ID";
  employee.regex = "EMP-[0-9]{6}";
  use({employee});
  const auto found = scan("ticket for EMP-123456 and EMP-12");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].type, "EMPLOYEE_ID");
  EXPECT_EQ(found[0].start, 11U);
  EXPECT_EQ(found[0].end, 21U);
  EXPECT_FLOAT_EQ(found[0].score, 1.0F);
}

TEST_F(ClassifierTest, BadCustomRegexIsRefusedWithItsName) {
  for (const std::string regex : {"(unclosed", "a{5,2}", "x*", "(?<=a)b"}) {
    config::CustomEntity bad;
    bad.policy.type = "BROKEN";
    bad.regex = regex;
    auto built = Classifier::build({bad});
    ASSERT_FALSE(built.has_value()) << regex;
    EXPECT_EQ(built.error().code, Errc::BadRequest);
    EXPECT_NE(built.error().detail.find("custom_entities.BROKEN.regex"), std::string::npos)
        << built.error().detail;
  }
}

TEST_F(ClassifierTest, ScratchOfAnotherClassifierIsAnInternalError) {
  auto other = Classifier::build({});
  ASSERT_TRUE(other.has_value());
  auto other_scratch = (*other)->makeScratch();
  std::vector<Finding> out;
  auto result = classifier_->scan("x", *other_scratch, out);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::Internal);
}

TEST_F(ClassifierTest, InvalidUtf8AndNulBytes) {
  std::string text = "\xff\xfe bob@example.com \xc3";
  text += std::string(1, '\0');
  text += "\x80 4111111111111111 \xed\xa0\x80";
  const auto found = spans(text);
  EXPECT_EQ(found, (std::vector<Span>{{"EMAIL_ADDRESS", "bob@example.com"},
                                      {"CREDIT_CARD", "4111111111111111"}}));
}

TEST_F(ClassifierTest, TenMegabyteSingleLine) {
  constexpr std::size_t kTenMb = std::size_t{10} << 20U;
  std::string text;
  text.reserve(kTenMb + 64U);
  const std::string_view filler = "lorem ipsum dolor sit amet 12345 consectetur adipiscing, ";
  while (text.size() < kTenMb / 2) {
    text += filler;
  }
  const std::size_t at = text.size();
  text += "bob@example.com ";
  while (text.size() < kTenMb) {
    text += filler;
  }
  const auto found = scan(text);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].start, at);
  // Degenerate lines: one 10 MB token of digits, of letters, of colons.
  for (const char c : {'7', 'a', ':'}) {
    EXPECT_TRUE(scan(std::string(kTenMb, c)).empty());
  }
}

TEST_F(ClassifierTest, ALongTextFindsWhatItsLinesFind) {
  // Thousands of reports from the C++ passes in one scan take another sort than a few do: the
  // findings of the whole are those of its lines, shifted.
  const std::vector<std::string_view> lines{
      "Mail Anna Schmidt at anna.schmidt@example.org or call +49 30 1234567.\n",
      "Card 4111 1111 1111 1111, server 10.0.0.12, build 3.14.2 on 2024-05-17.\n",
      "Visit https://example.com/a?b=c or www.example.net; IBAN DE89 3704 0044 0532 0130 00.\n",
      "Dr. Jane Roe, SSN 111-22-3333, routing 011000015, key "
      "ghp_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0p\n",
  };
  std::string text;
  std::vector<Span> want;
  for (int repeat = 0; repeat < 400; ++repeat) {
    for (const std::string_view line : lines) {
      for (const Span& span : spans(line)) {
        want.push_back(span);
      }
      text += line;
    }
  }
  ASSERT_GT(want.size(), 4000U);
  EXPECT_EQ(spans(text), want);
}

TEST_F(ClassifierTest, AppendsToOutput) {
  std::vector<Finding> out{Finding{"X", 0, 1, 1.0F}};
  ASSERT_TRUE(classifier_->scan("bob@example.com", *scratch_, out).has_value());
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].type, "EMAIL_ADDRESS");
}

} // namespace
} // namespace cordon::classify

namespace cordon::classify {
namespace {

TEST(ClassifierTypes, EveryBuiltinTypeHasADocumentedDefault) {
  // A type without a default would count as the highest level at runtime (fail closed), so a new
  // detector must be added to config::builtinEntities() with its default too.
  const auto classifier = Classifier::build({});
  ASSERT_TRUE(classifier.has_value());
  const auto& known = config::builtinEntityTypes();
  for (const auto& type : (*classifier)->types()) {
    EXPECT_NE(std::find(known.begin(), known.end(), type), known.end()) << type;
  }
}

} // namespace
} // namespace cordon::classify
