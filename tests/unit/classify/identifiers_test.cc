// The identifiers added after the first national set (UK NINO, US ITIN, PL PESEL, IT fiscal and
// VAT codes, AU ABN and Medicare, IN GSTIN, TH national ID, CA SIN) and MAC addresses: each found
// with its exact span; checksum failures, unallocated prefixes, bare numbers without their
// context word and ordinary text produce none of them.
#include <string_view>

#include <gtest/gtest.h>

#include "classify/validators.h"
#include "classify/validators_national.h"
#include "scan_fixture.h"

namespace cordon::classify {
namespace {

using IdentifiersTest = ScanTest;

struct Case {
  std::string_view text;
  std::string_view type;
  std::string_view value;
};

TEST_F(IdentifiersTest, FindsEachTypeWithExactSpan) {
  const Case cases[] = {
      {"Her NI number is AB123456C.", "UK_NINO", "AB123456C"},
      {"national insurance: JG 10 37 59 A", "UK_NINO", "JG 10 37 59 A"},
      {"Filed with ITIN 912-78-1234 last year", "US_ITIN", "912-78-1234"},
      {"my ITIN is 987654321", "US_ITIN", "987654321"},
      {"PESEL: 44051401359", "PL_PESEL", "44051401359"},
      {"Codice fiscale RSSMRA85T10A562S allegato", "IT_FISCAL_CODE", "RSSMRA85T10A562S"},
      {"cf: rssmra85t10a562s", "IT_FISCAL_CODE", "rssmra85t10a562s"},
      {"Fattura a IT 07643520567 (Roma)", "IT_VAT_CODE", "IT 07643520567"},
      {"Partita IVA 07643520567", "IT_VAT_CODE", "07643520567"},
      {"Supplier 51 824 753 556 invoiced us", "AU_ABN", "51 824 753 556"},
      {"ABN: 51824753556", "AU_ABN", "51824753556"},
      {"card 2123 45670 1 expires 2027", "AU_MEDICARE", "2123 45670 1"},
      {"Medicare number 2123456701", "AU_MEDICARE", "2123456701"},
      {"Registered as 27AAPFU0939F1ZV in Mumbai", "IN_GSTIN", "27AAPFU0939F1ZV"},
      {"Thai ID 1-1018-00001-23-9 on the form", "TH_TNIN", "1-1018-00001-23-9"},
      {"national id 1101800001239", "TH_TNIN", "1101800001239"},
      {"my SIN is 046 454 286", "CA_SIN", "046 454 286"},
      {"eth0 link/ether 00:1a:2b:3c:4d:5e brd", "MAC_ADDRESS", "00:1a:2b:3c:4d:5e"},
      {"Physical Address. . . : 00-1A-2B-3C-4D-5E", "MAC_ADDRESS", "00-1A-2B-3C-4D-5E"},
      {"switch port learned 0011.22aa.bbcc", "MAC_ADDRESS", "0011.22aa.bbcc"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(finds(c.text, c.type, c.value))
        << c.text << " -> expected " << c.type << ":" << c.value;
  }
}

TEST_F(IdentifiersTest, RejectsChecksumFailuresPrefixesAndLookAlikes) {
  const std::string_view added[] = {"UK_NINO",     "US_ITIN", "PL_PESEL",    "IT_FISCAL_CODE",
                                    "IT_VAT_CODE", "AU_ABN",  "AU_MEDICARE", "IN_GSTIN",
                                    "TH_TNIN",     "CA_SIN",  "MAC_ADDRESS"};
  const std::string_view texts[] = {
      "NI number DA123456C",             // D never starts a NINO
      "NI number GB123456A",             // GB is not allocated
      "NI number AB123456E",             // suffix past D
      "ITIN 912-69-1234",                // 69 is outside the ITIN ranges
      "PESEL 44051401358",               // check digit off by one
      "PESEL 44133101354",               // month 13
      "order 44051401359 shipped",       // a valid PESEL without its word is an order number
      "codice fiscale RSSMRA85T10A562T", // wrong check letter
      "P.IVA IT 07643520568",            // Luhn fails
      "ref 07643520567 in the ledger",   // eleven bare digits, no VAT word
      "ABN 51 824 753 557",              // mod 89 fails
      "Medicare 2123 45671 1",           // check digit fails
      "Medicare 7123 45670 1",           // no card starts with 7
      "GSTIN 45AAPFU0939F1ZV",           // no state 45
      "Thai ID 1-1018-00001-23-8",       // check digit fails
      "SIN 046 454 287",                 // Luhn fails
      "call 046 454 286 tomorrow",       // nine digits without the SIN word
      "at 12:30:45 the job 10-12-14-16-18-20 ran; release 2024.0101.1234",
      "sha 4f3a2b1c, version 1.2.3.4, build 00-11-22-33-44-55",
      "for (int i = 0; i < 10; ++i) { buf[i] = 0x1F; }",
  };
  for (const std::string_view text : texts) {
    for (const Hit& h : hits(text)) {
      for (const std::string_view type : added) {
        EXPECT_NE(h.type, type) << text << " -> " << h.type << ":" << h.value;
      }
    }
  }
}

// An ITIN and an SSN written alike come from one shared row; each validator picks its own.
TEST_F(IdentifiersTest, RowsWithTheSameShapeShareOneAndStillTellTypesApart) {
  EXPECT_EQ(hits("ITIN 912-78-1234 and SSN 123-45-6789"),
            (std::vector<Hit>{{"US_ITIN", "912-78-1234"}, {"US_SSN", "123-45-6789"}}));
  EXPECT_TRUE(finds("my TFN is 876 543 210", "AU_TFN", "876 543 210"));
  EXPECT_TRUE(finds("SIN: 046 454 286", "CA_SIN", "046 454 286"));
}

TEST(IdentifierValidators, Checksums) {
  struct Check {
    bool (*valid)(std::string_view) noexcept;
    std::string_view text;
    bool expected;
  };
  const Check checks[] = {
      {&ukNinoValid, "AB123456C", true},
      {&ukNinoValid, "ab 12 34 56 c", true},
      {&ukNinoValid, "AO123456C", false}, // O never second
      {&ukNinoValid, "ZZ123456C", false},
      {&ukNinoValid, "AB12345C", false},
      {&usItinValid, "912-70-1234", true},
      {&usItinValid, "912 94 1234", true},
      {&usItinValid, "912-93-1234", false},
      {&usItinValid, "812-78-1234", false},
      {&usItinValid, "912-78 1234", false}, // two separator kinds
      {&plPeselValid, "44051401359", true},
      {&plPeselValid, "02270803624", true}, // born 2002: month + 20
      {&plPeselValid, "44051401350", false},
      {&plPeselValid, "44023001356", false}, // 30 February
      {&itFiscalCodeValid, "RSSMRA85T10A562S", true},
      {&itFiscalCodeValid, "RSSMRA85T10A562A", false},
      {&itFiscalCodeValid, "RSSMRA85T10A56", false},
      {&itVatCodeValid, "07643520567", true},
      {&itVatCodeValid, "IT07643520567", true},
      {&itVatCodeValid, "07643520566", false},
      {&itVatCodeValid, "12345672007", false}, // office 200 does not exist
      {&auAbnValid, "51 824 753 556", true},
      {&auAbnValid, "53004085616", true},
      {&auAbnValid, "51 824 753 555", false},
      {&auMedicareValid, "2123 45670 1", true},
      {&auMedicareValid, "21234567011", true},
      {&auMedicareValid, "2123 45679 1", false},
      {&auMedicareValid, "1123 45670 1", false},
      {&inGstinValid, "27AAPFU0939F1ZV", true},
      {&inGstinValid, "27AAPFU0939F1ZW", false},
      {&inGstinShapeValid, "27AAPFU0939F1ZW", true},
      {&inGstinShapeValid, "27AAPXU0939F1ZV", false}, // X is no PAN holder type
      {&thTninValid, "1101800001239", true},
      {&thTninValid, "3 1005 01234 56 3", true},
      {&thTninValid, "1101800001238", false},
      {&thTninValid, "9101800001235", false},
      {&caSinValid, "046 454 286", true},
      {&caSinValid, "046-454-286", true},
      {&caSinValid, "046 454-286", false},
      {&caSinValid, "046 454 287", false},
      {&macAddressValid, "00:00:5e:00:53:af", true},
      {&macAddressValid, "00-00-5E-00-53-AF", true},
      {&macAddressValid, "0000.5e00.53af", true},
      {&macAddressValid, "10-12-14-16-18-20", false},
      {&macAddressValid, "2024.0101.1234", false},
  };
  for (const Check& c : checks) {
    EXPECT_EQ(c.valid(c.text), c.expected) << c.text;
  }
}

} // namespace
} // namespace cordon::classify
