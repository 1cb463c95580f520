// SPDX-License-Identifier: Apache-2.0
// Rolling-window and day-boundary behaviour of the Aggregator.
#include "analytics/aggregator.h"

#include <chrono>

#include <gtest/gtest.h>

namespace sb::analytics {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const MonoTime kT0 = MonoTime{} + hours(240);  // a synthetic midnight, minute-aligned

SegmentEvent seg(const char* id, SegmentKind k, MonoTime at) {
  return {InteractionId{id}, QueueId{"q"}, AgentId{"a"}, k, at};
}

TEST(AggregatorTest, RollingWindowDropsBucketsOlderThanFifteenMinutes) {
  Aggregator agg({.bucket_width = minutes(1), .bucket_count = 15, .day_origin = kT0});
  // c1 answered at 0:30 (minute 0), c2 answered at 10:30 (minute 10).
  agg.onSegment(seg("c1", SegmentKind::Enqueue, kT0 + seconds(20)));
  agg.onSegment(seg("c1", SegmentKind::Answer, kT0 + seconds(30)));
  agg.onSegment(seg("c2", SegmentKind::Enqueue, kT0 + minutes(10)));
  agg.onSegment(seg("c2", SegmentKind::Answer, kT0 + minutes(10) + seconds(30)));
  const QueueId q{"q"};
  // At 14:59 the window is minutes 0..14: both.
  EXPECT_EQ(agg.queueTally(q, Span::Window, kT0 + minutes(14) + seconds(59)).answered.size(), 2u);
  // At 15:00 it is minutes 1..15: c1's bucket fell out.
  auto t = agg.queueTally(q, Span::Window, kT0 + minutes(15));
  ASSERT_EQ(t.answered.size(), 1u);
  EXPECT_EQ(t.answered[0].wait, seconds(30));
  EXPECT_EQ(t.enqueued, 1u);
  // At 25:00 nothing; "today" still has both.
  EXPECT_EQ(agg.queueTally(q, Span::Window, kT0 + minutes(25)).answered.size(), 0u);
  EXPECT_EQ(agg.queueTally(q, Span::Today, kT0 + minutes(25)).answered.size(), 2u);
}

TEST(AggregatorTest, RingSlotsAreReusedAfterWrapAround) {
  Aggregator agg({.bucket_width = minutes(1), .bucket_count = 15, .day_origin = kT0});
  agg.onSegment(seg("c1", SegmentKind::Enqueue, kT0 + minutes(1)));
  // 16 minutes later the same ring slot (1 mod 15 = 16 mod 15) holds minute 16.
  agg.onSegment(seg("c2", SegmentKind::Enqueue, kT0 + minutes(16)));
  EXPECT_EQ(agg.queueTally(QueueId{"q"}, Span::Window, kT0 + minutes(16)).enqueued, 1u);
  // A late event for minute 0 is older than the ring: only "today" takes it.
  agg.onSegment(seg("c3", SegmentKind::Enqueue, kT0 + seconds(10)));
  EXPECT_EQ(agg.queueTally(QueueId{"q"}, Span::Window, kT0 + minutes(16)).enqueued, 1u);
  EXPECT_EQ(agg.queueTally(QueueId{"q"}, Span::Today, kT0 + minutes(16)).enqueued, 3u);
}

TEST(AggregatorTest, DayBoundaryResetsToday) {
  Aggregator agg({.day_origin = kT0});
  const MonoTime midnight = kT0 + hours(24);
  agg.onSegment(seg("c1", SegmentKind::Enqueue, midnight - seconds(30)));
  agg.onSegment(seg("c1", SegmentKind::Abandon, midnight - seconds(10)));
  agg.onSegment(seg("c2", SegmentKind::Enqueue, midnight + seconds(10)));
  const QueueId q{"q"};
  // Today (day 2) holds only c2's enqueue; the rolling window spans midnight and holds both.
  auto today = agg.queueTally(q, Span::Today, midnight + seconds(20));
  EXPECT_EQ(today.enqueued, 1u);
  EXPECT_TRUE(today.abandon_waits.empty());
  auto window = agg.queueTally(q, Span::Window, midnight + seconds(20));
  EXPECT_EQ(window.enqueued, 2u);
  ASSERT_EQ(window.abandon_waits.size(), 1u);
  EXPECT_EQ(window.abandon_waits[0], seconds(20));
}

TEST(AggregatorTest, AgentStateTimeIsSplitAcrossBucketsAndDays) {
  Aggregator agg({.bucket_width = minutes(1), .bucket_count = 15, .day_origin = kT0});
  const MonoTime midnight = kT0 + hours(24);
  const AgentId a{"a"};
  // Available from 23:50 to 00:10 (20 min), then busy, query at 00:12.
  agg.onAgentState({a, AgentState::Available, {QueueId{"q"}}, midnight - minutes(10)});
  agg.onAgentState({a, AgentState::Busy, {QueueId{"q"}}, midnight + minutes(10)});
  const MonoTime now = midnight + minutes(12);
  // Window = minutes 23:58..00:12 → available 23:58..00:10 = 12 min, busy 00:10..00:12 = 2 min
  auto w = agg.agentTally(a, Span::Window, now);
  EXPECT_EQ(w.stateTime(AgentState::Available), minutes(12));
  EXPECT_EQ(w.stateTime(AgentState::Busy), minutes(2));
  // Today = since 00:00 → available 10 min, busy 2 min (open interval included)
  auto d = agg.agentTally(a, Span::Today, now);
  EXPECT_EQ(d.stateTime(AgentState::Available), minutes(10));
  EXPECT_EQ(d.stateTime(AgentState::Busy), minutes(2));
  // The queue sees the same agent time; overall too.
  EXPECT_EQ(agg.queueTally(QueueId{"q"}, Span::Today, now).stateTime(AgentState::Available),
            minutes(10));
  EXPECT_EQ(agg.overallTally(Span::Today, now).stateTime(AgentState::Busy), minutes(2));
}

TEST(AggregatorTest, ToleratesUnknownAndOutOfOrderSegments) {
  Aggregator agg;
  const MonoTime t = kT0;
  agg.onSegment(seg("x", SegmentKind::HoldEnd, t));
  agg.onSegment(seg("x", SegmentKind::Disconnect, t));
  agg.onSegment(seg("x", SegmentKind::WrapUpEnd, t));
  agg.onSegment(seg("y", SegmentKind::Answer, t));  // no Enqueue seen: zero wait
  auto tally = agg.queueTally(QueueId{"q"}, Span::Window, t);
  ASSERT_EQ(tally.answered.size(), 1u);
  EXPECT_EQ(tally.answered[0].wait, Duration::zero());
  EXPECT_EQ(tally.handled, 0u);
}

TEST(AggregatorTest, DisconnectWhileOnHoldClosesTheHold) {
  Aggregator agg;
  agg.onSegment(seg("c", SegmentKind::Enqueue, kT0));
  agg.onSegment(seg("c", SegmentKind::Answer, kT0 + seconds(5)));
  agg.onSegment(seg("c", SegmentKind::HoldStart, kT0 + seconds(15)));
  agg.onSegment(seg("c", SegmentKind::Disconnect, kT0 + seconds(40)));
  auto t = agg.queueTally(QueueId{"q"}, Span::Window, kT0 + seconds(40));
  EXPECT_EQ(t.talk, seconds(10));  // 5 → 15
  EXPECT_EQ(t.hold, seconds(25));  // 15 → 40
}

}  // namespace
}  // namespace sb::analytics
