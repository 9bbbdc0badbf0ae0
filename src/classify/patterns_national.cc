// National identifiers: tax, social-security, passport and licence numbers, with their checksums
// (validators_national.cc).
#include <array>

#include "classify/patterns.h"
#include "classify/validators_national.h"

namespace cordon::classify {
namespace {

constexpr std::string_view kDeVatContext = "ust|vat|umsatzsteuer|steuer|tax";
constexpr std::string_view kKrPassportContext = "passport|여권";
constexpr std::string_view kUkPlateContext =
    "reg|registration|plate|vehicle|car|vrm|dvla|numberplate";
constexpr std::string_view kTrPlateContext = "plaka|plate|araç|arac|vehicle";
constexpr std::string_view kDeTaxNumberContext =
    "steuernummer|st.-nr|st-nr|stnr|steuer-nr|finanzamt|tax number";
constexpr std::string_view kHrContext = "handelsregister|amtsgericht|registergericht|register";
constexpr std::string_view kFsContext = "führerschein|fuehrerschein|fahrerlaubnis|driving|licen";
constexpr std::string_view kKrRrnContext = "rrn|주민등록|주민번호|resident registration";
constexpr std::string_view kKrFrnContext = "frn|외국인등록|foreign registration|alien registration";
// Order, batch and ticket numbers are often keyed by a date too ("240315-1234567").
constexpr std::string_view kDateKeyedNumberNegative =
    "order|invoice|tracking|ticket|ref|serial|build|batch|lot|case|po|sku";
constexpr std::string_view kSgContext = "nric|fin|identity card|ic no";
constexpr std::string_view kEsNifContext = "nif|dni|documento|identidad";
constexpr std::string_view kEsNieContext = "nie|extranjero|foreigner";
constexpr std::string_view kAadhaarContext = "aadhaar|aadhar|uidai|आधार";
constexpr std::string_view kNpiContext = "npi|provider|national provider";
constexpr std::string_view kDePassportContext = "pass|reisepass|ausweis|passport";
constexpr std::string_view kDeSocialContext =
    "rvnr|rentenversicherung|sozialversicherung|versicherungsnummer|social security";
constexpr std::string_view kPanContext = "pan|permanent account|income tax";
constexpr std::string_view kVoterContext = "vot|epic|election|electoral";
constexpr std::string_view kLanrContext = "lanr|arztnummer|arzt-nr|arzt";
constexpr std::string_view kDeTaxIdContext =
    "steuer-id|steuerid|steuer id|idnr|identifikationsnummer|tax id|steuerliche";
constexpr std::string_view kNinContext = "nin|national identification";
constexpr std::string_view kAcnContext = "acn|company number|australian company";
constexpr std::string_view kTfnContext = "tfn|tax file";
constexpr std::string_view kNhsContext = "nhs|health service";
constexpr std::string_view kZaContext = "id|identity|south african|rsa|resident";
constexpr std::string_view kNinoContext =
    "national insurance|nino|ni number|ni no|insurance number";
// Context words match at word starts: "itin " and "sin " keep "itinerary", "since" and "single"
// out.
constexpr std::string_view kItinContext =
    "itin |itin:|itin#|taxpayer identification|individual taxpayer";
constexpr std::string_view kPeselContext = "pesel";
constexpr std::string_view kFiscalCodeContext = "codice fiscale|fiscal code|tax code|c.f.|cf";
constexpr std::string_view kItVatContext = "partita iva|p.iva|p. iva|piva|iva|vat";
constexpr std::string_view kAbnContext = "abn|australian business|business number";
constexpr std::string_view kMedicareContext = "medicare";
constexpr std::string_view kGstinContext = "gstin|gst|goods and services";
constexpr std::string_view kThIdContext =
    "thai|national id|citizen id|identification number|บัตรประชาชน|เลขประจำตัวประชาชน";
constexpr std::string_view kSinContext =
    "sin |sin:|sin#|social insurance|assurance sociale|nas |nas:";

// Rows with .threshold = 0.9F are reported only with a context word (0.6 + 0.4); their final
// score then wins an overlap with a generic phone number or date.
// UK current-format age identifiers, March 2002 (02) to September 2026 (76).
#define CORDON_UK_AGE "(?:0[2-9]|1[0-9]|2[0-6]|5[1-9]|6[0-9]|7[0-6])"
// UK pre-2001 registration year letters (no I, O, Q, U, Z).
#define CORDON_UK_YEAR "[A-HJ-NPR-TV-Y]"
// Medicare Beneficiary Identifier letters (no S, L, O, I, B, Z).
#define CORDON_MBI_L "[AC-HJKMNP-RT-Y]"

constexpr std::array kPatterns{
    // German VAT ID: DE + 9 digits (groups of three may be split), MOD 11,10 check digit.
    PatternSpec{.type = "DE_VAT_ID",
                .regex = R"(DE[ .-]?[0-9]{3}[ .-]?[0-9]{3}[ .-]?[0-9]{3})",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kDeVatContext,
                .caseless = true,
                .valid = &deVatIdValid},
    // Korean passport: M/S/R/O/D, 3 digits, a letter, 4 digits (the 2021 format).
    PatternSpec{.type = "KR_PASSPORT",
                .regex = R"([MSROD][0-9]{3}[A-Z][0-9]{4})",
                .score = 0.5F,
                .context = kKrPassportContext,
                .caseless = true},
    // UK vehicle registration, current format AB51 ABC: area (no I, Q, Z), age, three letters.
    PatternSpec{.type = "UK_VEHICLE_REGISTRATION",
                .regex = "[A-HJ-PR-Y][A-HJ-PR-Y]" CORDON_UK_AGE "[ -]?[A-HJ-PR-Z]{3}",
                .score = 0.5F,
                .context = kUkPlateContext,
                .caseless = true,
                .shy_of_codes = true},
    // Prefix (A123 BCD) and suffix (ABC 123D) formats: bare as one token, spaced with context.
    PatternSpec{.type = "UK_VEHICLE_REGISTRATION",
                .regex = CORDON_UK_YEAR "[1-9][0-9]{0,2}[A-HJ-PR-Y]{3}",
                .score = 0.5F,
                .context = kUkPlateContext,
                .shy_of_codes = true},
    PatternSpec{.type = "UK_VEHICLE_REGISTRATION",
                .regex = "[A-HJ-PR-Y]{3}[1-9][0-9]{0,2}" CORDON_UK_YEAR,
                .score = 0.5F,
                .context = kUkPlateContext,
                .shy_of_codes = true},
    PatternSpec{.type = "UK_VEHICLE_REGISTRATION",
                .regex = CORDON_UK_YEAR "[1-9][0-9]{0,2} [A-HJ-PR-Y]{3}",
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kUkPlateContext},
    PatternSpec{.type = "UK_VEHICLE_REGISTRATION",
                .regex = "[A-HJ-PR-Y]{3} [1-9][0-9]{0,2}" CORDON_UK_YEAR,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kUkPlateContext},
    // Turkish plate: province 01-81, 1-3 letters (no Q, W, X), 2-4 digits. As loose as that
    // reads like room numbers and versions ("12 B 204", "16 RC 1234"): context needed.
    PatternSpec{.type = "TR_LICENSE_PLATE",
                .regex = R"((?:0[1-9]|[1-7][0-9]|8[01]) ?[A-PR-VYZ]{1,3} ?[0-9]{2,4})",
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kTrPlateContext},
    // German Steuernummer: slashed regional form (not a path segment: the pattern takes a leading
    // '/' in so that the validator can refuse it); the 13-digit federal form only with context.
    PatternSpec{.type = "DE_TAX_NUMBER",
                .regex = R"(/?[0-9]{2,3}/[0-9]{3,4}/[0-9]{4,5})",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kDeTaxNumberContext,
                .valid = &deTaxNumberSlashValid},
    PatternSpec{.type = "DE_TAX_NUMBER",
                .regex = R"([0-9]{13})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kDeTaxNumberContext,
                .extend = Extend::Digits,
                .valid = &deTaxNumber13Valid},
    // German commercial register: HRA / HRB and up to six digits.
    PatternSpec{.type = "DE_HANDELSREGISTER",
                .regex = R"(HR[AB] ?[1-9][0-9]{0,5})",
                .score = 0.6F,
                .context = kHrContext,
                .caseless = true},
    // German driving licence: two letters, eight digits, a check character.
    // Ending in a digit it reads like any country-prefixed number (VAT IDs): context needed.
    PatternSpec{.type = "DE_FUEHRERSCHEIN",
                .regex = R"([A-Z]{2}[0-9]{8}[A-Z])",
                .score = 0.5F,
                .context = kFsContext,
                .caseless = true},
    PatternSpec{.type = "DE_FUEHRERSCHEIN",
                .regex = R"([A-Z]{2}[0-9]{9})",
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kFsContext,
                .caseless = true},
    // Korean RRN / FRN: YYMMDD-GNNNNNN with a real date and the sex/century digit. Numbers issued
    // since October 2020 have no check digit, so the dashed form stands on its own (a pre-2020
    // check digit scores higher); thirteen bare digits need context.
    PatternSpec{.type = "KR_RRN",
                .regex = R"([0-9]{6}-[1-4][0-9]{6})",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kKrRrnContext,
                .valid = &krRrnChecksumValid},
    PatternSpec{.type = "KR_RRN",
                .regex = R"([0-9]{6}-[1-4][0-9]{6})",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kKrRrnContext,
                .negative = kDateKeyedNumberNegative,
                .valid = &krRrnValid},
    PatternSpec{.type = "KR_RRN",
                .regex = R"([0-9]{13})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kKrRrnContext,
                .extend = Extend::Digits,
                .valid = &krRrnValid},
    PatternSpec{.type = "KR_FRN",
                .regex = R"([0-9]{6}-[5-8][0-9]{6})",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kKrFrnContext,
                .valid = &krFrnChecksumValid},
    PatternSpec{.type = "KR_FRN",
                .regex = R"([0-9]{6}-[5-8][0-9]{6})",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kKrFrnContext,
                .negative = kDateKeyedNumberNegative,
                .valid = &krFrnValid},
    PatternSpec{.type = "KR_FRN",
                .regex = R"([0-9]{13})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kKrFrnContext,
                .extend = Extend::Digits,
                .valid = &krFrnValid},
    // Singapore NRIC / FIN with its check letter.
    PatternSpec{.type = "SG_NRIC_FIN",
                .regex = R"([STFGM][0-9]{7}[A-Z])",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kSgContext,
                .caseless = true,
                .valid = &sgNricFinValid},
    // Spanish NIF (DNI) and NIE with the mod-23 control letter.
    PatternSpec{.type = "ES_NIF",
                .regex = R"([0-9]{7,8}-?[A-Z])",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kEsNifContext,
                .caseless = true,
                .valid = &esNifValid},
    PatternSpec{.type = "ES_NIE",
                .regex = R"([XYZ][0-9]{7}-?[A-Z])",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kEsNieContext,
                .caseless = true,
                .valid = &esNieValid},
    // Aadhaar, Verhoeff-checked: 4-4-4 split by '-' or ':' on its own; split by spaces (which
    // may be three groups of a longer run) or twelve bare digits only with context.
    PatternSpec{.type = "IN_AADHAAR",
                .regex = R"([2-9][0-9]{3}(?::[0-9]{4}:|-[0-9]{4}-)[0-9]{4})",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kAadhaarContext,
                .valid = &inAadhaarValid},
    PatternSpec{.type = "IN_AADHAAR",
                .regex = R"([2-9][0-9]{3} [0-9]{4} [0-9]{4})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kAadhaarContext,
                .valid = &inAadhaarValid},
    PatternSpec{.type = "IN_AADHAAR",
                .regex = R"([0-9]{12})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kAadhaarContext,
                .extend = Extend::Digits,
                .valid = &inAadhaarValid},
    // US NPI: ten digits (or 4-3-3) with the 80840-prefixed Luhn check, only with context.
    PatternSpec{.type = "US_NPI",
                .regex = R"([12][0-9]{3}(?: [0-9]{3} |-[0-9]{3}-)[0-9]{3})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kNpiContext,
                .valid = &usNpiValid},
    PatternSpec{.type = "US_NPI",
                .regex = R"([0-9]{10})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kNpiContext,
                .extend = Extend::Digits,
                .valid = &usNpiValid},
    // South African ID: date, citizenship digit, Luhn.
    PatternSpec{.type = "ZA_ID_NUMBER",
                .regex = R"([0-9]{13})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kZaContext,
                .extend = Extend::Digits,
                .valid = &zaIdNumberValid},
    // US Medicare Beneficiary Identifier: 1-9, letter, alnum, digit, letter, alnum, digit,
    // letter, letter, digit, digit; bare or split 4-3-4 by dashes.
    PatternSpec{.type = "US_MBI",
                .regex = "[1-9]" CORDON_MBI_L "[AC-HJKMNP-RT-Y0-9][0-9]" CORDON_MBI_L
                         "[AC-HJKMNP-RT-Y0-9][0-9]" CORDON_MBI_L CORDON_MBI_L "[0-9]{2}",
                .score = 0.5F,
                .caseless = true},
    PatternSpec{.type = "US_MBI",
                .regex = "[1-9]" CORDON_MBI_L "[AC-HJKMNP-RT-Y0-9][0-9]-" CORDON_MBI_L
                         "[AC-HJKMNP-RT-Y0-9][0-9]-" CORDON_MBI_L CORDON_MBI_L "[0-9]{2}",
                .score = 0.5F,
                .caseless = true},
    // German passport / ID card: authority letter, 7 more characters, ICAO check digit.
    PatternSpec{.type = "DE_PASSPORT",
                .regex = R"([CFGHJK][0-9CFGHJKLMNPRTVWXYZ]{7}[0-9])",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kDePassportContext,
                .caseless = true,
                .valid = &dePassportValid},
    // German pension insurance number: area, birth date, letter, serial, check digit.
    PatternSpec{.type = "DE_SOCIAL_SECURITY",
                .regex = R"([0-9]{8}[A-Z][0-9]{3})",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kDeSocialContext,
                .caseless = true,
                .valid = &deSocialSecurityValid},
    // Indian PAN: the fourth letter names the holder type; other letters only with context.
    PatternSpec{.type = "IN_PAN",
                .regex = R"([A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z])",
                .score = 0.5F,
                .context = kPanContext},
    PatternSpec{.type = "IN_PAN",
                .regex = R"([A-Z]{5}[0-9]{4}[A-Z])",
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kPanContext},
    // Indian voter ID (EPIC): three letters, seven digits; reads like any code, so context.
    PatternSpec{.type = "IN_VOTER",
                .regex = R"([A-Z]{3}[0-9]{7})",
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kVoterContext,
                .caseless = true},
    // Nine to eleven bare digits: only with context, and with the checksum where there is one.
    PatternSpec{.type = "DE_LANR",
                .regex = R"([0-9]{9})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kLanrContext,
                .extend = Extend::Digits,
                .valid = &deLanrValid},
    PatternSpec{.type = "DE_TAX_ID",
                .regex = R"([0-9]{11})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kDeTaxIdContext,
                .extend = Extend::Digits,
                .valid = &deTaxIdValid},
    PatternSpec{.type = "NG_NIN",
                .regex = R"([0-9]{11})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kNinContext,
                .extend = Extend::Digits,
                .valid = &ngNinValid},
    PatternSpec{.type = "AU_ACN",
                .regex = R"([0-9]{3} [0-9]{3} [0-9]{3})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kAcnContext,
                .valid = &auAcnValid},
    PatternSpec{.type = "AU_ACN",
                .regex = R"([0-9]{9})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kAcnContext,
                .extend = Extend::Digits,
                .valid = &auAcnValid},
    PatternSpec{.type = "AU_TFN",
                .regex = R"([0-9]{3} [0-9]{3} [0-9]{3})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kTfnContext,
                .valid = &auTfnValid},
    PatternSpec{.type = "AU_TFN",
                .regex = R"([0-9]{9})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kTfnContext,
                .extend = Extend::Digits,
                .valid = &auTfnValid},
    PatternSpec{.type = "UK_NHS",
                .regex = R"([0-9]{3}(?: [0-9]{3} |-[0-9]{3}-)[0-9]{4})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kNhsContext,
                .valid = &ukNhsValid},
    PatternSpec{.type = "UK_NHS",
                .regex = R"([0-9]{10})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kNhsContext,
                .extend = Extend::Digits,
                .valid = &ukNhsValid},
    // UK National Insurance number: prefix letters, three digit pairs, suffix A-D.
    PatternSpec{.type = "UK_NINO",
                .regex =
                    R"([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kNinoContext,
                .caseless = true,
                .valid = &ukNinoValid},
    // US ITIN: 9XX-XX-XXXX with the middle group in the IRS ranges; bare with context.
    PatternSpec{.type = "US_ITIN",
                .regex = R"(\d{3}-\d{2}-\d{4})", // the US_SSN row's: they share one DigitRows row
                .check = Check::Custom,
                .score = 0.6F,
                .context = kItinContext,
                .valid = &usItinValid},
    PatternSpec{.type = "US_ITIN",
                .regex = R"([0-9]{9})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kItinContext,
                .extend = Extend::Digits,
                .valid = &usItinValid},
    // Polish PESEL: birth date and check digit hold for ~2 % of 11-digit runs: context needed.
    PatternSpec{.type = "PL_PESEL",
                .regex = R"([0-9]{11})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kPeselContext,
                .extend = Extend::Digits,
                .valid = &plPeselValid},
    // Italian codice fiscale: surname, name, birth year, month letter, day, place, check letter.
    // Codes whose digits were replaced by omocodia letters (rare) are not matched: the row would
    // lose its digit-only bytes and fall back to Hyperscan (+30 % on the mixed scan).
    PatternSpec{.type = "IT_FISCAL_CODE",
                .regex = R"([A-Z]{6}[0-9]{2}[ABCDEHLMPRST][0-9]{2}[A-Z][0-9]{3}[A-Z])",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kFiscalCodeContext,
                .caseless = true,
                .valid = &itFiscalCodeValid},
    // Italian partita IVA: after "IT" on its own; eleven bare digits with context.
    PatternSpec{.type = "IT_VAT_CODE",
                .regex = R"(IT ?[0-9]{11})",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kItVatContext,
                .valid = &itVatCodeValid},
    PatternSpec{.type = "IT_VAT_CODE",
                .regex = R"([0-9]{11})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kItVatContext,
                .extend = Extend::Digits,
                .valid = &itVatCodeValid},
    // Australian Business Number: 2-3-3-3 groups on their own (mod 89); bare with context.
    PatternSpec{.type = "AU_ABN",
                .regex = R"([1-9][0-9] [0-9]{3} [0-9]{3} [0-9]{3})",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kAbnContext,
                .valid = &auAbnValid},
    PatternSpec{.type = "AU_ABN",
                .regex = R"([0-9]{11})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kAbnContext,
                .extend = Extend::Digits,
                .valid = &auAbnValid},
    // Australian Medicare card: 4-5-1 groups (and the issue number) on their own; bare with
    // context.
    PatternSpec{.type = "AU_MEDICARE",
                .regex = R"([2-6][0-9]{3} [0-9]{5} [0-9](?: ?[1-9])?)",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kMedicareContext,
                .valid = &auMedicareValid},
    PatternSpec{.type = "AU_MEDICARE",
                .regex = R"([0-9]{10})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kMedicareContext,
                .extend = Extend::Digits,
                .valid = &auMedicareValid},
    // Indian GSTIN: state, PAN, entity code, 'Z', check character; the structure alone scores
    // lower than a passing check.
    PatternSpec{.type = "IN_GSTIN",
                .regex = R"([0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z])",
                .check = Check::Custom,
                .score = 0.7F,
                .context = kGstinContext,
                .valid = &inGstinValid},
    PatternSpec{.type = "IN_GSTIN",
                .regex = R"([0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z])",
                .check = Check::Custom,
                .score = 0.5F,
                .context = kGstinContext,
                .valid = &inGstinShapeValid},
    // Thai national ID: 1-4-5-2-1 groups on their own (mod 11); thirteen bare digits with context.
    PatternSpec{.type = "TH_TNIN",
                .regex =
                    R"([1-8](?:-[0-9]{4}-[0-9]{5}-[0-9]{2}-| [0-9]{4} [0-9]{5} [0-9]{2} )[0-9])",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kThIdContext,
                .valid = &thTninValid},
    PatternSpec{.type = "TH_TNIN",
                .regex = R"([0-9]{13})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kThIdContext,
                .extend = Extend::Digits,
                .valid = &thTninValid},
    // Canadian SIN: Luhn holds for one nine-digit group in ten: context needed.
    PatternSpec{.type = "CA_SIN",
                .regex = R"([0-9]{3} [0-9]{3} [0-9]{3})",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kSinContext,
                .valid = &caSinValid},
};

#undef CORDON_UK_AGE
#undef CORDON_UK_YEAR
#undef CORDON_MBI_L

} // namespace

std::span<const PatternSpec> nationalIdPatterns() noexcept {
  return kPatterns;
}

} // namespace cordon::classify
