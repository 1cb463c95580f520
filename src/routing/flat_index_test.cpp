// SPDX-License-Identifier: Apache-2.0
#include "routing/flat_index.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace sb::routing::detail {
namespace {

// Random inserts/erases/lookups against std::unordered_map, with a weak hash (few bits) so
// that probe chains, wrap-around and backward-shift deletion are exercised heavily.
TEST(HashIndex, MatchesUnorderedMapUnderRandomOps) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> keys;  // value v -> key keys[v]
  std::unordered_map<std::uint64_t, std::uint32_t> ref;
  HashIndex idx;
  auto hashOf = [](std::uint64_t k) { return (k * 0x9E3779B97F4A7C15ULL) % 97; };
  for (int op = 0; op < 20000; ++op) {
    std::uint64_t k = rng() % 400;
    auto eq = [&](std::uint32_t v) { return keys[v] == k; };
    std::size_t pos = idx.find(hashOf(k), eq);
    auto it = ref.find(k);
    ASSERT_EQ(pos != HashIndex::kNpos, it != ref.end()) << "op " << op;
    if (it != ref.end()) {
      ASSERT_EQ(idx.value(pos), it->second);
    }
    if (rng() % 2 == 0) {
      if (it == ref.end()) {
        auto v = static_cast<std::uint32_t>(keys.size());
        keys.push_back(k);
        idx.insert(hashOf(k), v);
        ref.emplace(k, v);
      }
    } else if (it != ref.end()) {
      idx.erase(pos);
      ref.erase(it);
    }
    ASSERT_EQ(idx.size(), ref.size());
  }
  for (const auto& [k, v] : ref) {
    std::size_t pos = idx.find(hashOf(k), [&](std::uint32_t x) { return keys[x] == k; });
    ASSERT_NE(pos, HashIndex::kNpos);
    EXPECT_EQ(idx.value(pos), v);
  }
}

TEST(U64Map, MatchesUnorderedMapUnderRandomOps) {
  std::mt19937_64 rng(7);
  std::unordered_map<std::uint64_t, int> ref;
  U64Map<int> map;
  std::uint64_t next = 1;
  for (int op = 0; op < 50000; ++op) {
    if (rng() % 3 != 0) {
      map.emplace(next, static_cast<int>(next * 3));
      ref.emplace(next, static_cast<int>(next * 3));
      ++next;
    } else if (!ref.empty()) {
      std::uint64_t k = 1 + rng() % next;
      EXPECT_EQ(map.erase(k), ref.erase(k) == 1);
    }
    std::uint64_t probe = 1 + rng() % (next + 5);
    const int* v = map.find(probe);
    auto it = ref.find(probe);
    ASSERT_EQ(v != nullptr, it != ref.end());
    if (v != nullptr) {
      EXPECT_EQ(*v, it->second);
    }
    ASSERT_EQ(map.size(), ref.size());
  }
  EXPECT_EQ(map.find(0), nullptr);
}

}  // namespace
}  // namespace sb::routing::detail
