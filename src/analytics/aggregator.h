// SPDX-License-Identifier: Apache-2.0
// Aggregator: folds segment events and agent state changes into live queue state and rolling
// (bucketed, e.g. last 15 min) and "today" tallies per queue, per agent and overall. Reading
// a tally and applying a MetricPreset (analytics/formulas.h) yields the metrics.
// Pure (time comes only from the events and the `now` arguments). Owned by one executor
// (routing/center, or the simulator); not thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <unordered_map>
#include <vector>

#include "analytics/segment_event.h"
#include "analytics/tally.h"
#include "analytics/windowed_tally.h"

namespace sb::analytics {

struct QueueLive {
  std::size_t waiting = 0;  // entered and not yet answered/abandoned/flowed out
  Duration longest_wait{};  // now − enqueue of the oldest waiting contact
  std::size_t agents_available = 0;
  std::size_t agents_busy = 0;
  std::size_t agents_wrap_up = 0;
  std::size_t agents_away = 0;
};

enum class Span {
  Window,  // the rolling window (WindowOptions: bucket_width × bucket_count)
  Today,   // since the last day boundary
};

class Aggregator {
 public:
  explicit Aggregator(WindowOptions options = {});
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Events should arrive in time order; late ones land in their own (still kept) bucket.
  // Events for unknown interactions are tolerated: an Answer without Enqueue counts with
  // zero wait; a Disconnect without Answer, HoldEnd without HoldStart etc. are ignored.
  void onSegment(const SegmentEvent& event);
  void onAgentState(const AgentStateEvent& event);

  QueueLive queueLive(const QueueId& queue, MonoTime now) const;
  // Tallies include the agent state time of intervals still open at `now`.
  Tally queueTally(const QueueId& queue, Span span, MonoTime now) const;
  Tally agentTally(const AgentId& agent, Span span, MonoTime now) const;
  Tally overallTally(Span span, MonoTime now) const;

  std::vector<QueueId> queues() const;
  std::vector<AgentId> agents() const;

 private:
  struct OpenInteraction {
    QueueId queue;
    AgentId agent;
    MonoTime enqueued{};
    MonoTime first_offer{};
    MonoTime answered_at{};
    MonoTime hold_since{};
    Duration hold{};
    bool offered = false;
    bool answered = false;
    bool on_hold = false;
  };
  struct Wrap {
    QueueId queue;
    AgentId agent;
    MonoTime since{};
  };
  struct AgentLive {
    AgentState state = AgentState::LoggedOut;
    MonoTime since{};
    std::vector<QueueId> queues;
  };

  WindowedTally& queueTallies(const QueueId& queue);
  WindowedTally& agentTallies(const AgentId& agent);
  void addAll(const QueueId& queue, const AgentId& agent, MonoTime at,
              const std::function<void(Tally&)>& fn);
  // Adds the open state interval of `live` clipped to the span ending at `now`.
  void addOpenInterval(Tally& out, const AgentLive& live, Span span, MonoTime now) const;
  Tally spanOf(const WindowedTally& w, Span span, MonoTime now) const;

  WindowOptions options_;
  std::unordered_map<InteractionId, OpenInteraction> open_;
  std::unordered_map<InteractionId, Wrap> wrapping_;
  std::map<QueueId, WindowedTally> queue_tallies_;
  std::map<AgentId, WindowedTally> agent_tallies_;
  std::map<AgentId, AgentLive> agents_;
  WindowedTally overall_;
};

}  // namespace sb::analytics
