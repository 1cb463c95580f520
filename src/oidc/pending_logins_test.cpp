// SPDX-License-Identifier: Apache-2.0
#include "oidc/pending_logins.h"

#include <set>

#include <gtest/gtest.h>

namespace sb::oidc {
namespace {

TEST(PkceTest, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(codeChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, VerifiersAreLongEnoughAndUnreserved) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string v = makeCodeVerifier();
    EXPECT_GE(v.size(), 43u);
    EXPECT_LE(v.size(), 128u);
    for (char c : v) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                  c == '~');
    }
    EXPECT_TRUE(seen.insert(v).second);
    EXPECT_TRUE(seen.insert(makeRandomToken()).second);
  }
}

TEST(PendingLoginStoreTest, TakeIsSingleUse) {
  ManualClock clock;
  PendingLoginStore store(clock);
  auto p = store.begin("", "demo");
  EXPECT_NE(p.state, p.nonce);
  EXPECT_EQ(p.tenant, "demo");
  EXPECT_EQ(store.size(), 1u);
  auto taken = store.take(p.state);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->nonce, p.nonce);
  EXPECT_EQ(taken->code_verifier, p.code_verifier);
  auto again = store.take(p.state);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::NotFound);
  EXPECT_EQ(again.error().field, "state");
  EXPECT_FALSE(store.take("never-issued"));
}

TEST(PendingLoginStoreTest, EntriesExpire) {
  ManualClock clock;
  PendingLoginStore store(clock, std::chrono::minutes(10));
  auto old_login = store.begin("", "demo");
  clock.advance(std::chrono::minutes(6));
  auto young = store.begin("", "demo");
  clock.advance(std::chrono::minutes(5));
  EXPECT_FALSE(store.take(old_login.state));
  EXPECT_TRUE(store.take(young.state));
  EXPECT_EQ(store.size(), 0u);
}

TEST(PendingLoginStoreTest, BoundedEvictsOldest) {
  ManualClock clock;
  PendingLoginStore store(clock, std::chrono::minutes(10), 3);
  std::vector<PendingLogin> logins;
  for (int i = 0; i < 5; ++i) {
    logins.push_back(store.begin("", "t"));
    clock.advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.take(logins[0].state));
  EXPECT_FALSE(store.take(logins[1].state));
  EXPECT_TRUE(store.take(logins[4].state));
}

}  // namespace
}  // namespace sb::oidc
