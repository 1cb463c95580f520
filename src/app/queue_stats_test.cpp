// SPDX-License-Identifier: Apache-2.0
#include "app/queue_stats.h"

#include <gtest/gtest.h>

namespace sb::app {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const routing::QueueId kQueue("demo/support");
const routing::QueueId kOther("demo/sales");

class QueueStatsTest : public ::testing::Test {
 protected:
  // 10:00:00 UTC on some day; mono and wall clocks agree on "now".
  MonoTime t0_ = MonoTime{} + std::chrono::hours(1000);
  WallTime wall0_ = WallTime{} + std::chrono::hours(24 * 20000 + 10);
  QueueStats stats_{t0_, wall0_};

  void seg(routing::SegmentKind kind, const std::string& id, MonoTime at,
           const std::string& agent = {}, const routing::QueueId& queue = kQueue) {
    routing::SegmentEvent e;
    e.kind = kind;
    e.at = at;
    e.queue = queue;
    e.interaction = routing::InteractionId(id);
    e.agent = routing::AgentId(agent);
    stats_.onSegment(e);
  }
  // Enqueued at `start`, answered by `agent` after `wait`, talk `talk`.
  void answered(const std::string& id, MonoTime start, Duration wait, Duration talk,
                const routing::QueueId& queue = kQueue) {
    seg(routing::SegmentKind::Enqueue, id, start, {}, queue);
    seg(routing::SegmentKind::Offer, id, start + wait - seconds(1), "demo/alice", queue);
    seg(routing::SegmentKind::Answer, id, start + wait, "demo/alice", queue);
    seg(routing::SegmentKind::End, id, start + wait + talk, "demo/alice", queue);
  }
  void abandoned(const std::string& id, MonoTime start, Duration wait) {
    seg(routing::SegmentKind::Enqueue, id, start);
    seg(routing::SegmentKind::Abandon, id, start + wait);
  }
  WindowedQueueStats get(std::string_view window, MonoTime now, std::string_view preset = {},
                         const routing::QueueId& queue = kQueue) {
    auto w = parseStatsWindow(window);
    EXPECT_TRUE(w.has_value());
    auto s = stats_.stats(queue, *w, preset, seconds(20), seconds(5), now);
    EXPECT_TRUE(s.has_value());
    return *s;
  }
};

TEST(StatsWindowTest, ParsesTheSupportedWindowsOnly) {
  EXPECT_EQ(parseStatsWindow("15m")->length, minutes(15));
  EXPECT_EQ(parseStatsWindow("900s")->name, "15m");
  EXPECT_EQ(parseStatsWindow("5m")->length, minutes(5));
  EXPECT_EQ(parseStatsWindow("60m")->name, "1h");
  EXPECT_TRUE(parseStatsWindow("today")->today);
  for (auto bad : {"", "15", "2h", "15 m", "-5m", "m"}) {
    auto w = parseStatsWindow(bad);
    ASSERT_FALSE(w.has_value()) << bad;
    EXPECT_EQ(w.error().code, Errc::InvalidArgument);
    EXPECT_EQ(w.error().field, "window");
  }
}

TEST_F(QueueStatsTest, ServiceLevelAsaAndAbandonsFromSegments) {
  answered("a", t0_, seconds(5), seconds(60));    // within 20 s
  answered("b", t0_, seconds(30), seconds(120));  // too late
  abandoned("c", t0_, seconds(10));               // counts against SL
  abandoned("d", t0_, seconds(2));                // short: ignored by the switchboard preset
  const auto s = get("15m", t0_ + minutes(3));
  EXPECT_EQ(s.report.counts.enqueued, 4u);
  EXPECT_EQ(s.report.counts.answered, 2u);
  EXPECT_EQ(s.report.counts.answered_within, 1u);
  EXPECT_EQ(s.report.counts.abandoned, 2u);
  EXPECT_EQ(s.report.counts.short_abandoned, 1u);
  EXPECT_EQ(s.report.handled, 2u);
  ASSERT_TRUE(s.report.service_level.has_value());
  EXPECT_DOUBLE_EQ(*s.report.service_level, 1.0 / 3.0);  // 1 ÷ (2 answered + 1 abandoned)
  ASSERT_TRUE(s.report.asa.has_value());
  EXPECT_EQ(*s.report.asa, std::chrono::milliseconds(17500));
  ASSERT_TRUE(s.report.aht.has_value());
  EXPECT_EQ(*s.report.aht, seconds(90));

  const auto j = toJson(s);
  EXPECT_EQ(j["window"], "15m");
  EXPECT_EQ(j["answered"], 2);
  EXPECT_EQ(j["answeredWithinThreshold"], 1);
  EXPECT_DOUBLE_EQ(j["serviceLevel"].get<double>(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(j["asaSeconds"].get<double>(), 17.5);
  EXPECT_DOUBLE_EQ(j["serviceLevelThresholdSeconds"].get<double>(), 20.0);
}

TEST_F(QueueStatsTest, PresetChangesTheFormulaNotTheData) {
  answered("a", t0_, seconds(5), seconds(10));
  answered("b", t0_, seconds(30), seconds(10));
  abandoned("c", t0_, seconds(10));
  // Asterisk SL: answered within ÷ answered, abandons ignored.
  const auto s = get("15m", t0_ + minutes(1), "asterisk-sl");
  EXPECT_EQ(s.preset, "asterisk-sl");
  EXPECT_DOUBLE_EQ(*s.report.service_level, 0.5);
  auto w = parseStatsWindow("15m");
  auto bad = stats_.stats(kQueue, *w, "nope", seconds(20), seconds(5), t0_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field, "preset");
}

TEST_F(QueueStatsTest, WindowsForgetOldContactsTodayKeepsThem) {
  answered("old", t0_, seconds(3), seconds(10));
  const MonoTime later = t0_ + minutes(40);
  answered("new", later, seconds(40), seconds(10));
  auto w15 = get("15m", later + minutes(1));
  EXPECT_EQ(w15.report.counts.answered, 1u);
  EXPECT_DOUBLE_EQ(*w15.report.service_level, 0.0);
  auto w5 = get("5m", later + minutes(1));
  EXPECT_EQ(w5.report.counts.answered, 1u);
  auto hour = get("1h", later + minutes(1));
  EXPECT_EQ(hour.report.counts.answered, 2u);
  EXPECT_DOUBLE_EQ(*hour.report.service_level, 0.5);
  auto today = get("today", later + minutes(1));
  EXPECT_EQ(today.report.counts.answered, 2u);
  // Ten minutes on, the 5-minute window is empty: no data is null, not 0 %.
  auto empty = get("5m", later + minutes(11));
  EXPECT_EQ(empty.report.counts.answered, 0u);
  EXPECT_FALSE(empty.report.service_level.has_value());
  EXPECT_TRUE(toJson(empty)["serviceLevel"].is_null());
}

TEST_F(QueueStatsTest, QueuesAreSeparate) {
  answered("a", t0_, seconds(5), seconds(10));
  answered("b", t0_, seconds(5), seconds(10), kOther);
  answered("c", t0_, seconds(50), seconds(10), kOther);
  EXPECT_EQ(get("15m", t0_ + minutes(1)).report.counts.answered, 1u);
  auto other = get("15m", t0_ + minutes(1), {}, kOther);
  EXPECT_EQ(other.report.counts.answered, 2u);
  EXPECT_DOUBLE_EQ(*other.report.service_level, 0.5);
}

TEST_F(QueueStatsTest, OccupancyFromAgentStates) {
  const routing::AgentId alice("demo/alice");
  stats_.onAgentState(alice, routing::AgentState::Available, {kQueue}, t0_);
  stats_.onAgentState(alice, routing::AgentState::Busy, {kQueue}, t0_ + minutes(1));
  stats_.onAgentState(alice, routing::AgentState::Available, {kQueue}, t0_ + minutes(4));
  // 3 min busy of 5 min logged in (the open Available interval counts up to `now`).
  const auto s = get("15m", t0_ + minutes(5));
  ASSERT_TRUE(s.report.occupancy.has_value());
  EXPECT_NEAR(*s.report.occupancy, 3.0 / 5.0, 1e-9);
}

}  // namespace
}  // namespace sb::app
