// SPDX-License-Identifier: Apache-2.0
#include "presence/presence.h"

#include <gtest/gtest.h>

namespace sb::presence {
namespace {

using namespace std::chrono_literals;
using A = Availability;
using T = Activity;

constexpr A kAllAvailabilities[] = {A::Available, A::AvailableIdle, A::Away,
                                    A::BeRightBack, A::Busy, A::BusyIdle,
                                    A::DoNotDisturb, A::Offline, A::PresenceUnknown};
constexpr T kAllActivities[] = {
    T::Available, T::AvailableInactive, T::Away, T::BeRightBack, T::Busy, T::DoNotDisturb,
    T::InACall, T::InAConferenceCall, T::Inactive, T::InAMeeting, T::Offline, T::OffWork,
    T::OutOfOffice, T::PresenceUnknown, T::Presenting, T::UrgentInterruptionsOnly};

TEST(PresenceEnumTest, NamesRoundTripAndMatchGraphSpelling) {
  for (A a : kAllAvailabilities) EXPECT_EQ(parseAvailability(toString(a)), a);
  for (T t : kAllActivities) EXPECT_EQ(parseActivity(toString(t)), t);
  EXPECT_EQ(toString(A::DoNotDisturb), "DoNotDisturb");
  EXPECT_EQ(toString(T::InAConferenceCall), "InAConferenceCall");
  EXPECT_EQ(toString(T::UrgentInterruptionsOnly), "UrgentInterruptionsOnly");
  EXPECT_EQ(parseAvailability("donotdisturb"), A::DoNotDisturb);
  EXPECT_FALSE(parseAvailability("Focusing").has_value());
  EXPECT_FALSE(parseActivity("").has_value());
}

TEST(PresencePairTest, SetPresenceTableIsExactlyTheReference) {
  const PresencePair allowed[] = {{A::Available, T::Available}, {A::Busy, T::InACall},
                                  {A::Busy, T::InAConferenceCall}, {A::Away, T::Away},
                                  {A::DoNotDisturb, T::Presenting}};
  int count = 0;
  for (A a : kAllAvailabilities) {
    for (T t : kAllActivities) {
      bool expected = false;
      for (auto p : allowed) expected = expected || p == PresencePair{a, t};
      EXPECT_EQ(isSessionPair({a, t}), expected) << toString(a) << "/" << toString(t);
      count += isSessionPair({a, t});
    }
  }
  EXPECT_EQ(count, 5);
  // OOF and InAMeeting cannot be set via setPresence (§B.1).
  EXPECT_FALSE(isSessionPair({A::Busy, T::InAMeeting}));
  EXPECT_FALSE(isSessionPair({A::Away, T::OutOfOffice}));
}

TEST(PresencePairTest, PreferredTableIsExactlyTheReference) {
  const PresencePair allowed[] = {{A::Available, T::Available},       {A::Busy, T::Busy},
                                  {A::DoNotDisturb, T::DoNotDisturb}, {A::BeRightBack, T::BeRightBack},
                                  {A::Away, T::Away},                 {A::Offline, T::OffWork}};
  int count = 0;
  for (A a : kAllAvailabilities) {
    for (T t : kAllActivities) {
      bool expected = false;
      for (auto p : allowed) expected = expected || p == PresencePair{a, t};
      EXPECT_EQ(isPreferredPair({a, t}), expected) << toString(a) << "/" << toString(t);
      count += isPreferredPair({a, t});
    }
  }
  EXPECT_EQ(count, 6);
  EXPECT_FALSE(isPreferredPair({A::Busy, T::InACall}));
}

TEST(PresencePairTest, ExpirationBounds) {
  EXPECT_TRUE(checkSessionExpiration(5min).has_value());
  EXPECT_TRUE(checkSessionExpiration(4h).has_value());
  EXPECT_TRUE(checkSessionExpiration(90min).has_value());
  auto low = checkSessionExpiration(5min - 1s);
  ASSERT_FALSE(low.has_value());
  EXPECT_EQ(low.error().field, "expirationDuration");
  EXPECT_FALSE(checkSessionExpiration(4h + 1s).has_value());
  EXPECT_EQ(kDefaultSessionExpiration, 5min);
  EXPECT_EQ(defaultPreferredExpiration(A::DoNotDisturb), 24h);
  EXPECT_EQ(defaultPreferredExpiration(A::Busy), 24h);
  EXPECT_EQ(defaultPreferredExpiration(A::Available), 168h);
  EXPECT_EQ(defaultPreferredExpiration(A::Offline), 168h);
}

TEST(SessionIdTest, GuidFormatIsValidatedAndNormalized) {
  EXPECT_EQ(*normalizeGuid("22553876-F5AB-4529-BFFB-CFE50AA89F87", "sessionId"),
            "22553876-f5ab-4529-bffb-cfe50aa89f87");
  EXPECT_EQ(*normalizeGuid("{22553876-f5ab-4529-bffb-cfe50aa89f87}", "x"),
            "22553876-f5ab-4529-bffb-cfe50aa89f87");
  for (const char* bad : {"", "22553876f5ab4529bffbcfe50aa89f87",
                          "22553876-f5ab-4529-bffb-cfe50aa89f8", "22553876-f5ab-4529-bffb-cfe50aa89f8g",
                          "22553876-f5ab-4529-bffb_cfe50aa89f87", "{22553876-f5ab-4529-bffb-cfe50aa89f87"}) {
    auto r = normalizeGuid(bad, "sessionId");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().field, "sessionId");
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
}

TEST(SessionIdTest, OAuthClientMustUseItsOwnClientId) {
  const char* app = "22553876-f5ab-4529-bffb-cfe50aa89f87";
  const char* other = "11111111-2222-3333-4444-555555555555";
  EXPECT_TRUE(checkSessionId(app, std::string_view(app)).has_value());
  EXPECT_TRUE(checkSessionId("22553876-F5AB-4529-BFFB-CFE50AA89F87", std::string_view(app)).has_value());
  auto r = checkSessionId(other, std::string_view(app));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::PermissionDenied);
  EXPECT_EQ(r.error().field, "sessionId");
  // Callers that are not OAuth clients may name any GUID, but it must be a GUID.
  EXPECT_TRUE(checkSessionId(other, std::nullopt).has_value());
  EXPECT_EQ(checkSessionId("not-a-guid", std::nullopt).error().code, Errc::InvalidArgument);
}

PresenceSession availableSession(MonoTime t0, Duration expiry) {
  PresenceSession s;
  s.id = "s";
  s.pair = {A::Available, T::Available};
  s.updated_at = t0;
  s.expires_at = t0 + expiry;
  return s;
}

TEST(FadingTest, AvailableFadesToInactiveThenAway) {
  MonoTime t0{};
  auto s = availableSession(t0, 4h);
  EXPECT_EQ(effectivePair(s, t0), (PresencePair{A::Available, T::Available}));
  EXPECT_EQ(effectivePair(s, t0 + 5min - 1s), (PresencePair{A::Available, T::Available}));
  EXPECT_EQ(effectivePair(s, t0 + 5min), (PresencePair{A::Available, T::AvailableInactive}));
  EXPECT_EQ(effectivePair(s, t0 + 10min - 1s), (PresencePair{A::Available, T::AvailableInactive}));
  EXPECT_EQ(effectivePair(s, t0 + 10min), (PresencePair{A::Away, T::Away}));
  EXPECT_EQ(effectivePair(s, t0 + 4h - 1s), (PresencePair{A::Away, T::Away}));
  EXPECT_FALSE(effectivePair(s, t0 + 4h).has_value());
  EXPECT_EQ(nextChange(s, t0), t0 + 5min);
  EXPECT_EQ(nextChange(s, t0 + 5min), t0 + 10min);
  EXPECT_EQ(nextChange(s, t0 + 10min), t0 + 4h);
  EXPECT_FALSE(nextChange(s, t0 + 4h).has_value());
}

TEST(FadingTest, OnlyAvailableGraphSessionsFade) {
  MonoTime t0{};
  auto busy = availableSession(t0, 1h);
  busy.pair = {A::Busy, T::InACall};
  EXPECT_EQ(effectivePair(busy, t0 + 30min), (PresencePair{A::Busy, T::InACall}));
  EXPECT_EQ(nextChange(busy, t0), t0 + 1h);
  auto internal = availableSession(t0, 1h);
  internal.kind = SessionKind::Internal;
  internal.expires_at.reset();
  EXPECT_EQ(effectivePair(internal, t0 + 30min), (PresencePair{A::Available, T::Available}));
  EXPECT_FALSE(nextChange(internal, t0).has_value());
}

TEST(FadingTest, ShortExpiryEndsTheSessionBeforeFading) {
  MonoTime t0{};
  auto s = availableSession(t0, 5min);
  EXPECT_FALSE(effectivePair(s, t0 + 5min).has_value());
}

TEST(AggregationRankTest, ReferencePrecedence) {
  EXPECT_GT(availabilityRank(A::DoNotDisturb), availabilityRank(A::Busy));
  EXPECT_GT(availabilityRank(A::Busy), availabilityRank(A::Available));
  EXPECT_GT(availabilityRank(A::Available), availabilityRank(A::Away));
  EXPECT_GT(availabilityRank(A::Away), availabilityRank(A::Offline));
  EXPECT_GT(activityRank(T::InAConferenceCall), activityRank(T::InACall));
  EXPECT_GT(activityRank(T::Available), activityRank(T::AvailableInactive));
}

TEST(RoutabilityTest, OnlyAvailableAndUninterruptible) {
  EXPECT_TRUE(isRoutable({A::Available, T::Available}));
  EXPECT_TRUE(isRoutable({A::Available, T::AvailableInactive}));
  EXPECT_TRUE(isRoutable({A::AvailableIdle, T::Available}));
  EXPECT_FALSE(isRoutable({A::Busy, T::InACall}));
  EXPECT_FALSE(isRoutable({A::Busy, T::InAMeeting}));
  EXPECT_FALSE(isRoutable({A::DoNotDisturb, T::Presenting}));
  EXPECT_FALSE(isRoutable({A::Away, T::Away}));
  EXPECT_FALSE(isRoutable({A::BeRightBack, T::BeRightBack}));
  EXPECT_FALSE(isRoutable({A::Offline, T::Offline}));
  EXPECT_FALSE(isRoutable({A::Available, T::Presenting}));
  EXPECT_FALSE(isRoutable({A::Available, T::InAMeeting}));
  EXPECT_FALSE(isRoutable({A::PresenceUnknown, T::PresenceUnknown}));
}

TEST(SwitchboardPairTest, DerivedFromCallsAndBindings) {
  EXPECT_EQ(switchboardPair({.sip_bound = true, .call_parties = 2}),
            (PresencePair{A::Busy, T::InACall}));
  EXPECT_EQ(switchboardPair({.sip_bound = true, .call_parties = 3}),
            (PresencePair{A::Busy, T::InAConferenceCall}));
  EXPECT_EQ(switchboardPair({.sip_bound = false, .call_parties = 5}),
            (PresencePair{A::Busy, T::InAConferenceCall}));
  EXPECT_EQ(switchboardPair({.sip_bound = true}), (PresencePair{A::Available, T::Available}));
  EXPECT_EQ(switchboardPair({.sip_bound = true, .not_ready = true}), (PresencePair{A::Away, T::Away}));
  EXPECT_FALSE(switchboardPair({.sip_bound = false}).has_value());
  for (int parties = 0; parties < 5; ++parties) {
    for (bool bound : {false, true}) {
      auto p = switchboardPair({.sip_bound = bound, .call_parties = parties});
      if (p) {
        EXPECT_TRUE(isInternalPair(*p));
      }
    }
  }
}

TEST(GraphErrorTest, MapsToStatusAndCode) {
  auto e = toGraphError(Error(Errc::InvalidArgument, "must be between PT5M and PT4H",
                              "expirationDuration"));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.code, "invalidRequest");
  EXPECT_EQ(e.message, "expirationDuration: must be between PT5M and PT4H");
  EXPECT_EQ(toGraphError(Error(Errc::NotFound, "x")).http_status, 404);
  EXPECT_EQ(toGraphError(Error(Errc::NotFound, "x")).code, "itemNotFound");
  EXPECT_EQ(toGraphError(Error(Errc::PermissionDenied, "x")).http_status, 403);
}

TEST(SequenceNumberTest, LexicalOrderIsNumericOrder) {
  EXPECT_LT(formatSequenceNumber(9), formatSequenceNumber(10));
  EXPECT_LT(formatSequenceNumber(99999), formatSequenceNumber(100000));
  EXPECT_EQ(formatSequenceNumber(42).size(), 20u);
}

}  // namespace
}  // namespace sb::presence
