// Regional formats that are not national identity numbers: Turkish phone numbers, UK postcodes,
// US DEA registrations, Swedish organisation numbers, Korean driver's licences and Nigerian
// plates (validators_regional.cc).
#include <array>

#include "classify/patterns.h"
#include "classify/validators_regional.h"

namespace cordon::classify {
namespace {

constexpr std::string_view kTrPhoneContext =
    "telefon|tel|phone|cep|gsm|mobile|numara|call|contact|number";
constexpr std::string_view kPostcodeContext = "postcode|post code|address|london|uk|england";
constexpr std::string_view kDeaContext =
    "dea|medical|licen|prescri|certificate|registration|physician|doctor";
constexpr std::string_view kSeOrgContext =
    "organisationsnummer|orgnr|org.nr|org nr|orgnummer|företag|bolag|company|organisation";
constexpr std::string_view kKrDriverContext = "운전면허|면허|driver|licen";
constexpr std::string_view kNgPlateContext = "plate|vehicle|registration|car|reg";

// Turkish area and mobile codes: 2xx-4xx landlines, 5xx mobiles.
#define CORDON_TR_AREA "[2-5][0-9]{2}"

constexpr std::array kPatterns{
    // Turkish numbers: +90 with any grouping; national forms in the Turkish 3-3-2-2 grouping
    // (with or without the trunk 0), which no other numbering plan writes; a mobile number as
    // eleven bare digits "05..". Scored above the generic PHONE_NUMBER rows so the more
    // specific type wins their overlap.
    PatternSpec{.type = "TR_PHONE_NUMBER",
                .regex = R"(\+90[ -]?(?:\()" CORDON_TR_AREA R"(\)|)" CORDON_TR_AREA
                         R"()[ -]?[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{2})",
                .score = 0.9F,
                .context = kTrPhoneContext},
    PatternSpec{.type = "TR_PHONE_NUMBER",
                .regex = "(?:0[ -]?)?" CORDON_TR_AREA " [0-9]{3} [0-9]{2} [0-9]{2}|"
                         "(?:0-)?" CORDON_TR_AREA "-[0-9]{3}-[0-9]{2}-[0-9]{2}|" CORDON_TR_AREA
                         R"(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2})",
                .score = 0.7F,
                .context = kTrPhoneContext},
    PatternSpec{.type = "TR_PHONE_NUMBER",
                .regex = R"(0 ?\()" CORDON_TR_AREA R"(\) ?[0-9]{3} ?[0-9]{2} ?[0-9]{2})",
                .score = 0.7F,
                .context = kTrPhoneContext},
    PatternSpec{.type = "TR_PHONE_NUMBER",
                .regex = "05[0-9]{9}",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kTrPhoneContext,
                .extend = Extend::Digits,
                .valid = &trMobileBareValid},
    // UK postcode: outward code (area, district), inward code (sector digit, unit letters
    // without C I K M O V); the area must be a real one. Upper case only: lower-case runs of
    // that shape are identifiers, not addresses.
    PatternSpec{.type = "UK_POSTCODE",
                .regex = "[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}|GIR ?0AA",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kPostcodeContext,
                .valid = &ukPostcodeValid,
                .shy_of_codes = true},
    // US DEA registration number (the identifier of a prescriber, Presidio's MEDICAL_LICENSE).
    // Two letters and seven digits is also the shape of order and part numbers, one in ten of
    // which passes the check digit: a medical or licence word must precede it.
    PatternSpec{.type = "MEDICAL_LICENSE",
                .regex = "[ABCDEFGHJKLMPRSTUX][A-Z9][0-9]{7}",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kDeaContext,
                .valid = &deaNumberValid},
    // Swedish organisationsnummer: the dashed form on its own, ten bare digits with context.
    PatternSpec{.type = "SE_ORGANISATIONSNUMMER",
                .regex = "[1-9][0-9][2-9][0-9]{3}-[0-9]{4}",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kSeOrgContext,
                .valid = &seOrganisationsnummerValid},
    PatternSpec{.type = "SE_ORGANISATIONSNUMMER",
                .regex = "[0-9]{10}",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kSeOrgContext,
                .extend = Extend::Digits,
                .valid = &seOrganisationsnummerValid},
    // Korean driver's licence: region 11-28, year, serial, check pair; grouped 2-2-6-2 on its
    // own, twelve bare digits with context.
    PatternSpec{.type = "KR_DRIVER_LICENSE",
                .regex = "(?:1[1-9]|2[0-8])-[0-9]{2}-[0-9]{6}-[0-9]{2}|"
                         "(?:1[1-9]|2[0-8]) [0-9]{2} [0-9]{6} [0-9]{2}",
                .check = Check::Custom,
                .score = 0.6F,
                .context = kKrDriverContext,
                .valid = &krDriverLicenseValid},
    PatternSpec{.type = "KR_DRIVER_LICENSE",
                .regex = "[0-9]{12}",
                .check = Check::Custom,
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kKrDriverContext,
                .extend = Extend::Digits,
                .valid = &krDriverLicenseValid},
    // Nigerian plate: LGA code, three digits, two letters. The shape is a common product code,
    // so a vehicle word must precede it.
    PatternSpec{.type = "NG_VEHICLE_REGISTRATION",
                .regex = "[A-Z]{3}[- ]?[0-9]{3}[A-Z]{2}",
                .score = 0.6F,
                .threshold = 0.9F,
                .context = kNgPlateContext,
                .caseless = true},
};

#undef CORDON_TR_AREA

} // namespace

std::span<const PatternSpec> regionalPatterns() noexcept {
  return kPatterns;
}

} // namespace cordon::classify
