// SPDX-License-Identifier: Apache-2.0
#include "common/handoff.h"

#include <thread>

#include <gtest/gtest.h>

namespace sb {
namespace {

TEST(HandoffTest, ABurstIsOneWakeUpAndKeepsOrder) {
  boost::asio::io_context io;
  std::vector<int> got;
  Handoff<int> handoff(io.get_executor(), [&](int&& v) { got.push_back(v); });
  for (int i = 0; i < 100; ++i) handoff.push(i);
  EXPECT_EQ(io.poll_one(), 1u);  // one drain for the whole burst
  EXPECT_EQ(io.poll(), 0u);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
  handoff.push(100);  // after a drain, the next push wakes the consumer again
  io.restart();
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(got.back(), 100);
}

// Two producer threads push 20,000 items each while the consumer runs on its own thread;
// every item arrives, in each producer's order.
void expectTwoProducersInOrder(std::chrono::nanoseconds gather) {
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::vector<std::pair<int, int>> got;
  Handoff<std::pair<int, int>> handoff(
      io.get_executor(), [&](std::pair<int, int>&& v) { got.push_back(v); }, gather);
  std::thread consumer([&] { io.run(); });
  constexpr int kEach = 20000;
  auto produce = [&](int who) {
    for (int i = 0; i < kEach; ++i) handoff.push({who, i});
  };
  std::thread a(produce, 0), b(produce, 1);
  a.join();
  b.join();
  guard.reset();  // run() returns once the last drain (or empty poll) is done
  consumer.join();
  ASSERT_EQ(got.size(), 2u * kEach);
  int next[2] = {0, 0};
  for (auto [who, i] : got) EXPECT_EQ(i, next[who]++);
}

TEST(HandoffTest, ItemsFromTwoThreadsAllArriveInEachThreadsOrder) {
  expectTwoProducersInOrder(std::chrono::nanoseconds::zero());
}

// With a gather window the consumer drains when kicked, then polls: a burst is one kick plus
// timer expiries, items pushed while it polls cost no post at all, and polling stops after one
// empty window.
TEST(HandoffTest, GatherWindowPollsWhileItemsComeAndStopsWhenIdle) {
  boost::asio::io_context io;
  std::vector<int> got;
  Handoff<int> handoff(
      io.get_executor(), [&](int&& v) { got.push_back(v); }, std::chrono::milliseconds(5));
  for (int i = 0; i < 10; ++i) handoff.push(i);
  EXPECT_EQ(io.poll(), 1u);  // the kick drains what is there at once and arms the timer
  ASSERT_EQ(got.size(), 10u);
  for (int i = 10; i < 20; ++i) handoff.push(i);  // while polling: no post
  EXPECT_EQ(io.poll(), 0u);
  io.restart();
  EXPECT_EQ(io.run_one(), 1u);
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[i], i);
  io.restart();
  EXPECT_EQ(io.run_one(), 1u);  // one empty window: polling stops
  io.restart();
  EXPECT_EQ(io.poll(), 0u);
  handoff.push(20);  // idle again: the next push kicks the consumer, which takes it at once
  io.restart();
  EXPECT_EQ(io.poll(), 1u);
  EXPECT_EQ(got.back(), 20);
  io.restart();
  EXPECT_EQ(io.run_one(), 1u);  // and stops again, leaving no work behind
  io.restart();
  EXPECT_EQ(io.run(), 0u);
}

TEST(HandoffTest, GatherWindowDeliversEverythingFromTwoThreads) {
  expectTwoProducersInOrder(std::chrono::microseconds(200));
}

}  // namespace
}  // namespace sb
