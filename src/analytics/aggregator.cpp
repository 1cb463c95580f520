// SPDX-License-Identifier: Apache-2.0
#include "analytics/aggregator.h"

#include <algorithm>

namespace sb::analytics {

std::string_view segmentKindName(SegmentKind kind) noexcept {
  switch (kind) {
    case SegmentKind::Enqueue:
      return "enqueue";
    case SegmentKind::Offer:
      return "offer";
    case SegmentKind::Answer:
      return "answer";
    case SegmentKind::HoldStart:
      return "hold_start";
    case SegmentKind::HoldEnd:
      return "hold_end";
    case SegmentKind::Disconnect:
      return "disconnect";
    case SegmentKind::WrapUpStart:
      return "wrap_up_start";
    case SegmentKind::WrapUpEnd:
      return "wrap_up_end";
    case SegmentKind::Abandon:
      return "abandon";
    case SegmentKind::FlowOut:
      return "flow_out";
  }
  return "?";
}

std::string_view agentStateName(AgentState state) noexcept {
  switch (state) {
    case AgentState::LoggedOut:
      return "logged_out";
    case AgentState::Available:
      return "available";
    case AgentState::Busy:
      return "busy";
    case AgentState::WrapUp:
      return "wrap_up";
    case AgentState::Away:
      return "away";
  }
  return "?";
}

Aggregator::Aggregator(WindowOptions options) : options_(options), overall_(options) {}

WindowedTally& Aggregator::queueTallies(const QueueId& queue) {
  return queue_tallies_.try_emplace(queue, options_).first->second;
}

WindowedTally& Aggregator::agentTallies(const AgentId& agent) {
  return agent_tallies_.try_emplace(agent, options_).first->second;
}

void Aggregator::addAll(const QueueId& queue, const AgentId& agent, MonoTime at,
                        const std::function<void(Tally&)>& fn) {
  queueTallies(queue).add(at, fn);
  overall_.add(at, fn);
  if (!agent.value().empty()) agentTallies(agent).add(at, fn);
}

void Aggregator::onSegment(const SegmentEvent& e) {
  const MonoTime at = e.at;
  switch (e.kind) {
    case SegmentKind::Enqueue: {
      OpenInteraction& rec = open_[e.interaction];
      rec = OpenInteraction{};
      rec.queue = e.queue;
      rec.enqueued = at;
      addAll(e.queue, AgentId{}, at, [](Tally& t) { ++t.enqueued; });
      return;
    }
    case SegmentKind::Offer: {
      auto it = open_.find(e.interaction);
      if (it == open_.end() || it->second.answered) return;
      if (!it->second.offered) {
        it->second.offered = true;
        it->second.first_offer = at;
      }
      it->second.agent = e.agent;
      return;
    }
    case SegmentKind::Answer: {
      auto [it, inserted] = open_.try_emplace(e.interaction);
      OpenInteraction& rec = it->second;
      if (inserted) {
        rec.queue = e.queue;
        rec.enqueued = at;
      }
      if (rec.answered) return;
      rec.answered = true;
      rec.answered_at = at;
      rec.agent = e.agent;
      const AnsweredSample sample{at - rec.enqueued,
                                  (rec.offered ? rec.first_offer : at) - rec.enqueued};
      addAll(rec.queue, AgentId{}, at, [&](Tally& t) { t.answered.push_back(sample); });
      return;
    }
    case SegmentKind::HoldStart: {
      auto it = open_.find(e.interaction);
      if (it == open_.end() || !it->second.answered || it->second.on_hold) return;
      it->second.on_hold = true;
      it->second.hold_since = at;
      return;
    }
    case SegmentKind::HoldEnd: {
      auto it = open_.find(e.interaction);
      if (it == open_.end() || !it->second.on_hold) return;
      it->second.on_hold = false;
      it->second.hold += at - it->second.hold_since;
      return;
    }
    case SegmentKind::Disconnect: {
      auto it = open_.find(e.interaction);
      if (it == open_.end()) return;
      OpenInteraction rec = std::move(it->second);
      open_.erase(it);
      if (!rec.answered) return;  // a hang-up before answer is reported as Abandon
      if (rec.on_hold) rec.hold += at - rec.hold_since;
      const Duration talk = (at - rec.answered_at) - rec.hold;
      const Duration hold = rec.hold;
      addAll(rec.queue, rec.agent, at, [&](Tally& t) {
        ++t.handled;
        t.talk += talk;
        t.hold += hold;
      });
      return;
    }
    case SegmentKind::WrapUpStart:
      wrapping_[e.interaction] = Wrap{e.queue, e.agent, at};
      return;
    case SegmentKind::WrapUpEnd: {
      auto it = wrapping_.find(e.interaction);
      if (it == wrapping_.end()) return;
      const Wrap w = std::move(it->second);
      wrapping_.erase(it);
      const Duration d = at - w.since;
      addAll(w.queue, w.agent, at, [&](Tally& t) { t.wrap_up += d; });
      return;
    }
    case SegmentKind::Abandon:
    case SegmentKind::FlowOut: {
      auto it = open_.find(e.interaction);
      if (it == open_.end() || it->second.answered) return;
      const Duration wait = at - it->second.enqueued;
      const QueueId queue = it->second.queue;
      open_.erase(it);
      const bool abandon = e.kind == SegmentKind::Abandon;
      addAll(queue, AgentId{}, at,
             [&](Tally& t) { (abandon ? t.abandon_waits : t.flow_out_waits).push_back(wait); });
      return;
    }
  }
}

void Aggregator::onAgentState(const AgentStateEvent& e) {
  AgentLive& live = agents_[e.agent];
  if (live.state != AgentState::LoggedOut && e.at > live.since) {
    agentTallies(e.agent).addStateInterval(live.state, live.since, e.at);
    overall_.addStateInterval(live.state, live.since, e.at);
    for (const QueueId& q : live.queues)
      queueTallies(q).addStateInterval(live.state, live.since, e.at);
  }
  live.state = e.state;
  live.since = e.at;
  live.queues = e.queues;
  agentTallies(e.agent);  // make the agent visible in agents() even before any time accrues
  for (const QueueId& q : live.queues) queueTallies(q);
}

QueueLive Aggregator::queueLive(const QueueId& queue, MonoTime now) const {
  QueueLive out;
  for (const auto& [id, rec] : open_) {
    if (rec.queue != queue || rec.answered) continue;
    ++out.waiting;
    out.longest_wait = std::max(out.longest_wait, now - rec.enqueued);
  }
  for (const auto& [id, live] : agents_) {
    if (std::find(live.queues.begin(), live.queues.end(), queue) == live.queues.end()) continue;
    switch (live.state) {
      case AgentState::Available:
        ++out.agents_available;
        break;
      case AgentState::Busy:
        ++out.agents_busy;
        break;
      case AgentState::WrapUp:
        ++out.agents_wrap_up;
        break;
      case AgentState::Away:
        ++out.agents_away;
        break;
      case AgentState::LoggedOut:
        break;
    }
  }
  return out;
}

void Aggregator::addOpenInterval(Tally& out, const AgentLive& live, Span span, MonoTime now) const {
  if (live.state == AgentState::LoggedOut || now <= live.since) return;
  MonoTime start;
  if (span == Span::Window) {
    const auto idx = overall_.bucketIndex(now);
    start = overall_.bucketStart(idx - static_cast<std::int64_t>(options_.bucket_count) + 1);
  } else {
    start = overall_.dayStart(overall_.dayIndex(now));
  }
  const MonoTime from = std::max(start, live.since);
  if (now > from) out.addStateTime(live.state, now - from);
}

Tally Aggregator::spanOf(const WindowedTally& w, Span span, MonoTime now) const {
  return span == Span::Window ? w.window(now) : w.today(now);
}

Tally Aggregator::queueTally(const QueueId& queue, Span span, MonoTime now) const {
  Tally out;
  if (auto it = queue_tallies_.find(queue); it != queue_tallies_.end()) {
    out = spanOf(it->second, span, now);
  }
  for (const auto& [id, live] : agents_) {
    if (std::find(live.queues.begin(), live.queues.end(), queue) != live.queues.end()) {
      addOpenInterval(out, live, span, now);
    }
  }
  return out;
}

Tally Aggregator::agentTally(const AgentId& agent, Span span, MonoTime now) const {
  Tally out;
  if (auto it = agent_tallies_.find(agent); it != agent_tallies_.end()) {
    out = spanOf(it->second, span, now);
  }
  if (auto it = agents_.find(agent); it != agents_.end()) {
    addOpenInterval(out, it->second, span, now);
  }
  return out;
}

Tally Aggregator::overallTally(Span span, MonoTime now) const {
  Tally out = spanOf(overall_, span, now);
  for (const auto& [id, live] : agents_) addOpenInterval(out, live, span, now);
  return out;
}

std::vector<QueueId> Aggregator::queues() const {
  std::vector<QueueId> out;
  for (const auto& [id, w] : queue_tallies_) out.push_back(id);
  return out;
}

std::vector<AgentId> Aggregator::agents() const {
  std::vector<AgentId> out;
  for (const auto& [id, w] : agent_tallies_) out.push_back(id);
  return out;
}

}  // namespace sb::analytics
