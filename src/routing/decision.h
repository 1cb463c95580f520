// SPDX-License-Identifier: Apache-2.0
// Decisions and segment events produced by sb::routing::Engine, plus the `why` record that
// explains each routing choice. Value types; every mutating Engine call appends to an Output
// the caller owns. Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "routing/model.h"

namespace sb::routing {

// Why a candidate agent was not picked (Exclusion::None = eligible, scored).
enum class Exclusion : std::uint8_t {
  None,
  NotRoutable,      // state not Available/Reserved/Busy, or logged out
  PresenceNotAvailable,
  Unreachable,      // no SIP binding
  NoCapacity,       // channel count, unit budget or voice-blocks-others
  MissingSkill,     // a required skill absent or below minimum
  ExpressionFalse,  // worker expression evaluated false
  Skipped,          // declined / timed out this interaction recently
  NotYetEscalated,  // eligible only from a later escalation step
  LowerTier,        // a lower penalty tier had eligible agents
  AlreadyOffered,   // ring strategies: already ringing this agent
  NotPicked,        // eligible but the strategy picked another one
};
const char* exclusionName(Exclusion e) noexcept;

struct CandidateNote {
  AgentId agent;
  Exclusion excluded = Exclusion::None;
  double score = 0;  // strategy score (meaning per rule; see docs/routing.md)
};

// The explanation returned with every Offer and kept per interaction (bounded history).
struct Why {
  std::string_view rule;     // static text, e.g. "longest-idle: min last_idle, tie agent id"
  QueueId queue;             // queue whose strategy decided
  std::uint32_t step = 0;    // escalation step active at decision time (0 = base)
  std::uint32_t considered = 0;  // candidates examined in total
  std::uint32_t eligible = 0;    // candidates that passed every filter
  // Static text: "arrival", "agent-available", "requeue", "escalation", "ring-progressive", ...
  std::string_view trigger;
  // For agent-available picks: interactions compared across the agent's queues.
  std::uint32_t interactions_compared = 0;
  double winning_score = 0;
  std::vector<CandidateNote> candidates;  // at most EngineConfig::why_candidates entries
};
using WhyPtr = std::shared_ptr<const Why>;

// ---- Decisions (what the caller must act on) ----
struct Offer {
  ReservationId reservation;
  InteractionId interaction;
  AgentId agent;
  QueueId queue;
  Channel channel = Channel::Voice;
  MonoTime deadline;  // reservation times out at this instant (tick())
  WhyPtr why;
};
enum class RescindReason : std::uint8_t {
  Abandoned,        // caller left
  AnotherAccepted,  // ring-all / ring-progressively: someone else took it
  AgentLoggedOut,   // agent went offline / away / break / unreachable / presence change
  QueueRemoved,
  TimedOut,         // interaction timed out of queue while ringing
  Reconciled,       // interaction no longer exists (reconcile)
};
struct Rescind {
  ReservationId reservation;
  InteractionId interaction;
  AgentId agent;
  RescindReason reason = RescindReason::Abandoned;
};
// The reservation expired unanswered (the caller should stop ringing the agent).
struct OfferTimedOut {
  ReservationId reservation;
  InteractionId interaction;
  AgentId agent;
};
// Accept confirmed: the interaction is now active on the agent.
struct Assigned {
  ReservationId reservation;
  InteractionId interaction;
  AgentId agent;
  QueueId queue;
};
struct AgentStateChanged {
  AgentId agent;
  AgentState from = AgentState::Offline;
  AgentState to = AgentState::Offline;
  std::string reason;  // break reason code, "timeouts", "presence", ...
};
// max_wait reached: leave the queue and apply the queue's action.
struct QueueTimeout {
  InteractionId interaction;
  QueueId queue;
  TimeoutAction action = TimeoutAction::Disconnect;
  std::string target;
};
// The interaction's queue was removed (or reconcile found it stale): handed back to the caller.
struct InteractionReturned {
  InteractionId interaction;
  QueueId queue;
  std::string reason;
};
struct Escalated {
  InteractionId interaction;
  QueueId queue;
  std::uint32_t step = 0;  // 1-based index of the step now active
};
// Moved (queue removal with on_remove_overflow) or added (escalation) to another queue.
struct Overflowed {
  InteractionId interaction;
  QueueId from;
  QueueId to;
};
// Terminal: emitted exactly once per enqueued interaction.
enum class FinishReason : std::uint8_t { Completed, Abandoned, TimedOut, Returned, Reconciled };
const char* finishReasonName(FinishReason r) noexcept;
struct InteractionFinished {
  InteractionId interaction;
  QueueId queue;
  FinishReason reason = FinishReason::Completed;
};

using Decision = std::variant<Offer, Rescind, OfferTimedOut, Assigned, AgentStateChanged,
                              QueueTimeout, InteractionReturned, Escalated, Overflowed,
                              InteractionFinished>;

// ---- Segment events (for analytics: timestamps per interaction/queue/agent) ----
enum class SegmentKind : std::uint8_t {
  Enqueue,       // entered queue (queue = entry queue)
  Offer,         // reservation created (agent set)
  Decline,       // agent declined
  OfferTimeout,  // reservation expired
  Rescind,       // reservation withdrawn (abandon, another accepted, logout, ...)
  Answer,        // accepted; wait = now - enqueued_at
  HoldOn,
  HoldOff,
  End,           // handling ended (complete); talk = now - answer
  WrapUpStart,
  WrapUpEnd,
  Abandon,       // caller left while waiting or ringing
  FlowOut,       // left the queue without answer: timeout, queue removed, overflow, reconcile
  Escalate,      // bullseye step reached
};
const char* segmentKindName(SegmentKind k) noexcept;

struct SegmentEvent {
  SegmentKind kind = SegmentKind::Enqueue;
  MonoTime at;
  TenantId tenant;
  QueueId queue;             // queue the interaction is attributed to (its entry queue)
  InteractionId interaction;
  AgentId agent;             // empty when no agent is involved
  Channel channel = Channel::Voice;
  MonoTime enqueued_at;      // for wait computations
  Duration service_level_threshold{};  // copied from the queue
  Duration short_abandon_threshold{};  // copied from the queue
  std::string detail;        // flow-out target queue, timeout action, rescind reason, ...
};

// Appended to by every mutating Engine call. The caller clears or drains it.
struct Output {
  std::vector<Decision> decisions;
  std::vector<SegmentEvent> events;
  void clear() {
    decisions.clear();
    events.clear();
  }
};

}  // namespace sb::routing
