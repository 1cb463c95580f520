// SPDX-License-Identifier: Apache-2.0
#include "center/presence_service.h"

#include <map>

#include <gtest/gtest.h>

#include "presence/graph_json.h"

namespace sb::center {
namespace {

using presence::Activity;
using presence::Availability;
using presence::PresencePair;

class FakeTimers final : public CenterEnvironment {
 public:
  void startTimer(uint64_t key, Duration delay) override { armed[key] = delay; }
  void cancelTimer(uint64_t key) override { armed.erase(key); }
  std::map<uint64_t, Duration> armed;
};

// The voice path stand-in: a directory, the signals a test sets, and a real routing engine
// that receives setRoutingPresence like VoiceCenter's.
class FakeBackend final : public PresenceBackend {
 public:
  FakeBackend(ManualClock& clock) : clock_(clock) {
    TenantSpec t;
    t.id = "demo";
    t.domain = "demo.switchboard.test";
    UserSpec alice;
    alice.id = "alice";
    alice.extension = "1001";
    UserSpec dave;
    dave.id = "dave";
    dave.role = UserRole::Sme;
    t.users = {alice, dave};
    directory_ = std::make_shared<Directory>(std::vector<TenantSpec>{t}, std::vector<TrunkSpec>{});

    routing::QueueSpec q;
    q.id = queueIdFor("demo", "support");
    q.tenant = routing::TenantId("demo");
    EXPECT_TRUE(engine.upsertQueue(q, clock_.now(), out));
    routing::AgentSpec a;
    a.id = agentIdFor("demo", "alice");
    a.tenant = routing::TenantId("demo");
    EXPECT_TRUE(engine.upsertAgent(a, clock_.now(), out));
    EXPECT_TRUE(engine.setAgentState(a.id, routing::AgentState::Available, "", clock_.now(), out));
    out.clear();
  }

  const Directory& directory() const override { return *directory_; }
  presence::SwitchboardSignals signals(const std::string& tenant,
                                       const std::string& user) override {
    return signals_[tenant + "/" + user];
  }
  void setRoutingPresence(const std::string& tenant, const std::string& user,
                          routing::Presence p) override {
    if (user != "alice") return;  // only agents
    routing_[tenant + "/" + user] = p;
    (void)engine.setPresence(agentIdFor(tenant, user), p, clock_.now(), out);
  }

  presence::SwitchboardSignals& signalsOf(const std::string& user) {
    return signals_["demo/" + user];
  }
  std::optional<routing::Presence> routingOf(const std::string& user) const {
    auto it = routing_.find("demo/" + user);
    if (it == routing_.end()) return std::nullopt;
    return it->second;
  }
  size_t offers() const {
    size_t n = 0;
    for (const auto& d : out.decisions) n += std::holds_alternative<routing::Offer>(d) ? 1 : 0;
    return n;
  }

  routing::Engine engine;
  routing::Output out;

 private:
  ManualClock& clock_;
  std::shared_ptr<const Directory> directory_;
  std::map<std::string, presence::SwitchboardSignals> signals_;
  std::map<std::string, routing::Presence> routing_;
};

class Recorder final : public PresenceListener {
 public:
  void onPresenceChanged(const std::string& tenant, const presence::Presence& p) override {
    changes.emplace_back(tenant, p);
  }
  std::vector<std::pair<std::string, presence::Presence>> changes;
};

class PresenceServiceTest : public ::testing::Test {
 protected:
  PresenceServiceTest() : backend(clock), service(backend, timers, clock) {
    service.addListener(&recorder);
  }

  // Runs the deferred re-evaluation the way the shard's timer would.
  void flush() {
    ASSERT_TRUE(timers.armed.contains(1));
    timers.armed.erase(1);
    service.onTimer(1);
  }
  PresencePair pairOf(const std::string& user) {
    auto p = service.get("demo", user);
    EXPECT_TRUE(p) << p.error().toString();
    return p ? p->pair : PresencePair{};
  }
  void setGraph(const std::string& user, Availability a, Activity act,
                Duration expiration = std::chrono::minutes(5)) {
    presence::SetPresenceRequest req;
    req.session_id = "22553876-f5ab-4529-bffb-cfe50aa89f87";
    req.pair = {a, act};
    req.expiration = expiration;
    ASSERT_TRUE(service.setPresence("demo", user, req));
  }

  ManualClock clock;
  FakeTimers timers;
  FakeBackend backend;
  PresenceService service;
  Recorder recorder;
};

TEST_F(PresenceServiceTest, UnregisteredUserIsOfflineAndEngineIsTold) {
  service.start();
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Offline, Activity::Offline}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::Offline);
  EXPECT_FALSE(backend.engine.agent(agentIdFor("demo", "alice"))->routable);
}

TEST_F(PresenceServiceTest, CallMakesBusyInACallAndHangUpMakesAvailable) {
  service.start();
  backend.signalsOf("alice").sip_bound = true;
  service.userChanged("demo", "alice");
  flush();
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Available, Activity::Available}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::Available);

  backend.signalsOf("alice").call_parties = 2;
  service.userChanged("demo", "alice");
  flush();
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Busy, Activity::InACall}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::Busy);

  backend.signalsOf("alice").call_parties = 0;
  service.userChanged("demo", "alice");
  flush();
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Available, Activity::Available}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::Available);

  // Every change reached the listener with the local user id and a growing sequence number.
  ASSERT_EQ(recorder.changes.size(), 3u);
  EXPECT_EQ(recorder.changes[1].first, "demo");
  EXPECT_EQ(recorder.changes[1].second.user_id, "alice");
  EXPECT_LT(recorder.changes[0].second.sequence, recorder.changes[1].second.sequence);
  EXPECT_LT(recorder.changes[1].second.sequence, recorder.changes[2].second.sequence);
}

TEST_F(PresenceServiceTest, ConferenceWithThreePartiesIsInAConferenceCall) {
  service.start();
  backend.signalsOf("dave") = {true, 3, false};
  service.userChanged("demo", "dave");
  flush();
  EXPECT_EQ(pairOf("dave"), (PresencePair{Availability::Busy, Activity::InAConferenceCall}));
}

TEST_F(PresenceServiceTest, UnregisterMakesOffline) {
  service.start();
  backend.signalsOf("dave").sip_bound = true;
  service.userChanged("demo", "dave");
  flush();
  EXPECT_EQ(pairOf("dave").availability, Availability::Available);
  backend.signalsOf("dave").sip_bound = false;
  service.userChanged("demo", "dave");
  flush();
  EXPECT_EQ(pairOf("dave"), (PresencePair{Availability::Offline, Activity::Offline}));
}

TEST_F(PresenceServiceTest, NotReadyAgentShowsAway) {
  service.start();
  backend.signalsOf("alice") = {true, 0, true};
  service.userChanged("demo", "alice");
  flush();
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Away, Activity::Away}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::Away);
}

TEST_F(PresenceServiceTest, ChangesAreBatchedIntoOneDeferredEvaluation) {
  service.start();
  backend.signalsOf("alice").sip_bound = true;
  service.userChanged("demo", "alice");
  service.userChanged("demo", "alice");
  service.userChanged("demo", "dave");
  // Nothing happens synchronously: the caller may be inside the engine's decision loop.
  EXPECT_EQ(pairOf("alice").availability, Availability::Offline);
  flush();
  EXPECT_FALSE(timers.armed.contains(1));
  EXPECT_EQ(pairOf("alice").availability, Availability::Available);
}

TEST_F(PresenceServiceTest, DoNotDisturbAgentGetsNoOffers) {
  service.start();
  backend.signalsOf("alice").sip_bound = true;
  service.userChanged("demo", "alice");
  flush();
  setGraph("alice", Availability::DoNotDisturb, Activity::Presenting, std::chrono::hours(1));
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::DoNotDisturb, Activity::Presenting}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::DoNotDisturb);

  backend.out.clear();
  routing::InteractionSpec call;
  call.id = routing::InteractionId("call-1");
  call.tenant = routing::TenantId("demo");
  call.queue = queueIdFor("demo", "support");
  ASSERT_TRUE(backend.engine.enqueue(call, clock.now(), backend.out));
  EXPECT_EQ(backend.offers(), 0u);

  // Clearing the session makes the agent routable again and the waiting call is offered.
  backend.out.clear();
  ASSERT_TRUE(service.clearPresence("demo", "alice", "22553876-f5ab-4529-bffb-cfe50aa89f87"));
  EXPECT_EQ(pairOf("alice").availability, Availability::Available);
  EXPECT_EQ(backend.offers(), 1u);
}

TEST_F(PresenceServiceTest, PreferredPresenceBeatsSessionsAndIsCleared) {
  service.start();
  backend.signalsOf("alice").sip_bound = true;
  service.userChanged("demo", "alice");
  flush();
  presence::SetPreferredRequest pref;
  pref.pair = {Availability::Busy, Activity::Busy};
  pref.expiration = std::chrono::hours(8);
  ASSERT_TRUE(service.setUserPreferredPresence("demo", "alice", pref));
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Busy, Activity::Busy}));
  EXPECT_EQ(backend.routingOf("alice"), routing::Presence::Busy);
  ASSERT_TRUE(service.clearUserPreferredPresence("demo", "alice"));
  EXPECT_EQ(pairOf("alice"), (PresencePair{Availability::Available, Activity::Available}));
}

TEST_F(PresenceServiceTest, GraphSessionExpiresOnTheDeadlineTimer) {
  service.start();
  setGraph("dave", Availability::Busy, Activity::InACall, std::chrono::minutes(5));
  EXPECT_EQ(pairOf("dave").availability, Availability::Busy);
  ASSERT_TRUE(timers.armed.contains(2));
  EXPECT_EQ(timers.armed[2], std::chrono::minutes(5));
  clock.advance(std::chrono::minutes(5));
  const size_t before = recorder.changes.size();
  timers.armed.erase(2);
  service.onTimer(2);
  EXPECT_EQ(pairOf("dave"), (PresencePair{Availability::Offline, Activity::Offline}));
  ASSERT_EQ(recorder.changes.size(), before + 1);
  EXPECT_EQ(recorder.changes.back().second.pair.availability, Availability::Offline);
}

TEST_F(PresenceServiceTest, UnknownUserIsNotFound) {
  service.start();
  auto p = service.get("demo", "mallory");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::NotFound);
  EXPECT_FALSE(service.get("acme", "alice"));
  auto clear = service.clearPresence("demo", "alice", "22553876-f5ab-4529-bffb-cfe50aa89f87");
  ASSERT_FALSE(clear);
  EXPECT_EQ(clear.error().code, Errc::NotFound);
}

TEST_F(PresenceServiceTest, SipPublishSessionCountsInTheAggregate) {
  service.start();
  ASSERT_TRUE(service.setInternalSession("demo", "dave", "sip-publish:1",
                                         PresencePair{Availability::DoNotDisturb,
                                                      Activity::DoNotDisturb},
                                         std::chrono::seconds(60)));
  EXPECT_EQ(pairOf("dave").availability, Availability::DoNotDisturb);
  ASSERT_TRUE(service.setInternalSession("demo", "dave", "sip-publish:1", std::nullopt,
                                         std::nullopt));
  EXPECT_EQ(pairOf("dave").availability, Availability::Offline);
}

TEST(RoutingPresenceTest, MapsAggregateToEngineValues) {
  EXPECT_EQ(routingPresenceFor({Availability::Available, Activity::Available}),
            routing::Presence::Available);
  EXPECT_EQ(routingPresenceFor({Availability::Available, Activity::AvailableInactive}),
            routing::Presence::Available);
  EXPECT_EQ(routingPresenceFor({Availability::Busy, Activity::InACall}), routing::Presence::Busy);
  EXPECT_EQ(routingPresenceFor({Availability::DoNotDisturb, Activity::Presenting}),
            routing::Presence::DoNotDisturb);
  EXPECT_EQ(routingPresenceFor({Availability::Away, Activity::Away}), routing::Presence::Away);
  EXPECT_EQ(routingPresenceFor({Availability::BeRightBack, Activity::BeRightBack}),
            routing::Presence::Away);
  EXPECT_EQ(routingPresenceFor({Availability::Offline, Activity::OffWork}),
            routing::Presence::Offline);
}

}  // namespace
}  // namespace sb::center
