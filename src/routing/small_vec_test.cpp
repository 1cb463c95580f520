// SPDX-License-Identifier: Apache-2.0
#include "routing/small_vec.h"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace sb::routing::detail {
namespace {

using Vec = SmallVec<int, 2>;

std::vector<int> contents(const Vec& v) { return {v.begin(), v.end()}; }

TEST(SmallVecTest, SpillsToTheHeapAndErasesInOrder) {
  Vec v;
  EXPECT_TRUE(v.empty());
  for (int i = 0; i < 5; ++i) v.push_back(i);
  EXPECT_EQ(contents(v), (std::vector<int>{0, 1, 2, 3, 4}));
  int* next = v.erase(v.begin() + 1);
  EXPECT_EQ(*next, 2);
  EXPECT_EQ(contents(v), (std::vector<int>{0, 2, 3, 4}));
  v.erase(v.end() - 1);
  EXPECT_EQ(contents(v), (std::vector<int>{0, 2, 3}));
  v.clear();
  EXPECT_EQ(v.size(), 0u);
}

TEST(SmallVecTest, CopiesAndMovesInlineAndHeapStorage) {
  for (int n : {1, 2, 3, 9}) {
    Vec a;
    for (int i = 0; i < n; ++i) a.push_back(10 + i);
    const std::vector<int> want = contents(a);
    Vec copy(a);
    EXPECT_EQ(contents(copy), want);
    Vec moved(std::move(copy));
    EXPECT_EQ(contents(moved), want);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    Vec assigned;
    assigned.push_back(99);
    assigned = moved;
    EXPECT_EQ(contents(assigned), want);
    Vec move_assigned;
    for (int i = 0; i < 4; ++i) move_assigned.push_back(-i);
    move_assigned = std::move(moved);
    EXPECT_EQ(contents(move_assigned), want);
    // Elements of a copy are independent.
    assigned[0] = -1;
    EXPECT_EQ(contents(a), want);
  }
}

TEST(SmallVecTest, MatchesStdVectorUnderRandomOperations) {
  std::mt19937_64 rng(3);
  Vec v;
  std::vector<int> ref;
  for (int step = 0; step < 20000; ++step) {
    if (rng() % 3 != 0 || ref.empty()) {
      int x = static_cast<int>(rng() % 1000);
      v.push_back(x);
      ref.push_back(x);
    } else {
      std::size_t i = rng() % ref.size();
      v.erase(v.begin() + i);
      ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (rng() % 500 == 0) {
      Vec tmp(std::move(v));
      v = std::move(tmp);
    }
    ASSERT_EQ(contents(v), ref);
  }
}

}  // namespace
}  // namespace sb::routing::detail
