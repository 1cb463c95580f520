// SPDX-License-Identifier: Apache-2.0
#include "sim/simulator.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <queue>
#include <unordered_map>
#include <variant>

#include "analytics/aggregator.h"
#include "routing/engine.h"
#include "sim/random.h"

namespace sb::sim {
namespace {

namespace an = sb::analytics;
namespace rt = sb::routing;

// A synthetic epoch: simulated time starts here (MonoTime is only ever compared/subtracted).
const MonoTime kEpoch = MonoTime{} + std::chrono::hours(24);
const rt::TenantId kTenant{"sim"};

Duration seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

std::optional<an::SegmentKind> toAnalytics(rt::SegmentKind k) {
  switch (k) {
    case rt::SegmentKind::Enqueue:
      return an::SegmentKind::Enqueue;
    case rt::SegmentKind::Offer:
      return an::SegmentKind::Offer;
    case rt::SegmentKind::Answer:
      return an::SegmentKind::Answer;
    case rt::SegmentKind::HoldOn:
      return an::SegmentKind::HoldStart;
    case rt::SegmentKind::HoldOff:
      return an::SegmentKind::HoldEnd;
    case rt::SegmentKind::End:
      return an::SegmentKind::Disconnect;
    case rt::SegmentKind::WrapUpStart:
      return an::SegmentKind::WrapUpStart;
    case rt::SegmentKind::WrapUpEnd:
      return an::SegmentKind::WrapUpEnd;
    case rt::SegmentKind::Abandon:
      return an::SegmentKind::Abandon;
    case rt::SegmentKind::FlowOut:
      return an::SegmentKind::FlowOut;
    case rt::SegmentKind::Decline:
    case rt::SegmentKind::OfferTimeout:
    case rt::SegmentKind::Rescind:
    case rt::SegmentKind::Escalate:
      return std::nullopt;
  }
  return std::nullopt;
}

an::AgentState toAnalytics(rt::AgentState s) {
  switch (s) {
    case rt::AgentState::Offline:
      return an::AgentState::LoggedOut;
    case rt::AgentState::Available:
      return an::AgentState::Available;
    case rt::AgentState::Reserved:
    case rt::AgentState::Busy:
      return an::AgentState::Busy;
    case rt::AgentState::WrapUp:
      return an::AgentState::WrapUp;
    case rt::AgentState::Away:
    case rt::AgentState::Break:
      return an::AgentState::Away;
  }
  return an::AgentState::LoggedOut;
}

an::MetricPreset presetFor(const an::MetricPreset& base, double threshold_s,
                           double short_abandon_s) {
  an::MetricPreset p = base;
  p.service_level.threshold = seconds(threshold_s);
  if (p.name == "switchboard") {
    p.service_level.short_abandon = seconds(short_abandon_s);
    p.abandon_rate.short_abandon = seconds(short_abandon_s);
  }
  return p;
}

class Simulation {
 public:
  Simulation(const Scenario& scenario, const SimOptions& options)
      : scenario_(scenario),
        options_(options),
        engine_(rt::EngineConfig{.seed = scenario.seed}),
        aggregator_(an::WindowOptions{
            .day_origin = kEpoch,
            .day_length = seconds(scenario.hours * 3600.0) + std::chrono::hours(1)}),
        horizon_(kEpoch + seconds(scenario.hours * 3600.0)) {}

  InputResult<SimResult> run();

 private:
  enum class EvKind : std::uint8_t {
    Arrival,
    JournalArrival,
    ServiceEnd,
    Patience,
    ShiftStart,
    ShiftEnd
  };
  struct Event {
    MonoTime at;
    std::uint64_t seq;
    EvKind kind;
    std::uint32_t index;  // queue (Arrival), journal entry, call, or agent
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct Call {
    rt::InteractionId id;
    std::uint32_t queue = 0;
    double handle_s = 0;
    bool answered = false;
    bool done = false;
  };

  InputResult<void> configure();
  void schedule(MonoTime at, EvKind kind, std::uint32_t index) {
    events_.push(Event{at, seq_++, kind, index});
  }
  void handle(const Event& ev);
  void arrive(std::uint32_t queue, std::string id, std::optional<double> handle_s,
              std::optional<double> patience_s, int priority,
              std::vector<std::pair<std::string, std::string>> attributes, double t_s);
  void process(rt::Output& out);
  Call* callOf(const rt::InteractionId& id) {
    auto it = call_index_.find(id);
    return it == call_index_.end() ? nullptr : &calls_[it->second];
  }

  const Scenario& scenario_;
  const SimOptions& options_;
  rt::Engine engine_;
  an::Aggregator aggregator_;
  MonoTime horizon_;
  MonoTime now_ = kEpoch;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  std::vector<Rng> arrival_rng_, handle_rng_, patience_rng_;
  std::unordered_map<std::string, std::uint32_t> queue_index_;
  std::vector<Call> calls_;
  std::unordered_map<rt::InteractionId, std::uint32_t> call_index_;
  std::unordered_map<rt::AgentId, std::vector<an::QueueId>> agent_queues_;
  std::uint64_t next_call_ = 1;
  SimResult result_;
};

InputResult<void> Simulation::configure() {
  auto scenario_error = [](std::string reason) {
    return std::unexpected(InputError{"scenario", 0, 0, std::move(reason)});
  };
  rt::Output out;
  for (std::uint32_t qi = 0; qi < scenario_.queues.size(); ++qi) {
    const QueueScenario& q = scenario_.queues[qi];
    queue_index_[q.id] = qi;
    arrival_rng_.emplace_back(scenario_.seed, 1, qi);
    handle_rng_.emplace_back(scenario_.seed, 2, qi);
    patience_rng_.emplace_back(scenario_.seed, 3, qi);
    rt::QueueSpec spec;
    spec.id = rt::QueueId{q.id};
    spec.tenant = kTenant;
    spec.skills = q.skills;
    spec.priority = q.priority;
    spec.strategy = q.strategy;
    spec.max_wait = seconds(q.max_wait_s);
    spec.service_level_threshold = seconds(q.sl_threshold_s);
    spec.short_abandon_threshold = seconds(q.short_abandon_s);
    spec.wrap_up_time = seconds(q.wrap_up_s);
    for (std::size_t m = 0; m < q.members.size(); ++m) {
      spec.members.push_back(rt::QueueMember{rt::AgentId{q.members[m]}, 0, static_cast<int>(m)});
    }
    if (auto st = engine_.upsertQueue(spec, now_, out); !st) {
      return scenario_error("queue " + q.id + ": " + st.error().toString());
    }
  }
  for (std::uint32_t ai = 0; ai < scenario_.agents.size(); ++ai) {
    const AgentScenario& a = scenario_.agents[ai];
    rt::AgentSpec spec;
    spec.id = rt::AgentId{a.id};
    spec.tenant = kTenant;
    spec.skills = a.skills;
    if (auto st = engine_.upsertAgent(spec, now_, out); !st) {
      return scenario_error("agent " + a.id + ": " + st.error().toString());
    }
    if (a.shifts.empty()) {
      schedule(kEpoch, EvKind::ShiftStart, ai);
    } else {
      for (const Shift& s : a.shifts) {
        schedule(kEpoch + seconds(s.start_h * 3600.0), EvKind::ShiftStart, ai);
        schedule(kEpoch + seconds(s.end_h * 3600.0), EvKind::ShiftEnd, ai);
      }
    }
  }
  process(out);
  // Queue membership for analytics, as the engine resolved it (skills or member lists).
  for (const AgentScenario& a : scenario_.agents) {
    auto snap = engine_.agent(rt::AgentId{a.id});
    auto& qs = agent_queues_[rt::AgentId{a.id}];
    if (snap) {
      for (const auto& q : snap->queues) qs.emplace_back(q.value());
    }
  }
  if (options_.journal) {
    for (const JournalEntry& e : *options_.journal) {
      if (!queue_index_.contains(e.queue)) {
        return std::unexpected(
            InputError{options_.journal_name, e.line, 1, "unknown queue '" + e.queue + "'"});
      }
    }
    if (!options_.journal->empty()) {
      schedule(kEpoch + seconds(options_.journal->front().t_s), EvKind::JournalArrival, 0);
    }
  } else {
    for (std::uint32_t qi = 0; qi < scenario_.queues.size(); ++qi) {
      const double rate = scenario_.queues[qi].arrivals_per_hour;
      if (rate > 0) {
        schedule(kEpoch + seconds(arrival_rng_[qi].exponential(3600.0 / rate)), EvKind::Arrival,
                 qi);
      }
    }
  }
  return {};
}

void Simulation::arrive(std::uint32_t queue, std::string id, std::optional<double> handle_s,
                        std::optional<double> patience_s, int priority,
                        std::vector<std::pair<std::string, std::string>> attributes, double t_s) {
  const QueueScenario& q = scenario_.queues[queue];
  ++result_.arrivals;
  // Sampled at arrival, from per-queue streams, so routing choices never shift the samples.
  const double handle = handle_s ? *handle_s : handle_rng_[queue].sample(q.handle);
  std::optional<double> patience = patience_s;
  if (!patience && q.patience) patience = patience_rng_[queue].sample(*q.patience);
  if (options_.record_journal) {
    result_.journal.push_back(
        JournalEntry{t_s, q.id, id, handle, patience, priority, attributes, 0});
  }
  rt::InteractionId iid{std::move(id)};
  if (call_index_.contains(iid)) return;  // duplicate live id: the engine would refuse it
  const auto ci = static_cast<std::uint32_t>(calls_.size());
  calls_.push_back(Call{iid, queue, handle, false, false});
  call_index_.emplace(iid, ci);
  rt::InteractionSpec spec;
  spec.id = iid;
  spec.tenant = kTenant;
  spec.queue = rt::QueueId{q.id};
  spec.priority = priority;
  spec.attributes = std::move(attributes);
  rt::Output out;
  auto res = engine_.enqueue(spec, now_, out);
  if (!res) {
    ++result_.blocked;
    calls_[ci].done = true;
  } else if (patience) {
    schedule(now_ + seconds(*patience), EvKind::Patience, ci);
  }
  process(out);
}

void Simulation::handle(const Event& ev) {
  rt::Output out;
  switch (ev.kind) {
    case EvKind::Arrival: {
      const std::uint32_t qi = ev.index;
      const double t_s = std::chrono::duration<double>(now_ - kEpoch).count();
      arrive(qi, "c" + std::to_string(next_call_++), std::nullopt, std::nullopt, 0, {}, t_s);
      schedule(now_ + seconds(arrival_rng_[qi].exponential(3600.0 /
                                                           scenario_.queues[qi].arrivals_per_hour)),
               EvKind::Arrival, qi);
      return;
    }
    case EvKind::JournalArrival: {
      const auto& journal = *options_.journal;
      const JournalEntry& e = journal[ev.index];
      arrive(queue_index_.at(e.queue), e.id, e.handle_s, e.patience_s, e.priority, e.attributes,
             e.t_s);
      if (ev.index + 1 < journal.size()) {
        schedule(kEpoch + seconds(journal[ev.index + 1].t_s), EvKind::JournalArrival, ev.index + 1);
      }
      return;
    }
    case EvKind::ServiceEnd: {
      Call& c = calls_[ev.index];
      if (c.done) return;
      (void)engine_.complete(c.id, now_, out);
      break;
    }
    case EvKind::Patience: {
      Call& c = calls_[ev.index];
      if (c.done || c.answered) return;
      (void)engine_.abandon(c.id, now_, out);
      break;
    }
    case EvKind::ShiftStart:
      (void)engine_.setAgentState(rt::AgentId{scenario_.agents[ev.index].id},
                                  rt::AgentState::Available, "shift", now_, out);
      break;
    case EvKind::ShiftEnd:
      (void)engine_.setAgentState(rt::AgentId{scenario_.agents[ev.index].id},
                                  rt::AgentState::Offline, "shift", now_, out);
      break;
  }
  process(out);
}

void Simulation::process(rt::Output& out) {
  for (const rt::SegmentEvent& e : out.events) {
    if (auto kind = toAnalytics(e.kind)) {
      aggregator_.onSegment(an::SegmentEvent{an::InteractionId{e.interaction.value()},
                                             an::QueueId{e.queue.value()},
                                             an::AgentId{e.agent.value()}, *kind, e.at});
    }
  }
  // Decisions may cause further engine calls (accepting an offer); each gets its own Output,
  // processed depth-first so analytics sees events in the order they happened.
  for (const rt::Decision& d : out.decisions) {
    if (const auto* offer = std::get_if<rt::Offer>(&d)) {
      rt::Output next;
      // Ring-all offers to several agents: only the first accept succeeds (NotFound after).
      if (engine_.accept(offer->reservation, now_, next)) process(next);
    } else if (const auto* assigned = std::get_if<rt::Assigned>(&d)) {
      if (Call* c = callOf(assigned->interaction); c && !c->answered) {
        c->answered = true;
        schedule(now_ + seconds(c->handle_s), EvKind::ServiceEnd,
                 call_index_.at(assigned->interaction));
      }
    } else if (const auto* finished = std::get_if<rt::InteractionFinished>(&d)) {
      // Pending ServiceEnd/Patience events hold the call's index, not its id.
      if (auto it = call_index_.find(finished->interaction); it != call_index_.end()) {
        calls_[it->second].done = true;
        call_index_.erase(it);
      }
    } else if (const auto* changed = std::get_if<rt::AgentStateChanged>(&d)) {
      aggregator_.onAgentState(an::AgentStateEvent{an::AgentId{changed->agent.value()},
                                                   toAnalytics(changed->to),
                                                   agent_queues_[changed->agent], now_});
    }
  }
  out.clear();
}

InputResult<SimResult> Simulation::run() {
  auto base = an::presetByName(scenario_.preset, seconds(scenario_.sl_threshold_s));
  if (!base) return std::unexpected(InputError{"scenario", 0, 0, base.error().message});
  if (auto st = configure(); !st) return std::unexpected(st.error());

  // Merge the engine's own deadlines (wrap-up ends, reservation and queue timeouts) with the
  // simulator's events; `dirty` stops a deadline the engine left in the past from spinning.
  std::optional<MonoTime> last_tick;
  bool dirty = true;
  while (true) {
    const MonoTime next_event = events_.empty() ? MonoTime::max() : events_.top().at;
    const std::optional<MonoTime> deadline = engine_.nextDeadline();
    if (deadline && *deadline <= next_event && *deadline <= horizon_) {
      const MonoTime at = std::max(*deadline, now_);
      if (dirty || !last_tick || at > *last_tick) {
        now_ = at;
        rt::Output out;
        engine_.tick(now_, out);
        process(out);
        last_tick = now_;
        dirty = false;
        ++result_.sim_events;
        continue;
      }
    }
    if (events_.empty() || next_event > horizon_) break;
    const Event ev = events_.top();
    events_.pop();
    now_ = std::max(now_, ev.at);
    handle(ev);
    dirty = true;
    ++result_.sim_events;
  }
  now_ = horizon_;

  result_.preset = base->name;
  result_.hours = scenario_.hours;
  result_.seed = scenario_.seed;
  result_.agents = scenario_.agents.size();
  for (const QueueScenario& q : scenario_.queues) {
    QueueOutcome qo;
    qo.id = q.id;
    qo.sl_threshold_s = q.sl_threshold_s;
    qo.report = an::makeReport(aggregator_.queueTally(an::QueueId{q.id}, an::Span::Today, now_),
                               presetFor(*base, q.sl_threshold_s, q.short_abandon_s));
    const bool mmc = q.handle.kind == Distribution::Kind::Exponential && !q.patience &&
                     q.wrap_up_s == 0 && q.max_wait_s == 0 && scenario_.queues.size() == 1 &&
                     std::all_of(scenario_.agents.begin(), scenario_.agents.end(),
                                 [](const AgentScenario& a) { return a.shifts.empty(); });
    if (mmc) {
      int c = 0;
      for (const auto& [agent, queues] : agent_queues_) {
        if (std::find(queues.begin(), queues.end(), an::QueueId{q.id}) != queues.end()) ++c;
      }
      qo.erlang = an::erlangC(q.arrivals_per_hour / 3600.0, q.handle.mean_s, c);
      if (options_.journal) qo.erlang.reset();  // replayed traffic is not Poisson by contract
    }
    result_.queues.push_back(std::move(qo));
  }
  result_.overall =
      an::makeReport(aggregator_.overallTally(an::Span::Today, now_),
                     presetFor(*base, scenario_.sl_threshold_s, scenario_.short_abandon_s));
  return std::move(result_);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double secondsOf(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

InputResult<SimResult> simulate(const Scenario& scenario, const SimOptions& options) {
  Simulation sim(scenario, options);
  return sim.run();
}

std::string summaryLine(const an::Report& r) {
  return "sl=" + fixed(r.service_level.value_or(0), 4) +
         " asa_s=" + fixed(secondsOf(r.asa.value_or(Duration::zero())), 2) +
         " abandon=" + fixed(r.abandon_rate.value_or(0), 4) +
         " occupancy=" + fixed(r.occupancy.value_or(0), 4);
}

std::string formatReport(const SimResult& r) {
  std::string out = "simulated " + fixed(r.hours, 2) + " h, " + std::to_string(r.queues.size()) +
                    " queue(s), " + std::to_string(r.agents) + " agent(s), seed " +
                    std::to_string(r.seed) + ", preset " + r.preset + ", " +
                    std::to_string(r.arrivals) + " arrivals";
  if (r.blocked > 0) out += ", " + std::to_string(r.blocked) + " blocked (queue full)";
  out += "\n";
  for (const QueueOutcome& q : r.queues) {
    const an::Report& p = q.report;
    out += "queue " + q.id + ": offered=" + std::to_string(p.counts.enqueued) +
           " answered=" + std::to_string(p.counts.answered) +
           " abandoned=" + std::to_string(p.counts.abandoned) +
           " short_abandoned=" + std::to_string(p.counts.short_abandoned) +
           " flowed_out=" + std::to_string(p.counts.flowed_out) +
           " sl_threshold_s=" + fixed(q.sl_threshold_s, 0) + " " + summaryLine(p) +
           " aht_s=" + fixed(secondsOf(p.aht.value_or(Duration::zero())), 2) + "\n";
    if (q.erlang) {
      out += "erlang-c " + q.id + ": sl=" + fixed(q.erlang->serviceLevel(q.sl_threshold_s), 4) +
             " asa_s=" + fixed(q.erlang->asa_s, 2) + " p_wait=" + fixed(q.erlang->p_wait, 4) +
             " occupancy=" + fixed(q.erlang->occupancy, 4) + " (A=" + fixed(q.erlang->traffic, 3) +
             " Erlangs, c=" + std::to_string(q.erlang->agents) + ")\n";
    }
  }
  out += summaryLine(r.overall) + "\n";
  return out;
}

}  // namespace sb::sim
