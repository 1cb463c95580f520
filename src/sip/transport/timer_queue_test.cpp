// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/timer_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace sb::sip {
namespace {

using std::chrono::milliseconds;

TEST(TimerQueueTest, FiresInDeadlineOrderAcrossDelays) {
  TimerQueue q;
  MonoTime t0{};
  q.start({1, TransactionTimer::J}, milliseconds(32000), t0);
  q.start({2, TransactionTimer::E}, milliseconds(500), t0);
  q.start({3, TransactionTimer::E}, milliseconds(500), t0 + milliseconds(100));
  q.start({4, TransactionTimer::K}, milliseconds(5000), t0);
  EXPECT_EQ(*q.next(), t0 + milliseconds(500));
  std::vector<TransactionHandle> fired;
  auto fire = [&](TransactionTimerKey k) { fired.push_back(k.txn); };
  q.expire(t0 + milliseconds(499), fire);
  EXPECT_TRUE(fired.empty());
  q.expire(t0 + milliseconds(6000), fire);
  EXPECT_EQ(fired, (std::vector<TransactionHandle>{2, 3, 4}));
  q.expire(t0 + milliseconds(40000), fire);
  EXPECT_EQ(fired.back(), 1u);
  EXPECT_EQ(q.armed(), 0u);
  EXPECT_FALSE(q.next());
}

TEST(TimerQueueTest, CancelAndRestart) {
  TimerQueue q;
  MonoTime t0{};
  TransactionTimerKey k{7, TransactionTimer::A};
  q.start(k, milliseconds(500), t0);
  q.cancel(k);
  q.start({8, TransactionTimer::B}, milliseconds(100), t0);
  q.cancel({8, TransactionTimer::B});
  std::vector<TransactionTimerKey> fired;
  q.expire(t0 + milliseconds(1000), [&](TransactionTimerKey x) { fired.push_back(x); });
  EXPECT_TRUE(fired.empty());
  // Restarting replaces the earlier deadline (timer A doubling).
  q.start(k, milliseconds(500), t0);
  q.start(k, milliseconds(1000), t0 + milliseconds(500));
  q.expire(t0 + milliseconds(600), [&](TransactionTimerKey x) { fired.push_back(x); });
  EXPECT_TRUE(fired.empty());
  q.expire(t0 + milliseconds(1500), [&](TransactionTimerKey x) { fired.push_back(x); });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], k);
}

TEST(TimerQueueTest, FireMayStartTimers) {
  TimerQueue q;
  MonoTime t0{};
  q.start({1, TransactionTimer::E}, milliseconds(500), t0);
  int fired = 0;
  q.expire(t0 + milliseconds(500), [&](TransactionTimerKey k) {
    ++fired;
    q.start(k, milliseconds(1000), t0 + milliseconds(500));
  });
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(*q.next(), t0 + milliseconds(1500));
}

}  // namespace
}  // namespace sb::sip
