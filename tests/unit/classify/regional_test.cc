// Regional formats (Turkish phones, UK postcodes, DEA numbers, Swedish organisation numbers,
// Korean driver's licences, Nigerian plates), credentials in URLs and connection strings, and
// the date shapes added with them: each found with its exact span; look-alikes produce nothing.
#include <string_view>

#include <gtest/gtest.h>

#include "classify/validators_regional.h"
#include "classify/validators_secrets.h"
#include "scan_fixture.h"

namespace cordon::classify {
namespace {

using RegionalTest = ScanTest;

struct Case {
  std::string_view text;
  std::string_view type;
  std::string_view value;
};

TEST_F(RegionalTest, FindsEachFormatWithExactSpan) {
  const Case cases[] = {
      {"Telefon numaram +90 532 123 45 67 olarak kayitli.", "TR_PHONE_NUMBER", "+90 532 123 45 67"},
      {"phone: +905321234567", "TR_PHONE_NUMBER", "+905321234567"},
      {"Ofis: 0212 123 45 67", "TR_PHONE_NUMBER", "0212 123 45 67"},
      {"Ara: 0-532-123-45-67", "TR_PHONE_NUMBER", "0-532-123-45-67"},
      {"Cep no: 05321234567", "TR_PHONE_NUMBER", "05321234567"},
      {"Hat 0 (532) 1234567 aktif", "TR_PHONE_NUMBER", "0 (532) 1234567"},
      {"My address is SW1A 1AA in London", "UK_POSTCODE", "SW1A 1AA"},
      {"Send it to M1 1AA, please.", "UK_POSTCODE", "M1 1AA"},
      {"postcode EC1A1BB", "UK_POSTCODE", "EC1A1BB"},
      {"Girobank: GIR 0AA", "UK_POSTCODE", "GIR 0AA"},
      {"Offices: SW1A 1AA, EC1A 1BB", "UK_POSTCODE", "EC1A 1BB"},
      {"DEA registration BB1388568 on file", "MEDICAL_LICENSE", "BB1388568"},
      {"Organisationsnummer 556703-7485 tillhör oss", "SE_ORGANISATIONSNUMMER", "556703-7485"},
      {"vårt orgnr 5567037485", "SE_ORGANISATIONSNUMMER", "5567037485"},
      {"My license is 13-22-123456-12", "KR_DRIVER_LICENSE", "13-22-123456-12"},
      {"운전면허 112212345612", "KR_DRIVER_LICENSE", "112212345612"},
      {"The plate number is ABJ-123XY for this vehicle", "NG_VEHICLE_REGISTRATION", "ABJ-123XY"},
      {"RRN 960121-1234567", "KR_RRN", "960121-1234567"},
      {"Use this URL: https://username:password@llm-guard.com", "BASIC_AUTH_CREDENTIALS",
       "password"},
      {"Server=db;User Id=sa;Password=S3cr3t!x;Encrypt=true", "PASSWORD", "S3cr3t!x"},
      {"Uid=sa;Pwd=abc123;", "PASSWORD", "abc123"},
      {"export DB_PASSWORD=hunter22", "PASSWORD", "hunter22"},
      {"GET /login?user=a&password=zz9q&next=1", "PASSWORD", "zz9q"},
      {"Today is 5-May-2021", "DATE_TIME", "5-May-2021"},
      {"Today is May-2021", "DATE_TIME", "May-2021"},
      {"Card expires 05/27", "DATE_TIME", "05/27"},
      {"Today is 5/21/21", "DATE_TIME", "5/21/21"},
      {"aws_access_key_id = AKIAZ3MSJV4WWNKWW5FG", "AWS_ACCESS_KEY", "AKIAZ3MSJV4WWNKWW5FG"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(finds(c.text, c.type, c.value))
        << c.text << " -> expected " << c.type << ":" << c.value;
  }
}

TEST_F(RegionalTest, IgnoresLookAlikes) {
  const std::string_view types[] = {"TR_PHONE_NUMBER",
                                    "UK_VEHICLE_REGISTRATION",
                                    "UK_POSTCODE",
                                    "MEDICAL_LICENSE",
                                    "SE_ORGANISATIONSNUMMER",
                                    "KR_DRIVER_LICENSE",
                                    "NG_VEHICLE_REGISTRATION",
                                    "KR_RRN",
                                    "BASIC_AUTH_CREDENTIALS",
                                    "PASSWORD",
                                    "AWS_ACCESS_KEY",
                                    "DATE_TIME"};
  const std::string_view texts[] = {
      "Call 0612 34 56 78 (French grouping)",                   // 2-2-2-2, not 3-3-2-2
      "Order 01234567890 shipped",                              // eleven digits, not 05..
      "Part QQ1 1AA and ZZ9 9ZZ",                               // no such postcode areas
      "Code sw1a 1aa in lower case",                            // lower case is an identifier
      "Part no. SO1234567 and PO2345678",                       // DEA shape without a licence word
      "Invoice 556703-7486 paid",                               // Luhn fails
      "Batch 10-22-123456-12",                                  // region 10 does not exist
      "SKU ABJ-123XY in stock",                                 // no vehicle word
      "Order #240315-1234567 shipped",                          // a date-keyed order number
      "postgresql://app:${DB_PASS}@db/orders",                  // a variable, not a password
      "cd $(pwd); PWD=/home/u",                                 // the shell's working directory
      "connect(password=pw) and password = os.environ[\"DB\"]", // code, not a secret
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",               // AWS's documented example
      "scored 5/21 in the quiz",                                // a score, not a date
      "codes F3LAU00 FPJ6K WINMOV EA4C HU66STX 06RP13", // a plate's shape in a list of codes
      "serials 4QADGY7 N34FS LIHL6QV",                  // a postcode's shape in a list of codes
  };
  for (const std::string_view text : texts) {
    for (const Hit& h : hits(text)) {
      for (const std::string_view type : types) {
        if (h.type == type) {
          ADD_FAILURE() << text << " -> " << h.type << ":" << h.value;
        }
      }
    }
  }
}

TEST(RegionalValidators, Checksums) {
  EXPECT_TRUE(deaNumberValid("GL0285191"));
  EXPECT_FALSE(deaNumberValid("GL0285192"));
  EXPECT_TRUE(seOrganisationsnummerValid("556703-7485"));
  EXPECT_FALSE(seOrganisationsnummerValid("551203-7485")); // third digit 1: a personnummer
  EXPECT_TRUE(ukPostcodeValid("SW1A 1AA"));
  EXPECT_FALSE(ukPostcodeValid("QQ1 1AA"));
  EXPECT_TRUE(krDriverLicenseValid("28 22 123456 12"));
  EXPECT_FALSE(krDriverLicenseValid("29-22-123456-12"));
}

TEST(RegionalValidators, CredentialSpans) {
  const SecretSpan url = credentialSecret("://user:p4ss@", ' ', 'h');
  EXPECT_EQ(url.offset, 8U);
  EXPECT_EQ(url.length, 4U);
  const SecretSpan kv = credentialSecret("Password= s3cret", ';', ';');
  EXPECT_EQ(kv.offset, 10U);
  EXPECT_EQ(kv.length, 6U);
  EXPECT_EQ(credentialSecret("password=****", ' ', ' ').length, 0U);
  EXPECT_EQ(credentialSecret("password=xyz", '(', ')').length, 0U);
  EXPECT_EQ(credentialSecret("pwd=abc", ' ', ' ').length, 0U);
}

} // namespace
} // namespace cordon::classify
