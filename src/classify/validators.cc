#include "classify/validators.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <arpa/inet.h>

namespace cordon::classify {
namespace {

bool isDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool isUpper(char c) noexcept {
  return c >= 'A' && c <= 'Z';
}
bool isLower(char c) noexcept {
  return c >= 'a' && c <= 'z';
}
bool isAlpha(char c) noexcept {
  return isUpper(c) || isLower(c);
}
bool isAlnum(char c) noexcept {
  return isAlpha(c) || isDigit(c);
}
bool isHex(char c) noexcept {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char toUpper(char c) noexcept {
  return isLower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

struct IbanCountry {
  std::array<char, 2> code;
  int length;
};

// SWIFT IBAN registry (plus the long-standing partner countries).
constexpr std::array<IbanCountry, 89> kIbanCountries{{
    {{'A', 'D'}, 24}, {{'A', 'E'}, 23}, {{'A', 'L'}, 28}, {{'A', 'T'}, 20}, {{'A', 'Z'}, 28},
    {{'B', 'A'}, 20}, {{'B', 'E'}, 16}, {{'B', 'G'}, 22}, {{'B', 'H'}, 22}, {{'B', 'I'}, 27},
    {{'B', 'R'}, 29}, {{'B', 'Y'}, 28}, {{'C', 'H'}, 21}, {{'C', 'R'}, 22}, {{'C', 'Y'}, 28},
    {{'C', 'Z'}, 24}, {{'D', 'E'}, 22}, {{'D', 'J'}, 27}, {{'D', 'K'}, 18}, {{'D', 'O'}, 28},
    {{'E', 'E'}, 20}, {{'E', 'G'}, 29}, {{'E', 'S'}, 24}, {{'F', 'I'}, 18}, {{'F', 'K'}, 18},
    {{'F', 'O'}, 18}, {{'F', 'R'}, 27}, {{'G', 'B'}, 22}, {{'G', 'E'}, 22}, {{'G', 'I'}, 23},
    {{'G', 'L'}, 18}, {{'G', 'R'}, 27}, {{'G', 'T'}, 28}, {{'H', 'R'}, 21}, {{'H', 'U'}, 28},
    {{'I', 'E'}, 22}, {{'I', 'L'}, 23}, {{'I', 'Q'}, 23}, {{'I', 'S'}, 26}, {{'I', 'T'}, 27},
    {{'J', 'O'}, 30}, {{'K', 'W'}, 30}, {{'K', 'Z'}, 20}, {{'L', 'B'}, 28}, {{'L', 'C'}, 32},
    {{'L', 'I'}, 21}, {{'L', 'T'}, 20}, {{'L', 'U'}, 20}, {{'L', 'V'}, 21}, {{'L', 'Y'}, 25},
    {{'M', 'C'}, 27}, {{'M', 'D'}, 24}, {{'M', 'E'}, 22}, {{'M', 'K'}, 19}, {{'M', 'N'}, 20},
    {{'M', 'R'}, 27}, {{'M', 'T'}, 31}, {{'M', 'U'}, 30}, {{'N', 'I'}, 28}, {{'N', 'L'}, 18},
    {{'N', 'O'}, 15}, {{'O', 'M'}, 23}, {{'P', 'K'}, 24}, {{'P', 'L'}, 28}, {{'P', 'S'}, 29},
    {{'P', 'T'}, 25}, {{'Q', 'A'}, 29}, {{'R', 'O'}, 24}, {{'R', 'S'}, 22}, {{'R', 'U'}, 33},
    {{'S', 'A'}, 24}, {{'S', 'C'}, 31}, {{'S', 'D'}, 18}, {{'S', 'E'}, 24}, {{'S', 'I'}, 19},
    {{'S', 'K'}, 24}, {{'S', 'M'}, 27}, {{'S', 'O'}, 23}, {{'S', 'T'}, 25}, {{'S', 'V'}, 28},
    {{'T', 'L'}, 23}, {{'T', 'N'}, 24}, {{'T', 'R'}, 26}, {{'U', 'A'}, 29}, {{'V', 'A'}, 22},
    {{'V', 'G'}, 24}, {{'X', 'K'}, 20}, {{'Y', 'E'}, 30}, {{'H', 'N'}, 28},
}};

} // namespace

int ibanLength(char a, char b) noexcept {
  for (const IbanCountry& country : kIbanCountries) {
    if (country.code[0] == a && country.code[1] == b) {
      return country.length;
    }
  }
  return 0;
}

int digitCount(std::string_view text) noexcept {
  int count = 0;
  for (char c : text) {
    count += isDigit(c) ? 1 : 0;
  }
  return count;
}

bool luhnValid(std::string_view text) noexcept {
  int sum = 0;
  int count = 0;
  for (auto it = text.rbegin(); it != text.rend(); ++it) {
    if (!isDigit(*it)) {
      continue;
    }
    int d = *it - '0';
    if (count % 2 == 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    ++count;
  }
  return count > 0 && sum % 10 == 0;
}

bool creditCardIssuerKnown(std::string_view text) noexcept {
  std::array<char, 6> prefix{};
  std::size_t n = 0;
  int digits = 0;
  for (const char c : text) {
    if (isDigit(c)) {
      if (n < prefix.size()) {
        prefix[n++] = c;
      }
      ++digits;
    }
  }
  if (n < prefix.size()) {
    return false;
  }
  const auto lead = [&](std::size_t count) {
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      value = value * 10 + (prefix[i] - '0');
    }
    return value;
  };
  const bool long_card = digits >= 16 && digits <= 19;
  switch (prefix[0]) {
  case '1': // UATP
    return digits == 15;
  case '2': // Mastercard 2-series
    return digits == 16 && lead(4) >= 2221 && lead(4) <= 2720;
  case '3':
    if (lead(2) == 34 || lead(2) == 37) { // American Express
      return digits == 15;
    }
    if ((lead(3) >= 300 && lead(3) <= 305) || lead(2) == 36 || lead(2) == 38 ||
        lead(2) == 39) { // Diners Club
      return digits >= 14;
    }
    return lead(4) >= 3528 && lead(4) <= 3589 && long_card; // JCB
  case '4':                                                 // Visa
    return digits == 13 || digits == 16 || digits == 19;
  case '5':
    if (lead(2) >= 51 && lead(2) <= 55) { // Mastercard
      return digits == 16;
    }
    return lead(2) == 50 || lead(2) >= 56; // Maestro
  case '6':                                // Discover, UnionPay, Maestro
    return true;
  default:
    return false;
  }
}

bool creditCardValid(std::string_view text) noexcept {
  int digits = 0;
  char sep = 0;
  char prev = 0;
  bool all_same = true;
  char first = 0;
  for (char c : text) {
    if (isDigit(c)) {
      if (digits == 0) {
        first = c;
      } else if (c != first) {
        all_same = false;
      }
      ++digits;
    } else if (c == ' ' || c == '-') {
      if (!isDigit(prev) || (sep != 0 && sep != c)) {
        return false; // doubled or mixed separators
      }
      sep = c;
    } else {
      return false;
    }
    prev = c;
  }
  // Issuer ranges start with 1-6; 13 digits starting with 1 are epoch-millisecond timestamps.
  if (first < '1' || first > '6' || (digits == 13 && first == '1')) {
    return false;
  }
  return digits >= 13 && digits <= 19 && isDigit(prev) && !all_same && luhnValid(text);
}

bool ibanValid(std::string_view text) noexcept {
  std::array<char, 40> buf{};
  std::size_t n = 0;
  for (char c : text) {
    if (c == ' ') {
      continue;
    }
    if (!isAlnum(c) || n == buf.size()) {
      return false;
    }
    buf[n++] = toUpper(c);
  }
  if (n < 15 || !isUpper(buf[0]) || !isUpper(buf[1]) || !isDigit(buf[2]) || !isDigit(buf[3])) {
    return false;
  }
  if (ibanLength(buf[0], buf[1]) != static_cast<int>(n)) {
    return false;
  }
  // Move the first four characters to the end; letters count as 10..35.
  std::uint32_t rem = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const char c = buf[(k + 4) % n];
    if (isDigit(c)) {
      rem = (rem * 10 + static_cast<std::uint32_t>(c - '0')) % 97;
    } else {
      rem = (rem * 100 + static_cast<std::uint32_t>(c - 'A' + 10)) % 97;
    }
  }
  return rem == 1;
}

bool usSsnValid(std::string_view text) noexcept {
  std::array<int, 9> d{};
  std::size_t n = 0;
  for (char c : text) {
    if (isDigit(c)) {
      if (n == d.size()) {
        return false;
      }
      d[n++] = c - '0';
    } else if (c != '-' && c != ' ' && c != '.') {
      return false;
    }
  }
  if (n != 9) {
    return false;
  }
  const int area = d[0] * 100 + d[1] * 10 + d[2];
  const int group = d[3] * 10 + d[4];
  const int serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) {
    return false;
  }
  if ((area == 78 && group == 5 && serial == 1120) ||
      (area == 219 && group == 9 && serial == 9999)) {
    return false;
  }
  bool all_same = true;
  for (int v : d) {
    all_same = all_same && v == d[0];
  }
  return !all_same;
}

bool abaRoutingValid(std::string_view text) noexcept {
  std::array<int, 9> d{};
  std::size_t n = 0;
  for (char c : text) {
    if (isDigit(c)) {
      if (n == d.size()) {
        return false;
      }
      d[n++] = c - '0';
    } else if (c != '-') {
      return false;
    }
  }
  if (n != 9) {
    return false;
  }
  const int prefix = d[0] * 10 + d[1];
  const bool prefix_ok = prefix <= 12 || (prefix >= 21 && prefix <= 32) ||
                         (prefix >= 61 && prefix <= 72) || prefix == 80;
  if (!prefix_ok) {
    return false;
  }
  bool all_same = true;
  for (int v : d) {
    all_same = all_same && v == d[0];
  }
  const int sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
  return !all_same && sum % 10 == 0;
}

bool ipv4Valid(std::string_view text) noexcept {
  int octets = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t begin = i;
    int value = 0;
    while (i < text.size() && isDigit(text[i]) && i - begin < 3) {
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    const std::size_t len = i - begin;
    if (len == 0 || value > 255 || (len > 1 && text[begin] == '0')) {
      return false;
    }
    ++octets;
    if (i == text.size()) {
      break;
    }
    if (text[i] != '.' || octets == 4) {
      return false;
    }
    ++i;
  }
  return octets == 4;
}

bool ipv6Valid(std::string_view text) noexcept {
  std::array<char, 64> buf{};
  if (text.size() < 2 || text.size() >= buf.size()) {
    return false;
  }
  int hex_digits = 0;
  for (char c : text) {
    if (c != ':' && c != '.' && !isHex(c)) {
      return false;
    }
    hex_digits += isHex(c) ? 1 : 0;
  }
  // "::" alone and C++ scopes such as "A::B" parse, but are not addresses anyone pastes.
  if (hex_digits < 3 && text != "::1") {
    return false;
  }
  std::memcpy(buf.data(), text.data(), text.size());
  std::array<unsigned char, 16> addr{};
  return inet_pton(AF_INET6, buf.data(), addr.data()) == 1;
}

bool macAddressValid(std::string_view text) noexcept {
  if (text.find(':') != std::string_view::npos) {
    return true;
  }
  for (const char c : text) {
    if (isHex(c) && !isDigit(c)) {
      return true;
    }
  }
  return false;
}

namespace {

/// The number of labels of a dotted host name, or 0 when it is malformed. Labels are 1 to 63
/// letters, digits and inner dashes (and underscores when `allow_underscore`: seen in real URL
/// hosts, never in mail domains); the last label (the TLD) is letters only, at least 2.
int hostLabels(std::string_view host, bool allow_underscore) noexcept {
  std::size_t label_start = 0;
  int labels = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      const std::string_view label = host.substr(label_start, i - label_start);
      if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return 0;
      }
      ++labels;
      if (i == host.size()) {
        if (label.size() < 2) {
          return 0;
        }
        for (char c : label) {
          if (!isAlpha(c)) {
            return 0;
          }
        }
      }
      label_start = i + 1;
    } else if (!isAlnum(host[i]) && host[i] != '-' && !(allow_underscore && host[i] == '_')) {
      return 0;
    }
  }
  return labels;
}

} // namespace

bool emailValid(std::string_view text) noexcept {
  const std::size_t at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view local = text.substr(0, at);
  const std::string_view domain = text.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  if (domain.size() > 253 || domain.empty()) {
    return false;
  }
  return hostLabels(domain, false) >= 2;
}

bool urlValid(std::string_view text) noexcept {
  std::string_view rest = text;
  const std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    if (scheme_end == 0) {
      return false;
    }
    for (char c : rest.substr(0, scheme_end)) {
      if (!isAlpha(c)) {
        return false;
      }
    }
    rest.remove_prefix(scheme_end + 3);
  }
  // Host ends at '/', '?', '#' or ':' (port); skip userinfo.
  std::size_t host_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, host_end);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  const std::size_t colon = authority.find(':');
  std::string_view host = authority.substr(0, colon);
  if (host.empty()) {
    return false;
  }
  if (scheme_end != std::string_view::npos && host == "localhost") {
    return true;
  }
  if (ipv4Valid(host)) {
    return scheme_end != std::string_view::npos;
  }
  const int labels = hostLabels(host, true);
  if (labels == 0) {
    return false;
  }
  // "www.example" is a host name fragment, not a site: www. needs a domain after it.
  const bool www = host.size() > 4 && (host.substr(0, 4) == "www." || host.substr(0, 4) == "WWW.");
  return labels >= (www ? 3 : 2);
}

bool dateValid(int year, int month, int day) noexcept {
  if (year < 1 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

namespace {

/// The numbers in `text`, in order (at most 12; a run longer than 9 digits makes it invalid).
/// Callers check each number's width.
struct Numbers {
  std::array<int, 12> values{};
  std::array<int, 12> widths{};
  std::size_t count = 0;
  bool ok = true;
};

Numbers numbersIn(std::string_view text) noexcept {
  Numbers numbers;
  int value = 0;
  int width = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && isDigit(text[i])) {
      value = value * 10 + (text[i] - '0');
      ++width;
      continue;
    }
    if (width > 0) {
      if (width > 9 || numbers.count == numbers.values.size()) {
        numbers.ok = false;
        return numbers;
      }
      numbers.values[numbers.count] = value;
      numbers.widths[numbers.count] = width;
      ++numbers.count;
    }
    value = 0;
    width = 0;
  }
  return numbers;
}

int fullYear(int value, int width) noexcept {
  return width == 2 ? 2000 + value : value;
}

bool plausibleYear(int year) noexcept {
  return year >= 1900 && year <= 2099;
}

int monthFromName(std::string_view text) noexcept {
  constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
  for (std::size_t i = 0; i + 3 <= text.size(); ++i) {
    if (!isAlpha(text[i]) || (i > 0 && isAlpha(text[i - 1]))) {
      continue;
    }
    std::array<char, 3> prefix{};
    for (std::size_t k = 0; k < 3; ++k) {
      prefix[k] = static_cast<char>(text[i + k] | 0x20); // ASCII lower case
    }
    for (std::size_t m = 0; m < kMonths.size(); ++m) {
      if (std::string_view(prefix.data(), 3) == kMonths[m]) {
        return static_cast<int>(m) + 1;
      }
    }
  }
  return 0;
}

} // namespace

bool isoDateTimeValid(std::string_view text) noexcept {
  const Numbers n = numbersIn(text);
  if (!n.ok || n.count < 3 || n.widths[0] != 4 || !plausibleYear(n.values[0]) ||
      !dateValid(n.values[0], n.values[1], n.values[2])) {
    return false;
  }
  // Time fields follow as hh, mm[, ss[, fraction]][, offset hh[, mm]]: check the clock part.
  return n.count < 5 || (n.values[3] <= 23 && n.values[4] <= 59 &&
                         (n.count < 6 || n.widths[5] != 2 || n.values[5] <= 60));
}

bool numericDateValid(std::string_view text) noexcept {
  const Numbers n = numbersIn(text);
  if (!n.ok) {
    return false;
  }
  if (n.count == 2) { // month and year: "05/2021", "5/21"
    return (n.widths[1] == 4 ? plausibleYear(n.values[1]) : n.widths[1] == 2) && n.values[0] >= 1 &&
           n.values[0] <= 12;
  }
  if (n.count != 3) {
    return false;
  }
  const int year = fullYear(n.values[2], n.widths[2]);
  return plausibleYear(year) &&
         (dateValid(year, n.values[0], n.values[1]) || dateValid(year, n.values[1], n.values[0]));
}

bool namedDateValid(std::string_view text) noexcept {
  const int month = monthFromName(text);
  const Numbers n = numbersIn(text);
  if (month == 0 || !n.ok || n.count < 1 || n.count > 2) {
    return false;
  }
  if (n.count == 1 && n.widths[0] == 4) { // "May-2021"
    return plausibleYear(n.values[0]);
  }
  if (n.widths[0] > 2) {
    return false;
  }
  if (n.count == 2 && n.widths[1] == 2) { // "5-May-21"
    return dateValid(2000, month, n.values[0]);
  }
  if (n.count == 2) {
    return n.widths[1] == 4 && plausibleYear(n.values[1]) &&
           dateValid(n.values[1], month, n.values[0]);
  }
  return dateValid(2000, month, n.values[0]); // a leap year: 29 February exists
}

bool clockTimeValid(std::string_view text) noexcept {
  const Numbers n = numbersIn(text);
  if (!n.ok || n.count < 1 || n.count > 2 || n.values[0] < 1 || n.values[0] > 12) {
    return false;
  }
  return n.count == 1 || (n.widths[1] == 2 && n.values[1] <= 59);
}

bool fiPersonalIdentityCodeValid(std::string_view text) noexcept {
  if (text.size() != 11) {
    return false;
  }
  for (std::size_t i : {0U, 1U, 2U, 3U, 4U, 5U, 7U, 8U, 9U}) {
    if (!isDigit(text[i])) {
      return false;
    }
  }
  const auto num = [&](std::size_t i) { return (text[i] - '0') * 10 + (text[i + 1] - '0'); };
  int century = 0;
  const char sign = text[6];
  if (sign == '+') {
    century = 1800;
  } else if (sign == '-' || (sign >= 'U' && sign <= 'Y')) {
    century = 1900;
  } else if (sign >= 'A' && sign <= 'F') {
    century = 2000;
  } else {
    return false;
  }
  if (!dateValid(century + num(4), num(2), num(0))) {
    return false;
  }
  const int individual = (text[7] - '0') * 100 + num(8);
  if (individual < 2) { // 900-999 are temporary numbers, valid too
    return false;
  }
  const long value =
      static_cast<long>(num(0)) * 10000000L + num(2) * 100000L + num(4) * 1000L + individual;
  constexpr std::string_view kCheck = "0123456789ABCDEFHJKLMNPRSTUVWXY";
  return kCheck[static_cast<std::size_t>(value % 31)] == text[10];
}

bool trNationalIdValid(std::string_view text) noexcept {
  if (text.size() != 11 || text[0] == '0') {
    return false;
  }
  std::array<int, 11> d{};
  for (std::size_t i = 0; i < 11; ++i) {
    if (!isDigit(text[i])) {
      return false;
    }
    d[i] = text[i] - '0';
  }
  const int odd = d[0] + d[2] + d[4] + d[6] + d[8];
  const int even = d[1] + d[3] + d[5] + d[7];
  const int tenth = ((odd * 7 - even) % 10 + 10) % 10;
  int sum = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    sum += d[i];
  }
  return d[9] == tenth && d[10] == sum % 10;
}

bool sePersonnummerValid(std::string_view text) noexcept {
  std::array<char, 12> digits{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (isDigit(c)) {
      if (n == digits.size()) {
        return false;
      }
      digits[n++] = c;
    } else if (!((c == '-' || c == '+') && text.size() - i == 5)) {
      return false;
    }
  }
  if (n != 10 && n != 12) {
    return false;
  }
  const std::string_view ten(digits.data() + (n - 10), 10);
  const auto num = [&](std::size_t i) { return (ten[i] - '0') * 10 + (ten[i + 1] - '0'); };
  int year = num(0);
  if (n == 12) {
    year += ((digits[0] - '0') * 10 + (digits[1] - '0')) * 100;
  } else {
    year += 2000; // only the calendar check needs it; leap years repeat every 100 years but
                  // 29 Feb of 1900 is the one ambiguity accepted here.
  }
  int day = num(4);
  if (day > 60) {
    day -= 60;
  }
  if (!dateValid(year, num(2), day)) {
    return false;
  }
  return luhnValid(ten);
}

double shannonEntropy(std::string_view text) noexcept {
  if (text.empty()) {
    return 0;
  }
  std::array<int, 256> counts{};
  for (char c : text) {
    ++counts[static_cast<unsigned char>(c)];
  }
  double entropy = 0;
  const auto n = static_cast<double>(text.size());
  for (int count : counts) {
    if (count > 0) {
      const double p = count / n;
      entropy -= p * std::log2(p);
    }
  }
  return entropy;
}

} // namespace cordon::classify
