// SPDX-License-Identifier: Apache-2.0
#include "oidc/pending_logins.h"

#include <map>
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

// A keeper standing in for the app's store (the store's own behaviour has conformance tests on
// both backends: store_watchers_test).
class MapKeeper final : public PendingLoginKeeper {
 public:
  void keep(const PendingLogin& l, WallTime expires_at) override {
    kept[l.state] = {l, expires_at};
  }
  std::optional<Kept> takeKept(std::string_view state, WallTime now) override {
    auto it = kept.find(std::string(state));
    if (it == kept.end()) return std::nullopt;
    Kept k = it->second;
    kept.erase(it);
    if (k.expires_at <= now) return std::nullopt;
    return k;
  }
  std::map<std::string, Kept> kept;
};

TEST(PendingLoginStoreTest, AKeptLoginSurvivesARestartOnceAndStillExpires) {
  ManualClock clock;
  MapKeeper keeper;
  std::string state, nonce, verifier;
  {
    PendingLoginStore before(clock, std::chrono::minutes(10));
    before.setKeeper(&keeper);
    auto l = before.begin("", "demo");
    state = l.state;
    nonce = l.nonce;
    verifier = l.code_verifier;
    ASSERT_EQ(keeper.kept.count(state), 1u);
    EXPECT_EQ(keeper.kept[state].expires_at, clock.wallNow() + std::chrono::minutes(10));
  }
  clock.advance(std::chrono::minutes(4));
  PendingLoginStore after(clock, std::chrono::minutes(10));  // the restarted process
  after.setKeeper(&keeper);
  auto got = after.take(state);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->nonce, nonce);
  EXPECT_EQ(got->code_verifier, verifier);
  EXPECT_EQ(got->tenant, "demo");
  EXPECT_EQ(got->expires_at, clock.now() + std::chrono::minutes(6));  // the original expiry
  EXPECT_FALSE(after.take(state));                                    // still single use

  // Taken from memory, the kept copy goes too (no second use after a later restart).
  auto l2 = after.begin("", "demo");
  ASSERT_TRUE(after.take(l2.state));
  EXPECT_EQ(keeper.kept.count(l2.state), 0u);

  // A kept login past its expiry is refused.
  auto l3 = after.begin("", "demo");
  clock.advance(std::chrono::minutes(11));
  PendingLoginStore later(clock, std::chrono::minutes(10));
  later.setKeeper(&keeper);
  EXPECT_FALSE(later.take(l3.state));
}

}  // namespace
}  // namespace sb::oidc
