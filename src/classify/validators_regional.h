// Checks for the regional formats of patterns_regional.cc (postcodes, licence and registration
// numbers). Each takes the candidate's bytes exactly as matched and never allocates.
#pragma once

#include <string_view>

namespace cordon::classify {

/// UK postcode "SW1A 1AA" / "EC1A1BB": the outward code's area letters are one of the Royal Mail
/// postcode areas (or the special "GIR 0AA").
bool ukPostcodeValid(std::string_view text) noexcept;

/// US DEA registration number: registrant letter, a letter or '9', seven digits whose last is
/// (d1 + d3 + d5 + 2 * (d2 + d4 + d6)) mod 10.
bool deaNumberValid(std::string_view text) noexcept;

/// Swedish organisationsnummer NNNNNN[-]NNNN: first digit 1-9, third digit 2 or more (so it
/// is never a personnummer's month), Luhn over the ten digits.
bool seOrganisationsnummerValid(std::string_view text) noexcept;

/// Turkish mobile number written as eleven bare digits with the trunk 0: "05NNNNNNNNN".
bool trMobileBareValid(std::string_view text) noexcept;

/// Korean driver's licence number: 12 digits (separators allowed), region code 11-28 first.
bool krDriverLicenseValid(std::string_view text) noexcept;

/// AWS access key id that is not AWS's documented example ("...EXAMPLE"), with the entropy of a
/// real key.
bool awsAccessKeyValid(std::string_view text) noexcept;

} // namespace cordon::classify
