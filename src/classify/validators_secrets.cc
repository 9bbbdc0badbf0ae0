#include "classify/validators_secrets.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include <openssl/sha.h>

#include "classify/validators.h"

namespace cordon::classify {
namespace {

constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t bech32Polymod(const std::uint8_t* values, std::size_t n) noexcept {
  constexpr std::array<std::uint32_t, 5> kGen{0x3b6a57b2U, 0x26508e6dU, 0x1ea119faU, 0x3d4233ddU,
                                              0x2a1462b3U};
  std::uint32_t chk = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t top = chk >> 25U;
    chk = ((chk & 0x1ffffffU) << 5U) ^ values[i];
    for (std::size_t b = 0; b < kGen.size(); ++b) {
      if (((top >> b) & 1U) != 0) {
        chk ^= kGen[b];
      }
    }
  }
  return chk;
}

} // namespace

bool mixedSecretValid(std::string_view text) noexcept {
  // One OR per byte: this runs on every token-shaped candidate (hashes, ids) and most fail here.
  static constexpr std::array<std::uint8_t, 256> kKind = [] {
    std::array<std::uint8_t, 256> kind{};
    for (int c = 'A'; c <= 'Z'; ++c) {
      kind[static_cast<std::size_t>(c)] = 1U;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
      kind[static_cast<std::size_t>(c)] = 2U;
    }
    for (int c = '0'; c <= '9'; ++c) {
      kind[static_cast<std::size_t>(c)] = 4U;
    }
    return kind;
  }();
  unsigned seen = 0;
  for (const char c : text) {
    seen |= kKind[static_cast<unsigned char>(c)];
  }
  return seen == 7U && shannonEntropy(text) >= 3.0;
}

bool awsSecretValid(std::string_view text) noexcept {
  if (!mixedSecretValid(text)) {
    return false; // first: it turns away the lowercase hex digests that have the key's length
  }
  const auto slashes = std::count(text.begin(), text.end(), '/');
  const auto pluses = std::count(text.begin(), text.end(), '+');
  return slashes <= 3 && slashes + pluses <= 4;
}

bool discordTokenValid(std::string_view text) noexcept {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot < 24) {
    return false;
  }
  // The id part is the base64 of a decimal user id: every ASCII digit triple encodes to a
  // quadruple whose first character is 'M' (0-3), 'N' (4-7) or 'O' (8-9).
  for (std::size_t i = 0; i + 4 <= dot; i += 4) {
    const char c = text[i];
    if (c != 'M' && c != 'N' && c != 'O') {
      return false;
    }
  }
  return shannonEntropy(text) >= 3.0;
}

bool bitcoinBase58Valid(std::string_view text) noexcept {
  if (text.size() < 26 || text.size() > 35) {
    return false;
  }
  // Big-endian base-256 accumulator; a 25-byte payload is all a P2PKH/P2SH address holds.
  std::array<std::uint8_t, 25> bytes{};
  for (const char c : text) {
    const std::size_t digit = kBase58.find(c);
    if (digit == std::string_view::npos) {
      return false;
    }
    std::uint32_t carry = static_cast<std::uint32_t>(digit);
    for (std::size_t i = bytes.size(); i > 0; --i) {
      carry += 58U * bytes[i - 1];
      bytes[i - 1] = static_cast<std::uint8_t>(carry & 0xFFU);
      carry >>= 8U;
    }
    if (carry != 0) {
      return false;
    }
  }
  // Leading '1's encode leading zero bytes: exactly one for version 0x00, none for 0x05.
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') {
    ++ones;
  }
  const std::uint8_t version = bytes[0];
  if (!((version == 0x00 && ones == 1) || (version == 0x05 && ones == 0))) {
    return false;
  }
  std::array<unsigned char, SHA256_DIGEST_LENGTH> first{};
  std::array<unsigned char, SHA256_DIGEST_LENGTH> second{};
  SHA256(bytes.data(), 21, first.data());
  SHA256(first.data(), first.size(), second.data());
  for (std::size_t i = 0; i < 4; ++i) {
    if (second[i] != bytes[21 + i]) {
      return false;
    }
  }
  return true;
}

bool bitcoinBech32Valid(std::string_view text) noexcept {
  constexpr std::uint32_t kBech32Const = 1;
  constexpr std::uint32_t kBech32mConst = 0x2bc830a3U;
  if (text.size() < 14 || text.size() > 74 || text.substr(0, 3) != "bc1") {
    return false;
  }
  // hrp expansion of "bc": high bits, 0, low bits; then the data values.
  std::array<std::uint8_t, 5 + 71> values{};
  values[0] = 'b' >> 5U;
  values[1] = 'c' >> 5U;
  values[2] = 0;
  values[3] = 'b' & 31U;
  values[4] = 'c' & 31U;
  const std::string_view data = text.substr(3);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::size_t v = kBech32.find(data[i]);
    if (v == std::string_view::npos) {
      return false;
    }
    values[5 + i] = static_cast<std::uint8_t>(v);
  }
  const std::uint32_t check = bech32Polymod(values.data(), 5 + data.size());
  const std::uint8_t witness = values[5];
  if (witness > 16) {
    return false;
  }
  if (check != (witness == 0 ? kBech32Const : kBech32mConst)) {
    return false;
  }
  // Program: the 5-bit groups between the version and the 6-symbol checksum, as bytes.
  const std::size_t groups = data.size() - 7;
  const std::size_t program = groups * 5 / 8;
  if (program < 2 || program > 40) {
    return false;
  }
  return witness != 0 || program == 20 || program == 32;
}

namespace {

bool placeholderSecret(std::string_view value) noexcept {
  if (value.empty()) {
    return true;
  }
  const char first = value.front();
  if (first == '$' || first == '%' || first == '{' || first == '<' || first == '*' ||
      first == '/') {
    return true;
  }
  const auto only = [&](char a, char b) {
    return std::all_of(value.begin(), value.end(), [&](char c) { return c == a || c == b; });
  };
  return only('*', '*') || only('x', 'X');
}

char lowerAscii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

SecretSpan credentialSecret(std::string_view candidate, char left, char right) noexcept {
  if (candidate.starts_with("://")) {
    const std::size_t at = candidate.rfind('@');
    const std::size_t colon = candidate.find(':', 3);
    if (at == std::string_view::npos || colon == std::string_view::npos || colon >= at) {
      return {};
    }
    const std::string_view secret = candidate.substr(colon + 1, at - colon - 1);
    if (placeholderSecret(secret)) {
      return {};
    }
    return {colon + 1, secret.size()};
  }
  const std::size_t equals = candidate.find('=');
  if (equals == std::string_view::npos) {
    return {};
  }
  const bool pwd_key = lowerAscii(candidate[0]) == 'p' && candidate.size() > 2 &&
                       lowerAscii(candidate[1]) == 'w' && lowerAscii(candidate[2]) == 'd';
  const auto field_start = [](char c) {
    return c == 0 || c == ';' || c == '?' || c == '&' || c == '_' || c == ' ' || c == '\t' ||
           c == '\n' || c == '"' || c == '\'';
  };
  const auto field_end = [](char c) {
    return c == 0 || c == ';' || c == '&' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
           c == '"' || c == '\'';
  };
  if (!field_start(left) || !field_end(right) || (pwd_key && left != ';')) {
    return {};
  }
  std::size_t offset = equals + 1;
  while (offset < candidate.size() && (candidate[offset] == ' ' || candidate[offset] == '\t')) {
    ++offset;
  }
  const std::string_view secret = candidate.substr(offset);
  if (placeholderSecret(secret)) {
    return {};
  }
  return {offset, secret.size()};
}

} // namespace cordon::classify
