// SPDX-License-Identifier: Apache-2.0
#include "routing/sorted_ring.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace sb::routing::detail {
namespace {

std::vector<int> contents(const SortedRing<int>& r) {
  std::vector<int> v;
  for (int x : r) v.push_back(x);
  return v;
}

TEST(SortedRingTest, KeepsOrderAndRejectsDuplicates) {
  SortedRing<int> r;
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(r.insert(5));
  EXPECT_TRUE(r.insert(1));
  EXPECT_TRUE(r.insert(9));
  EXPECT_TRUE(r.insert(7));
  EXPECT_FALSE(r.insert(7));
  EXPECT_EQ(contents(r), (std::vector<int>{1, 5, 7, 9}));
  EXPECT_EQ(r.front(), 1);
  EXPECT_EQ(r.lowerBound(6), 2u);
  EXPECT_EQ(r.lowerBound(10), 4u);
  EXPECT_EQ(r.erase(5), 1u);
  EXPECT_EQ(r.erase(5), 0u);
  EXPECT_EQ(contents(r), (std::vector<int>{1, 7, 9}));
  r.erase(r.begin());
  EXPECT_EQ(contents(r), (std::vector<int>{7, 9}));
  EXPECT_EQ(r.find(9).index(), 1u);
  EXPECT_TRUE(r.find(8) == r.end());
  r.clear();
  EXPECT_EQ(r.size(), 0u);
}

TEST(SortedRingTest, QueueUsageWrapsAroundTheBuffer) {
  // Served from the head, fed at the tail: the buffer wraps many times without growing.
  SortedRing<int> r;
  for (int i = 0; i < 8; ++i) r.insert(i);
  const std::size_t bytes = r.capacityBytes();
  for (int i = 8; i < 1000; ++i) {
    r.erase(r.begin());
    r.insert(i);
    ASSERT_EQ(r.front(), i - 7);
    ASSERT_EQ(r.at(7), i);
  }
  EXPECT_EQ(r.capacityBytes(), bytes);
}

TEST(SortedRingTest, MatchesStdSetUnderRandomOperations) {
  for (std::uint64_t seed : {1u, 2u, 3u, 99u}) {
    std::mt19937_64 rng(seed);
    SortedRing<std::uint32_t> r;
    std::set<std::uint32_t> ref;
    for (int step = 0; step < 20000; ++step) {
      const auto v = static_cast<std::uint32_t>(rng() % 500);
      switch (rng() % 5) {
        case 0:
        case 1: ASSERT_EQ(r.insert(v), ref.insert(v).second); break;
        case 2: ASSERT_EQ(r.erase(v), ref.erase(v)); break;
        case 3:
          if (!ref.empty()) {
            ASSERT_EQ(r.front(), *ref.begin());
            r.erase(r.begin());
            ref.erase(ref.begin());
          }
          break;
        default: {
          if (ref.empty()) break;
          std::size_t i = rng() % ref.size();
          auto it = ref.begin();
          std::advance(it, i);
          ASSERT_EQ(r.at(i), *it);
          r.eraseAt(i);
          ref.erase(it);
        }
      }
      ASSERT_EQ(r.size(), ref.size());
      if (step % 97 == 0) {
        ASSERT_EQ(std::vector<std::uint32_t>(r.begin(), r.end()), std::vector<std::uint32_t>(ref.begin(), ref.end()));
      }
    }
  }
}

}  // namespace
}  // namespace sb::routing::detail
