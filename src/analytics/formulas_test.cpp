// SPDX-License-Identifier: Apache-2.0
// Every formula and preset checked against one hand-computed trace (docs/metrics.md §Trace).
#include "analytics/formulas.h"

#include <chrono>

#include <gtest/gtest.h>

#include "analytics/aggregator.h"

namespace sb::analytics {
namespace {

using std::chrono::seconds;

// The trace, one queue "sales", times in seconds after t0, threshold T = 20 s:
//   c1 enqueue 0,  offer 5 (a1),  answer 8,  hold 20→30, disconnect 68,  wrap-up 68→78
//   c2 enqueue 10, offer 30 (a2), answer 35,             disconnect 95,  wrap-up 95→115
//   c3 enqueue 12, abandon 15                       (waited 3 s: short when S = 5 s)
//   c4 enqueue 20, abandon 45                       (waited 25 s)
//   c5 enqueue 40, abandon 90                       (waited 50 s)
//   c6 enqueue 50, flow-out 110                     (waited 60 s)
//   c7 enqueue 100, offer 118 (a1), answer 120,      disconnect 150   (no wrap-up)
//   c8 enqueue 130, still waiting at now = 170
// Agents (both serve "sales"):
//   a1 available 0, busy 5, wrap-up 68, available 78, busy 118, available 150 (open at 170)
//   a2 available 0, busy 30, wrap-up 95, away 115 (open at 170)
class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const QueueId q{"sales"};
    const AgentId a1{"a1"}, a2{"a2"}, none{};
    auto seg = [&](const char* id, SegmentKind k, int s, const AgentId& agent) {
      agg_.onSegment({InteractionId{id}, q, agent, k, at(s)});
    };
    auto state = [&](const AgentId& a, AgentState st, int s) {
      agg_.onAgentState({a, st, {q}, at(s)});
    };
    using K = SegmentKind;
    state(a1, AgentState::Available, 0);
    state(a2, AgentState::Available, 0);
    seg("c1", K::Enqueue, 0, none);
    seg("c1", K::Offer, 5, a1);
    state(a1, AgentState::Busy, 5);
    seg("c1", K::Answer, 8, a1);
    seg("c2", K::Enqueue, 10, none);
    seg("c3", K::Enqueue, 12, none);
    seg("c3", K::Abandon, 15, none);
    seg("c1", K::HoldStart, 20, a1);
    seg("c4", K::Enqueue, 20, none);
    seg("c1", K::HoldEnd, 30, a1);
    seg("c2", K::Offer, 30, a2);
    state(a2, AgentState::Busy, 30);
    seg("c2", K::Answer, 35, a2);
    seg("c5", K::Enqueue, 40, none);
    seg("c4", K::Abandon, 45, none);
    seg("c6", K::Enqueue, 50, none);
    seg("c1", K::Disconnect, 68, a1);
    seg("c1", K::WrapUpStart, 68, a1);
    state(a1, AgentState::WrapUp, 68);
    seg("c1", K::WrapUpEnd, 78, a1);
    state(a1, AgentState::Available, 78);
    seg("c5", K::Abandon, 90, none);
    seg("c2", K::Disconnect, 95, a2);
    seg("c2", K::WrapUpStart, 95, a2);
    state(a2, AgentState::WrapUp, 95);
    seg("c7", K::Enqueue, 100, none);
    seg("c6", K::FlowOut, 110, none);
    seg("c2", K::WrapUpEnd, 115, a2);
    state(a2, AgentState::Away, 115);
    seg("c7", K::Offer, 118, a1);
    state(a1, AgentState::Busy, 118);
    seg("c7", K::Answer, 120, a1);
    seg("c8", K::Enqueue, 130, none);
    seg("c7", K::Disconnect, 150, a1);
    state(a1, AgentState::Available, 150);
  }
  // A synthetic epoch on a minute boundary, so the whole trace sits in buckets 0..2.
  static MonoTime at(int s) { return MonoTime{} + std::chrono::hours(10) + seconds(s); }
  Tally tally() const { return agg_.queueTally(QueueId{"sales"}, Span::Window, at(170)); }

  Aggregator agg_;
};

TEST_F(TraceTest, RawCounts) {
  const OutcomeCounts c = countOutcomes(tally(), seconds(20), seconds(5));
  EXPECT_EQ(c.enqueued, 8u);          // c1..c8
  EXPECT_EQ(c.answered, 3u);          // c1 (8 s), c2 (25 s), c7 (20 s)
  EXPECT_EQ(c.answered_within, 2u);   // 8 ≤ 20, 20 ≤ 20; 25 is late
  EXPECT_EQ(c.abandoned, 3u);         // c3 (3 s), c4 (25 s), c5 (50 s)
  EXPECT_EQ(c.short_abandoned, 1u);   // 3 < 5
  EXPECT_EQ(c.abandoned_within, 0u);  // of the long ones (25, 50) none ≤ 20
  EXPECT_EQ(c.flowed_out, 1u);        // c6 (60 s)
  EXPECT_EQ(c.flowed_out_within, 0u);
}

TEST_F(TraceTest, ServiceLevelPresets) {
  const Tally t = tally();
  // switchboard (S = 5 s): answered≤20 ÷ (answered + abandoned≥5) = 2 ÷ (3 + 2) = 0.4
  EXPECT_DOUBLE_EQ(*serviceLevel(t, switchboardPreset(seconds(20)).service_level), 0.4);
  // asterisk-sl: answered≤20 ÷ answered = 2 ÷ 3
  EXPECT_DOUBLE_EQ(*serviceLevel(t, asteriskSlPreset(seconds(20)).service_level), 2.0 / 3.0);
  // asterisk-sl2: (answered≤20 + abandoned≤20) ÷ (answered + abandoned) = (2 + 1[c3]) ÷ (3 + 3)
  EXPECT_DOUBLE_EQ(*serviceLevel(t, asteriskSl2Preset(seconds(20)).service_level), 0.5);
  // genesys default: answered≤20 ÷ (answered + abandoned) = 2 ÷ (3 + 3)
  EXPECT_DOUBLE_EQ(*serviceLevel(t, genesysPreset(seconds(20)).service_level), 2.0 / 6.0);
  // genesys + flow-outs: 2 ÷ (3 + 3 + 1) = 2 ÷ 7
  EXPECT_DOUBLE_EQ(
      *serviceLevel(t, genesysPreset(seconds(20), {.include_flow_outs = true}).service_level),
      2.0 / 7.0);
  // genesys, short abandons (< 10 s) excluded: 2 ÷ (3 + 2[c4, c5]) = 0.4
  EXPECT_DOUBLE_EQ(
      *serviceLevel(t, genesysPreset(seconds(20), {.exclude_short_abandons = true}).service_level),
      0.4);
  // genesys, all abandons excluded: 2 ÷ 3
  EXPECT_DOUBLE_EQ(
      *serviceLevel(t, genesysPreset(seconds(20), {.exclude_all_abandons = true}).service_level),
      2.0 / 3.0);
  // amazon-connect: removed from queue ≤20 (answered c1, c7 + abandoned c3) ÷ queued 8 = 3 ÷ 8
  EXPECT_DOUBLE_EQ(*serviceLevel(t, amazonConnectPreset(seconds(20)).service_level), 0.375);
  // Threshold is a parameter: at T = 25 s, asterisk-sl = 3 ÷ 3
  EXPECT_DOUBLE_EQ(*serviceLevel(t, asteriskSlPreset(seconds(25)).service_level), 1.0);
}

TEST_F(TraceTest, AbandonRatePresets) {
  const Tally t = tally();
  // switchboard: abandoned≥5 ÷ (answered + abandoned≥5) = 2 ÷ 5
  EXPECT_DOUBLE_EQ(*abandonRate(t, switchboardPreset(seconds(20)).abandon_rate), 0.4);
  // asterisk: abandoned ÷ (answered + abandoned) = 3 ÷ 6
  EXPECT_DOUBLE_EQ(*abandonRate(t, asteriskSlPreset(seconds(20)).abandon_rate), 0.5);
  // genesys and amazon-connect: abandoned ÷ queued = 3 ÷ 8
  EXPECT_DOUBLE_EQ(*abandonRate(t, genesysPreset(seconds(20)).abandon_rate), 0.375);
  EXPECT_DOUBLE_EQ(*abandonRate(t, amazonConnectPreset(seconds(20)).abandon_rate), 0.375);
}

TEST_F(TraceTest, AsaAhtOccupancy) {
  const Tally t = tally();
  // ASA = (8 + 25 + 20) ÷ 3 = 53 ÷ 3 s; without ringing: (5 + 20 + 18) ÷ 3 = 43 ÷ 3 s
  EXPECT_EQ(*averageSpeedOfAnswer(t, {}), std::chrono::duration_cast<Duration>(seconds(53)) / 3);
  EXPECT_EQ(*averageSpeedOfAnswer(t, {.include_ringing = false}),
            std::chrono::duration_cast<Duration>(seconds(43)) / 3);
  // talk: c1 68−8−10 = 50, c2 95−35 = 60, c7 150−120 = 30 → 140; hold 10; wrap 10 + 20 = 30
  EXPECT_EQ(t.handled, 3u);
  EXPECT_EQ(t.talk, seconds(140));
  EXPECT_EQ(t.hold, seconds(10));
  EXPECT_EQ(t.wrap_up, seconds(30));
  // AHT = (140 + 10 + 30) ÷ 3 = 60 s; Asterisk (no wrap-up) = 150 ÷ 3 = 50 s
  EXPECT_EQ(*averageHandleTime(t, {}), seconds(60));
  EXPECT_EQ(*averageHandleTime(t, asteriskSlPreset(seconds(20)).aht), seconds(50));
  // Agent time to 170 s:
  //   a1 available 5 + 40 + 20 = 65, busy 63 + 32 = 95, wrap-up 10
  //   a2 available 30, busy 65, wrap-up 20, away 55
  EXPECT_EQ(t.stateTime(AgentState::Available), seconds(95));
  EXPECT_EQ(t.stateTime(AgentState::Busy), seconds(160));
  EXPECT_EQ(t.stateTime(AgentState::WrapUp), seconds(30));
  EXPECT_EQ(t.stateTime(AgentState::Away), seconds(55));
  // Occupancy = (160 + 30) ÷ (160 + 30 + 95) = 190 ÷ 285; wrap-up not handle: 160 ÷ 255
  EXPECT_DOUBLE_EQ(*occupancy(t, {}), 190.0 / 285.0);
  EXPECT_DOUBLE_EQ(*occupancy(t, {.wrap_up_is_handle = false}), 160.0 / 255.0);
}

TEST_F(TraceTest, PerAgent) {
  const Tally a1 = agg_.agentTally(AgentId{"a1"}, Span::Window, at(170));
  // a1 handled c1 (talk 50, hold 10, wrap 10) and c7 (talk 30): AHT = 100 ÷ 2 = 50 s
  EXPECT_EQ(a1.handled, 2u);
  EXPECT_EQ(*averageHandleTime(a1, {}), seconds(50));
  EXPECT_EQ(a1.stateTime(AgentState::Busy), seconds(95));
  const Tally a2 = agg_.agentTally(AgentId{"a2"}, Span::Window, at(170));
  EXPECT_EQ(a2.handled, 1u);
  EXPECT_EQ(*averageHandleTime(a2, {}), seconds(80));  // 60 + 20
  EXPECT_EQ(a2.stateTime(AgentState::Away), seconds(55));
}

TEST_F(TraceTest, Live) {
  const QueueLive live = agg_.queueLive(QueueId{"sales"}, at(170));
  EXPECT_EQ(live.waiting, 1u);                // c8
  EXPECT_EQ(live.longest_wait, seconds(40));  // 170 − 130
  EXPECT_EQ(live.agents_available, 1u);       // a1
  EXPECT_EQ(live.agents_busy, 0u);
  EXPECT_EQ(live.agents_away, 1u);  // a2
}

TEST_F(TraceTest, ReportBundlesThePreset) {
  const Report r = makeReport(tally(), genesysPreset(seconds(20)));
  EXPECT_DOUBLE_EQ(*r.service_level, 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(*r.abandon_rate, 0.375);
  EXPECT_EQ(r.handled, 3u);
  EXPECT_EQ(*r.aht, seconds(60));
}

TEST(FormulasTest, EmptyTallyHasNoValues) {
  const Tally t;
  EXPECT_FALSE(serviceLevel(t, {}).has_value());
  EXPECT_FALSE(abandonRate(t, {}).has_value());
  EXPECT_FALSE(averageSpeedOfAnswer(t, {}).has_value());
  EXPECT_FALSE(averageHandleTime(t, {}).has_value());
  EXPECT_FALSE(occupancy(t, {}).has_value());
}

TEST(FormulasTest, PresetByName) {
  for (auto name : presetNames()) {
    auto p = presetByName(name, seconds(30));
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(p->name, name);
    EXPECT_EQ(p->service_level.threshold, seconds(30));
  }
  auto bad = presetByName("avaya", seconds(20));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
}

}  // namespace
}  // namespace sb::analytics
