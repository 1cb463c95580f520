// SPDX-License-Identifier: Apache-2.0
// Test fixture for sb::routing::Engine: builds agents/queues with terse helpers, keeps a
// manual `now`, and picks decisions of one type out of the Output. Test-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "routing/engine.h"

namespace sb::routing::testing {

using namespace std::chrono_literals;

class EngineFixture : public ::testing::Test {
 protected:
  explicit EngineFixture(EngineConfig cfg = {}) : eng_(cfg) {}

  static QueueSpec queueSpec(const std::string& id, Strategy s = Strategy::LongestIdle,
                             const std::string& tenant = "t1") {
    QueueSpec q;
    q.id = QueueId(id);
    q.tenant = TenantId(tenant);
    q.strategy = s;
    return q;
  }
  static AgentSpec agentSpec(const std::string& id, std::vector<std::pair<std::string, int>> skills = {},
                             const std::string& tenant = "t1") {
    AgentSpec a;
    a.id = AgentId(id);
    a.tenant = TenantId(tenant);
    a.skills = std::move(skills);
    return a;
  }
  void addQueue(const QueueSpec& q) {
    auto r = eng_.upsertQueue(q, now_, out_);
    ASSERT_TRUE(r) << r.error().toString();
  }
  void addAgent(const AgentSpec& a, bool login = true) {
    auto r = eng_.upsertAgent(a, now_, out_);
    ASSERT_TRUE(r) << r.error().toString();
    if (login) {
      auto s = eng_.setAgentState(a.id, AgentState::Available, "", now_, out_);
      ASSERT_TRUE(s) << s.error().toString();
    }
  }
  void addAgent(const std::string& id, std::vector<std::pair<std::string, int>> skills = {}) {
    addAgent(agentSpec(id, std::move(skills)));
  }
  Result<EnqueueResult> enqueue(const std::string& id, const std::string& queue, int priority = 0,
                                Channel ch = Channel::Voice,
                                std::vector<std::pair<std::string, std::string>> attrs = {},
                                const std::string& tenant = "t1") {
    InteractionSpec s;
    s.id = InteractionId(id);
    s.tenant = TenantId(tenant);
    s.queue = QueueId(queue);
    s.priority = priority;
    s.channel = ch;
    s.attributes = std::move(attrs);
    return eng_.enqueue(s, now_, out_);
  }
  void advance(Duration d) {
    now_ += d;
    eng_.tick(now_, out_);
  }

  template <typename T>
  std::vector<T> take() {
    std::vector<T> r;
    for (const Decision& d : out_.decisions) {
      if (const T* t = std::get_if<T>(&d)) r.push_back(*t);
    }
    return r;
  }
  // The single Offer produced since the last clear (fails the test otherwise).
  Offer onlyOffer() {
    auto offers = take<Offer>();
    EXPECT_EQ(offers.size(), 1u);
    return offers.empty() ? Offer{} : offers.front();
  }
  void clear() { out_.clear(); }
  AgentState stateOf(const std::string& agent) { return eng_.agent(AgentId(agent))->state; }
  void accept(const Offer& o) {
    auto r = eng_.accept(o.reservation, now_, out_);
    ASSERT_TRUE(r) << r.error().toString();
  }
  void complete(const std::string& ix) {
    auto r = eng_.complete(InteractionId(ix), now_, out_);
    ASSERT_TRUE(r) << r.error().toString();
  }
  // Accepts and completes the interaction offered to `agent` (which must have one offer).
  void serve(const Offer& o) {
    accept(o);
    complete(o.interaction.value());
  }

  Engine eng_;
  Output out_;
  MonoTime now_ = MonoTime{} + std::chrono::hours(1);
};

}  // namespace sb::routing::testing
