#include "classify/validators_regional.h"

#include <algorithm>
#include <array>

#include "classify/validators.h"

namespace cordon::classify {
namespace {

bool isUpper(char c) noexcept {
  return c >= 'A' && c <= 'Z';
}
bool isDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Royal Mail postcode areas (and BF, British Forces), sorted for binary search.
constexpr auto kUkPostcodeAreas = std::to_array<std::string_view>(
    {"AB", "AL", "B",  "BA", "BB", "BD", "BF", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF",
     "CH", "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY",
     "E",  "EC", "EH", "EN", "EX", "FK", "FY", "G",  "GL", "GU", "GY", "HA", "HD", "HG", "HP", "HR",
     "HS", "HU", "HX", "IG", "IM", "IP", "IV", "JE", "KA", "KT", "KW", "KY", "L",  "LA", "LD", "LE",
     "LL", "LN", "LS", "LU", "M",  "ME", "MK", "ML", "N",  "NE", "NG", "NN", "NP", "NR", "NW", "OL",
     "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM", "S",  "SA", "SE", "SG", "SK", "SL",
     "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS",
     "TW", "UB", "W",  "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE"});

static_assert(std::is_sorted(kUkPostcodeAreas.begin(), kUkPostcodeAreas.end()));

} // namespace

bool ukPostcodeValid(std::string_view text) noexcept {
  if (text == "GIR 0AA" || text == "GIR0AA") {
    return true;
  }
  std::size_t letters = 0;
  while (letters < text.size() && isUpper(text[letters])) {
    ++letters;
  }
  if (letters == 0 || letters > 2 || letters >= text.size() || !isDigit(text[letters])) {
    return false;
  }
  return std::binary_search(kUkPostcodeAreas.begin(), kUkPostcodeAreas.end(),
                            text.substr(0, letters));
}

bool deaNumberValid(std::string_view text) noexcept {
  if (text.size() != 9) {
    return false;
  }
  std::array<int, 7> d{};
  for (std::size_t i = 0; i < d.size(); ++i) {
    const char c = text[i + 2];
    if (!isDigit(c)) {
      return false;
    }
    d[i] = c - '0';
  }
  const int sum = d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5]);
  return sum % 10 == d[6];
}

bool seOrganisationsnummerValid(std::string_view text) noexcept {
  std::array<char, 10> digits{};
  std::size_t n = 0;
  for (const char c : text) {
    if (isDigit(c)) {
      if (n == digits.size()) {
        return false;
      }
      digits[n++] = c;
    } else if (c != '-') {
      return false;
    }
  }
  if (n != digits.size() || digits[0] == '0' || digits[2] < '2') {
    return false;
  }
  return luhnValid(std::string_view(digits.data(), digits.size()));
}

bool trMobileBareValid(std::string_view text) noexcept {
  return text.size() == 11 && text[0] == '0' && text[1] == '5';
}

bool krDriverLicenseValid(std::string_view text) noexcept {
  if (digitCount(text) != 12) {
    return false;
  }
  const int region = (text[0] - '0') * 10 + (text[1] - '0');
  return region >= 11 && region <= 28;
}

bool awsAccessKeyValid(std::string_view text) noexcept {
  return !text.ends_with("EXAMPLE") && shannonEntropy(text) >= 3.0;
}

} // namespace cordon::classify
