// Checks for national identifiers (Check::Custom validators of patterns_national.cc). Each takes
// the candidate's bytes exactly as matched (separators included) and never allocates.
#pragma once

#include <string_view>

namespace cordon::classify {

/// German USt-IdNr. "DE" + 9 digits (separators allowed): ISO 7064 MOD 11,10 check digit.
bool deVatIdValid(std::string_view text) noexcept;

/// Korean resident registration number YYMMDD[-]GNNNNNC: real date, sex/century digit 1-4.
bool krRrnValid(std::string_view text) noexcept;
/// As krRrnValid, and the pre-2020 mod-11 check digit holds.
bool krRrnChecksumValid(std::string_view text) noexcept;
/// Korean foreign registration number: as krRrnValid with the digit 5-8.
bool krFrnValid(std::string_view text) noexcept;
/// As krFrnValid, and the pre-2020 check digit ((13 - sum mod 11) mod 10) holds.
bool krFrnChecksumValid(std::string_view text) noexcept;

/// German Steuernummer in the 13-digit federal form: Land code 01-16 first.
bool deTaxNumber13Valid(std::string_view text) noexcept;

/// German Steuernummer in a regional slashed form ("181/815/08155"), not a path ("/12/345/6789").
bool deTaxNumberSlashValid(std::string_view text) noexcept;

/// Singapore NRIC / FIN [STFGM]NNNNNNNC: the weighted mod-11 check letter of its series.
bool sgNricFinValid(std::string_view text) noexcept;

/// Spanish DNI/NIF: 7-8 digits, optional '-', the mod-23 control letter.
bool esNifValid(std::string_view text) noexcept;
/// Spanish NIE: X/Y/Z + 7 digits, optional '-', the mod-23 control letter (X=0, Y=1, Z=2).
bool esNieValid(std::string_view text) noexcept;

/// Indian Aadhaar: 12 digits (one separator kind, or none), first digit 2-9, Verhoeff check.
bool inAadhaarValid(std::string_view text) noexcept;

/// US NPI: 10 digits starting 1 or 2 (separators allowed), Luhn over "80840" + the digits.
bool usNpiValid(std::string_view text) noexcept;

/// South African ID YYMMDDSSSSCAZ: real date, citizenship digit 0-2, Luhn.
bool zaIdNumberValid(std::string_view text) noexcept;

/// German passport / ID card number: 9 characters, the ICAO 9303 7-3-1 check digit last.
bool dePassportValid(std::string_view text) noexcept;

/// German Rentenversicherungsnummer AANNNNNNLSSC: birth date DDMMYY (day may be + 50), the
/// letter as its two-digit alphabet position, weighted cross-sum check digit.
bool deSocialSecurityValid(std::string_view text) noexcept;

/// German lifelong doctor number (LANR): 6 digits, check digit (weights 4, 9), 2-digit group.
bool deLanrValid(std::string_view text) noexcept;

/// German Steuer-IdNr.: 11 digits, no leading zero, in the first ten at most one digit
/// repeated (at most three times), ISO 7064 MOD 11,10 check digit.
bool deTaxIdValid(std::string_view text) noexcept;

/// Australian Company Number: 9 digits, weights 8..1, complement check digit.
bool auAcnValid(std::string_view text) noexcept;

/// Australian Tax File Number: 9 digits, weighted sum divisible by 11.
bool auTfnValid(std::string_view text) noexcept;

/// Nigerian NIN: exactly 11 digits (no public checksum; reported only with context).
bool ngNinValid(std::string_view text) noexcept;

/// UK NHS number: 10 digits (3-3-4 groups allowed), mod-11 check digit.
bool ukNhsValid(std::string_view text) noexcept;

} // namespace cordon::classify
