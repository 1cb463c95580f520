// SPDX-License-Identifier: Apache-2.0
#include "app/live_queues.h"

#include <gtest/gtest.h>

namespace sb::app {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const LiveQueues> snapshotAt(MonoTime at, std::size_t waiting) {
  auto live = std::make_shared<LiveQueues>();
  live->taken_at = at;
  routing::QueueSnapshot q;
  q.waiting = waiting;
  q.candidates = 3;
  q.open_candidates = 1;
  live->queues.emplace(std::pair(std::string("demo"), std::string("support")), q);
  return live;
}

TEST(LiveQueueBoardTest, AnswersFromAFreshSnapshotOnly) {
  LiveQueueBoard board;
  const MonoTime t0 = MonoTime{} + 100s;
  EXPECT_FALSE(board.find("demo", "support", t0));  // nothing published yet
  board.publish(snapshotAt(t0, 4));
  auto got = board.find("demo", "support", t0 + 1s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->waiting, 4u);
  EXPECT_EQ(got->candidates, 3u);
  // Older than kMaxAge (the voice shard missed its tick): the caller must ask the shard.
  EXPECT_TRUE(board.find("demo", "support", t0 + LiveQueueBoard::kMaxAge));
  EXPECT_FALSE(board.find("demo", "support", t0 + LiveQueueBoard::kMaxAge + 1ms));
}

TEST(LiveQueueBoardTest, KeysByTenantSoAnotherTenantsQueueIsUnknown) {
  LiveQueueBoard board;
  const MonoTime t0 = MonoTime{} + 5s;
  board.publish(snapshotAt(t0, 1));
  EXPECT_FALSE(board.find("acme", "support", t0));
  EXPECT_FALSE(board.find("demo", "sales", t0));
  EXPECT_TRUE(board.find("demo", "support", t0));
}

TEST(LiveQueueBoardTest, SuspendedWhileAConfigurationChangeIsInFlight) {
  LiveQueueBoard board;
  const MonoTime t0 = MonoTime{} + 5s;
  board.publish(snapshotAt(t0, 1));
  board.suspend();
  board.suspend();
  EXPECT_FALSE(board.find("demo", "support", t0));
  // A tick that raced with the change publishes figures from before it: still not answered.
  board.publish(snapshotAt(t0, 2));
  board.resume();
  EXPECT_FALSE(board.find("demo", "support", t0));
  board.resume();
  // resume() dropped the racing snapshot; the next tick's is answered again.
  EXPECT_FALSE(board.find("demo", "support", t0));
  board.publish(snapshotAt(t0, 3));
  ASSERT_TRUE(board.find("demo", "support", t0));
  EXPECT_EQ(board.find("demo", "support", t0)->waiting, 3u);
}

}  // namespace
}  // namespace sb::app
