// A stable radix sort for the classifier's large candidate lists: a byte of the key at a time,
// least significant first. Linear in the items, where a comparison sort's log factor showed as
// 7 % of a 1 MB scan (thousands of reports from the C++ passes).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cordon::classify {

/// Sorts `items` by `key(item)` (a std::uint32_t), keeping the order of equal keys; `spare` is
/// working storage. Passes over bytes of the key only as far as the largest key reaches.
template <typename T, typename Key>
void radixSortBy(std::span<T> items, std::vector<T>& spare, Key key) {
  std::uint32_t largest = 0;
  for (const T& item : items) {
    largest = std::max<std::uint32_t>(largest, key(item));
  }
  spare.resize(items.size());
  std::span<T> from = items;
  std::span<T> to(spare);
  for (unsigned shift = 0; shift < 32 && (shift == 0 || (largest >> shift) != 0); shift += 8) {
    std::array<std::size_t, 257> offsets{};
    for (const T& item : from) {
      ++offsets[((key(item) >> shift) & 0xFFU) + 1];
    }
    for (std::size_t b = 1; b < offsets.size(); ++b) {
      offsets[b] += offsets[b - 1];
    }
    for (const T& item : from) {
      to[offsets[(key(item) >> shift) & 0xFFU]++] = item;
    }
    std::swap(from, to);
  }
  if (from.data() != items.data()) {
    std::copy(from.begin(), from.end(), items.begin());
  }
}

} // namespace cordon::classify
