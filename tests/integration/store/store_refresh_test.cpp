// SPDX-License-Identifier: Apache-2.0
// Conformance cases of schema version 5: refresh tokens (store::RefreshTokenRepository)
// against both backends: hashes only, single use, family revocation, concurrent consumers.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace sb::store::testing {
namespace {

template <typename Backend>
class StoreRefreshTest : public StoreTest<Backend> {};
TYPED_TEST_SUITE(StoreRefreshTest, Backends, BackendNames);

TYPED_TEST(StoreRefreshTest, ConsumeIsSingleUseAndSurvivesReopen) {
  auto& repo = this->store().refreshTokens();
  const RefreshToken first{"aa11", "fam-1", "demo/alice", this->at(3600), false, false};
  ASSERT_OK(repo.create(first));
  EXPECT_EQ(repo.create(first).error().code, Errc::AlreadyExists);
  EXPECT_EQ(repo.create(RefreshToken{"", "f", "u", this->at(1), false, false}).error().field,
            "hash_hex");
  EXPECT_EQ(repo.create(RefreshToken{"h", "", "u", this->at(1), false, false}).error().field,
            "family_id");

  this->reopen();
  auto& reopened = this->store().refreshTokens();
  auto used = reopened.consume("aa11");
  ASSERT_OK(used);
  EXPECT_EQ(*used, first);  // as it was before: not used yet
  auto again = reopened.consume("aa11");
  ASSERT_OK(again);
  EXPECT_TRUE(again->used);  // a reuse
  EXPECT_FALSE(again->revoked);
  EXPECT_EQ(reopened.consume("unknown").error().code, Errc::NotFound);
}

TYPED_TEST(StoreRefreshTest, RevokingAFamilyRevokesEveryRotation) {
  auto& repo = this->store().refreshTokens();
  ASSERT_OK(repo.create({"h1", "fam", "u", this->at(100), false, false}));
  ASSERT_OK(repo.create({"h2", "fam", "u", this->at(100), false, false}));
  ASSERT_OK(repo.create({"h3", "other", "u", this->at(100), false, false}));
  ASSERT_OK(repo.revokeFamily("fam"));
  ASSERT_OK(repo.revokeFamily("nobody"));
  auto h2 = repo.consume("h2");
  ASSERT_OK(h2);
  EXPECT_TRUE(h2->revoked);
  auto h3 = repo.consume("h3");
  ASSERT_OK(h3);
  EXPECT_FALSE(h3->revoked);
}

TYPED_TEST(StoreRefreshTest, ExpiredTokensArePurged) {
  auto& repo = this->store().refreshTokens();
  ASSERT_OK(repo.create({"old", "f", "u", this->at(10), false, false}));
  ASSERT_OK(repo.create({"new", "f", "u", this->at(1000), false, false}));
  auto purged = repo.purgeExpired(this->at(10));
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(repo.consume("old").error().code, Errc::NotFound);
  ASSERT_OK(repo.consume("new"));
}

TYPED_TEST(StoreRefreshTest, ConcurrentConsumersExactlyOneWins) {
  constexpr int kTokens = 20;
  constexpr int kThreads = 4;
  auto& repo = this->store().refreshTokens();
  for (int i = 0; i < kTokens; ++i) {
    ASSERT_OK(repo.create({"t" + std::to_string(i), "f", "u", this->at(100), false, false}));
  }
  std::atomic<int> firsts{0}, errors{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTokens; ++i) {
        auto r = repo.consume("t" + std::to_string(i));
        if (!r) {
          ++errors;
        } else if (!r->used) {
          ++firsts;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(firsts.load(), kTokens);
}

}  // namespace
}  // namespace sb::store::testing
