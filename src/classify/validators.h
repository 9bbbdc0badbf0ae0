// Pure checks that confirm a Hyperscan candidate: checksums (Luhn, IBAN mod-97, ABA), number
// rules (US SSN), address parsers (IPv4, IPv6) and structure (e-mail, URL, calendar dates). Each
// takes the candidate's bytes exactly as matched (separators included) and never allocates.
#pragma once

#include <string_view>

namespace cordon::classify {

/// Luhn (mod 10) over the decimal digits of `text`; other bytes are skipped. False if no digit.
bool luhnValid(std::string_view text) noexcept;

/// The digits' leading range and length belong to a card issuer (Visa 13/16/19, Mastercard 16,
/// American Express 15, Diners, JCB, Discover, UnionPay, Maestro, UATP 15).
bool creditCardIssuerKnown(std::string_view text) noexcept;

/// 13-19 digits with optional single spaces or dashes, Luhn-valid, not all one digit.
bool creditCardValid(std::string_view text) noexcept;

/// An IBAN with or without spaces: known country, that country's length, mod-97 == 1.
bool ibanValid(std::string_view text) noexcept;

/// The IBAN length of the country with upper-case code `a``b`, 0 if it has none.
int ibanLength(char a, char b) noexcept;

/// "AAA-GG-SSSS" or 9 bare digits: area not 000/666/9xx, group not 00, serial not 0000, not a
/// known dummy number (078-05-1120, 219-09-9999) and not one digit repeated.
bool usSsnValid(std::string_view text) noexcept;

/// 9 digits (optionally "DDDD-DDDD-D"): valid Federal Reserve prefix and ABA checksum.
bool abaRoutingValid(std::string_view text) noexcept;

/// Dotted quad, each octet 0-255 without leading zeros.
bool ipv4Valid(std::string_view text) noexcept;

/// Parsed by inet_pton (AF_INET6), and not a bare "::" or a C++ scope such as "A::B".
bool ipv6Valid(std::string_view text) noexcept;

/// MAC address: six colon-separated pairs; the dashed and dotted (Cisco) forms need a hex
/// letter (all-digit ones read as dates, phone or part numbers).
bool macAddressValid(std::string_view text) noexcept;

/// local@domain.tld: non-empty local part without leading/trailing/double dots, domain labels
/// of letters, digits and inner dashes, a TLD of at least two letters.
bool emailValid(std::string_view text) noexcept;

/// scheme://host[...] or www.host / host.tld: a host of at least two labels, TLD letters only.
bool urlValid(std::string_view text) noexcept;

/// A real Gregorian calendar date (month 1-12, day within the month, leap years).
bool dateValid(int year, int month, int day) noexcept;

/// ISO 8601 date or date-time ("2024-03-15", "2024-03-15T14:30:00.5Z"): a real calendar date,
/// time fields in range.
bool isoDateTimeValid(std::string_view text) noexcept;

/// Day, month and year in digits, in either day/month order ("12/31/2024", "21.5.2021",
/// "21/05/21"), or month and year ("5/2021", "5/21"); years 1900-2099
/// (two-digit years: 20xx).
bool numericDateValid(std::string_view text) noexcept;

/// A date with a month name ("November 30th 2021", "3rd of April 2021", "05-May", "5-May-21",
/// "May-2021"): the day exists in that month (and year, when given); a bare year is plausible.
bool namedDateValid(std::string_view text) noexcept;

/// A clock time with am/pm ("12:00 PM", "12pm"): hour 1-12, minutes 0-59.
bool clockTimeValid(std::string_view text) noexcept;

/// Finnish henkilötunnus DDMMYYCZZZQ: century sign, real date, individual number and
/// the mod-31 check character (individual number 002-999: 900+ are temporary numbers).
bool fiPersonalIdentityCodeValid(std::string_view text) noexcept;

/// Turkish T.C. kimlik no: 11 digits, no leading zero, both check digits.
bool trNationalIdValid(std::string_view text) noexcept;

/// Swedish personnummer (YY)YYMMDD[-+]NNNC: real date (day + 60 for a coordination number) and
/// Luhn over the ten-digit form.
bool sePersonnummerValid(std::string_view text) noexcept;

/// Shannon entropy of the bytes of `text` in bits per byte.
double shannonEntropy(std::string_view text) noexcept;

/// Count of ASCII digits in `text`.
int digitCount(std::string_view text) noexcept;

} // namespace cordon::classify
