#include "classify/validators_national.h"

#include <array>
#include <cstddef>
#include <span>

#include "classify/validators.h"

namespace cordon::classify {
namespace {

constexpr std::size_t kMaxDigits = 20;

struct Digits {
  std::array<int, kMaxDigits> d{};
  std::size_t n = 0;
};

/// The decimal digits of `text` (at most kMaxDigits; n is kMaxDigits + 1 when there are more).
Digits digitsOf(std::string_view text) noexcept {
  Digits out;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      if (out.n == kMaxDigits) {
        out.n = kMaxDigits + 1;
        return out;
      }
      out.d[out.n++] = c - '0';
    }
  }
  return out;
}

/// The sum of the first weights.size() digits, each times its weight.
int weightedSum(const Digits& g, std::span<const int> weights) noexcept {
  int sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    sum += g.d[i] * weights[i];
  }
  return sum;
}

/// The sum of the first `count` digits weighted count + `extra`, count + `extra` - 1, ...,
/// 1 + `extra` (the descending weights of the mod-10 and mod-11 checks).
int descendingSum(const Digits& g, std::size_t count, int extra) noexcept {
  int sum = 0;
  for (std::size_t i = 0; i < count; ++i) {
    sum += g.d[i] * (static_cast<int>(count - i) + extra);
  }
  return sum;
}

char upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// Korean YYMMDD[-]GNNNNNC; `low` is the first allowed G (1 residents, 5 foreigners).
bool krValid(std::string_view text, int low, int check_base) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 13) {
    return false;
  }
  const int sex = g.d[6];
  if (sex < low || sex > low + 3) {
    return false;
  }
  const int century = (sex - low) < 2 ? 1900 : 2000;
  const int year = century + (g.d[0] * 10) + g.d[1];
  if (!dateValid(year, (g.d[2] * 10) + g.d[3], (g.d[4] * 10) + g.d[5])) {
    return false;
  }
  if (check_base == 0) {
    return true;
  }
  static constexpr std::array<int, 12> kWeights{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  return (check_base - (weightedSum(g, kWeights) % 11)) % 10 == g.d[12];
}

constexpr std::string_view kEsLetters = "TRWAGMYFPDXBNJZSQVHLCKE";

/// `number` mod 23 names the control letter `letter` (either case).
bool esLetterValid(long number, char letter) noexcept {
  return kEsLetters[static_cast<std::size_t>(number % 23)] == upper(letter);
}

/// The ISO 7064 MOD 11,10 check digit over the first `count` digits (German VAT and tax IDs).
int iso7064Mod1110CheckDigit(const Digits& g, std::size_t count) noexcept {
  int product = 10;
  for (std::size_t i = 0; i < count; ++i) {
    int sum = (g.d[i] + product) % 10;
    if (sum == 0) {
      sum = 10;
    }
    product = (2 * sum) % 11;
  }
  const int check = 11 - product;
  return check == 10 ? 0 : check;
}

/// Every byte that is not a digit is the same separator (or there is none).
bool oneSeparatorKind(std::string_view text) noexcept {
  char separator = 0;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      continue;
    }
    if (separator != 0 && c != separator) {
      return false;
    }
    separator = c;
  }
  return true;
}

/// A letter-or-digit's value in base 36 (0-9, then A-Z as 10-35; either case); -1 otherwise.
int base36(char c) noexcept {
  const char u = upper(c);
  if (u >= '0' && u <= '9') {
    return u - '0';
  }
  if (u >= 'A' && u <= 'Z') {
    return u - 'A' + 10;
  }
  return -1;
}

/// A digit of an Italian fiscal code, or the omocodia letter standing for it (L=0 ... V=9).
int fiscalDigit(char c) noexcept {
  static constexpr std::string_view kOmocodia = "LMNPQRSTUV";
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  const std::size_t at = kOmocodia.find(upper(c));
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

} // namespace

bool deVatIdValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 9) {
    return false;
  }
  return iso7064Mod1110CheckDigit(g, 8) == g.d[8];
}

bool krRrnValid(std::string_view text) noexcept {
  return krValid(text, 1, 0);
}
bool krRrnChecksumValid(std::string_view text) noexcept {
  return krValid(text, 1, 11);
}
bool krFrnValid(std::string_view text) noexcept {
  return krValid(text, 5, 0);
}
bool krFrnChecksumValid(std::string_view text) noexcept {
  return krValid(text, 5, 13);
}

bool deTaxNumber13Valid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 13 || text.size() != 13) {
    return false;
  }
  const int land = (g.d[0] * 10) + g.d[1];
  return land >= 1 && land <= 16;
}

bool deTaxNumberSlashValid(std::string_view text) noexcept {
  return !text.empty() && text.front() != '/';
}

bool sgNricFinValid(std::string_view text) noexcept {
  if (text.size() != 9) {
    return false;
  }
  const char series = upper(text[0]);
  static constexpr std::array<int, 7> kWeights{2, 7, 6, 5, 4, 3, 2};
  int sum = 0;
  for (std::size_t i = 0; i < kWeights.size(); ++i) {
    const char c = text[i + 1];
    if (c < '0' || c > '9') {
      return false;
    }
    sum += (c - '0') * kWeights[i];
  }
  std::string_view letters;
  switch (series) {
  case 'S':
    letters = "JZIHGFEDCBA";
    break;
  case 'T':
    sum += 4;
    letters = "JZIHGFEDCBA";
    break;
  case 'F':
    letters = "XWUTRQPNMLK";
    break;
  case 'G':
    sum += 4;
    letters = "XWUTRQPNMLK";
    break;
  case 'M':
    sum += 3;
    letters = "XWUTRQPNJLK";
    break;
  default:
    return false;
  }
  return letters[static_cast<std::size_t>(sum % 11)] == upper(text[8]);
}

bool esNifValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n < 7 || g.n > 8 || text.empty()) {
    return false;
  }
  long number = 0;
  for (std::size_t i = 0; i < g.n; ++i) {
    number = (number * 10) + g.d[i];
  }
  return esLetterValid(number, text.back());
}

bool esNieValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 7 || text.size() < 9) {
    return false;
  }
  const char prefix = upper(text[0]);
  if (prefix < 'X' || prefix > 'Z') {
    return false;
  }
  long number = prefix - 'X';
  for (std::size_t i = 0; i < g.n; ++i) {
    number = (number * 10) + g.d[i];
  }
  return esLetterValid(number, text.back());
}

bool inAadhaarValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 12 || g.d[0] < 2) {
    return false;
  }
  if (!oneSeparatorKind(text)) {
    return false;
  }
  static constexpr std::array<std::array<int, 10>, 10> kMul{{
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
      {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
      {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
      {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
      {4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
      {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
      {6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
      {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
      {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
  }};
  static constexpr std::array<std::array<int, 10>, 8> kPerm{{
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
      {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
      {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
      {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
      {9, 4, 5, 3, 1, 2, 7, 6, 8, 0},
      {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
      {2, 7, 9, 3, 8, 0, 6, 4, 1, 5},
      {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
  }};
  int check = 0;
  for (std::size_t i = 0; i < g.n; ++i) {
    const auto digit = static_cast<std::size_t>(g.d[g.n - 1 - i]);
    check = kMul[static_cast<std::size_t>(check)][static_cast<std::size_t>(kPerm[i % 8][digit])];
  }
  return check == 0;
}

bool usNpiValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 10 || (g.d[0] != 1 && g.d[0] != 2)) {
    return false;
  }
  // Luhn over 80840 + the ten digits: the prefix contributes a constant 24.
  int sum = 24;
  for (std::size_t i = 0; i < 10; ++i) {
    int digit = g.d[9 - i];
    if (i % 2 == 1) {
      digit *= 2;
      if (digit > 9) {
        digit -= 9;
      }
    }
    sum += digit;
  }
  return sum % 10 == 0;
}

bool zaIdNumberValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 13 || text.size() != 13 || g.d[10] > 2) {
    return false;
  }
  const int month = (g.d[2] * 10) + g.d[3];
  const int day = (g.d[4] * 10) + g.d[5];
  const int yy = (g.d[0] * 10) + g.d[1];
  // The century is not encoded: a real date in either 19yy or 20yy.
  if (!dateValid(1900 + yy, month, day) && !dateValid(2000 + yy, month, day)) {
    return false;
  }
  return luhnValid(text);
}

bool dePassportValid(std::string_view text) noexcept {
  if (text.size() != 9) {
    return false;
  }
  static constexpr std::array<int, 3> kWeights{7, 3, 1};
  int sum = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = upper(text[i]);
    int value = 0;
    if (c >= '0' && c <= '9') {
      value = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      value = c - 'A' + 10;
    } else {
      return false;
    }
    sum += value * kWeights[i % 3];
  }
  return text[8] >= '0' && text[8] <= '9' && sum % 10 == text[8] - '0';
}

bool deSocialSecurityValid(std::string_view text) noexcept {
  if (text.size() != 12) {
    return false;
  }
  const char letter = upper(text[8]);
  if (letter < 'A' || letter > 'Z') {
    return false;
  }
  std::array<int, 12> d{};
  for (std::size_t i = 0; i < 12; ++i) {
    if (i == 8) {
      continue;
    }
    if (text[i] < '0' || text[i] > '9') {
      return false;
    }
  }
  for (std::size_t i = 0; i < 8; ++i) {
    d[i] = text[i] - '0';
  }
  const int position = letter - 'A' + 1;
  d[8] = position / 10;
  d[9] = position % 10;
  d[10] = text[9] - '0';
  d[11] = text[10] - '0';
  int day = (d[2] * 10) + d[3];
  if (day > 50) {
    day -= 50;
  }
  const int month = (d[4] * 10) + d[5];
  const int yy = (d[6] * 10) + d[7];
  if (!dateValid(1900 + yy, month, day) && !dateValid(2000 + yy, month, day)) {
    return false;
  }
  static constexpr std::array<int, 12> kWeights{2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1};
  int sum = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    const int product = d[i] * kWeights[i];
    sum += (product / 10) + (product % 10);
  }
  return sum % 10 == text[11] - '0';
}

bool deLanrValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 9 || text.size() != 9) {
    return false;
  }
  int sum = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    sum += g.d[i] * (i % 2 == 0 ? 4 : 9);
  }
  return (10 - (sum % 10)) % 10 == g.d[6];
}

bool deTaxIdValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 11 || text.size() != 11 || g.d[0] == 0) {
    return false;
  }
  std::array<int, 10> counts{};
  for (std::size_t i = 0; i < 10; ++i) {
    ++counts[static_cast<std::size_t>(g.d[i])];
  }
  int repeated = 0;
  for (const int count : counts) {
    if (count > 3) {
      return false;
    }
    if (count > 1) {
      ++repeated;
    }
  }
  if (repeated > 1) {
    return false;
  }
  return iso7064Mod1110CheckDigit(g, 10) == g.d[10];
}

bool auAcnValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 9) {
    return false;
  }
  return (10 - (descendingSum(g, 8, 0) % 10)) % 10 == g.d[8];
}

bool auTfnValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 9) {
    return false;
  }
  static constexpr std::array<int, 9> kWeights{1, 4, 3, 7, 5, 8, 6, 9, 10};
  return weightedSum(g, kWeights) % 11 == 0;
}

bool ngNinValid(std::string_view text) noexcept {
  return text.size() == 11 && digitsOf(text).n == 11;
}

bool ukNhsValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 10) {
    return false;
  }
  int check = 11 - (descendingSum(g, 9, 1) % 11);
  if (check == 11) {
    check = 0;
  }
  return check != 10 && check == g.d[9];
}

bool ukNinoValid(std::string_view text) noexcept {
  if (text.size() < 9) {
    return false;
  }
  const char first = upper(text[0]);
  const char second = upper(text[1]);
  static constexpr std::string_view kNeverFirst = "DFIQUV";
  static constexpr std::string_view kNeverSecond = "DFIOQUV";
  if (kNeverFirst.find(first) != std::string_view::npos ||
      kNeverSecond.find(second) != std::string_view::npos) {
    return false;
  }
  static constexpr std::array<std::string_view, 7> kUnallocated{"BG", "GB", "KN", "NK",
                                                                "NT", "TN", "ZZ"};
  const std::array<char, 2> prefix{first, second};
  for (const std::string_view pair : kUnallocated) {
    if (pair == std::string_view(prefix.data(), prefix.size())) {
      return false;
    }
  }
  const char suffix = upper(text.back());
  return digitsOf(text).n == 6 && suffix >= 'A' && suffix <= 'D';
}

bool usItinValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 9 || g.d[0] != 9 || !oneSeparatorKind(text)) {
    return false;
  }
  const int group = (g.d[3] * 10) + g.d[4];
  return (group >= 50 && group <= 65) || (group >= 70 && group <= 88) ||
         (group >= 90 && group <= 92) || group >= 94;
}

bool plPeselValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 11) {
    return false;
  }
  const int coded_month = (g.d[2] * 10) + g.d[3];
  static constexpr std::array<int, 5> kCenturies{1900, 2000, 2100, 2200, 1800};
  const int century = kCenturies[static_cast<std::size_t>(coded_month / 20)];
  const int year = century + (g.d[0] * 10) + g.d[1];
  if (!dateValid(year, coded_month % 20, (g.d[4] * 10) + g.d[5])) {
    return false;
  }
  static constexpr std::array<int, 10> kWeights{1, 3, 7, 9, 1, 3, 7, 9, 1, 3};
  return (10 - (weightedSum(g, kWeights) % 10)) % 10 == g.d[10];
}

bool itFiscalCodeValid(std::string_view text) noexcept {
  if (text.size() != 16) {
    return false;
  }
  const int tens = fiscalDigit(text[9]);
  const int ones = fiscalDigit(text[10]);
  const int day = (tens * 10) + ones;
  if (tens < 0 || ones < 0 || !((day >= 1 && day <= 31) || (day >= 41 && day <= 71))) {
    return false;
  }
  // The values of 0-9 / A-Z in odd places (1st, 3rd, ...); even places count 0-9 / A=0-Z=25.
  static constexpr std::array<int, 26> kOdd{1,  0,  5, 7, 9, 13, 15, 17, 19, 21, 2,  4,  18,
                                            20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23};
  int sum = 0;
  for (std::size_t i = 0; i < 15; ++i) {
    const char c = upper(text[i]);
    int index = 0;
    if (c >= '0' && c <= '9') {
      index = c - '0';
    } else if (c >= 'A' && c <= 'Z') {
      index = c - 'A';
    } else {
      return false;
    }
    sum += i % 2 == 0 ? kOdd[static_cast<std::size_t>(index)] : index;
  }
  return upper(text[15]) == static_cast<char>('A' + (sum % 26));
}

bool itVatCodeValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 11) {
    return false;
  }
  const int office = (g.d[7] * 100) + (g.d[8] * 10) + g.d[9];
  const bool office_known = (office >= 1 && office <= 100) || office == 120 || office == 121 ||
                            office == 888 || office == 999;
  return office_known && luhnValid(text);
}

bool auAbnValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 11 || g.d[0] == 0) {
    return false;
  }
  static constexpr std::array<int, 11> kWeights{10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19};
  // The first digit counts one less.
  return (weightedSum(g, kWeights) - kWeights[0]) % 89 == 0;
}

bool auMedicareValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if ((g.n != 10 && g.n != 11) || g.d[0] < 2 || g.d[0] > 6) {
    return false;
  }
  static constexpr std::array<int, 8> kWeights{1, 3, 7, 9, 1, 3, 7, 9};
  return weightedSum(g, kWeights) % 10 == g.d[8];
}

bool inGstinShapeValid(std::string_view text) noexcept {
  if (text.size() != 15 || digitsOf(text.substr(0, 2)).n != 2) {
    return false;
  }
  const int state = ((text[0] - '0') * 10) + (text[1] - '0');
  // The PAN's fourth letter names the holder type.
  static constexpr std::string_view kHolders = "ABCFGHJLPT";
  return ((state >= 1 && state <= 38) || state == 97 || state == 99) &&
         kHolders.find(upper(text[5])) != std::string_view::npos;
}

bool inGstinValid(std::string_view text) noexcept {
  if (!inGstinShapeValid(text)) {
    return false;
  }
  int sum = 0;
  for (std::size_t i = 0; i < 14; ++i) {
    const int value = base36(text[i]);
    if (value < 0) {
      return false;
    }
    const int product = value * (i % 2 == 0 ? 1 : 2);
    sum += (product / 36) + (product % 36);
  }
  return base36(text[14]) == (36 - (sum % 36)) % 36;
}

bool thTninValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  if (g.n != 13 || g.d[0] < 1 || g.d[0] > 8 || !oneSeparatorKind(text)) {
    return false;
  }
  return (11 - (descendingSum(g, 12, 1) % 11)) % 10 == g.d[12];
}

bool caSinValid(std::string_view text) noexcept {
  const Digits g = digitsOf(text);
  return g.n == 9 && oneSeparatorKind(text) && luhnValid(text);
}

} // namespace cordon::classify
