// SPDX-License-Identifier: Apache-2.0
// The event WebSocket over real TCP: auth, ordering, replay, resync, filtering, slow consumers.
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/testing/test_client.h"
#include "common/metrics.h"

namespace sb::api {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;
using testing::WsClient;

bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

testing::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

TEST(WebSocketTest, UpgradeWithoutTokenIs401) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events");
  EXPECT_FALSE(ws.open());
  EXPECT_EQ(ws.handshakeStatus(), 401);
  WsClient bad(s.port, "/api/v1/events?access_token=garbage");
  EXPECT_EQ(bad.handshakeStatus(), 401);
  WsClient nowhere(s.port, "/api/v1/other", bearer(s.userToken("t1", {Role::Agent})));
  EXPECT_EQ(nowhere.handshakeStatus(), 404);
}

TEST(WebSocketTest, DeliversEventsInOrderWithIds) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Supervisor})));
  ASSERT_TRUE(ws.open()) << ws.handshakeStatus();
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
  for (int i = 0; i < 20; ++i) s.hub->publish({"queue.stats", "t1", {{"n", i}}});
  for (int i = 0; i < 20; ++i) {
    auto e = ws.next();
    ASSERT_TRUE(e) << i;
    EXPECT_EQ((*e)["id"], i + 1);
    EXPECT_EQ((*e)["type"], "queue.stats");
    EXPECT_EQ((*e)["tenantId"], "t1");
    EXPECT_EQ((*e)["data"]["n"], i);
    EXPECT_TRUE((*e)["time"].is_string());
  }
}

TEST(WebSocketTest, SubscribersOnEveryLoopGetEveryEventInIdOrder) {
  TestServer s({}, 64, 3);
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  // Connections go to the loops round-robin: seven of them cover each of the three loops.
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 7; ++i) {
    clients.push_back(std::make_unique<WsClient>(s.port, "/api/v1/events", bearer(token)));
    ASSERT_TRUE(clients.back()->open()) << i;
  }
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == clients.size(); }));
  // Publishers on several threads: the hub numbers the events, each subscriber must see them
  // all in that order whatever loop it is on.
  constexpr int kPerThread = 150;
  std::vector<std::thread> publishers;
  for (int t = 0; t < 2; ++t) {
    publishers.emplace_back([&s, t] {
      for (int i = 0; i < kPerThread; ++i) s.hub->publish({"queue.stats", "t1", {{"t", t}}});
    });
  }
  for (auto& p : publishers) p.join();
  for (std::size_t c = 0; c < clients.size(); ++c) {
    for (int id = 1; id <= 2 * kPerThread; ++id) {
      auto e = clients[c]->next(5000ms);
      ASSERT_TRUE(e) << "client " << c << " stalled before id " << id;
      ASSERT_EQ((*e)["id"], id) << "client " << c;
    }
  }
}

TEST(WebSocketTest, BrowserQueryTokenWorks) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events?access_token=" + s.userToken("t1", {Role::Agent}));
  ASSERT_TRUE(ws.open()) << ws.handshakeStatus();
}

TEST(WebSocketTest, ReconnectWithLastEventIdReplaysExactlyTheMissedEvents) {
  TestServer s;
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  {
    WsClient ws(s.port, "/api/v1/events", bearer(token));
    ASSERT_TRUE(ws.open());
    ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
    for (int i = 0; i < 3; ++i) s.hub->publish({"e", "t1"});
    for (int i = 1; i <= 3; ++i) EXPECT_EQ((*ws.next())["id"], i);
  }
  for (int i = 0; i < 2; ++i) s.hub->publish({"e", "t1"});  // 4, 5 missed
  WsClient again(s.port, "/api/v1/events?lastEventId=3", bearer(token));
  ASSERT_TRUE(again.open());
  EXPECT_EQ((*again.next())["id"], 4);
  EXPECT_EQ((*again.next())["id"], 5);
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() >= 1; }));
  s.hub->publish({"e", "t1"});
  EXPECT_EQ((*again.next())["id"], 6);
  EXPECT_FALSE(again.next(200ms));  // nothing duplicated

  testing::Headers h = bearer(token);
  h.emplace_back("Last-Event-ID", "5");
  WsClient header(s.port, "/api/v1/events", h);
  ASSERT_TRUE(header.open());
  EXPECT_EQ((*header.next())["id"], 6);
}

TEST(WebSocketTest, ResyncWhenTheClientFellOutOfTheBuffer) {
  TestServer s(ServerOptions{}, 4);
  s.start();
  for (int i = 0; i < 10; ++i) s.hub->publish({"e", "t1"});
  auto token = s.userToken("t1", {Role::Supervisor});
  ASSERT_TRUE(waitFor([&] { return s.hub->lastPublishedId() == 10; }));
  WsClient ws(s.port, "/api/v1/events?lastEventId=2", bearer(token));
  ASSERT_TRUE(ws.open());
  auto e = ws.next();
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["type"], "resync");
  EXPECT_EQ((*e)["id"], 10);
  WsClient bad(s.port, "/api/v1/events?lastEventId=abc", bearer(token));
  EXPECT_EQ(bad.handshakeStatus(), 400);
}

TEST(WebSocketTest, FiltersByTenantAndRole) {
  TestServer s;
  s.start();
  WsClient agent(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Agent}, "u1")));
  WsClient sup2(s.port, "/api/v1/events", bearer(s.userToken("t2", {Role::Supervisor}, "s2")));
  ASSERT_TRUE(agent.open());
  ASSERT_TRUE(sup2.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 2; }));
  s.hub->publish({"queue.stats", "t1", {}, Permission::Monitor});           // 1: t1 supervisors
  s.hub->publish({"queue.stats", "t2", {}, Permission::Monitor});           // 2: t2 supervisors
  s.hub->publish({"agent.state", "t1", {}, Permission::AgentState, "u1"});  // 3: u1 itself
  s.hub->publish({"agent.state", "t1", {}, Permission::AgentState, "u9"});  // 4: not u1
  EXPECT_EQ((*agent.next())["id"], 3);
  EXPECT_FALSE(agent.next(200ms));
  EXPECT_EQ((*sup2.next())["id"], 2);
  EXPECT_FALSE(sup2.next(200ms));
}

TEST(WebSocketTest, SlowConsumerIsDroppedWithoutSlowingOthers) {
  ServerOptions o;
  o.ws_queue_limit = 200;
  o.ws_close_grace = 300ms;
  TestServer s(o);
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  WsClient slow(s.port, "/api/v1/events", bearer(token));  // never reads until the end
  WsClient fast(s.port, "/api/v1/events", bearer(token));
  ASSERT_TRUE(slow.open());
  ASSERT_TRUE(fast.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 2; }));
  auto& dropped = s.metrics.counter("sb_ws_slow_consumers_dropped_total", "").with({});
  const std::string payload(8192, 'x');
  std::uint64_t expected = 1;
  for (int batch = 0; batch < 50; ++batch) {
    for (int i = 0; i < 100; ++i) s.hub->publish({"bulk", "t1", {{"p", payload}}});
    for (int i = 0; i < 100; ++i) {
      auto e = fast.next(5000ms);
      ASSERT_TRUE(e) << "fast client stalled at " << expected;
      ASSERT_EQ((*e)["id"], expected);
      ++expected;
    }
  }
  EXPECT_TRUE(waitFor([&] { return dropped.value() == 1; }));
  // The slow client finds its stream ended: buffered events, then a close.
  int received = 0;
  while (slow.next(3000ms)) ++received;
  EXPECT_TRUE(slow.closed());
  EXPECT_LT(received, 5000);
  EXPECT_EQ(dropped.value(), 1);
}

TEST(WebSocketTest, ShutdownClosesEventStreamsWithGoingAway) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Agent})));
  ASSERT_TRUE(ws.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
  std::promise<void> done;
  s.server->shutdown(2s, [&] { done.set_value(); });
  EXPECT_FALSE(ws.next(3000ms));
  EXPECT_EQ(ws.closeCode(), 1001);
  EXPECT_EQ(done.get_future().wait_for(3s), std::future_status::ready);
}

}  // namespace
}  // namespace sb::api
