#include "cordon/common/sha256.h"

#include <memory>
#include <random>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace cordon {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string bytesToHex(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHexDigits[data[i] >> 4U]);
    out.push_back(kHexDigits[data[i] & 0x0FU]);
  }
  return out;
}

} // namespace

Sha256Digest sha256(std::string_view data) noexcept {
  // OpenSSL 3's one-shot SHA256() looks the algorithm up by name on every call (a global lock
  // and a handful of allocations, ~4x the hashing itself for an API key). The method is fetched
  // once and each thread reuses one context.
  static EVP_MD* const method = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  Sha256Digest digest{};
  unsigned int size = 0;
  if (method != nullptr && context != nullptr &&
      EVP_DigestInit_ex2(context.get(), method, nullptr) == 1 &&
      EVP_DigestUpdate(context.get(), data.data(), data.size()) == 1 &&
      EVP_DigestFinal_ex(context.get(), digest.data(), &size) == 1 && size == digest.size()) {
    return digest;
  }
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

std::string toHex(const Sha256Digest& digest) {
  return bytesToHex(digest.data(), digest.size());
}

std::optional<Sha256Digest> digestFromHex(std::string_view hex) noexcept {
  Sha256Digest digest{};
  if (hex.size() != digest.size() * 2) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const int high = hexValue(hex[2 * i]);
    const int low = hexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    digest[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return digest;
}

bool constantTimeEqual(const Sha256Digest& a, const Sha256Digest& b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string newRequestId() {
  thread_local std::mt19937_64 generator = [] {
    std::array<std::uint32_t, 8> seed{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()),
                   static_cast<int>(seed.size() * sizeof(std::uint32_t))) != 1) {
      std::random_device device;
      for (auto& word : seed) {
        word = device();
      }
    }
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  std::array<std::uint64_t, 2> bits{generator(), generator()};
  return bytesToHex(reinterpret_cast<const std::uint8_t*>(bits.data()), sizeof(bits));
}

std::string randomHex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    return {};
  }
  return bytesToHex(buffer.data(), buffer.size());
}

} // namespace cordon
