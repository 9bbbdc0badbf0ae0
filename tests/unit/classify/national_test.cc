// National identifiers: each type found with its exact span in a sentence; checksum failures and
// look-alikes (invoices, order numbers, versions, logs) produce nothing.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "classify/validators_national.h"
#include "cordon/classify/classifier.h"
#include "scan_fixture.h"

namespace cordon::classify {
namespace {

using NationalTest = ScanTest;

struct Case {
  std::string_view text;
  std::string_view type;
  std::string_view value;
};

TEST_F(NationalTest, FindsEachTypeWithExactSpan) {
  const Case cases[] = {
      {"Unsere USt-IdNr. lautet DE281512340.", "DE_VAT_ID", "DE281512340"},
      {"VAT: DE 136 695 976 (Beispiel GmbH)", "DE_VAT_ID", "DE 136 695 976"},
      {"Korean passport M123A4567 issued in Seoul", "KR_PASSPORT", "M123A4567"},
      {"My car reg is LN14-HGT since May", "UK_VEHICLE_REGISTRATION", "LN14-HGT"},
      {"Seen: BD62XYZ at the gate", "UK_VEHICLE_REGISTRATION", "BD62XYZ"},
      {"Vehicle registration A123 BCD was towed", "UK_VEHICLE_REGISTRATION", "A123 BCD"},
      {"Araç plakası 34 ABC 1234 olarak kayıtlı.", "TR_LICENSE_PLATE", "34 ABC 1234"},
      {"St.-Nr. 181/815/08155 beim Finanzamt", "DE_TAX_NUMBER", "181/815/08155"},
      {"Steuernummer: 0981508150999 wurde vergeben.", "DE_TAX_NUMBER", "0981508150999"},
      {"Amtsgericht München HRB 123456.", "DE_HANDELSREGISTER", "HRB 123456"},
      {"Führerscheinnummer: BO12345678A", "DE_FUEHRERSCHEIN", "BO12345678A"},
      {"RRN 851107-1234564 on file", "KR_RRN", "851107-1234564"},
      {"Resident registration 960121-1234567", "KR_RRN", "960121-1234567"},
      {"FRN 880304-5123453 on file", "KR_FRN", "880304-5123453"},
      {"NRIC S8412375G was processed", "SG_NRIC_FIN", "S8412375G"},
      {"FIN F5123098K holder", "SG_NRIC_FIN", "F5123098K"},
      {"Mi DNI es 48237519X.", "ES_NIF", "48237519X"},
      {"Mi NIE es Y3418275-Y, gracias", "ES_NIE", "Y3418275-Y"},
      {"Aadhaar 5271 8394 0613 verified", "IN_AADHAAR", "5271 8394 0613"},
      {"My Aadhaar number is 527183940613.", "IN_AADHAAR", "527183940613"},
      {"Provider NPI: 1492837566", "US_NPI", "1492837566"},
      {"My South African ID is 8506125123081.", "ZA_ID_NUMBER", "8506125123081"},
      {"Medicare ID: 1EG4-TE5-MK73 for the patient", "US_MBI", "1EG4-TE5-MK73"},
      {"The MBI is 4EF6GH8JK12 for this patient", "US_MBI", "4EF6GH8JK12"},
      {"Reisepass C01X00T41 ausgestellt am 01.01.2020.", "DE_PASSPORT", "C01X00T41"},
      {"RVNR: 15070649C103 laut Ausweis.", "DE_SOCIAL_SECURITY", "15070649C103"},
      {"My PAN number is ABCPD1234Z, thanks", "IN_PAN", "ABCPD1234Z"},
      {"my voter ID: KSD1287349", "IN_VOTER", "KSD1287349"},
      {"LANR: 123456601 des behandelnden Arztes.", "DE_LANR", "123456601"},
      {"Meine Steuer-ID: 98765432106.", "DE_TAX_ID", "98765432106"},
      {"NIN: 98765432102", "NG_NIN", "98765432102"},
      {"ACN 005 499 981 (Example Pty Ltd)", "AU_ACN", "005 499 981"},
      {"my TFN is 876 543 210", "AU_TFN", "876 543 210"},
      {"NHS no. 943 476 5919", "UK_NHS", "943 476 5919"},
  };
  for (const Case& c : cases) {
    const std::vector<Hit> found = hits(c.text);
    const Hit want{std::string(c.type), std::string(c.value)};
    bool ok = false;
    for (const Hit& h : found) {
      ok = ok || h == want;
    }
    EXPECT_TRUE(ok) << c.text << " -> expected " << c.type << ":" << c.value;
  }
}

TEST_F(NationalTest, RejectsChecksumFailuresAndLookAlikes) {
  const std::string_view national[] = {
      "DE_VAT_ID",        "KR_PASSPORT",   "UK_VEHICLE_REGISTRATION",
      "TR_LICENSE_PLATE", "DE_TAX_NUMBER", "DE_HANDELSREGISTER",
      "DE_FUEHRERSCHEIN", "KR_RRN",        "KR_FRN",
      "SG_NRIC_FIN",      "ES_NIF",        "ES_NIE",
      "IN_AADHAAR",       "US_NPI",        "ZA_ID_NUMBER"};
  const std::string_view texts[] = {
      "USt-IdNr. DE281512341",  // check digit off by one
      "VAT DE1234567890",       // ten digits
      "passport A123B4567",     // not a Korean series letter
      "car reg AB49 ABC",       // no such age identifier
      "Plaka 99 ABC 123",       // no province 99
      "HRC 12345",              // no such register
      "RRN 001332-1234567",     // month 13
      "NRIC S8412375H",         // wrong check letter
      "DNI 48237519A",          // wrong control letter
      "NIE Y3418275Q",          // wrong control letter
      "Aadhaar 5271 8394 0614", // Verhoeff fails
      "NPI 1492837567",         // Luhn fails
      "Invoice 2024-0042 total 1234.56 EUR, order 527183940613",
      "build 1681508150001 at 2024-03-15T14:30:00Z took 8506125123081 ns",
      "version 1.2.3 released, commit 4f3a2b1, see RFC 7231 and ISO 27001",
      "for (int i = 0; i < 10; ++i) { buf[i] = 0x1F; }",
      "Order #240315-1234567 shipped; tracking 1Z999AA10123456784",
      "The A100 GPU and H100 GPU; 10 x 20 cm; USB 3C port",
      "Room 12 B 204; Version 16 RC 1234; 10 AM 12 people",
      "chmod 755 /var/www/123/456/78901 and GET /api/12/345/6789",
      "Medicare ID: 1SG4-TE5-MK73", // S is not an MBI letter
      "Reisepass F12345678",        // ICAO check digit fails
      "RVNR 15071349C103",          // month 13
      "NHS number 943 476 5918",    // mod 11 fails
      "invoice INV2024001 ref ABC1234567 phone 020 7946 0958 id 12345678903",
  };
  for (const std::string_view text : texts) {
    for (const Hit& h : hits(text)) {
      for (const std::string_view type : national) {
        EXPECT_NE(h.type, type) << text << " -> " << h.type << ":" << h.value;
      }
    }
  }
}

TEST(NationalValidators, Checksums) {
  EXPECT_TRUE(deVatIdValid("DE136695976"));
  EXPECT_FALSE(deVatIdValid("DE136695977"));
  EXPECT_TRUE(sgNricFinValid("S2740116C"));
  EXPECT_TRUE(sgNricFinValid("M4332674T"));
  EXPECT_FALSE(sgNricFinValid("S2740116D"));
  EXPECT_TRUE(esNifValid("12345678Z"));
  EXPECT_TRUE(esNifValid("1111111-G"));
  EXPECT_FALSE(esNifValid("12345678A"));
  EXPECT_TRUE(esNieValid("X9613851N"));
  EXPECT_FALSE(esNieValid("X9613851Q"));
  EXPECT_TRUE(inAadhaarValid("3998 7654 3211"));
  EXPECT_FALSE(inAadhaarValid("3998 7654-3211"));
  EXPECT_FALSE(inAadhaarValid("1234 5678 9012"));
  EXPECT_TRUE(usNpiValid("1245319599"));
  EXPECT_FALSE(usNpiValid("3234567893"));
  EXPECT_TRUE(zaIdNumberValid("8001015009087"));
  EXPECT_FALSE(zaIdNumberValid("8001015009086"));
  EXPECT_TRUE(krRrnChecksumValid("960121-1021413"));
  EXPECT_FALSE(krRrnValid("960121-5021413"));
  EXPECT_TRUE(krFrnChecksumValid("911124-5678906"));
  EXPECT_TRUE(dePassportValid("F12345671"));
  EXPECT_FALSE(dePassportValid("F12345678"));
  EXPECT_TRUE(deSocialSecurityValid("65070803A019"));
  EXPECT_FALSE(deSocialSecurityValid("65070803A012"));
  EXPECT_TRUE(deLanrValid("987654401"));
  EXPECT_FALSE(deLanrValid("100000401"));
  EXPECT_TRUE(deTaxIdValid("12345678903"));
  EXPECT_FALSE(deTaxIdValid("11112345678"));
  EXPECT_FALSE(deTaxIdValid("98765432100"));
  EXPECT_TRUE(auAcnValid("006249976"));
  EXPECT_FALSE(auAcnValid("824753557"));
  EXPECT_TRUE(auTfnValid("876543210"));
  EXPECT_FALSE(auTfnValid("824753557"));
  EXPECT_TRUE(ukNhsValid("401-023-2137"));
  EXPECT_FALSE(ukNhsValid("401-023-2138"));
}

} // namespace
} // namespace cordon::classify
