// SPDX-License-Identifier: Apache-2.0
// The raw input of analytics: timestamped segment events of interactions and agent state
// changes, as emitted by routing/b2bua/center. Plain value types; thread-compatible.
// Metrics are computed later from these timestamps by named formulas (analytics/formulas.h),
// so no single service-level definition is baked into what is stored.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/strong_id.h"

namespace sb::analytics {

// Analytics keeps its own id types (it links sb_common only); callers convert from the
// routing/center ids by value().
using InteractionId = StrongId<struct InteractionIdTag>;
using QueueId = StrongId<struct QueueIdTag>;
using AgentId = StrongId<struct AgentIdTag>;

// Lifecycle of one interaction in one queue. Expected order:
//   Enqueue → (Offer)* → Answer → (HoldStart HoldEnd)* → Disconnect → [WrapUpStart → WrapUpEnd]
//   Enqueue → (Offer)* → Abandon | FlowOut
enum class SegmentKind {
  Enqueue,      // entered the queue (starts the wait)
  Offer,        // offered/ringing to an agent (may repeat after a no-answer)
  Answer,       // connected to the agent (ends the wait; starts talk)
  HoldStart,    // customer put on hold
  HoldEnd,      // customer taken off hold
  Disconnect,   // conversation ended (ends talk; the contact counts as handled)
  WrapUpStart,  // after-contact work started
  WrapUpEnd,    // after-contact work finished
  Abandon,      // customer hung up while waiting (queued or ringing)
  FlowOut,      // left the queue unanswered by routing (timeout, overflow, transfer out)
};

std::string_view segmentKindName(SegmentKind kind) noexcept;

struct SegmentEvent {
  InteractionId interaction;
  QueueId queue;
  AgentId agent;  // empty for Enqueue, Abandon and FlowOut
  SegmentKind kind = SegmentKind::Enqueue;
  MonoTime at{};
};

enum class AgentState {
  LoggedOut,  // not counted anywhere
  Available,  // idle and ready for work
  Busy,       // reserved, ringing or on a contact (talk or hold)
  WrapUp,     // after-contact work
  Away,       // logged in but not available (break, meeting...)
};
inline constexpr std::size_t kAgentStateCount = 5;
std::string_view agentStateName(AgentState state) noexcept;

// An agent entered `state` at `at`. `queues` is the agent's queue membership from then on:
// its state time is counted in each of those queues (an agent serving two queues counts in both).
struct AgentStateEvent {
  AgentId agent;
  AgentState state = AgentState::LoggedOut;
  std::vector<QueueId> queues;
  MonoTime at{};
};

}  // namespace sb::analytics
