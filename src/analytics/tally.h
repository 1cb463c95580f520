// SPDX-License-Identifier: Apache-2.0
// Tally: everything observed in one time bucket (or a merge of buckets), kept raw enough
// that every formula parameter (threshold, short-abandon, included outcomes) can be applied
// when the metric is read: one wait sample per concluded contact plus duration sums.
// Value type; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "analytics/segment_event.h"
#include "common/clock.h"

namespace sb::analytics {

struct AnsweredSample {
  Duration wait{};        // enqueue → answer (includes ringing)
  Duration offer_wait{};  // enqueue → first offer (queue time without ringing)
};

struct Tally {
  std::uint64_t enqueued = 0;            // contacts that entered the queue
  std::vector<AnsweredSample> answered;  // one per Answer
  std::vector<Duration> abandon_waits;   // enqueue → abandon, one per Abandon
  std::vector<Duration> flow_out_waits;  // enqueue → flow-out, one per FlowOut
  std::uint64_t handled = 0;             // Disconnects after an Answer
  Duration talk{};                       // answer → disconnect, minus hold
  Duration hold{};
  Duration wrap_up{};
  std::array<Duration, kAgentStateCount> state_time{};  // indexed by AgentState

  Duration stateTime(AgentState s) const { return state_time[static_cast<std::size_t>(s)]; }
  void addStateTime(AgentState s, Duration d) { state_time[static_cast<std::size_t>(s)] += d; }
  void merge(const Tally& other);
  void clear();  // keeps vector capacity: ring buckets are reused every bucket period
};

}  // namespace sb::analytics
