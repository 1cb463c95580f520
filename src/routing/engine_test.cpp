// SPDX-License-Identifier: Apache-2.0
#include "routing/engine.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "routing/expression.h"
#include "routing/testing/engine_fixture.h"

namespace sb::routing {
namespace {

using namespace std::chrono_literals;
using testing::EngineFixture;

class EngineTest : public EngineFixture {};

// ---------------------------------------------------------------- strategies and tie-breaks

TEST_F(EngineTest, LongestIdlePicksEarliestLastIdleThenAgentId) {
  addQueue(queueSpec("q"));
  addAgent("b");
  now_ += 1s;
  addAgent("a");
  addAgent("c");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "b");  // idle since t0
  clear();
  ASSERT_TRUE(enqueue("x2", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "a");  // a and c tie on last_idle: lower id
  auto w = eng_.why(InteractionId("x2"));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0]->rule.find("longest-idle"), std::string_view::npos);
  EXPECT_EQ(w[0]->trigger, "arrival");
  EXPECT_EQ(w[0]->eligible, 2u);
}

TEST_F(EngineTest, FewestInteractionsThenLongestIdle) {
  addQueue(queueSpec("q", Strategy::FewestInteractions));
  addAgent("a");
  addAgent("b");
  addAgent("c");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "a");  // all 0 today, all same idle: id
  now_ += 5s;
  serve(o);  // a: 1 today, last idle now
  clear();
  ASSERT_TRUE(enqueue("x2", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "b");
  serve(onlyOffer());
  clear();
  ASSERT_TRUE(enqueue("x3", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "c");
  serve(onlyOffer());
  now_ += 1s;
  // All have 1: longest idle is a (freed first).
  clear();
  ASSERT_TRUE(enqueue("x4", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "a");
}

TEST_F(EngineTest, LeastTalkTime) {
  addQueue(queueSpec("q", Strategy::LeastTalkTime));
  addAgent("a");
  addAgent("b");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o1 = onlyOffer();  // a (tie -> id)
  accept(o1);
  clear();
  ASSERT_TRUE(enqueue("x2", "q"));
  Offer o2 = onlyOffer();
  EXPECT_EQ(o2.agent.value(), "b");
  accept(o2);
  now_ += 10s;
  complete("x2");  // b talked 10 s
  now_ += 50s;
  complete("x1");  // a talked 60 s, freed later
  clear();
  ASSERT_TRUE(enqueue("x3", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "b");
}

TEST_F(EngineTest, BestSkillHighestProficiencyTiesLongestIdle) {
  auto q = queueSpec("q", Strategy::BestSkill);
  q.skills = {{"spanish", 3}};
  addQueue(q);
  addAgent("a", {{"spanish", 5}});
  addAgent("b", {{"spanish", 9}});
  addAgent("c", {{"spanish", 2}});  // below minimum
  now_ += 1s;
  addAgent("d", {{"spanish", 9}});
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "b");  // 9, idle longer than d
  EXPECT_EQ(o.why->winning_score, 9);
  bool saw_c = false;
  for (const auto& n : o.why->candidates) {
    if (n.agent.value() == "c") {
      saw_c = true;
      EXPECT_EQ(n.excluded, Exclusion::MissingSkill);
    }
  }
  EXPECT_FALSE(saw_c) << "c lacks the queue skill so it is not even a candidate";
  EXPECT_EQ(eng_.queue(QueueId("q"))->candidates, 3u);
  clear();
  ASSERT_TRUE(enqueue("x2", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "d");
}

TEST_F(EngineTest, LinearFollowsPositionWithinLowestPenaltyTier) {
  auto q = queueSpec("q", Strategy::Linear);
  q.members = {{AgentId("a"), 1, 0}, {AgentId("b"), 0, 2}, {AgentId("c"), 0, 1}};
  addQueue(q);
  addAgent("a");
  addAgent("b");
  addAgent("c");
  addAgent("z");  // not a member
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "c");  // tier 0, position 1
  bool a_lower = false;
  for (const auto& n : o.why->candidates) a_lower |= n.agent.value() == "a" && n.excluded == Exclusion::LowerTier;
  EXPECT_TRUE(a_lower);
  clear();
  ASSERT_TRUE(enqueue("x2", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "b");
  clear();
  ASSERT_TRUE(enqueue("x3", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "a");  // tier 1 only when tier 0 is busy
  clear();
  ASSERT_TRUE(enqueue("x4", "q"));
  EXPECT_TRUE(take<Offer>().empty());
}

TEST_F(EngineTest, RoundRobinMemoryRotatesByAgentId) {
  addQueue(queueSpec("q", Strategy::RoundRobinMemory));
  addAgent("c");
  addAgent("a");
  addAgent("b");
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) {
    clear();
    ASSERT_TRUE(enqueue("x" + std::to_string(i), "q"));
    Offer o = onlyOffer();
    order.push_back(o.agent.value());
    serve(o);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a", "b"}));
}

TEST_F(EngineTest, RoundRobinOrderedRotatesByPosition) {
  auto q = queueSpec("q", Strategy::RoundRobinOrdered);
  q.members = {{AgentId("a"), 0, 3}, {AgentId("b"), 0, 1}, {AgentId("c"), 0, 2}};
  addQueue(q);
  addAgent("a");
  addAgent("b");
  addAgent("c");
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) {
    clear();
    ASSERT_TRUE(enqueue("x" + std::to_string(i), "q"));
    Offer o = onlyOffer();
    order.push_back(o.agent.value());
    serve(o);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"b", "c", "a", "b"}));
}

TEST_F(EngineTest, RingAllOffersEveryoneFirstAcceptWinsOthersRescinded) {
  addQueue(queueSpec("q", Strategy::RingAll));
  addAgent("a");
  addAgent("b");
  addAgent("c");
  ASSERT_TRUE(eng_.setPresence(AgentId("c"), Presence::DoNotDisturb, now_, out_));
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  auto offers = take<Offer>();
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0].why, offers[1].why);
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->offered_to.size(), 2u);
  // A third agent becoming available joins the ring.
  clear();
  ASSERT_TRUE(eng_.setPresence(AgentId("c"), Presence::Available, now_, out_));
  ASSERT_EQ(take<Offer>().size(), 1u);
  clear();
  accept(offers[1]);
  auto rescinds = take<Rescind>();
  ASSERT_EQ(rescinds.size(), 2u);
  for (const auto& r : rescinds) EXPECT_EQ(r.reason, RescindReason::AnotherAccepted);
  EXPECT_EQ(take<Assigned>().at(0).agent, offers[1].agent);
  EXPECT_EQ(stateOf("a"), AgentState::Available);
  EXPECT_EQ(stateOf("b"), AgentState::Busy);
  // The losers' reservations are gone.
  EXPECT_FALSE(eng_.accept(offers[0].reservation, now_, out_));
}

TEST_F(EngineTest, RingProgressivelyAddsOneAgentPerInterval) {
  auto q = queueSpec("q", Strategy::RingProgressively);
  q.ring_progressive_interval = 5s;
  q.reservation_timeout = 60s;
  q.members = {{AgentId("a"), 0, 1}, {AgentId("b"), 0, 2}, {AgentId("c"), 0, 3}};
  addQueue(q);
  addAgent("a");
  addAgent("b");
  addAgent("c");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_EQ(onlyOffer().agent.value(), "a");
  clear();
  advance(4s);
  EXPECT_TRUE(take<Offer>().empty());
  advance(1s);
  EXPECT_EQ(onlyOffer().agent.value(), "b");
  clear();
  advance(5s);
  Offer oc = onlyOffer();
  EXPECT_EQ(oc.agent.value(), "c");
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->offered_to.size(), 3u);
  clear();
  accept(oc);
  EXPECT_EQ(take<Rescind>().size(), 2u);
}

TEST_F(EngineTest, RingProgressivelyStartedByAFreedAgentKeepsAddingAgents) {
  auto q = queueSpec("q", Strategy::RingProgressively);
  q.ring_progressive_interval = 5s;
  q.reservation_timeout = 60s;
  addQueue(q);
  addAgent(agentSpec("a"), false);
  addAgent(agentSpec("b"), false);
  ASSERT_TRUE(enqueue("x1", "q"));
  clear();
  ASSERT_TRUE(eng_.setAgentState(AgentId("a"), AgentState::Available, "", now_, out_));
  EXPECT_EQ(onlyOffer().agent.value(), "a");
  advance(5s);  // nobody else yet: keeps looking
  ASSERT_TRUE(eng_.setAgentState(AgentId("b"), AgentState::Away, "", now_, out_));
  ASSERT_TRUE(eng_.setAgentState(AgentId("b"), AgentState::Available, "", now_, out_));
  clear();
  advance(5s);
  Offer ob = onlyOffer();
  EXPECT_EQ(ob.agent.value(), "b");
  EXPECT_EQ(ob.why->trigger, "ring-progressive");
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->offered_to.size(), 2u);
}

TEST_F(EngineTest, RandomIsSeededAndCoversAgents) {
  auto run = [](std::uint64_t seed) {
    EngineConfig cfg;
    cfg.seed = seed;
    Engine e(cfg);
    Output out;
    MonoTime t{};
    QueueSpec q;
    q.id = QueueId("q");
    q.tenant = TenantId("t");
    q.strategy = Strategy::Random;
    EXPECT_TRUE(e.upsertQueue(q, t, out));
    for (const char* n : {"a", "b", "c", "d"}) {
      AgentSpec a;
      a.id = AgentId(n);
      a.tenant = TenantId("t");
      EXPECT_TRUE(e.upsertAgent(a, t, out));
      EXPECT_TRUE(e.setAgentState(a.id, AgentState::Available, "", t, out));
    }
    std::vector<std::string> picks;
    for (int i = 0; i < 200; ++i) {
      out.clear();
      InteractionSpec s;
      s.id = InteractionId("x" + std::to_string(i));
      s.tenant = TenantId("t");
      s.queue = QueueId("q");
      EXPECT_TRUE(e.enqueue(s, t, out));
      std::vector<Offer> offers;
      for (const auto& d : out.decisions) {
        if (auto* o = std::get_if<Offer>(&d)) offers.push_back(*o);
      }
      for (const Offer& o : offers) {
        picks.push_back(o.agent.value());
        EXPECT_TRUE(e.accept(o.reservation, t, out));
        EXPECT_TRUE(e.complete(o.interaction, t, out));
      }
    }
    return picks;
  };
  auto p1 = run(7), p2 = run(7), p3 = run(8);
  EXPECT_EQ(p1, p2);
  EXPECT_NE(p1, p3);
  std::map<std::string, int> counts;
  for (auto& p : p1) ++counts[p];
  EXPECT_EQ(counts.size(), 4u);
  for (auto& [n, c] : counts) EXPECT_GT(c, 25) << n;
}

TEST_F(EngineTest, WeightedRandomFollowsWeights) {
  auto q = queueSpec("q", Strategy::WeightedRandom);
  q.members = {{AgentId("a"), 0, 0, 1.0}, {AgentId("b"), 0, 0, 9.0}};
  addQueue(q);
  addAgent("a");
  addAgent("b");
  std::map<std::string, int> counts;
  for (int i = 0; i < 1000; ++i) {
    clear();
    ASSERT_TRUE(enqueue("x" + std::to_string(i), "q"));
    Offer o = onlyOffer();
    ++counts[o.agent.value()];
    serve(o);
  }
  EXPECT_GT(counts["b"], 800);
  EXPECT_GT(counts["a"], 50);
}

TEST_F(EngineTest, StrategyNamesMapPeerSpellings) {
  EXPECT_EQ(strategyFromName("leastrecent"), Strategy::LongestIdle);
  EXPECT_EQ(strategyFromName("longest-idle-agent"), Strategy::LongestIdle);
  EXPECT_EQ(strategyFromName("rrmemory"), Strategy::RoundRobinMemory);
  EXPECT_EQ(strategyFromName("round-robin"), Strategy::RoundRobinMemory);
  EXPECT_EQ(strategyFromName("rrordered"), Strategy::RoundRobinOrdered);
  EXPECT_EQ(strategyFromName("fewestcalls"), Strategy::FewestInteractions);
  EXPECT_EQ(strategyFromName("agent-with-fewest-calls"), Strategy::FewestInteractions);
  EXPECT_EQ(strategyFromName("agent-with-least-talk-time"), Strategy::LeastTalkTime);
  EXPECT_EQ(strategyFromName("linear"), Strategy::Linear);
  EXPECT_EQ(strategyFromName("top-down"), Strategy::Linear);
  EXPECT_EQ(strategyFromName("sequentially-by-agent-order"), Strategy::Linear);
  EXPECT_EQ(strategyFromName("ringall"), Strategy::RingAll);
  EXPECT_EQ(strategyFromName("ring-all"), Strategy::RingAll);
  EXPECT_EQ(strategyFromName("ring-progressively"), Strategy::RingProgressively);
  EXPECT_EQ(strategyFromName("random"), Strategy::Random);
  EXPECT_EQ(strategyFromName("wrandom"), Strategy::WeightedRandom);
  EXPECT_EQ(strategyFromName("nope"), std::nullopt);
  for (int s = 0; s <= static_cast<int>(Strategy::WeightedRandom); ++s)
    EXPECT_EQ(strategyFromName(strategyName(static_cast<Strategy>(s))), static_cast<Strategy>(s));
}

// ---------------------------------------------------------------- expressions on queues

TEST_F(EngineTest, QueueExpressionFiltersAgentsByAgentAndInteractionAttributes) {
  auto q = queueSpec("q");
  q.expression = "skills.spanish >= 5 AND team == interaction.team";
  addQueue(q);
  auto a = agentSpec("a", {{"spanish", 7}});
  a.attributes = {{"team", "red"}};
  auto b = agentSpec("b", {{"spanish", 7}});
  b.attributes = {{"team", "blue"}};
  auto c = agentSpec("c", {{"spanish", 3}});
  c.attributes = {{"team", "blue"}};
  addAgent(a);
  addAgent(b);
  addAgent(c);
  clear();
  ASSERT_TRUE(enqueue("x1", "q", 0, Channel::Voice, {{"team", "blue"}}));
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "b");
  int expr_false = 0;
  for (const auto& n : o.why->candidates) expr_false += n.excluded == Exclusion::ExpressionFalse;
  EXPECT_EQ(expr_false, 2);
  clear();
  ASSERT_TRUE(enqueue("x2", "q", 0, Channel::Voice, {{"team", "green"}}));
  EXPECT_TRUE(take<Offer>().empty());
}

TEST_F(EngineTest, MalformedExpressionRejectedOnSaveWithPosition) {
  auto q = queueSpec("q");
  q.expression = "skills.spanish >= AND x";
  auto r = eng_.upsertQueue(q, now_, out_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().field, "expression");
  EXPECT_EQ(Expression::errorPosition(r.error()), 18u);
  EXPECT_FALSE(eng_.queue(QueueId("q")));

  q.expression = "";
  q.escalation = {EscalationStep{10s, std::nullopt, {}, {}, std::string("team == ")}};
  r = eng_.upsertQueue(q, now_, out_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "escalation[0].expression");
  EXPECT_EQ(Expression::errorPosition(r.error()), 8u);
}

// ---------------------------------------------------------------- escalation

TEST_F(EngineTest, EscalationRelaxesSkillsAddsOverflowAndAgents) {
  auto over = queueSpec("over");
  addQueue(over);
  auto q = queueSpec("q");
  q.skills = {{"billing", 8}};
  q.decline_skip_time = 120s;
  q.escalation = {
      EscalationStep{30s, std::vector<SkillRequirement>{{"billing", 4}}, {}, {}, std::nullopt},
      EscalationStep{60s, std::nullopt, {QueueId("over")}, {}, std::nullopt},
  };
  addQueue(q);
  addAgent("mid", {{"billing", 5}});
  ASSERT_TRUE(eng_.setAgentState(AgentId("mid"), AgentState::Away, "", now_, out_));
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_TRUE(take<Offer>().empty());
  ASSERT_TRUE(eng_.setAgentState(AgentId("mid"), AgentState::Available, "", now_, out_));
  EXPECT_TRUE(take<Offer>().empty()) << "billing 5 < 8 before the first step";
  EXPECT_EQ(eng_.nextDeadline(), now_ + 30s);
  clear();
  advance(30s);
  ASSERT_EQ(take<Escalated>().size(), 1u);
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "mid");
  EXPECT_EQ(o.why->step, 1u);
  EXPECT_EQ(o.why->trigger, "escalation");
  ASSERT_TRUE(eng_.decline(o.reservation, now_, out_));

  // Second step: the overflow queue's agents see it too.
  addAgent("generalist");  // member of "over" (no skills needed), not of "q"
  clear();
  advance(30s);
  auto ov = take<Overflowed>();
  ASSERT_EQ(ov.size(), 1u);
  EXPECT_EQ(ov[0].to.value(), "over");
  EXPECT_EQ(onlyOffer().agent.value(), "generalist");
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->also_in.size(), 1u);
}

TEST_F(EngineTest, EscalationAddAgentsAndExpressionSwap) {
  auto q = queueSpec("q");
  q.expression = "tier == 'senior'";
  q.members = {{AgentId("s")}, {AgentId("j")}};
  q.escalation = {EscalationStep{20s, std::nullopt, {}, {AgentId("backup")}, std::string("tier IN ['senior','junior']")}};
  addQueue(q);
  auto s = agentSpec("s");
  s.attributes = {{"tier", "senior"}};
  auto j = agentSpec("j");
  j.attributes = {{"tier", "junior"}};
  auto b = agentSpec("backup");
  b.attributes = {{"tier", "junior"}};
  addAgent(s, false);
  addAgent(j);
  addAgent(b);
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_TRUE(take<Offer>().empty());
  clear();
  advance(20s);
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "backup");  // both j and backup qualify; tie -> id "backup" < "j"
  clear();
  ASSERT_TRUE(eng_.decline(o.reservation, now_, out_));
  EXPECT_EQ(onlyOffer().agent.value(), "j");
}

TEST_F(EngineTest, MaxWaitTimesOutWithQueueAction) {
  auto q = queueSpec("q");
  q.max_wait = 120s;
  q.timeout_action = TimeoutAction::Voicemail;
  q.timeout_target = "vm-100";
  addQueue(q);
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  advance(119s);
  EXPECT_TRUE(take<QueueTimeout>().empty());
  advance(1s);
  auto t = take<QueueTimeout>();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].action, TimeoutAction::Voicemail);
  EXPECT_EQ(t[0].target, "vm-100");
  auto f = take<InteractionFinished>();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].reason, FinishReason::TimedOut);
  EXPECT_FALSE(eng_.interaction(InteractionId("x1")));
  bool flow_out = false;
  for (const auto& e : out_.events) flow_out |= e.kind == SegmentKind::FlowOut;
  EXPECT_TRUE(flow_out);
}

// ---------------------------------------------------------------- reservations

TEST_F(EngineTest, DeclineRequeuesAtOriginalPositionAndSkipsAgentForAWhile) {
  auto q = queueSpec("q");
  q.decline_skip_time = 30s;
  addQueue(q);
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  now_ += 1s;
  ASSERT_TRUE(enqueue("x2", "q"));  // waits behind x1 (a is reserved)
  clear();
  ASSERT_TRUE(eng_.decline(o.reservation, now_, out_));
  // a is skipped for x1 but x2 is next: a gets x2, x1 stays first in line.
  Offer o2 = onlyOffer();
  EXPECT_EQ(o2.interaction.value(), "x2");
  clear();
  addAgent("b");
  Offer ob = onlyOffer();
  EXPECT_EQ(ob.interaction.value(), "x1");  // original position: first in line
  EXPECT_EQ(ob.agent.value(), "b");
  bool declined_event = false;
  (void)declined_event;
}

TEST_F(EngineTest, SkipWindowExpiresAndTheSameAgentIsOfferedAgain) {
  auto q = queueSpec("q");
  q.decline_skip_time = 10s;
  addQueue(q);
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  ASSERT_TRUE(eng_.decline(onlyOffer().reservation, now_, out_));
  clear();
  advance(9s);
  EXPECT_TRUE(take<Offer>().empty());
  advance(1s);
  Offer o = onlyOffer();
  EXPECT_EQ(o.agent.value(), "a");
  EXPECT_EQ(o.why->trigger, "skip-expired");
}

class EngineTimeoutTest : public EngineFixture {
 protected:
  static EngineConfig config() {
    EngineConfig c;
    c.max_consecutive_timeouts = 2;
    return c;
  }
  EngineTimeoutTest() : EngineFixture(config()) {}
};

TEST_F(EngineTimeoutTest, ReservationTimeoutRequeuesAndNTimeoutsInARowSetAgentAway) {
  auto q = queueSpec("q");
  q.reservation_timeout = 15s;
  q.decline_skip_time = 30s;
  addQueue(q);
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o1 = onlyOffer();
  EXPECT_EQ(o1.deadline, now_ + 15s);
  clear();
  advance(15s);
  ASSERT_EQ(take<OfferTimedOut>().size(), 1u);
  EXPECT_TRUE(take<Offer>().empty()) << "a is skipped for x1";
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->phase, InteractionPhase::Waiting);
  EXPECT_EQ(eng_.agent(AgentId("a"))->consecutive_timeouts, 1);
  EXPECT_EQ(stateOf("a"), AgentState::Available);
  clear();
  ASSERT_TRUE(enqueue("x2", "q"));
  Offer o2 = onlyOffer();
  EXPECT_EQ(o2.interaction.value(), "x2");
  clear();
  advance(15s);
  ASSERT_EQ(take<OfferTimedOut>().size(), 1u);
  auto changes = take<AgentStateChanged>();
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back().to, AgentState::Away);
  EXPECT_EQ(changes.back().reason, "offer-timeouts");
  EXPECT_EQ(stateOf("a"), AgentState::Away);
  clear();
  addAgent("b");
  Offer ob = onlyOffer();
  EXPECT_EQ(ob.interaction.value(), "x1");  // still first in line
}

TEST_F(EngineTimeoutTest, AcceptResetsTheTimeoutCounter) {
  auto q = queueSpec("q");
  q.reservation_timeout = 5s;
  q.decline_skip_time = 0s;
  addQueue(q);
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  advance(5s);  // timeout 1; skip disabled so x1 is offered again at once
  Offer again = take<Offer>().back();
  EXPECT_EQ(again.interaction.value(), "x1");
  accept(again);
  EXPECT_EQ(eng_.agent(AgentId("a"))->consecutive_timeouts, 0);
}

// ---------------------------------------------------------------- wrap-up and state machine

TEST_F(EngineTest, WrapUpTimerThenAvailableAndStateTransitions) {
  auto q = queueSpec("q");
  q.wrap_up_time = 30s;
  addQueue(q);
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  accept(o);
  now_ += 60s;
  complete("x1");
  EXPECT_EQ(stateOf("a"), AgentState::WrapUp);
  EXPECT_EQ(eng_.agent(AgentId("a"))->wrap_up_until, now_ + 30s);
  ASSERT_TRUE(enqueue("x2", "q"));
  std::vector<std::pair<AgentState, AgentState>> seen;
  for (const auto& c : take<AgentStateChanged>()) seen.emplace_back(c.from, c.to);
  EXPECT_EQ(seen, (std::vector<std::pair<AgentState, AgentState>>{{AgentState::Available, AgentState::Reserved},
                                                                   {AgentState::Reserved, AgentState::Busy},
                                                                   {AgentState::Busy, AgentState::WrapUp}}));
  EXPECT_TRUE(take<Offer>().size() == 1u) << "only x1's offer so far";
  clear();
  advance(29s);
  EXPECT_TRUE(take<Offer>().empty());
  advance(1s);
  Offer o2 = onlyOffer();
  EXPECT_EQ(o2.interaction.value(), "x2");
  EXPECT_EQ(o2.why->trigger, "agent-available");
  EXPECT_EQ(eng_.agent(AgentId("a"))->talk_time, 60s);
  EXPECT_EQ(eng_.agent(AgentId("a"))->interactions_today, 1u);
}

TEST_F(EngineTest, WrapUpEndedEarlyByAgent) {
  auto q = queueSpec("q");
  q.wrap_up_time = 120s;
  addQueue(q);
  addAgent("a");
  EXPECT_FALSE(eng_.endWrapUp(AgentId("a"), now_, out_));
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  serve(onlyOffer());
  ASSERT_TRUE(enqueue("x2", "q"));
  EXPECT_EQ(stateOf("a"), AgentState::WrapUp);
  clear();
  now_ += 10s;
  ASSERT_TRUE(eng_.endWrapUp(AgentId("a"), now_, out_));
  EXPECT_EQ(onlyOffer().interaction.value(), "x2");
  EXPECT_EQ(eng_.agent(AgentId("a"))->last_idle, now_);
  // The stale wrap-up timer later does nothing.
  clear();
  advance(200s);
  EXPECT_TRUE(take<AgentStateChanged>().size() <= 1u);
}

TEST_F(EngineTest, AwayOrBreakRequestedWhileBusyTakesEffectAfterWork) {
  addQueue(queueSpec("q"));
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  accept(onlyOffer());
  ASSERT_TRUE(eng_.setAgentState(AgentId("a"), AgentState::Break, "lunch", now_, out_));
  EXPECT_EQ(stateOf("a"), AgentState::Busy);
  ASSERT_TRUE(enqueue("x2", "q"));
  clear();
  complete("x1");
  EXPECT_EQ(stateOf("a"), AgentState::Break);
  auto ch = take<AgentStateChanged>();
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].reason, "lunch");
  EXPECT_EQ(eng_.agent(AgentId("a"))->break_reason, "lunch");
  EXPECT_TRUE(take<Offer>().empty());
  EXPECT_FALSE(eng_.setAgentState(AgentId("a"), AgentState::Busy, "", now_, out_));
}

// ---------------------------------------------------------------- capacity

TEST_F(EngineTest, PerChannelCountsAndVoiceBlocksOthers) {
  auto chat = queueSpec("chat");
  chat.channels = {Channel::Chat};
  addQueue(chat);
  addQueue(queueSpec("voice"));
  addAgent("a");  // default: voice 1, chat 3, voice blocks others
  clear();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(enqueue("c" + std::to_string(i), "chat", 0, Channel::Chat));
  auto offers = take<Offer>();
  ASSERT_EQ(offers.size(), 3u);
  for (auto& o : offers) accept(o);
  EXPECT_EQ(eng_.agent(AgentId("a"))->channel_count[static_cast<int>(Channel::Chat)], 3);
  clear();
  ASSERT_TRUE(enqueue("v1", "voice"));
  EXPECT_TRUE(take<Offer>().empty()) << "voice is blocked while chats are open";
  complete("c0");
  Offer next = onlyOffer();
  EXPECT_EQ(next.interaction.value(), "c3") << "chat capacity freed, voice still blocked";
  clear();
  serve(next);
  complete("c1");
  complete("c2");
  EXPECT_EQ(onlyOffer().interaction.value(), "v1");
  clear();
  ASSERT_TRUE(enqueue("c9", "chat", 0, Channel::Chat));
  EXPECT_TRUE(take<Offer>().empty()) << "a voice reservation blocks chats";
}

TEST_F(EngineTest, CapacityUnitsOneCallOrFourChats) {
  auto chat = queueSpec("chat");
  chat.channels = {Channel::Chat, Channel::Voice};
  addQueue(chat);
  auto a = agentSpec("a");
  a.capacity.total_units = 100;
  a.capacity.unit_cost = {100, 25, 20, 25, 100, 50};
  a.capacity.max_per_channel = {1, 10, 10, 10, 1, 1};
  a.capacity.voice_blocks_others = false;  // the unit budget alone decides
  addAgent(a);
  clear();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(enqueue("c" + std::to_string(i), "chat", 0, Channel::Chat));
  ASSERT_EQ(take<Offer>().size(), 4u);
  EXPECT_EQ(eng_.agent(AgentId("a"))->used_units, 100);
  clear();
  ASSERT_TRUE(enqueue("v", "chat", 0, Channel::Voice));
  EXPECT_TRUE(take<Offer>().empty());
  // Raising the budget live lets the fifth chat in (20 more units needed: 25).
  a.capacity.total_units = 125;
  clear();
  ASSERT_TRUE(eng_.upsertAgent(a, now_, out_));
  EXPECT_EQ(onlyOffer().interaction.value(), "c4");
}

TEST_F(EngineTest, VoiceAndChatTogetherWhenConfigured) {
  auto q = queueSpec("q");
  q.channels = {Channel::Voice, Channel::Chat};
  addQueue(q);
  auto a = agentSpec("a");
  a.capacity.voice_blocks_others = false;
  addAgent(a);
  clear();
  ASSERT_TRUE(enqueue("v", "q", 0, Channel::Voice));
  ASSERT_TRUE(enqueue("c", "q", 0, Channel::Chat));
  EXPECT_EQ(take<Offer>().size(), 2u);
}

// ---------------------------------------------------------------- presence / reachability / tenants

TEST_F(EngineTest, PresenceOverridesAvailability) {
  addQueue(queueSpec("q"));
  addAgent("a");
  ASSERT_TRUE(eng_.setPresence(AgentId("a"), Presence::DoNotDisturb, now_, out_));
  EXPECT_FALSE(eng_.agent(AgentId("a"))->routable);
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_TRUE(take<Offer>().empty());
  ASSERT_TRUE(eng_.setPresence(AgentId("a"), Presence::Available, now_, out_));
  Offer o = onlyOffer();
  clear();
  ASSERT_TRUE(eng_.setPresence(AgentId("a"), Presence::Offline, now_, out_));
  auto r = take<Rescind>();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].reason, RescindReason::AgentLoggedOut);
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->phase, InteractionPhase::Waiting);
  EXPECT_FALSE(eng_.accept(o.reservation, now_, out_));
}

TEST_F(EngineTest, UnreachableAgentGetsNoOffers) {
  addQueue(queueSpec("q"));
  addAgent("a");
  ASSERT_TRUE(eng_.setReachable(AgentId("a"), false, now_, out_));
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_TRUE(take<Offer>().empty());
  ASSERT_TRUE(eng_.setReachable(AgentId("a"), true, now_, out_));
  EXPECT_EQ(onlyOffer().agent.value(), "a");
}

TEST_F(EngineTest, TenantsAreIsolated) {
  addQueue(queueSpec("q1"));
  addQueue(queueSpec("q2", Strategy::LongestIdle, "t2"));
  addAgent(agentSpec("other", {}, "t2"));
  clear();
  ASSERT_TRUE(enqueue("x1", "q1"));
  EXPECT_TRUE(take<Offer>().empty());
  EXPECT_EQ(eng_.agent(AgentId("other"))->queues, std::vector<QueueId>{QueueId("q2")});
  auto wrong = enqueue("x2", "q1", 0, Channel::Voice, {}, "t2");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::InvalidArgument);
  // A t1 queue cannot name a t2 overflow queue.
  auto q = queueSpec("q3");
  q.escalation = {EscalationStep{1s, std::nullopt, {QueueId("q2")}, {}, std::nullopt}};
  EXPECT_FALSE(eng_.upsertQueue(q, now_, out_));
  // Explicit membership across tenants is ignored.
  auto m = queueSpec("q4");
  m.members = {{AgentId("other")}};
  addQueue(m);
  EXPECT_EQ(eng_.queue(QueueId("q4"))->candidates, 0u);
  // Changing an agent's tenant is refused.
  EXPECT_FALSE(eng_.upsertAgent(agentSpec("other", {}, "t1"), now_, out_));
}

// ---------------------------------------------------------------- live changes

TEST_F(EngineTest, SkillChangeMakesAgentEligibleForWaitingWork) {
  auto q = queueSpec("q");
  q.skills = {{"billing", 5}};
  addQueue(q);
  addAgent("a", {{"billing", 3}});
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_TRUE(take<Offer>().empty());
  ASSERT_TRUE(eng_.upsertAgent(agentSpec("a", {{"billing", 6}}), now_, out_));
  EXPECT_EQ(onlyOffer().agent.value(), "a");
  // Losing the skill drops the queue from the agent's list.
  ASSERT_TRUE(eng_.upsertAgent(agentSpec("a", {}), now_, out_));
  EXPECT_TRUE(eng_.agent(AgentId("a"))->queues.empty());
}

TEST_F(EngineTest, QueueSettingsChangeReroutesWaitingWork) {
  auto q = queueSpec("q");
  q.skills = {{"french", 5}};
  addQueue(q);
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  now_ += 1s;
  ASSERT_TRUE(enqueue("x2", "q"));
  EXPECT_TRUE(take<Offer>().empty());
  q.skills.clear();
  q.aging_rate = 0.5;  // forces a re-key of the waiting set; order must survive
  ASSERT_TRUE(eng_.upsertQueue(q, now_, out_));
  Offer o = onlyOffer();
  EXPECT_EQ(o.interaction.value(), "x1");
  EXPECT_EQ(eng_.queue(QueueId("q"))->waiting, 1u);
}

TEST_F(EngineTest, LogoutMidReservationRescindsAndReoffers) {
  addQueue(queueSpec("q"));
  addAgent("a");
  now_ += 1s;
  addAgent("b");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  ASSERT_EQ(o.agent.value(), "a");
  clear();
  ASSERT_TRUE(eng_.setAgentState(AgentId("a"), AgentState::Offline, "", now_, out_));
  ASSERT_EQ(take<Rescind>().size(), 1u);
  EXPECT_EQ(onlyOffer().agent.value(), "b");
  EXPECT_EQ(stateOf("a"), AgentState::Offline);
  EXPECT_TRUE(eng_.agent(AgentId("a"))->reserved.empty());
}

TEST_F(EngineTest, RemovedQueueReturnsWaitingInteractions) {
  addQueue(queueSpec("q"));
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  ASSERT_TRUE(enqueue("x2", "q"));
  ASSERT_TRUE(enqueue("x3", "q"));
  accept(o);
  clear();
  ASSERT_TRUE(eng_.removeQueue(QueueId("q"), now_, out_));
  auto ret = take<InteractionReturned>();
  ASSERT_EQ(ret.size(), 2u);
  auto fin = take<InteractionFinished>();
  ASSERT_EQ(fin.size(), 2u);
  for (auto& f : fin) EXPECT_EQ(f.reason, FinishReason::Returned);
  // The active one stays with its agent and completes normally.
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->phase, InteractionPhase::Active);
  complete("x1");
  EXPECT_EQ(stateOf("a"), AgentState::Available);
  EXPECT_FALSE(eng_.queue(QueueId("q")));
  EXPECT_FALSE(eng_.removeQueue(QueueId("q"), now_, out_));
}

TEST_F(EngineTest, RemovedQueueMovesWaitingToOverflowQueue) {
  addQueue(queueSpec("backup"));
  auto q = queueSpec("q");
  q.skills = {{"rare", 9}};
  q.on_remove_overflow = QueueId("backup");
  addQueue(q);
  ASSERT_TRUE(enqueue("x1", "q"));
  clear();
  ASSERT_TRUE(eng_.removeQueue(QueueId("q"), now_, out_));
  ASSERT_EQ(take<Overflowed>().size(), 1u);
  EXPECT_TRUE(take<InteractionFinished>().empty());
  EXPECT_EQ(eng_.interaction(InteractionId("x1"))->queue.value(), "backup");
  addAgent("a");
  EXPECT_EQ(onlyOffer().interaction.value(), "x1");
}

// ---------------------------------------------------------------- reconcile

TEST_F(EngineTest, ReconcileReleasesAgentsHeldByVanishedInteractions) {
  addQueue(queueSpec("q"));
  auto q2 = queueSpec("q2");
  q2.skills = {{"none", 1}};
  addQueue(q2);
  addAgent("a");
  addAgent("b");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  accept(take<Offer>().at(0));
  ASSERT_TRUE(enqueue("x2", "q"));  // offered to b, never answered
  ASSERT_TRUE(enqueue("x3", "q2"));  // waits
  clear();
  eng_.reconcile(now_, {InteractionId("x3")}, out_);
  auto fin = take<InteractionFinished>();
  ASSERT_EQ(fin.size(), 2u);
  for (auto& f : fin) EXPECT_EQ(f.reason, FinishReason::Reconciled);
  EXPECT_EQ(stateOf("a"), AgentState::Available);
  EXPECT_EQ(stateOf("b"), AgentState::Available);
  EXPECT_TRUE(eng_.interaction(InteractionId("x3")));
  EXPECT_EQ(eng_.stats().interactions, 1u);
}

TEST_F(EngineTest, ReconcileReleasesExpiredBusyLease) {
  addQueue(queueSpec("q"));
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  accept(onlyOffer());
  now_ += 11h;
  eng_.reconcile(now_, {InteractionId("x1")}, out_);
  EXPECT_EQ(stateOf("a"), AgentState::Busy);
  now_ += 2h;
  eng_.reconcile(now_, {InteractionId("x1")}, out_);
  EXPECT_EQ(stateOf("a"), AgentState::Available);
  EXPECT_FALSE(eng_.interaction(InteractionId("x1")));
}

// ---------------------------------------------------------------- selection across queues

TEST_F(EngineTest, CrossQueueLongestWaitingFirst) {
  addQueue(queueSpec("q1"));
  addQueue(queueSpec("q2"));
  addAgent(agentSpec("a"), false);
  ASSERT_TRUE(enqueue("old", "q2"));
  now_ += 5s;
  ASSERT_TRUE(enqueue("new", "q1"));
  clear();
  ASSERT_TRUE(eng_.setAgentState(AgentId("a"), AgentState::Available, "", now_, out_));
  Offer o = onlyOffer();
  EXPECT_EQ(o.interaction.value(), "old");
  EXPECT_EQ(o.why->interactions_compared, 2u);
  EXPECT_EQ(o.why->queue.value(), "q2");
}

TEST_F(EngineTest, PriorityBeatsWaitAndAgingCatchesUp) {
  auto q1 = queueSpec("q1");
  q1.aging_rate = 1.0;  // +1 priority per second waited
  addQueue(q1);
  addQueue(queueSpec("q2"));
  addAgent(agentSpec("a"), false);
  ASSERT_TRUE(enqueue("low", "q1", 0));
  ASSERT_TRUE(enqueue("high", "q2", 10));
  now_ += 5s;
  clear();
  ASSERT_TRUE(eng_.setAgentState(AgentId("a"), AgentState::Available, "", now_, out_));
  Offer o = onlyOffer();
  EXPECT_EQ(o.interaction.value(), "high");  // 10 > 0 + 5
  accept(o);
  now_ += 15s;
  ASSERT_TRUE(enqueue("high2", "q2", 10));
  clear();
  complete("high");
  Offer o2 = onlyOffer();
  EXPECT_EQ(o2.interaction.value(), "low");  // 0 + 20 > 10
  EXPECT_DOUBLE_EQ(o2.why->winning_score, 20.0);
}

TEST_F(EngineTest, QueueWeightBiasesSelection) {
  auto q1 = queueSpec("q1");
  q1.weight = 2.0;
  addQueue(q1);
  addQueue(queueSpec("q2"));
  addAgent(agentSpec("a"), false);
  ASSERT_TRUE(enqueue("older", "q2", 1));
  now_ += 5s;
  ASSERT_TRUE(enqueue("weighted", "q1", 1));
  clear();
  ASSERT_TRUE(eng_.setAgentState(AgentId("a"), AgentState::Available, "", now_, out_));
  EXPECT_EQ(onlyOffer().interaction.value(), "weighted");
}

TEST_F(EngineTest, InteractionOwnSkillsAreRequired) {
  addQueue(queueSpec("q"));
  addAgent("a", {{"german", 3}});
  addAgent("b", {{"german", 8}});
  InteractionSpec s;
  s.id = InteractionId("x");
  s.tenant = TenantId("t1");
  s.queue = QueueId("q");
  s.skills = {{"german", 5}};
  clear();
  ASSERT_TRUE(eng_.enqueue(s, now_, out_));
  EXPECT_EQ(onlyOffer().agent.value(), "b");
}

// ---------------------------------------------------------------- why, events, errors

TEST_F(EngineTest, WhyHistoryIsKeptAfterFinishAndBounded) {
  addQueue(queueSpec("q"));
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  Offer o = onlyOffer();
  ASSERT_TRUE(eng_.decline(o.reservation, now_, out_));
  addAgent("b");
  serve(take<Offer>().back());
  auto w = eng_.why(InteractionId("x1"));
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0]->trigger, "arrival");
  EXPECT_EQ(w[1]->trigger, "agent-available");
  EXPECT_EQ(w[1]->candidates.at(0).agent.value(), "b");
  EXPECT_TRUE(eng_.why(InteractionId("nope")).empty());
}

TEST_F(EngineTest, SegmentEventsCoverTheLifecycle) {
  auto q = queueSpec("q");
  q.wrap_up_time = 10s;
  q.service_level_threshold = 20s;
  addQueue(q);
  addAgent("a");
  clear();
  MonoTime t0 = now_;
  ASSERT_TRUE(enqueue("x1", "q"));
  now_ += 3s;
  accept(onlyOffer());
  ASSERT_TRUE(eng_.hold(InteractionId("x1"), true, now_, out_));
  ASSERT_TRUE(eng_.hold(InteractionId("x1"), false, now_, out_));
  now_ += 30s;
  complete("x1");
  advance(10s);
  std::vector<SegmentKind> kinds;
  for (const auto& e : out_.events) {
    kinds.push_back(e.kind);
    EXPECT_EQ(e.queue.value(), "q");
    EXPECT_EQ(e.interaction.value(), "x1");
    EXPECT_EQ(e.enqueued_at, t0);
  }
  EXPECT_EQ(kinds, (std::vector<SegmentKind>{SegmentKind::Enqueue, SegmentKind::Offer, SegmentKind::Answer,
                                             SegmentKind::HoldOn, SegmentKind::HoldOff, SegmentKind::End,
                                             SegmentKind::WrapUpStart, SegmentKind::WrapUpEnd}));
  EXPECT_EQ(out_.events[2].at, t0 + 3s);
  EXPECT_EQ(out_.events[2].agent.value(), "a");
  EXPECT_EQ(out_.events[0].service_level_threshold, 20s);
  EXPECT_EQ(out_.events.back().at, t0 + 43s);
}

TEST_F(EngineTest, AbandonWhileRingingRescinds) {
  addQueue(queueSpec("q"));
  addAgent("a");
  clear();
  ASSERT_TRUE(enqueue("x1", "q"));
  ASSERT_TRUE(enqueue("x2", "q"));
  clear();
  ASSERT_TRUE(eng_.abandon(InteractionId("x1"), now_, out_));
  auto r = take<Rescind>();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].reason, RescindReason::Abandoned);
  EXPECT_EQ(take<InteractionFinished>().at(0).reason, FinishReason::Abandoned);
  EXPECT_EQ(onlyOffer().interaction.value(), "x2");
  ASSERT_TRUE(eng_.abandon(InteractionId("x2"), now_, out_));  // still ringing a: fine
  EXPECT_FALSE(eng_.abandon(InteractionId("x2"), now_, out_));
}

TEST_F(EngineTest, EnqueueErrors) {
  auto q = queueSpec("q");
  q.max_size = 1;
  addQueue(q);
  ASSERT_TRUE(enqueue("x1", "q"));
  auto dup = enqueue("x1", "q");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  auto full = enqueue("x2", "q");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::Unavailable);
  auto none = enqueue("x3", "nope");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::NotFound);
  auto chan = enqueue("x4", "q", 0, Channel::Email);
  ASSERT_FALSE(chan);
  EXPECT_EQ(chan.error().field, "channel");
  EXPECT_FALSE(eng_.accept(ReservationId(424242), now_, out_));
  EXPECT_FALSE(eng_.complete(InteractionId("x1"), now_, out_)) << "not active";
}

TEST_F(EngineTest, NextDeadlineTracksTimers) {
  auto q = queueSpec("q");
  q.reservation_timeout = 7s;
  addQueue(q);
  EXPECT_EQ(eng_.nextDeadline(), std::nullopt);
  addAgent("a");
  ASSERT_TRUE(enqueue("x1", "q"));
  EXPECT_EQ(eng_.nextDeadline(), now_ + 7s);
}
}  // namespace
}  // namespace sb::routing
