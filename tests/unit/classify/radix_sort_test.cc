#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "classify/radix_sort.h"

namespace cordon::classify {
namespace {

struct Item {
  std::uint32_t key = 0;
  std::uint32_t order = 0; ///< Its place before the sort: equal keys must keep it.
  friend bool operator==(const Item&, const Item&) = default;
};

std::vector<Item> randomItems(std::mt19937& rng, std::size_t count, std::uint32_t largest) {
  std::uniform_int_distribution<std::uint32_t> pick(0, largest);
  std::vector<Item> items(count);
  for (std::size_t i = 0; i < count; ++i) {
    items[i] = Item{pick(rng), static_cast<std::uint32_t>(i)};
  }
  return items;
}

TEST(RadixSortTest, SortsLikeAStableSortForEveryKeyWidth) {
  std::mt19937 rng(20261207);
  std::vector<Item> spare;
  for (const std::uint32_t largest : {0U, 1U, 255U, 256U, 70'000U, 1U << 24U, 0xFFFF'FFFFU}) {
    for (const std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{1000}, std::size_t{5000}}) {
      std::vector<Item> items = randomItems(rng, count, largest);
      std::vector<Item> want = items;
      std::stable_sort(want.begin(), want.end(),
                       [](const Item& a, const Item& b) { return a.key < b.key; });
      radixSortBy(std::span<Item>(items), spare, [](const Item& item) { return item.key; });
      EXPECT_EQ(items, want) << "keys up to " << largest << ", " << count << " items";
    }
  }
}

TEST(RadixSortTest, TwoPassesSortByBothKeys) {
  // As the classifier sorts its candidates: by the minor key, then stably by the major one.
  std::mt19937 rng(7);
  std::vector<Item> items = randomItems(rng, 3000, 50);
  for (Item& item : items) {
    item.order = static_cast<std::uint32_t>(rng() % 300);
  }
  std::vector<Item> want = items;
  std::sort(want.begin(), want.end(), [](const Item& a, const Item& b) {
    return a.key != b.key ? a.key < b.key : a.order < b.order;
  });
  std::vector<Item> spare;
  radixSortBy(std::span<Item>(items), spare, [](const Item& item) { return item.order; });
  radixSortBy(std::span<Item>(items), spare, [](const Item& item) { return item.key; });
  EXPECT_EQ(items, want);
}

} // namespace
} // namespace cordon::classify
