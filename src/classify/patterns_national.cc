// National identifiers: tax, social-security, passport and licence numbers, with their checksums
// (validators_national.cc).
#include <array>

#include "classify/patterns.h"

namespace cordon::classify {
namespace {

constexpr std::array<PatternSpec, 0> kPatterns{};

} // namespace

std::span<const PatternSpec> nationalIdPatterns() noexcept {
  return kPatterns;
}

} // namespace cordon::classify
