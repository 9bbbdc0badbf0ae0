#include <string_view>

#include <gtest/gtest.h>

#include "classify/validators.h"

namespace cordon::classify {
namespace {

struct Case {
  std::string_view text;
  bool valid;
};

using Validator = bool (*)(std::string_view) noexcept;

void expectAll(Validator validator, std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(validator(c.text), c.valid) << c.text;
  }
}

TEST(ValidatorsTest, Luhn) {
  expectAll(luhnValid, {{"4111111111111111", true},
                        {"4111111111111112", false},
                        {"79927398713", true},
                        {"0", true},
                        {"", false},
                        {"4012-8888-8888-1881", true}});
}

TEST(ValidatorsTest, CreditCard) {
  expectAll(creditCardValid, {{"4111111111111111", true},
                              {"378282246310005", true},
                              {"4012 8888 8888 1881", true},
                              {"4012-8888-8888-1881", true},
                              {"122000000000003", true},
                              {"4111111111111112", false}, // Luhn
                              {"0000000000000000", false}, // one digit repeated
                              {"1748503543012", false},    // epoch milliseconds
                              {"9111111111111111", false}, // no issuer starts with 9
                              {"4012--8888-8888-1881", false},
                              {"4012-8888 8888-1881", false},
                              {"411111111111", false}}); // too short
}

TEST(ValidatorsTest, Iban) {
  expectAll(ibanValid, {{"DE89370400440532013000", true},
                        {"DE89 3704 0044 0532 0130 00", true},
                        {"GB82WEST12345698765432", true},
                        {"GB82 WEST 1234 5698 7654 32", true},
                        {"FR1420041010050500013M02606", true},
                        {"NO9386011117947", true},
                        {"DE89370400440532013001", false}, // checksum
                        {"DE8937040044053201300", false},  // length for DE
                        {"XX89370400440532013000", false}, // unknown country
                        {"DE89-3704-0044", false}});
}

TEST(ValidatorsTest, UsSsn) {
  expectAll(usSsnValid, {{"111-22-3333", true},
                         {"123-45-6789", true},
                         {"078051121", true},
                         {"000-12-3456", false},
                         {"666-12-3456", false},
                         {"912-12-3456", false},
                         {"123-00-4567", false},
                         {"123-45-0000", false},
                         {"078-05-1120", false},
                         {"111-11-1111", false},
                         {"12-345-6789", true}, // digits only are judged
                         {"1234567890", false}});
}

TEST(ValidatorsTest, AbaRouting) {
  expectAll(abaRoutingValid, {{"121000358", true},
                              {"121042882", true},
                              {"3222-7162-7", true},
                              {"0711-0130-7", true},
                              {"421042111", false}, // prefix 42
                              {"1234-0000-0", false},
                              {"121000359", false},
                              {"000000000", false}});
}

TEST(ValidatorsTest, Ipv4) {
  expectAll(ipv4Valid, {{"192.168.1.100", true},
                        {"0.0.0.0", true},
                        {"255.255.255.255", true},
                        {"256.1.1.1", false},
                        {"1.2.3", false},
                        {"1.2.3.4.5", false},
                        {"01.2.3.4", false},
                        {"1..2.3", false},
                        {"1.2.3.4.", false}});
}

TEST(ValidatorsTest, Ipv6) {
  expectAll(ipv6Valid, {{"2001:db8::1", true},
                        {"fe80::1ff:fe23:4567:890a", true},
                        {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", true},
                        {"::1", true},
                        {"::", false},
                        {"A::B", false},
                        {"12:30:45", false},
                        {"00:1A:2B:3C:4D:5E", false},
                        {"2001:db8:::1", false}});
}

TEST(ValidatorsTest, Email) {
  expectAll(emailValid, {{"john.doe@protectai.com", true},
                         {"a+b@sub.example.co.uk", true},
                         {"x@y.c", false},
                         {".a@b.com", false},
                         {"a..b@c.com", false},
                         {"a@-b.com", false},
                         {"a@b.c0m", false},
                         {"a@@b.com", false},
                         {"@b.com", false}});
}

TEST(ValidatorsTest, Url) {
  expectAll(urlValid, {{"https://www.microsoft.com/store/abc/", true},
                       {"http://microsoft.webcam", true},
                       {"www.protectai.com", true},
                       {"microsoft.com", true},
                       {"http://localhost:8080/x", true},
                       {"https://user:pw@host.example.org:8443/p?q=1", true},
                       {"http://10.0.0.1/x", true},
                       {"www.microsoft", false},
                       {"https://", false},
                       {"http://a.b", false}});
}

TEST(ValidatorsTest, FinnishPersonalIdentityCode) {
  expectAll(fiPersonalIdentityCodeValid, {{"020502E902X", true},
                                          {"030594W903B", true},
                                          {"131052-308T", true},
                                          {"012245A110G", false}, // month 22
                                          {"131052-308U", false}, // check character
                                          {"131052G308T", false}, // century sign
                                          {"131052-308", false}});
}

TEST(ValidatorsTest, TurkishNationalId) {
  expectAll(trNationalIdValid, {{"10000000146", true},
                                {"76543210794", true},
                                {"62286775983", false},
                                {"01234567890", false},
                                {"1000000014", false},
                                {"1000000014a", false}});
}

TEST(ValidatorsTest, SwedishPersonnummer) {
  expectAll(sePersonnummerValid, {{"198712202384", true},
                                  {"9201232387", true},
                                  {"871220-2384", true},
                                  {"19910924-2397", true},
                                  {"19001309-2393", false}, // month 13
                                  {"19000309-3393", false}, // Luhn
                                  {"8712-202384", false}});
}

TEST(ValidatorsTest, Dates) {
  EXPECT_TRUE(dateValid(2024, 2, 29));
  EXPECT_FALSE(dateValid(2023, 2, 29));
  EXPECT_FALSE(dateValid(1900, 2, 29));
  EXPECT_TRUE(dateValid(2000, 2, 29));
  EXPECT_FALSE(dateValid(2024, 4, 31));
  EXPECT_FALSE(dateValid(2024, 13, 1));
  EXPECT_FALSE(dateValid(2024, 0, 1));
  EXPECT_TRUE(dateValid(2024, 12, 31));
}

TEST(ValidatorsTest, Entropy) {
  EXPECT_DOUBLE_EQ(shannonEntropy(""), 0.0);
  EXPECT_DOUBLE_EQ(shannonEntropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannonEntropy("abab"), 1.0);
  EXPECT_GT(shannonEntropy("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"), 4.0);
  EXPECT_LT(shannonEntropy("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), 3.0);
}

TEST(ValidatorsTest, DatesAndTimes) {
  struct Case {
    bool (*valid)(std::string_view) noexcept;
    std::string_view text;
    bool expected;
  };
  const Case cases[] = {
      {&isoDateTimeValid, "2024-03-15", true},
      {&isoDateTimeValid, "2024-03-15T14:30Z", true},
      {&isoDateTimeValid, "2024-06-05T09:15:30.500-07:00", true},
      {&isoDateTimeValid, "2024-02-30", false},
      {&isoDateTimeValid, "2024-13-01", false},
      {&isoDateTimeValid, "2024-03-15T25:00Z", false},
      {&isoDateTimeValid, "1234-03-15", false},
      {&numericDateValid, "12/31/2024", true},
      {&numericDateValid, "31/12/2024", true},
      {&numericDateValid, "21.5.2021", true},
      {&numericDateValid, "21/05/21", true},
      {&numericDateValid, "5/2021", true},
      {&numericDateValid, "13/13/2024", false},
      {&numericDateValid, "31/02/2024", false},
      {&numericDateValid, "13/2021", false},
      {&numericDateValid, "1/1/1066", false},
      {&namedDateValid, "November 30th 2021", true},
      {&namedDateValid, "3rd of April 2021", true},
      {&namedDateValid, "4th July, 2022", true},
      {&namedDateValid, "05-May", true},
      {&namedDateValid, "February 30 2021", false},
      {&namedDateValid, "April 31st 2021", false},
      {&clockTimeValid, "12:00 PM", true},
      {&clockTimeValid, "12pm", true},
      {&clockTimeValid, "7:45am", true},
      {&clockTimeValid, "13:00 PM", false},
      {&clockTimeValid, "0am", false},
      {&clockTimeValid, "11:75 am", false},
      {&namedDateValid, "5-May-21", true},
      {&namedDateValid, "May-2021", true},
      {&namedDateValid, "May-1492", false},
      {&numericDateValid, "5/21", true},
      {&numericDateValid, "13/21", false},
      {&creditCardIssuerKnown, "4111 1111 1111 1111", true},
      {&creditCardIssuerKnown, "371449635398431", true},
      {&creditCardIssuerKnown, "30569309025904", true},
      {&creditCardIssuerKnown, "3528000700000000", true},
      {&creditCardIssuerKnown, "2221000000000009", true},
      {&creditCardIssuerKnown, "122000000000003", true},
      {&creditCardIssuerKnown, "2570752253294", false}, // 2-series is 16 digits
      {&creditCardIssuerKnown, "3300000000000000", false},
      {&creditCardIssuerKnown, "41111111111111", false}, // Visa has no 14-digit cards
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.valid(c.text), c.expected) << c.text;
  }
}

} // namespace
} // namespace cordon::classify
