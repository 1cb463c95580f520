// SPDX-License-Identifier: Apache-2.0
#include "presence/presence_store.h"

#include <gtest/gtest.h>

namespace sb::presence {
namespace {

using namespace std::chrono_literals;
using A = Availability;
using T = Activity;

constexpr const char* kAppA = "aaaaaaaa-0000-0000-0000-000000000001";
constexpr const char* kAppB = "bbbbbbbb-0000-0000-0000-000000000002";
constexpr const char* kAppC = "cccccccc-0000-0000-0000-000000000003";
const std::string kUser = "user-1";

SetPresenceRequest session(const char* id, A a, T t, Duration exp = 1h) {
  return SetPresenceRequest{id, {a, t}, exp};
}

class PresenceStoreTest : public ::testing::Test {
 protected:
  MonoTime t0_ = MonoTime{} + 1h;
  PresenceStore store_;
  uint64_t last_seq_ = 0;

  // Every change must carry a strictly larger sequence number than the one before.
  void expectIncreasing(const std::optional<PresenceChange>& c) {
    if (!c) return;
    EXPECT_GT(c->sequence, last_seq_);
    last_seq_ = c->sequence;
  }
  PresencePair shown(MonoTime t) { return store_.aggregate(kUser, t).pair; }
};

TEST_F(PresenceStoreTest, UnknownUserIsOffline) {
  auto p = store_.aggregate("nobody", t0_);
  EXPECT_EQ(p.pair, (PresencePair{A::Offline, T::Offline}));
  EXPECT_EQ(p.sequence, 0u);
  EXPECT_FALSE(store_.nextDeadline().has_value());
}

TEST_F(PresenceStoreTest, SetPresencePublishesAChange) {
  auto c = store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall), t0_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user_id, kUser);
  EXPECT_EQ(c->pair, (PresencePair{A::Busy, T::InACall}));
  EXPECT_GT(c->sequence, 0u);
  // A refresh with the same pair changes nothing visible: no event, same sequence.
  EXPECT_FALSE(store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall), t0_ + 1min));
  EXPECT_EQ(store_.aggregate(kUser, t0_ + 1min).sequence, c->sequence);
}

TEST_F(PresenceStoreTest, AggregationPrecedenceAcrossSessions) {
  expectIncreasing(store_.setPresence(kUser, session(kAppA, A::Away, T::Away), t0_));
  EXPECT_EQ(shown(t0_), (PresencePair{A::Away, T::Away}));
  expectIncreasing(store_.setPresence(kUser, session(kAppB, A::Available, T::Available), t0_));
  EXPECT_EQ(shown(t0_), (PresencePair{A::Available, T::Available}));
  expectIncreasing(store_.setPresence(kUser, session(kAppC, A::Busy, T::InACall), t0_));
  EXPECT_EQ(shown(t0_), (PresencePair{A::Busy, T::InACall}));
  expectIncreasing(store_.setPresence(kUser, session(kAppA, A::DoNotDisturb, T::Presenting), t0_));
  EXPECT_EQ(shown(t0_), (PresencePair{A::DoNotDisturb, T::Presenting}));
  // Removing the top session reveals the next one down.
  auto c = store_.clearPresence(kUser, kAppA, t0_);
  ASSERT_TRUE(c.has_value());
  expectIncreasing(*c);
  EXPECT_EQ(shown(t0_), (PresencePair{A::Busy, T::InACall}));
  EXPECT_TRUE(store_.clearPresence(kUser, kAppC, t0_).has_value());
  EXPECT_EQ(shown(t0_), (PresencePair{A::Available, T::Available}));
  EXPECT_EQ(store_.sessions(kUser, t0_).size(), 1u);
}

TEST_F(PresenceStoreTest, ConferenceBeatsPlainCallAtEqualAvailability) {
  store_.setPresence(kUser, session(kAppA, A::Busy, T::InAConferenceCall), t0_);
  store_.setPresence(kUser, session(kAppB, A::Busy, T::InACall), t0_ + 1s);
  EXPECT_EQ(shown(t0_ + 1s), (PresencePair{A::Busy, T::InAConferenceCall}));
}

TEST_F(PresenceStoreTest, ClearPresenceOfOnlySessionGoesOfflineAndUnknownIs404) {
  store_.setPresence(kUser, session(kAppA, A::Available, T::Available), t0_);
  auto c = store_.clearPresence(kUser, kAppA, t0_);
  ASSERT_TRUE(c.has_value() && c->has_value());
  EXPECT_EQ((*c)->pair, (PresencePair{A::Offline, T::Offline}));
  auto again = store_.clearPresence(kUser, kAppA, t0_);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::NotFound);
  EXPECT_EQ(toGraphError(again.error()).http_status, 404);
  EXPECT_EQ(store_.clearPresence("stranger", kAppA, t0_).error().code, Errc::NotFound);
}

TEST_F(PresenceStoreTest, ExpiryRemovesSessionViaTick) {
  store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall, 5min), t0_);
  store_.setPresence(kUser, session(kAppB, A::Away, T::Away, 30min), t0_);
  EXPECT_EQ(store_.nextDeadline(), t0_ + 5min);
  EXPECT_TRUE(store_.tick(t0_ + 5min - 1ns).empty());
  auto changes = store_.tick(t0_ + 5min);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].pair, (PresencePair{A::Away, T::Away}));
  EXPECT_EQ(store_.nextDeadline(), t0_ + 30min);
  changes = store_.tick(t0_ + 30min);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].pair, (PresencePair{A::Offline, T::Offline}));
  EXPECT_FALSE(store_.nextDeadline().has_value());
  // An expired session is gone: clearing it is a 404.
  EXPECT_EQ(store_.clearPresence(kUser, kAppA, t0_ + 31min).error().code, Errc::NotFound);
}

TEST_F(PresenceStoreTest, ExpiredSessionIsNotShownEvenBeforeTick) {
  store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall, 5min), t0_);
  EXPECT_EQ(shown(t0_ + 5min), (PresencePair{A::Offline, T::Offline}));
  EXPECT_EQ(store_.clearPresence(kUser, kAppA, t0_ + 6min).error().code, Errc::NotFound);
}

TEST_F(PresenceStoreTest, KeptStateRestoresGraphSessionsAndPreferredOnly) {
  store_.setPresence(kUser, session(kAppA, A::Available, T::Available, 4h), t0_);
  store_.setPresence(kUser, session(kAppB, A::Busy, T::InACall, 30min), t0_);
  store_.setPresence(kUser, session(kAppC, A::Away, T::Away, 5min), t0_);
  store_.setUserPreferredPresence(kUser, {{A::DoNotDisturb, T::DoNotDisturb}, 2h}, t0_);
  ASSERT_TRUE(store_.setInternalSession(kUser, "sip:user-1;etag", PresencePair{A::Busy, T::InACall},
                                        1h, t0_));
  store_.setSwitchboardState(kUser, {}, t0_);
  // Ten minutes later: C has expired; the internal sessions are not kept.
  auto kept = store_.kept(kUser, t0_ + 10min);
  ASSERT_EQ(kept.sessions.size(), 2u);
  EXPECT_EQ(kept.sessions[0].id, kAppA);
  EXPECT_EQ(kept.sessions[1].id, kAppB);
  ASSERT_TRUE(kept.preferred);
  EXPECT_EQ(kept.preferred_expires_at, t0_ + 2h);
  EXPECT_TRUE(store_.kept("nobody", t0_).empty());

  // A new process whose clock reads 1 h more for the same instant.
  const Duration shift = 1h;
  for (auto& ks : kept.sessions) {
    ks.updated_at += shift;
    *ks.expires_at += shift;
  }
  kept.preferred_expires_at += shift;
  PresenceStore fresh;
  const MonoTime later = t0_ + 10min + shift;
  auto change = fresh.restore(kUser, kept, later);
  ASSERT_TRUE(change);
  EXPECT_EQ(change->pair, (PresencePair{A::DoNotDisturb, T::DoNotDisturb}));
  fresh.clearUserPreferredPresence(kUser, later);
  EXPECT_EQ(fresh.aggregate(kUser, later).pair, (PresencePair{A::Busy, T::InACall}));
  // A's fading timeline still counts from its original set (Away after 10 minutes), and B
  // expires when it would have.
  EXPECT_EQ(fresh.sessions(kUser, later).size(), 2u);
  fresh.tick(t0_ + 30min + shift);
  EXPECT_EQ(fresh.aggregate(kUser, t0_ + 30min + shift).pair, (PresencePair{A::Away, T::Away}));
  // Nothing is restored past its expiry.
  PresenceStore late;
  EXPECT_FALSE(late.restore(kUser, kept, t0_ + 5h + shift).has_value());
  EXPECT_TRUE(late.kept(kUser, t0_ + 5h + shift).empty());
}

TEST_F(PresenceStoreTest, FadingTimelinePublishesEachStage) {
  expectIncreasing(store_.setPresence(kUser, session(kAppA, A::Available, T::Available, 4h), t0_));
  EXPECT_EQ(store_.nextDeadline(), t0_ + 5min);
  auto c1 = store_.tick(t0_ + 5min);
  ASSERT_EQ(c1.size(), 1u);
  EXPECT_EQ(c1[0].pair, (PresencePair{A::Available, T::AvailableInactive}));
  expectIncreasing(c1[0]);
  EXPECT_TRUE(store_.isRoutable(kUser, t0_ + 5min));
  auto c2 = store_.tick(t0_ + 10min);
  ASSERT_EQ(c2.size(), 1u);
  EXPECT_EQ(c2[0].pair, (PresencePair{A::Away, T::Away}));
  expectIncreasing(c2[0]);
  EXPECT_FALSE(store_.isRoutable(kUser, t0_ + 10min));
  // A refresh restarts the timeline.
  auto c3 = store_.setPresence(kUser, session(kAppA, A::Available, T::Available, 4h), t0_ + 11min);
  ASSERT_TRUE(c3.has_value());
  EXPECT_EQ(c3->pair, (PresencePair{A::Available, T::Available}));
  expectIncreasing(c3);
  EXPECT_EQ(store_.nextDeadline(), t0_ + 16min);
  // Refreshing more often than every 5 minutes keeps it Available without events.
  for (int i = 1; i <= 10; ++i) {
    auto now = t0_ + 11min + i * 4min;
    EXPECT_TRUE(store_.tick(now).empty());
    EXPECT_FALSE(store_.setPresence(kUser, session(kAppA, A::Available, T::Available, 4h), now));
  }
}

TEST_F(PresenceStoreTest, PreferredPresenceBeatsSessionsOnlyWhileOneExists) {
  // No session: preferred is stored but the user stays Offline.
  EXPECT_FALSE(store_.setUserPreferredPresence(
      kUser, SetPreferredRequest{{A::DoNotDisturb, T::DoNotDisturb}, 24h}, t0_));
  EXPECT_EQ(shown(t0_), (PresencePair{A::Offline, T::Offline}));
  auto c = store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall), t0_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->pair, (PresencePair{A::DoNotDisturb, T::DoNotDisturb}));
  // It beats even a higher-ranked session state the other way round.
  store_.setUserPreferredPresence(kUser, SetPreferredRequest{{A::Available, T::Available}, 2h}, t0_);
  EXPECT_EQ(shown(t0_), (PresencePair{A::Available, T::Available}));
  store_.setUserPreferredPresence(kUser, SetPreferredRequest{{A::Offline, T::OffWork}, 2h}, t0_);
  EXPECT_EQ(shown(t0_), (PresencePair{A::Offline, T::OffWork}));
  auto cleared = store_.clearUserPreferredPresence(kUser, t0_);
  ASSERT_TRUE(cleared.has_value());
  EXPECT_EQ(cleared->pair, (PresencePair{A::Busy, T::InACall}));
  EXPECT_FALSE(store_.clearUserPreferredPresence(kUser, t0_));
}

TEST_F(PresenceStoreTest, PreferredPresenceExpires) {
  store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall, 4h), t0_);
  store_.setUserPreferredPresence(kUser, SetPreferredRequest{{A::BeRightBack, T::BeRightBack}, 30min},
                                  t0_);
  EXPECT_EQ(shown(t0_), (PresencePair{A::BeRightBack, T::BeRightBack}));
  EXPECT_EQ(store_.nextDeadline(), t0_ + 30min);
  auto changes = store_.tick(t0_ + 30min);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].pair, (PresencePair{A::Busy, T::InACall}));
}

TEST_F(PresenceStoreTest, SwitchboardSessionFollowsCalls) {
  SwitchboardSignals sig{.sip_bound = true};
  auto c = store_.setSwitchboardState(kUser, sig, t0_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->pair, (PresencePair{A::Available, T::Available}));
  EXPECT_TRUE(store_.isRoutable(kUser, t0_));
  // Switchboard's own session does not fade: it is event-driven.
  EXPECT_FALSE(store_.nextDeadline().has_value());
  EXPECT_TRUE(store_.isRoutable(kUser, t0_ + 2h));
  sig.call_parties = 2;
  EXPECT_EQ(store_.setSwitchboardState(kUser, sig, t0_)->pair, (PresencePair{A::Busy, T::InACall}));
  EXPECT_FALSE(store_.isRoutable(kUser, t0_));
  sig.call_parties = 3;
  EXPECT_EQ(store_.setSwitchboardState(kUser, sig, t0_)->pair,
            (PresencePair{A::Busy, T::InAConferenceCall}));
  sig.call_parties = 0;
  sig.not_ready = true;
  EXPECT_EQ(store_.setSwitchboardState(kUser, sig, t0_)->pair, (PresencePair{A::Away, T::Away}));
  sig = SwitchboardSignals{};
  EXPECT_EQ(store_.setSwitchboardState(kUser, sig, t0_)->pair, (PresencePair{A::Offline, T::Offline}));
  EXPECT_TRUE(store_.sessions(kUser, t0_).empty());
}

TEST_F(PresenceStoreTest, SwitchboardAndGraphSessionsAggregate) {
  store_.setSwitchboardState(kUser, {.sip_bound = true}, t0_);
  store_.setPresence(kUser, session(kAppA, A::DoNotDisturb, T::Presenting), t0_);
  EXPECT_EQ(shown(t0_), (PresencePair{A::DoNotDisturb, T::Presenting}));
  EXPECT_FALSE(store_.isRoutable(kUser, t0_));
  // No SIP binding, but another app's session keeps the user online.
  store_.setSwitchboardState(kUser, {}, t0_);
  EXPECT_EQ(shown(t0_), (PresencePair{A::DoNotDisturb, T::Presenting}));
}

TEST_F(PresenceStoreTest, InternalSessionValidation) {
  auto bad = store_.setInternalSession(kUser, "sip:alice@example.com;e1",
                                       PresencePair{A::Available, T::Presenting}, std::nullopt, t0_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  EXPECT_FALSE(store_.setInternalSession(kUser, "k", PresencePair{A::Busy, T::InAMeeting}, 0s, t0_)
                   .has_value());
  auto ok = store_.setInternalSession(kUser, "sip:alice@example.com;e1",
                                      PresencePair{A::Busy, T::InAMeeting}, 1h, t0_);
  ASSERT_TRUE(ok.has_value() && ok->has_value());
  EXPECT_EQ((*ok)->pair, (PresencePair{A::Busy, T::InAMeeting}));
  EXPECT_FALSE(store_.isRoutable(kUser, t0_));
  EXPECT_EQ(store_.nextDeadline(), t0_ + 1h);
}

TEST_F(PresenceStoreTest, StatusMessagePublishes) {
  store_.setPresence(kUser, session(kAppA, A::Available, T::Available), t0_);
  const StatusMessage msg{.content = "Back at 3"};
  auto c = store_.setStatusMessage(kUser, msg, std::nullopt, t0_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->status_message, msg);
  EXPECT_FALSE(store_.setStatusMessage(kUser, msg, std::nullopt, t0_));
  EXPECT_FALSE(store_.setStatusMessage(kUser, StatusMessage{}, std::nullopt, t0_)->status_message);
}

TEST_F(PresenceStoreTest, StatusMessageExpiresAndIsKept) {
  // Busy does not fade, so the only time-driven change is the message's expiry.
  store_.setPresence(kUser, session(kAppA, A::Busy, T::InACall, 4h), t0_);
  const StatusMessage msg{.content = "At lunch"};
  ASSERT_TRUE(store_.setStatusMessage(kUser, msg, t0_ + 30min, t0_));
  EXPECT_EQ(store_.nextDeadline(), t0_ + 30min);

  // A restart in between: kept() carries it and restore() brings it back with its expiry.
  auto kept = store_.kept(kUser, t0_ + 10min);
  ASSERT_TRUE(kept.status_message);
  EXPECT_EQ(*kept.status_message, msg);
  EXPECT_EQ(kept.status_expires_at, t0_ + 30min);
  PresenceStore again;
  auto restored = again.restore(kUser, kept, t0_ + 10min);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->status_message, msg);

  // Shown until it expires, then tick() publishes the presence without it.
  EXPECT_EQ(again.aggregate(kUser, t0_ + 29min).status_message, msg);
  EXPECT_FALSE(again.aggregate(kUser, t0_ + 30min).status_message);
  auto changes = again.tick(t0_ + 30min);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].status_message);
  EXPECT_EQ(changes[0].pair, (PresencePair{A::Busy, T::InACall}));
  EXPECT_FALSE(again.kept(kUser, t0_ + 30min).status_message);
}

TEST_F(PresenceStoreTest, SequenceNumbersStrictlyIncreaseAcrossUsersAndTicks) {
  PresenceStore store(PresenceStore::Options{.first_sequence = 1'000'000});
  uint64_t last = 0;
  auto check = [&](const std::optional<PresenceChange>& c) {
    ASSERT_TRUE(c.has_value());
    EXPECT_GT(c->sequence, last);
    EXPECT_GT(formatSequenceNumber(c->sequence), formatSequenceNumber(last));
    last = c->sequence;
  };
  check(store.setPresence("u1", session(kAppA, A::Available, T::Available, 1h), t0_));
  EXPECT_GE(last, 1'000'000u);
  check(store.setPresence("u2", session(kAppA, A::Busy, T::InACall, 5min), t0_));
  check(store.setPresence("u1", session(kAppB, A::Busy, T::InACall, 1h), t0_));
  check(*store.clearPresence("u1", kAppB, t0_));
  for (auto& c : store.tick(t0_ + 2h)) check(c);
  EXPECT_EQ(store.aggregate("u1", t0_ + 2h).sequence, store.aggregate("u1", t0_ + 3h).sequence);
}

TEST_F(PresenceStoreTest, TickHandlesManyUsersInDeadlineOrder) {
  for (int i = 0; i < 100; ++i) {
    store_.setPresence("u" + std::to_string(i),
                       session(kAppA, A::Busy, T::InACall, 5min + std::chrono::seconds(100 - i)), t0_);
  }
  EXPECT_EQ(store_.userCount(), 100u);
  EXPECT_EQ(store_.nextDeadline(), t0_ + 5min + 1s);
  auto changes = store_.tick(t0_ + 1h);
  ASSERT_EQ(changes.size(), 100u);
  EXPECT_EQ(changes.front().user_id, "u99");
  EXPECT_EQ(changes.back().user_id, "u0");
  for (const auto& c : changes) EXPECT_EQ(c.pair, (PresencePair{A::Offline, T::Offline}));
  EXPECT_FALSE(store_.nextDeadline().has_value());
}

}  // namespace
}  // namespace sb::presence
