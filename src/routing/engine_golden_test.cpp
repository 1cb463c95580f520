// SPDX-License-Identifier: Apache-2.0
// Differential (golden) test: a seeded random workload whose every decision, why record and
// segment event is folded into one FNV-1a digest. The expected digests were produced by the
// engine before the performance work of the "routeperf" change (commit 341a1ac): data-structure
// changes must not change a single decision, tie-break, why record or event. If a deliberate
// behaviour change alters them, re-derive the digests and say why in the commit.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "routing/engine.h"

namespace sb::routing {
namespace {

using namespace std::chrono_literals;

class Digest {
 public:
  void add(std::string_view s) {
    for (unsigned char c : s) {
      h_ ^= c;
      h_ *= 0x100000001B3ULL;
    }
    h_ ^= 0xFF;
    h_ *= 0x100000001B3ULL;
  }
  void add(std::int64_t v) { add(std::to_string(v)); }
  void add(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    add(std::string_view(buf));
  }
  void add(MonoTime t) { add(static_cast<std::int64_t>(t.time_since_epoch().count())); }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xCBF29CE484222325ULL;
};

void fold(Digest& d, const Why& w) {
  d.add(w.rule);
  d.add(w.queue.value());
  d.add(static_cast<std::int64_t>(w.step));
  d.add(static_cast<std::int64_t>(w.considered));
  d.add(static_cast<std::int64_t>(w.eligible));
  d.add(w.trigger);
  d.add(static_cast<std::int64_t>(w.interactions_compared));
  d.add(w.winning_score);
  for (const CandidateNote& n : w.candidates) {
    d.add(n.agent.value());
    d.add(static_cast<std::int64_t>(n.excluded));
    d.add(n.score);
  }
}

void fold(Digest& d, const Output& out) {
  for (const Decision& dec : out.decisions) {
    d.add(static_cast<std::int64_t>(dec.index()));
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Offer>) {
            d.add(static_cast<std::int64_t>(v.reservation.value()));
            d.add(v.interaction.value());
            d.add(v.agent.value());
            d.add(v.queue.value());
            d.add(static_cast<std::int64_t>(v.channel));
            d.add(v.deadline);
            fold(d, *v.why);
          } else if constexpr (std::is_same_v<T, Rescind>) {
            d.add(static_cast<std::int64_t>(v.reservation.value()));
            d.add(v.interaction.value());
            d.add(v.agent.value());
            d.add(static_cast<std::int64_t>(v.reason));
          } else if constexpr (std::is_same_v<T, OfferTimedOut>) {
            d.add(static_cast<std::int64_t>(v.reservation.value()));
            d.add(v.interaction.value());
            d.add(v.agent.value());
          } else if constexpr (std::is_same_v<T, Assigned>) {
            d.add(static_cast<std::int64_t>(v.reservation.value()));
            d.add(v.interaction.value());
            d.add(v.agent.value());
            d.add(v.queue.value());
          } else if constexpr (std::is_same_v<T, AgentStateChanged>) {
            d.add(v.agent.value());
            d.add(static_cast<std::int64_t>(v.from));
            d.add(static_cast<std::int64_t>(v.to));
            d.add(v.reason);
          } else if constexpr (std::is_same_v<T, QueueTimeout>) {
            d.add(v.interaction.value());
            d.add(v.queue.value());
            d.add(static_cast<std::int64_t>(v.action));
            d.add(v.target);
          } else if constexpr (std::is_same_v<T, InteractionReturned>) {
            d.add(v.interaction.value());
            d.add(v.queue.value());
            d.add(v.reason);
          } else if constexpr (std::is_same_v<T, Escalated>) {
            d.add(v.interaction.value());
            d.add(v.queue.value());
            d.add(static_cast<std::int64_t>(v.step));
          } else if constexpr (std::is_same_v<T, Overflowed>) {
            d.add(v.interaction.value());
            d.add(v.from.value());
            d.add(v.to.value());
          } else {
            d.add(v.interaction.value());
            d.add(v.queue.value());
            d.add(static_cast<std::int64_t>(v.reason));
          }
        },
        dec);
  }
  for (const SegmentEvent& e : out.events) {
    d.add(static_cast<std::int64_t>(e.kind));
    d.add(e.at);
    d.add(e.tenant.value());
    d.add(e.queue.value());
    d.add(e.interaction.value());
    d.add(e.agent.value());
    d.add(static_cast<std::int64_t>(e.channel));
    d.add(e.enqueued_at);
    d.add(e.detail);
  }
}

// A contact center large enough for the fast paths (dozens of candidates per queue, several
// queues per agent) with every strategy, penalties, two channels, aging, weights, escalation
// with overflow, an expression queue, own skills, declines, timeouts, abandons, state,
// presence and skill changes, wrap-up and live queue replacement.
class GoldenRun {
 public:
  explicit GoldenRun(std::uint64_t seed) : rng_(seed), eng_(config(seed)) {}

  static EngineConfig config(std::uint64_t seed) {
    EngineConfig c;
    c.seed = seed;
    c.why_history = 32;
    return c;
  }

  void setup() {
    const Strategy strategies[] = {Strategy::LongestIdle,        Strategy::RoundRobinMemory, Strategy::FewestInteractions,
                                   Strategy::BestSkill,          Strategy::LeastTalkTime,    Strategy::Random,
                                   Strategy::RoundRobinOrdered, Strategy::Linear,           Strategy::RingAll,
                                   Strategy::RingProgressively, Strategy::WeightedRandom,   Strategy::LongestIdle};
    for (int a = 0; a < kAgents; ++a) {
      AgentSpec s;
      s.id = AgentId("ag" + std::to_string(a));
      s.tenant = TenantId("t");
      s.skills = randomSkills();
      s.attributes = {{"team", a % 2 ? "red" : "blue"}};
      if (a % 5 == 1) {
        s.capacity.voice_blocks_others = false;
        s.capacity.total_units = 100;
      }
      agents_.push_back(s);
      EXPECT_TRUE(eng_.upsertAgent(s, now_, out_));
    }
    for (int i = 0; i < kQueues; ++i) {
      QueueSpec q;
      q.id = QueueId("q" + std::to_string(i));
      q.tenant = TenantId("t");
      q.strategy = strategies[i % std::size(strategies)];
      q.channels = i % 3 == 2 ? std::vector<Channel>{Channel::Chat, Channel::Voice} : std::vector<Channel>{Channel::Voice};
      q.skills = {{"s" + std::to_string(i % kSkills), 1 + i % 4}};
      q.reservation_timeout = std::chrono::seconds(4 + i % 9);
      q.decline_skip_time = std::chrono::seconds(i % 4 == 0 ? 0 : 5 + i % 7);
      q.wrap_up_time = std::chrono::seconds(i % 3 == 0 ? 0 : 2 + i % 5);
      q.max_wait = i % 2 ? std::chrono::seconds(90 + 10 * i) : Duration{};
      q.aging_rate = (i % 4) * 0.05;
      q.weight = i % 5 == 0 ? 2.0 : 1.0;
      q.priority = i % 6 == 0 ? 1 : 0;
      if (i % 7 == 3) q.expression = "team == 'red' OR interaction.lang == 'en'";
      if (i % 8 == 5) {
        q.escalation = {EscalationStep{15s, std::vector<SkillRequirement>{}, {QueueId("q" + std::to_string((i + 1) % kQueues))},
                                       {}, std::nullopt}};
      }
      if (q.strategy == Strategy::Linear || q.strategy == Strategy::RoundRobinOrdered ||
          q.strategy == Strategy::WeightedRandom || i % 9 == 4) {
        for (int a = 0; a < kAgents; ++a) {
          if (rng_() % 3 == 0) continue;
          q.members.push_back({AgentId("ag" + std::to_string(a)), static_cast<int>(rng_() % 2),
                               static_cast<int>(rng_() % 6), 1.0 + static_cast<double>(rng_() % 3)});
        }
      }
      queues_.push_back(q);
      EXPECT_TRUE(eng_.upsertQueue(q, now_, out_));
    }
    for (const AgentSpec& s : agents_) EXPECT_TRUE(eng_.setAgentState(s.id, AgentState::Available, "", now_, out_));
    absorb();
  }

  std::vector<std::pair<std::string, int>> randomSkills() {
    std::vector<std::pair<std::string, int>> r;
    for (int s = 0; s < kSkills; ++s) {
      if (rng_() % 3 != 0) r.emplace_back("s" + std::to_string(s), 1 + static_cast<int>(rng_() % 10));
    }
    return r;
  }

  void step() {
    const int op = static_cast<int>(rng_() % 100);
    if (op < 34) {
      const QueueSpec& q = queues_[rng_() % queues_.size()];
      InteractionSpec s;
      s.id = InteractionId("x" + std::to_string(next_id_++));
      s.tenant = q.tenant;
      s.queue = q.id;
      s.channel = q.channels[rng_() % q.channels.size()];
      s.priority = static_cast<int>(rng_() % 4 == 0);
      s.attributes = {{"lang", rng_() % 2 ? "en" : "de"}};
      if (rng_() % 8 == 0) s.skills = {{"s" + std::to_string(rng_() % kSkills), 1 + static_cast<int>(rng_() % 4)}};
      if (eng_.enqueue(s, now_, out_)) live_.push_back(s.id.value());
    } else if (op < 56) {
      if (offers_.empty()) return;
      std::size_t k = rng_() % offers_.size();
      ReservationId r(offers_[k]);
      int what = static_cast<int>(rng_() % 10);
      if (what < 7) (void)eng_.accept(r, now_, out_);
      else if (what < 9) {
        // A decline produces no decision of its own.
        if (eng_.decline(r, now_, out_)) std::erase(offers_, r.value());
      }
      else {
        now_ += 15s;  // lets this (and other) reservations time out
        eng_.tick(now_, out_);
      }
    } else if (op < 74) {
      if (active_.empty()) return;
      (void)eng_.complete(InteractionId(active_[rng_() % active_.size()]), now_, out_);
    } else if (op < 79) {
      if (live_.empty()) return;
      (void)eng_.abandon(InteractionId(live_[rng_() % live_.size()]), now_, out_);
    } else if (op < 90) {
      now_ += std::chrono::milliseconds(rng_() % 1500);
      eng_.tick(now_, out_);
    } else if (op < 94) {
      static const AgentState kStates[] = {AgentState::Available, AgentState::Available, AgentState::Available, AgentState::Away,
                                           AgentState::Break, AgentState::Offline};
      (void)eng_.setAgentState(agents_[rng_() % agents_.size()].id, kStates[rng_() % 6], "r", now_, out_);
    } else if (op < 96) {
      (void)eng_.setPresence(agents_[rng_() % agents_.size()].id,
                             rng_() % 3 ? Presence::Available : Presence::DoNotDisturb, now_, out_);
    } else if (op < 97) {
      (void)eng_.setReachable(agents_[rng_() % agents_.size()].id, rng_() % 3 != 0, now_, out_);
    } else if (op < 98) {
      AgentSpec& s = agents_[rng_() % agents_.size()];
      s.skills = randomSkills();
      (void)eng_.upsertAgent(s, now_, out_);
    } else if (op < 99) {
      (void)eng_.endWrapUp(agents_[rng_() % agents_.size()].id, now_, out_);
    } else {
      QueueSpec& q = queues_[rng_() % queues_.size()];
      q.aging_rate = q.aging_rate > 0 ? 0.0 : 0.1;
      (void)eng_.upsertQueue(q, now_, out_);
    }
    absorb();
  }

  void absorb() {
    fold(digest_, out_);
    for (const Decision& d : out_.decisions) {
      if (const auto* o = std::get_if<Offer>(&d)) offers_.push_back(o->reservation.value());
      else if (const auto* r = std::get_if<Rescind>(&d)) std::erase(offers_, r->reservation.value());
      else if (const auto* t = std::get_if<OfferTimedOut>(&d)) std::erase(offers_, t->reservation.value());
      else if (const auto* a = std::get_if<Assigned>(&d)) {
        std::erase(offers_, a->reservation.value());
        active_.push_back(a->interaction.value());
      } else if (const auto* f = std::get_if<InteractionFinished>(&d)) {
        std::erase(live_, f->interaction.value());
        std::erase(active_, f->interaction.value());
      }
    }
    out_.clear();
  }

  std::uint64_t run(int steps) {
    setup();
    for (int i = 0; i < steps; ++i) step();
    digest_.add(static_cast<std::int64_t>(eng_.stats().offers));
    digest_.add(static_cast<std::int64_t>(eng_.stats().accepts));
    digest_.add(static_cast<std::int64_t>(eng_.stats().waiting));
    return digest_.value();
  }

  static constexpr int kAgents = 48;
  static constexpr int kQueues = 24;
  static constexpr int kSkills = 6;
  std::mt19937_64 rng_;
  Engine eng_;
  Output out_;
  MonoTime now_ = MonoTime{} + 1h;
  std::vector<AgentSpec> agents_;
  std::vector<QueueSpec> queues_;
  std::vector<std::uint64_t> offers_;
  std::vector<std::string> live_, active_;
  Digest digest_;
  int next_id_ = 0;
};

struct GoldenCase {
  std::uint64_t seed;
  std::uint64_t digest;
};

class RoutingGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(RoutingGoldenTest, DecisionsWhyRecordsAndEventsMatchTheReferenceEngine) {
  GoldenRun run(GetParam().seed);
  std::uint64_t d = run.run(20000);
  EXPECT_GT(run.eng_.stats().accepts, 1000u);
  EXPECT_GT(run.eng_.stats().offer_timeouts + run.eng_.stats().declines, 100u);
  EXPECT_EQ(d, GetParam().digest) << "seed " << GetParam().seed << " digest 0x" << std::hex << d;
}

INSTANTIATE_TEST_SUITE_P(Seeds, RoutingGoldenTest,
                         ::testing::Values(GoldenCase{1, 0x17bbb6576776894cULL}, GoldenCase{7, 0xe3ece5c71f7512d7ULL},
                                           GoldenCase{42, 0x3a44bf50ba9f635fULL}, GoldenCase{2024, 0xf78a624d569f796bULL}));

// The timer heap drops stale entries once it passes 65,536; the compaction must keep every live
// timer (max-wait of waiting and ringing interactions) and drop answered/finished ones.
TEST(RoutingTimerCompactionTest, LiveTimersSurviveCompaction) {
  Engine eng;
  Output out;
  MonoTime now = MonoTime{} + 1h;
  QueueSpec q;
  q.id = QueueId("q");
  q.tenant = TenantId("t");
  q.max_wait = 10min;
  q.reservation_timeout = 1h;
  ASSERT_TRUE(eng.upsertQueue(q, now, out));
  AgentSpec a;
  a.id = AgentId("a");
  a.tenant = TenantId("t");
  ASSERT_TRUE(eng.upsertAgent(a, now, out));
  ASSERT_TRUE(eng.setAgentState(a.id, AgentState::Available, "", now, out));
  out.clear();
  // 40,000 interactions answered and completed one by one (their timers go stale), then
  // 40,000 left waiting (live max-wait timers): the heap passes the compaction threshold.
  constexpr int kEach = 40000;
  for (int i = 0; i < kEach; ++i) {
    InteractionSpec s;
    s.id = InteractionId("done" + std::to_string(i));
    s.tenant = q.tenant;
    s.queue = q.id;
    ASSERT_TRUE(eng.enqueue(s, now, out));
    ASSERT_EQ(out.decisions.size(), 2u);  // Offer + AgentStateChanged
    ReservationId r = std::get<Offer>(out.decisions[0]).reservation;
    ASSERT_TRUE(eng.accept(r, now, out));
    ASSERT_TRUE(eng.complete(s.id, now, out));
    out.clear();
  }
  ASSERT_TRUE(eng.setAgentState(a.id, AgentState::Away, "", now, out));
  now += 1s;
  for (int i = 0; i < kEach; ++i) {
    InteractionSpec s;
    s.id = InteractionId("wait" + std::to_string(i));
    s.tenant = q.tenant;
    s.queue = q.id;
    ASSERT_TRUE(eng.enqueue(s, now, out));
  }
  out.clear();
  EXPECT_EQ(eng.stats().waiting, static_cast<std::size_t>(kEach));
  // Every waiting interaction times out at enqueue + max_wait, none earlier.
  eng.tick(now + 10min - 1ms, out);
  EXPECT_TRUE(out.decisions.empty());
  eng.tick(now + 10min, out);
  std::size_t timeouts = 0;
  for (const Decision& d : out.decisions) timeouts += std::holds_alternative<QueueTimeout>(d);
  EXPECT_EQ(timeouts, static_cast<std::size_t>(kEach));
  EXPECT_EQ(eng.stats().waiting, 0u);
  EXPECT_EQ(eng.stats().interactions, 0u);
  out.clear();
  // The stale reservation timers left behind fire as no-ops.
  eng.tick(now + 2h, out);
  EXPECT_TRUE(out.decisions.empty());
  EXPECT_FALSE(eng.nextDeadline().has_value());
}

}  // namespace
}  // namespace sb::routing
