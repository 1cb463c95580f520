// SPDX-License-Identifier: Apache-2.0
// Differential test of the arrival fast paths: two engines fed the same seeded workload, one as
// shipped and one with EngineConfig::reference_scan (every arrival decided by the general
// candidate loop), must produce the same decisions, why records and segment events after every
// call. The workload is shaped for the tight per-strategy loops: many candidates per queue (so
// the winner's tier often fills the why record), the four key strategies next to others, two
// tiers, chat queues (agents stay eligible while their keys change), agents added (id ranks
// change), skill changes, declines, timeouts, abandons, state and presence changes, wrap-up and
// live queue edits.
#include <cstdio>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "routing/engine.h"

namespace sb::routing {
namespace {

using namespace std::chrono_literals;

void print(std::string& s, const Why& w) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "|%u|%u|%u|%u|%.9g", w.step, w.considered, w.eligible,
                w.interactions_compared, w.winning_score);
  s.append(w.rule).append("|").append(w.queue.value()).append("|").append(w.trigger).append(buf);
  for (const CandidateNote& n : w.candidates) {
    std::snprintf(buf, sizeof buf, ":%d:%.9g", static_cast<int>(n.excluded), n.score);
    s.append(";").append(n.agent.value()).append(buf);
  }
}

// Everything an Output says, as text (reservations and times included).
std::string render(const Output& out) {
  std::string s;
  for (const Decision& d : out.decisions) {
    s += std::to_string(d.index()) + "{";
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Offer>) {
            s += std::to_string(v.reservation.value()) + "," + v.interaction.value() + "," +
                 v.agent.value() + "," + v.queue.value() + "," +
                 std::to_string(v.deadline.time_since_epoch().count()) + ",";
            print(s, *v.why);
          } else if constexpr (std::is_same_v<T, Rescind> || std::is_same_v<T, OfferTimedOut>) {
            s += std::to_string(v.reservation.value()) + "," + v.interaction.value() + "," +
                 v.agent.value();
          } else if constexpr (std::is_same_v<T, Assigned>) {
            s += std::to_string(v.reservation.value()) + "," + v.interaction.value() + "," +
                 v.agent.value();
          } else if constexpr (std::is_same_v<T, AgentStateChanged>) {
            s += v.agent.value() + "," + std::to_string(static_cast<int>(v.to)) + "," + v.reason;
          } else if constexpr (std::is_same_v<T, InteractionFinished>) {
            s += v.interaction.value() + "," + std::to_string(static_cast<int>(v.reason));
          } else {
            s += v.interaction.value();
          }
        },
        d);
    s += "}";
  }
  for (const SegmentEvent& e : out.events) {
    s += std::to_string(static_cast<int>(e.kind)) + "/" + e.interaction.value() + "/" +
         e.agent.value() + "/" + std::to_string(e.at.time_since_epoch().count()) + "/" + e.detail +
         " ";
  }
  return s;
}

class FastPathRun {
 public:
  explicit FastPathRun(std::uint64_t seed)
      : rng_(seed), fast_(config(seed, true)), scan_(config(seed, false)) {}

  static EngineConfig config(std::uint64_t seed, bool index) {
    EngineConfig c;
    c.seed = seed;
    c.why_history = 64;
    c.reference_scan = !index;
    return c;
  }

  // Applies f to both engines and checks that they said the same thing.
  template <class F>
  void both(F f) {
    f(fast_, out_fast_);
    f(scan_, out_scan_);
    const std::string a = render(out_fast_);
    ASSERT_EQ(a, render(out_scan_)) << "step " << steps_;
    for (const Decision& d : out_fast_.decisions) {
      if (const auto* o = std::get_if<Offer>(&d)) {
        offers_.push_back(o->reservation.value());
        ++offers_made_;
      } else if (const auto* r = std::get_if<Rescind>(&d)) {
        std::erase(offers_, r->reservation.value());
      } else if (const auto* t = std::get_if<OfferTimedOut>(&d)) {
        std::erase(offers_, t->reservation.value());
      } else if (const auto* as = std::get_if<Assigned>(&d)) {
        std::erase(offers_, as->reservation.value());
        active_.push_back(as->interaction.value());
      } else if (const auto* f = std::get_if<InteractionFinished>(&d)) {
        std::erase(live_, f->interaction.value());
        std::erase(active_, f->interaction.value());
      }
    }
    out_fast_.clear();
    out_scan_.clear();
  }

  AgentSpec agentSpec(int a) {
    AgentSpec s;
    s.id = AgentId("ag" + std::to_string(a * 7919 % 1000));  // ids not in creation order
    s.tenant = TenantId("t");
    for (int k = 0; k < kSkills; ++k) {
      if (rng_() % 4 != 0)
        s.skills.emplace_back("s" + std::to_string(k), 1 + static_cast<int>(rng_() % 10));
    }
    if (a % 4 == 1) s.capacity.voice_blocks_others = false;
    return s;
  }

  void setup() {
    const Strategy strategies[] = {Strategy::LongestIdle,      Strategy::FewestInteractions,
                                   Strategy::BestSkill,        Strategy::LeastTalkTime,
                                   Strategy::RoundRobinMemory, Strategy::Random};
    for (int a = 0; a < kAgents; ++a) addAgent();
    for (int i = 0; i < kQueues; ++i) {
      QueueSpec q;
      q.id = QueueId("q" + std::to_string(i));
      q.tenant = TenantId("t");
      q.strategy = strategies[i % std::size(strategies)];
      q.channels = {i % 3 == 1 ? Channel::Chat : Channel::Voice};
      q.skills = {{"s" + std::to_string(i % kSkills), 1 + i % 3}};
      q.reservation_timeout = std::chrono::seconds(5 + i % 7);
      q.decline_skip_time = std::chrono::seconds(i % 4 == 0 ? 0 : 4);
      q.wrap_up_time = std::chrono::seconds(i % 3 == 0 ? 0 : 3);
      q.aging_rate = (i % 2) * 0.05;
      if (i % 11 == 7) {  // two tiers
        for (int a = 0; a < kAgents; ++a) q.members.push_back({agents_[a].id, a % 2, 0, 1.0});
      }
      queues_.push_back(q);
      both([&](Engine& e, Output& o) { EXPECT_TRUE(e.upsertQueue(q, now_, o)); });
    }
    for (const AgentSpec& s : agents_) {
      both([&](Engine& e, Output& o) {
        EXPECT_TRUE(e.setAgentState(s.id, AgentState::Available, "", now_, o));
      });
    }
  }

  void addAgent() {
    AgentSpec s = agentSpec(static_cast<int>(agents_.size()));
    agents_.push_back(s);
    both([&](Engine& e, Output& o) { EXPECT_TRUE(e.upsertAgent(s, now_, o)); });
  }

  void step() {
    ++steps_;
    const int op = static_cast<int>(rng_() % 100);
    if (op < 28) {
      const QueueSpec& q = queues_[rng_() % queues_.size()];
      InteractionSpec s;
      s.id = InteractionId("x" + std::to_string(next_id_++));
      s.tenant = q.tenant;
      s.queue = q.id;
      s.channel = q.channels.front();
      s.priority = static_cast<int>(rng_() % 4 == 0);
      if (rng_() % 16 == 0) s.skills = {{"s" + std::to_string(rng_() % kSkills), 1}};
      both([&](Engine& e, Output& o) {
        if (e.enqueue(s, now_, o) && &e == &fast_) live_.push_back(s.id.value());
      });
    } else if (op < 54) {
      if (offers_.empty()) return;
      ReservationId r(offers_[rng_() % offers_.size()]);
      const int what = static_cast<int>(rng_() % 10);
      if (what < 8) {
        both([&](Engine& e, Output& o) { (void)e.accept(r, now_, o); });
      } else {
        both([&](Engine& e, Output& o) { (void)e.decline(r, now_, o); });
        std::erase(offers_, r.value());
      }
    } else if (op < 84) {
      if (active_.empty()) return;
      InteractionId id(active_[rng_() % active_.size()]);
      both([&](Engine& e, Output& o) { (void)e.complete(id, now_, o); });
    } else if (op < 87) {
      if (live_.empty()) return;
      InteractionId id(live_[rng_() % live_.size()]);
      both([&](Engine& e, Output& o) { (void)e.abandon(id, now_, o); });
    } else if (op < 94) {
      now_ += std::chrono::milliseconds(rng_() % 3000);
      both([&](Engine& e, Output& o) { e.tick(now_, o); });
    } else if (op < 96) {
      static const AgentState kStates[] = {AgentState::Available, AgentState::Available,
                                           AgentState::Away, AgentState::Offline};
      const AgentId id = agents_[rng_() % agents_.size()].id;
      const AgentState st = kStates[rng_() % 4];
      both([&](Engine& e, Output& o) { (void)e.setAgentState(id, st, "r", now_, o); });
    } else if (op < 97) {
      const AgentId id = agents_[rng_() % agents_.size()].id;
      const Presence p = rng_() % 2 ? Presence::Available : Presence::DoNotDisturb;
      both([&](Engine& e, Output& o) { (void)e.setPresence(id, p, now_, o); });
    } else if (op < 98) {
      AgentSpec& s = agents_[rng_() % agents_.size()];
      AgentSpec fresh = agentSpec(0);
      s.skills = fresh.skills;
      both([&](Engine& e, Output& o) { (void)e.upsertAgent(s, now_, o); });
    } else if (op < 99) {
      if (agents_.size() < kAgents + 40) {
        addAgent();
        const AgentId id = agents_.back().id;
        both([&](Engine& e, Output& o) {
          (void)e.setAgentState(id, AgentState::Available, "", now_, o);
        });
      }
    } else {
      QueueSpec& q = queues_[rng_() % queues_.size()];
      q.aging_rate = q.aging_rate > 0 ? 0.0 : 0.1;
      both([&](Engine& e, Output& o) { (void)e.upsertQueue(q, now_, o); });
    }
  }

  static constexpr int kAgents = 160;
  static constexpr int kQueues = 12;
  static constexpr int kSkills = 4;
  std::mt19937_64 rng_;
  Engine fast_;
  Engine scan_;
  Output out_fast_, out_scan_;
  MonoTime now_ = MonoTime{} + 1h;
  std::vector<AgentSpec> agents_;
  std::vector<QueueSpec> queues_;
  std::vector<std::uint64_t> offers_;
  std::vector<std::string> live_, active_;
  std::uint64_t next_id_ = 0;
  int steps_ = 0;
  int offers_made_ = 0;
};

class FastPathTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(FastPathTest, FastAndReferenceScansMakeTheSameDecisions) {
  FastPathRun run(GetParam());
  run.setup();
  for (int i = 0; i < 6000 && !::testing::Test::HasFatalFailure(); ++i) run.step();
  EXPECT_GT(run.offers_made_, 1000);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FastPathTest, ::testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace sb::routing
