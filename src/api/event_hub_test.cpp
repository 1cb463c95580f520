// SPDX-License-Identifier: Apache-2.0
#include "api/event_hub.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "api/ws_frame.h"

namespace sb::api {
namespace {

struct Collector : EventSubscriber {
  void deliver(std::shared_ptr<const Event> e) override { events.push_back(std::move(e)); }
  std::vector<std::uint64_t> ids() const {
    std::vector<std::uint64_t> out;
    for (auto& e : events) out.push_back(e->id);
    return out;
  }
  std::vector<std::shared_ptr<const Event>> events;
};

class EventHubTest : public ::testing::Test {
 protected:
  void drain() {
    ioc.restart();
    ioc.run();
  }
  void publish(const std::string& tenant, int n, Permission perm = Permission::Monitor,
               const std::string& user = {}) {
    for (int i = 0; i < n; ++i) hub.publish({"test.event", tenant, {{"i", i}}, perm, user});
  }
  asio::io_context ioc;
  ManualClock clock;
  EventHub hub{ioc.get_executor(), clock, 5};
  Principal sup{"s1", "s1", "t1", {Role::Supervisor}};
};

TEST(RenderEventTest, SameBytesAsTheJsonObject) {
  Event e;
  e.id = 42;
  e.type = "agent.state";
  e.tenant_id = "t\"1";
  e.data = {{"userId", "caf\xc3\xa9"}, {"bad", std::string("\xff")}, {"n", 1.5}, {"list", {1, 2}}};
  e.time = WallTime(std::chrono::milliseconds(1'700'000'000'123));
  nlohmann::json object = {{"id", e.id},     {"type", e.type}, {"tenantId", e.tenant_id},
                           {"data", e.data}, {"time", "2023-11-14T22:13:20.123Z"}};
  EXPECT_EQ(renderEvent(e),
            object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The wire buffer holds the JSON once, with the WebSocket header written right before it.
TEST(RenderEventTest, WireIsTheJsonAsOneTextFrame) {
  for (std::size_t size : {10u, 200u, 70000u}) {
    Event e;
    e.id = 7;
    e.type = "bulk";
    e.data = {{"p", std::string(size, 'x')}};
    renderWire(e);
    const std::string text = renderEvent(e);
    EXPECT_EQ(e.json(), text);
    EXPECT_EQ(e.frame(), ws::serverFrame(ws::kText, text)) << size;
  }
}

TEST_F(EventHubTest, EventsFromSeveralThreadsKeepEachPublishersOrder) {
  auto c = std::make_shared<Collector>();
  hub.subscribe(c, sup, std::nullopt);
  drain();
  constexpr int kPerThread = 2000;
  auto producer = [this](int who) {
    for (int i = 0; i < kPerThread; ++i) {
      hub.publish({"test.event", "t1", {{"who", who}, {"i", i}}, Permission::Monitor, ""});
    }
  };
  std::thread a(producer, 0), b(producer, 1);
  a.join();
  b.join();
  drain();
  ASSERT_EQ(c->events.size(), 2u * kPerThread);
  int next[2] = {0, 0};
  std::uint64_t last_id = 0;
  for (const auto& e : c->events) {
    EXPECT_GT(e->id, last_id);
    last_id = e->id;
    int who = e->data["who"].get<int>();
    EXPECT_EQ(e->data["i"].get<int>(), next[who]++);
  }
}

TEST_F(EventHubTest, IdsIncreaseAndWireFormIsJson) {
  auto c = std::make_shared<Collector>();
  hub.subscribe(c, sup, std::nullopt);
  publish("t1", 3);
  drain();
  EXPECT_EQ(c->ids(), (std::vector<std::uint64_t>{1, 2, 3}));
  auto j = nlohmann::json::parse(c->events[0]->json());
  EXPECT_EQ(j["id"], 1);
  EXPECT_EQ(j["type"], "test.event");
  EXPECT_EQ(j["tenantId"], "t1");
  EXPECT_EQ(j["data"]["i"], 0);
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));
}

// A subscriber that reads only the fields: events are not rendered for it.
struct FieldReader : Collector {
  bool wantsWire() const override { return false; }
};

TEST_F(EventHubTest, EventsAreRenderedOnlyForSubscribersThatReadTheText) {
  auto fields = std::make_shared<FieldReader>();
  hub.subscribe(fields, sup, std::nullopt);
  publish("t1", 2);
  drain();
  ASSERT_EQ(fields->ids(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(fields->events[0]->data["i"], 0);
  EXPECT_TRUE(fields->events[0]->wire.empty());
  // A text reader joining later gets the same events, rendered (replay renders on demand).
  auto text = std::make_shared<Collector>();
  hub.subscribe(text, sup, 0);
  publish("t1", 1);
  drain();
  ASSERT_EQ(text->ids(), (std::vector<std::uint64_t>{1, 2, 3}));
  for (const auto& e : text->events) EXPECT_EQ(nlohmann::json::parse(e->json())["id"], e->id);
}

// Subscribed but not taking events right now (a webhook notifier with no subscription).
struct Idle : Collector {
  bool wantsEvents() const override { return !idle; }
  bool idle = true;
};

TEST_F(EventHubTest, DataIsBuiltOnlyWhenSomeoneReceivesTheEvent) {
  auto idle = std::make_shared<Idle>();
  hub.subscribe(idle, sup, std::nullopt);
  auto built = std::make_shared<std::atomic<int>>(0);
  auto lazy = [&](int i) {
    EventInput in{"test.lazy", "t1", {}, Permission::Monitor, ""};
    in.make_data = [built, i] {
      ++*built;
      return nlohmann::json{{"i", i}};
    };
    hub.publish(std::move(in));
  };
  lazy(0);
  drain();
  EXPECT_TRUE(idle->events.empty());
  EXPECT_EQ(*built, 0);  // nobody took it: never built
  idle->idle = false;
  lazy(1);
  drain();
  ASSERT_EQ(idle->ids(), (std::vector<std::uint64_t>{2}));
  EXPECT_EQ(idle->events[0]->data["i"], 1);
  EXPECT_EQ(*built, 1);
  // A replay builds the skipped one, once, and renders it with its data.
  auto late = std::make_shared<Collector>();
  hub.subscribe(late, sup, 0);
  drain();
  ASSERT_EQ(late->ids(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(nlohmann::json::parse(late->events[0]->json())["data"]["i"], 0);
  EXPECT_EQ(nlohmann::json::parse(late->events[1]->json())["data"]["i"], 1);
  EXPECT_EQ(*built, 2);
}

TEST_F(EventHubTest, ReplaysExactlyTheMissedEvents) {
  publish("t1", 4);
  drain();
  auto c = std::make_shared<Collector>();
  hub.subscribe(c, sup, 2);
  publish("t1", 1);
  drain();
  EXPECT_EQ(c->ids(), (std::vector<std::uint64_t>{3, 4, 5}));
  // 3 and 4 were published with no subscriber: rendered when replayed, the same as a live one.
  for (const auto& e : c->events) {
    auto j = nlohmann::json::parse(e->json());
    EXPECT_EQ(j["id"], e->id);
    EXPECT_EQ(j["data"]["i"], e->data["i"]);
    EXPECT_EQ(e->frame().size(), e->json().size() + 2);  // 2-byte text frame header
  }
}

TEST_F(EventHubTest, ResyncWhenMissedEventsLeftTheBuffer) {
  publish("t1", 9);  // buffer holds 5..9
  drain();
  auto c = std::make_shared<Collector>();
  hub.subscribe(c, sup, 3);  // 4 is gone
  drain();
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_EQ(c->events[0]->type, "resync");
  auto edge = std::make_shared<Collector>();
  hub.subscribe(edge, sup, 4);  // 5.. all still there
  drain();
  EXPECT_EQ(edge->ids(), (std::vector<std::uint64_t>{5, 6, 7, 8, 9}));
  auto future = std::make_shared<Collector>();
  hub.subscribe(future, sup, 100);  // from before a restart
  drain();
  ASSERT_EQ(future->events.size(), 1u);
  EXPECT_EQ(future->events[0]->type, "resync");
}

TEST_F(EventHubTest, FiltersByTenantAndRole) {
  auto sup_t1 = std::make_shared<Collector>();
  auto agent_u1 = std::make_shared<Collector>();
  auto agent_u2 = std::make_shared<Collector>();
  auto op = std::make_shared<Collector>();
  hub.subscribe(sup_t1, sup, std::nullopt);
  hub.subscribe(agent_u1, Principal{"u1", "u1", "t1", {Role::Agent}}, std::nullopt);
  hub.subscribe(agent_u2, Principal{"u2", "u2", "t1", {Role::Agent}}, std::nullopt);
  hub.subscribe(op, Principal{"op", "op", "", {Role::SystemOperator}}, std::nullopt);
  hub.publish({"queue.stats", "t1", {}, Permission::Monitor});              // 1
  hub.publish({"queue.stats", "t2", {}, Permission::Monitor});              // 2
  hub.publish({"agent.state", "t1", {}, Permission::AgentState, "u1"});     // 3
  hub.publish({"platform.notice", "", {}, Permission::Monitor});            // 4
  drain();
  EXPECT_EQ(sup_t1->ids(), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_EQ(agent_u1->ids(), (std::vector<std::uint64_t>{3}));
  EXPECT_TRUE(agent_u2->ids().empty());
  EXPECT_EQ(op->ids(), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST_F(EventHubTest, DeadSubscribersAreForgotten) {
  auto c = std::make_shared<Collector>();
  hub.subscribe(c, sup, std::nullopt);
  drain();
  EXPECT_EQ(hub.subscriberCount(), 1u);
  c.reset();
  publish("t1", 1);
  drain();
  EXPECT_EQ(hub.subscriberCount(), 0u);
}

TEST_F(EventHubTest, PublishFromManyThreadsKeepsIdsUnique) {
  auto c = std::make_shared<Collector>();
  hub.subscribe(c, sup, std::nullopt);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { publish("t1", 50); });
  for (auto& t : threads) t.join();
  drain();
  ASSERT_EQ(c->events.size(), 200u);
  for (std::size_t i = 0; i < 200; ++i) EXPECT_EQ(c->events[i]->id, i + 1);
}

}  // namespace
}  // namespace sb::api
