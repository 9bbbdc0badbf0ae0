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

/// UK National Insurance number: two prefix letters (neither D, F, I, Q, U, V; the second not
/// O; never BG, GB, KN, NK, NT, TN or ZZ), six digits (pairs may be spaced), suffix A-D.
bool ukNinoValid(std::string_view text) noexcept;

/// US ITIN: 9 digits (one separator kind, or none) starting 9, the middle two 50-65, 70-88,
/// 90-92 or 94-99.
bool usItinValid(std::string_view text) noexcept;

/// Polish PESEL: 11 digits, a real birth date YYMMDD with the century in the month (+80 1800s,
/// +0 1900s, +20 2000s, +40 2100s, +60 2200s), the 1-3-7-9 weighted check digit.
bool plPeselValid(std::string_view text) noexcept;

/// Italian codice fiscale: 16 characters (digits possibly replaced by the omocodia letters
/// L-V), a month letter, a day 1-31 (women + 40), the check letter of the odd/even tables.
bool itFiscalCodeValid(std::string_view text) noexcept;

/// Italian partita IVA: 11 digits (an "IT" prefix and one space allowed before them), office
/// code 001-100, 120, 121, 888 or 999 in digits 8-10, Luhn check digit.
bool itVatCodeValid(std::string_view text) noexcept;

/// Australian Business Number: 11 digits (separators allowed); with 1 taken from the first
/// digit, the 10-1-3-5-...-19 weighted sum is divisible by 89.
bool auAbnValid(std::string_view text) noexcept;

/// Australian Medicare card number: 10 digits, or 11 with the issue number (separators
/// allowed), first digit 2-6, the 1-3-7-9 weighted check digit ninth.
bool auMedicareValid(std::string_view text) noexcept;

/// Indian GSTIN: state code 01-38 (or 97, 99), a PAN, entity code, 'Z', and the mod-36 check
/// character (Luhn mod N over 0-9A-Z).
bool inGstinValid(std::string_view text) noexcept;
/// The GSTIN's structure alone (state code, PAN holder type), for a weaker row.
bool inGstinShapeValid(std::string_view text) noexcept;

/// Thai national ID: 13 digits (separators allowed), first digit 1-8, mod-11 check digit.
bool thTninValid(std::string_view text) noexcept;

/// Canadian SIN: 9 digits (one separator kind, or none), Luhn.
bool caSinValid(std::string_view text) noexcept;

} // namespace cordon::classify
