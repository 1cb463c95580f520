// SPDX-License-Identifier: Apache-2.0
// Randomized (seeded) property tests: thousands of mixed operations against invariants
// checked after every step.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "routing/engine.h"

namespace sb::routing {
namespace {

using namespace std::chrono_literals;

struct AgentShadow {
  std::string tenant;
  Capacity cap;
  Presence presence = Presence::Available;
  bool reachable = true;
};

class PropertyRun {
 public:
  explicit PropertyRun(std::uint64_t seed) : rng_(seed), eng_(config(seed)) {}

  static EngineConfig config(std::uint64_t seed) {
    EngineConfig c;
    c.seed = seed;
    c.max_consecutive_timeouts = 3;
    c.why_history = 64;
    return c;
  }

  void setup() {
    const std::vector<std::string> skills{"en", "es", "billing", "tech"};
    const std::vector<Strategy> strategies{Strategy::LongestIdle, Strategy::RoundRobinMemory,
                                           Strategy::FewestInteractions, Strategy::BestSkill,
                                           Strategy::Linear, Strategy::RingAll,
                                           Strategy::RingProgressively, Strategy::Random,
                                           Strategy::WeightedRandom, Strategy::LeastTalkTime,
                                           Strategy::RoundRobinOrdered};
    for (int t = 0; t < 2; ++t) {
      std::string tenant = "t" + std::to_string(t);
      for (int i = 0; i < 6; ++i) {
        QueueSpec q;
        q.id = QueueId(tenant + "-q" + std::to_string(i));
        q.tenant = TenantId(tenant);
        q.strategy = strategies[(t * 6 + i) % strategies.size()];
        q.channels = i % 2 == 0 ? std::vector<Channel>{Channel::Voice} : std::vector<Channel>{Channel::Chat, Channel::Email};
        if (i % 3 != 0) q.skills = {{skills[i % skills.size()], 1 + static_cast<int>(rng_() % 5)}};
        q.reservation_timeout = std::chrono::seconds(5 + rng_() % 20);
        q.decline_skip_time = std::chrono::seconds(rng_() % 15);
        q.wrap_up_time = std::chrono::seconds(rng_() % 3 == 0 ? 0 : rng_() % 20);
        q.max_wait = rng_() % 2 ? std::chrono::seconds(60 + rng_() % 240) : Duration{};
        q.aging_rate = (rng_() % 3) * 0.1;
        q.ring_progressive_interval = 4s;
        if (i == 5) q.expression = "interaction.lang IN ['en','es'] OR team == 'a'";
        if (i == 4) {
          q.escalation = {EscalationStep{20s, std::vector<SkillRequirement>{}, {QueueId(tenant + "-q0")}, {}, std::nullopt}};
        }
        if (q.strategy == Strategy::Linear || q.strategy == Strategy::RoundRobinOrdered ||
            q.strategy == Strategy::WeightedRandom) {
          for (int a = 0; a < 8; ++a) {
            if (rng_() % 3 == 0) continue;
            q.members.push_back({AgentId(tenant + "-a" + std::to_string(a)), static_cast<int>(rng_() % 2),
                                 static_cast<int>(rng_() % 5), 1.0 + static_cast<double>(rng_() % 4)});
          }
        }
        queue_specs_[q.id.value()] = q;
        EXPECT_TRUE(eng_.upsertQueue(q, now_, out_));
      }
      for (int a = 0; a < 8; ++a) {
        AgentSpec s;
        s.id = AgentId(tenant + "-a" + std::to_string(a));
        s.tenant = TenantId(tenant);
        s.skills = randomSkills(skills);
        s.attributes = {{"team", rng_() % 2 ? "a" : "b"}};
        if (a % 3 == 1) {
          s.capacity.total_units = 100;
          s.capacity.voice_blocks_others = false;
        }
        if (a % 4 == 2) s.capacity.max_per_channel = {1, 1, 1, 1, 1, 1};
        agents_[s.id.value()] = AgentShadow{tenant, s.capacity};
        agent_specs_[s.id.value()] = s;
        EXPECT_TRUE(eng_.upsertAgent(s, now_, out_));
        EXPECT_TRUE(eng_.setAgentState(s.id, AgentState::Available, "", now_, out_));
      }
    }
    absorb();
  }

  std::vector<std::pair<std::string, int>> randomSkills(const std::vector<std::string>& skills) {
    std::vector<std::pair<std::string, int>> r;
    for (const auto& s : skills) {
      if (rng_() % 2) r.emplace_back(s, 1 + static_cast<int>(rng_() % 10));
    }
    return r;
  }

  template <typename T>
  T pick(const std::vector<T>& v) {
    return v[rng_() % v.size()];
  }

  void step() {
    int op = static_cast<int>(rng_() % 100);
    if (op < 30) {
      // enqueue
      auto it = queue_specs_.begin();
      std::advance(it, rng_() % queue_specs_.size());
      const QueueSpec& q = it->second;
      InteractionSpec s;
      s.id = InteractionId("x" + std::to_string(next_id_++));
      s.tenant = q.tenant;
      s.queue = q.id;
      s.channel = q.channels[rng_() % q.channels.size()];
      s.priority = static_cast<int>(rng_() % 3);
      s.attributes = {{"lang", rng_() % 2 ? "en" : "de"}};
      if (rng_() % 5 == 0) s.skills = {{"tech", 1 + static_cast<int>(rng_() % 5)}};
      auto r = eng_.enqueue(s, now_, out_);
      if (r) {
        enqueued_.insert(s.id.value());
        live_.insert(s.id.value());
        tenant_of_[s.id.value()] = q.tenant.value();
      } else {
        EXPECT_EQ(r.error().code, Errc::Unavailable) << r.error().toString();
      }
    } else if (op < 48) {
      if (offers_.empty()) return;
      auto it = offers_.begin();
      std::advance(it, rng_() % offers_.size());
      std::uint64_t r = it->first;
      if (rng_() % 4 == 0) {
        EXPECT_TRUE(eng_.decline(ReservationId(r), now_, out_));
        offers_.erase(r);  // a decline produces no decision of its own
      } else {
        EXPECT_TRUE(eng_.accept(ReservationId(r), now_, out_));
      }
    } else if (op < 62) {
      if (active_.empty()) return;
      auto it = active_.begin();
      std::advance(it, rng_() % active_.size());
      EXPECT_TRUE(eng_.complete(InteractionId(*it), now_, out_));
    } else if (op < 68) {
      if (live_.empty()) return;
      auto it = live_.begin();
      std::advance(it, rng_() % live_.size());
      EXPECT_TRUE(eng_.abandon(InteractionId(*it), now_, out_));
    } else if (op < 80) {
      now_ += std::chrono::milliseconds(rng_() % 6000);
      eng_.tick(now_, out_);
    } else if (op < 86) {
      auto it = agents_.begin();
      std::advance(it, rng_() % agents_.size());
      static const AgentState kStates[] = {AgentState::Available, AgentState::Available, AgentState::Away,
                                           AgentState::Break, AgentState::Offline};
      EXPECT_TRUE(eng_.setAgentState(AgentId(it->first), kStates[rng_() % 5], "r", now_, out_));
    } else if (op < 90) {
      auto it = agents_.begin();
      std::advance(it, rng_() % agents_.size());
      it->second.presence = rng_() % 3 ? Presence::Available : Presence::DoNotDisturb;
      EXPECT_TRUE(eng_.setPresence(AgentId(it->first), it->second.presence, now_, out_));
    } else if (op < 93) {
      auto it = agents_.begin();
      std::advance(it, rng_() % agents_.size());
      it->second.reachable = rng_() % 3 != 0;
      EXPECT_TRUE(eng_.setReachable(AgentId(it->first), it->second.reachable, now_, out_));
    } else if (op < 96) {
      auto it = agent_specs_.begin();
      std::advance(it, rng_() % agent_specs_.size());
      it->second.skills = randomSkills({"en", "es", "billing", "tech"});
      EXPECT_TRUE(eng_.upsertAgent(it->second, now_, out_));
    } else if (op < 98) {
      auto it = agents_.begin();
      std::advance(it, rng_() % agents_.size());
      (void)eng_.endWrapUp(AgentId(it->first), now_, out_);
    } else if (op < 99) {
      std::unordered_set<InteractionId> live;
      for (const auto& id : live_) live.insert(InteractionId(id));
      eng_.reconcile(now_, live, out_);
    } else {
      // Remove a queue and put it back (live config change with work in flight).
      auto it = queue_specs_.begin();
      std::advance(it, rng_() % queue_specs_.size());
      EXPECT_TRUE(eng_.removeQueue(it->second.id, now_, out_));
      EXPECT_TRUE(eng_.upsertQueue(it->second, now_, out_));
    }
    absorb();
    checkInvariants();
  }

  // Folds the decisions into the shadow model, checking per-decision properties.
  void absorb() {
    for (const Decision& d : out_.decisions) {
      if (const auto* o = std::get_if<Offer>(&d)) {
        EXPECT_TRUE(live_.contains(o->interaction.value())) << "offer for a dead interaction";
        EXPECT_EQ(agents_[o->agent.value()].tenant, tenant_of_[o->interaction.value()]) << "cross-tenant offer";
        EXPECT_EQ(agents_[o->agent.value()].presence, Presence::Available);
        EXPECT_TRUE(agents_[o->agent.value()].reachable);
        EXPECT_FALSE(active_.contains(o->interaction.value()));
        EXPECT_TRUE(offers_.emplace(o->reservation.value(), o->interaction.value()).second);
        EXPECT_NE(o->why, nullptr);
      } else if (const auto* r = std::get_if<Rescind>(&d)) {
        EXPECT_EQ(offers_.erase(r->reservation.value()), 1u);
      } else if (const auto* t = std::get_if<OfferTimedOut>(&d)) {
        EXPECT_EQ(offers_.erase(t->reservation.value()), 1u);
      } else if (const auto* a = std::get_if<Assigned>(&d)) {
        EXPECT_EQ(offers_.erase(a->reservation.value()), 1u);
        EXPECT_TRUE(active_.insert(a->interaction.value()).second);
      } else if (const auto* f = std::get_if<InteractionFinished>(&d)) {
        const std::string& id = f->interaction.value();
        EXPECT_TRUE(finished_.insert(id).second) << id << " finished twice";
        EXPECT_EQ(live_.erase(id), 1u) << id;
        if (f->reason == FinishReason::Completed) EXPECT_EQ(active_.erase(id), 1u);
        else active_.erase(id);
      }
    }
    out_.clear();
  }

  void checkInvariants() {
    std::map<std::string, int> offers_per_ix;
    for (const auto& [r, ix] : offers_) ++offers_per_ix[ix];
    for (const auto& id : live_) {
      auto snap = eng_.interaction(InteractionId(id));
      ASSERT_TRUE(snap) << id << " lost";
      const QueueSpec& q = queue_specs_.at(snap->queue.value());
      bool ring = q.strategy == Strategy::RingAll || q.strategy == Strategy::RingProgressively;
      if (!ring) {
        EXPECT_LE(snap->offered_to.size(), 1u) << id << " offered to two agents";
      }
      std::set<std::string> distinct;
      for (const auto& a : snap->offered_to) distinct.insert(a.value());
      EXPECT_EQ(distinct.size(), snap->offered_to.size()) << id << " offered twice to one agent";
      EXPECT_EQ(snap->phase == InteractionPhase::Active, active_.contains(id));
      EXPECT_EQ(snap->phase == InteractionPhase::Offered, !snap->offered_to.empty());
    }
    EXPECT_EQ(eng_.stats().interactions, live_.size());
    for (const auto& [id, shadow] : agents_) {
      auto a = eng_.agent(AgentId(id));
      ASSERT_TRUE(a);
      int units = 0;
      for (std::size_t c = 0; c < kChannelCount; ++c) {
        EXPECT_LE(a->channel_count[c], shadow.cap.max_per_channel[c]) << id << " above channel capacity";
        units += a->channel_count[c] * shadow.cap.unit_cost[c];
      }
      EXPECT_EQ(units, a->used_units);
      if (shadow.cap.total_units > 0) {
        EXPECT_LE(a->used_units, shadow.cap.total_units) << id;
      }
      int voice = a->channel_count[0];
      int total = 0;
      for (int c : a->channel_count) total += c;
      if (shadow.cap.voice_blocks_others && voice > 0) {
        EXPECT_EQ(total, voice) << id << " voice not alone";
      }
      EXPECT_EQ(static_cast<std::size_t>(total), a->reserved.size() + a->active.size() + a->wrapping.size());
      // State is a function of the requested state and the work held.
      AgentState expect = a->requested;
      if (a->requested != AgentState::Offline) {
        if (!a->active.empty()) expect = AgentState::Busy;
        else if (!a->reserved.empty()) expect = AgentState::Reserved;
        else if (!a->wrapping.empty()) expect = AgentState::WrapUp;
      }
      EXPECT_EQ(a->state, expect) << id;
      for (const auto& ix : a->active) EXPECT_TRUE(active_.contains(ix.value()));
      if (a->requested == AgentState::Offline || a->presence != Presence::Available || !a->reachable) {
        EXPECT_TRUE(a->reserved.empty()) << id << " holds an offer while not routable";
      }
    }
  }

  // Ends everything so that every enqueued interaction must have finished exactly once.
  void drain() {
    for (int i = 0; i < 100000 && !live_.empty(); ++i) {
      std::string id = *live_.begin();
      if (active_.contains(id)) {
        EXPECT_TRUE(eng_.complete(InteractionId(id), now_, out_));
      } else {
        EXPECT_TRUE(eng_.abandon(InteractionId(id), now_, out_));
      }
      absorb();
    }
    now_ += 1h;
    eng_.tick(now_, out_);
    absorb();
    EXPECT_TRUE(live_.empty());
    EXPECT_EQ(finished_, enqueued_);
    EXPECT_EQ(eng_.stats().interactions, 0u);
    EXPECT_EQ(eng_.stats().waiting, 0u);
    for (const auto& [id, shadow] : agents_) {
      auto a = eng_.agent(AgentId(id));
      EXPECT_TRUE(a->reserved.empty() && a->active.empty() && a->wrapping.empty()) << id << " stuck";
    }
  }

  std::mt19937_64 rng_;
  Engine eng_;
  Output out_;
  MonoTime now_ = MonoTime{} + 1h;
  std::map<std::string, QueueSpec> queue_specs_;
  std::map<std::string, AgentShadow> agents_;
  std::map<std::string, AgentSpec> agent_specs_;
  std::map<std::uint64_t, std::string> offers_;  // reservation -> interaction
  std::set<std::string> live_, active_, enqueued_, finished_;
  std::map<std::string, std::string> tenant_of_;
  int next_id_ = 0;
};

class RoutingPropertyTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RoutingPropertyTest, InvariantsHoldOverRandomOperations) {
  PropertyRun run(GetParam());
  run.setup();
  for (int i = 0; i < 4000; ++i) {
    run.step();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << GetParam() << " failed at step " << i;
      return;
    }
  }
  EXPECT_GT(run.eng_.stats().accepts, 100u);
  EXPECT_GT(run.eng_.stats().offer_timeouts + run.eng_.stats().declines, 10u);
  run.drain();
}

INSTANTIATE_TEST_SUITE_P(Seeds, RoutingPropertyTest, ::testing::Values(1, 2, 3, 42, 1234, 99991));

// FIFO: one queue, equal priority, no extra skills, agents always accept: offers must follow
// enqueue order exactly, whatever the agents' comings and goings.
class FifoPropertyTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(FifoPropertyTest, EqualPriorityIsServedInArrivalOrder) {
  std::mt19937_64 rng(GetParam());
  Engine eng;
  Output out;
  MonoTime now = MonoTime{} + 1h;
  QueueSpec q;
  q.id = QueueId("q");
  q.tenant = TenantId("t");
  q.channels = {Channel::Chat};
  q.reservation_timeout = 1000h;
  q.strategy = static_cast<Strategy>(rng() % 5);
  ASSERT_TRUE(eng.upsertQueue(q, now, out));
  for (int a = 0; a < 5; ++a) {
    AgentSpec s;
    s.id = AgentId("a" + std::to_string(a));
    s.tenant = TenantId("t");
    ASSERT_TRUE(eng.upsertAgent(s, now, out));
  }
  int next = 0;
  int expected_next_offer = 0;
  std::vector<std::string> active;
  for (int i = 0; i < 3000; ++i) {
    int op = static_cast<int>(rng() % 10);
    if (op < 4) {
      InteractionSpec s;
      s.id = InteractionId(std::to_string(next++));
      s.tenant = TenantId("t");
      s.queue = QueueId("q");
      s.channel = Channel::Chat;
      ASSERT_TRUE(eng.enqueue(s, now, out));
    } else if (op < 7) {
      if (active.empty()) continue;
      std::size_t k = rng() % active.size();
      ASSERT_TRUE(eng.complete(InteractionId(active[k]), now, out));
      active.erase(active.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      AgentId a("a" + std::to_string(rng() % 5));
      ASSERT_TRUE(eng.setAgentState(a, rng() % 3 ? AgentState::Available : AgentState::Away, "", now, out));
    }
    now += std::chrono::milliseconds(rng() % 3000);
    eng.tick(now, out);
    // Accept every offer immediately (the reservation outlives any rescind-free step).
    for (std::size_t d = 0; d < out.decisions.size(); ++d) {
      if (const auto* o = std::get_if<Offer>(&out.decisions[d])) {
        ASSERT_EQ(o->interaction.value(), std::to_string(expected_next_offer)) << "step " << i;
        ++expected_next_offer;
        Output tmp;
        ASSERT_TRUE(eng.accept(o->reservation, now, tmp));
        active.push_back(o->interaction.value());
        for (auto& dd : tmp.decisions) out.decisions.push_back(std::move(dd));
      }
    }
    out.clear();
  }
  EXPECT_GT(expected_next_offer, 500);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FifoPropertyTest, ::testing::Values(5, 6, 7, 8));

}  // namespace
}  // namespace sb::routing
