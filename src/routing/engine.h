// SPDX-License-Identifier: Apache-2.0
// sb::routing::Engine: the ACD. A pure, deterministic state machine: callers feed it
// configuration, agent/interaction events and the current time (`now`); it appends the
// Decisions and SegmentEvents they cause to an Output the caller owns. No I/O, no threads,
// no clock reads. Not thread-safe: one owner executor calls it (STYLE.md §7, routing actor).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "routing/decision.h"
#include "routing/model.h"

namespace sb::routing {

struct EngineConfig {
  std::uint64_t seed = 1;                      // Random / WeightedRandom strategies
  int max_consecutive_timeouts = 3;            // offer timeouts in a row -> Away; 0 disables
  std::size_t why_history = 16384;             // why records kept, newest first out (ring buffer)
  std::size_t why_per_interaction = 8;         // at most this many (newest) returned by why()
  std::size_t why_candidates = 8;              // candidate notes kept per why record
  Duration max_busy = std::chrono::hours(12);  // busy lease; reconcile() releases older ones
  // true: every arrival is decided by the general candidate loop, never by the per-strategy
  // tight loops. Same decisions either way (slower); tests compare the two.
  bool reference_scan = false;
};

struct EnqueueResult {
  bool offered = false;     // an Offer was produced immediately
  std::size_t waiting = 0;  // interactions now waiting in the queue (excluding ringing ones)
};

enum class InteractionPhase : std::uint8_t { Waiting, Offered, Active };

struct AgentSnapshot {
  AgentId id;
  TenantId tenant;
  AgentState state = AgentState::Offline;
  AgentState requested = AgentState::Offline;  // Offline/Available/Away/Break as last set
  std::string break_reason;
  Presence presence = Presence::Available;
  bool reachable = true;
  bool routable = false;  // would receive an offer now (state, presence, reachability)
  std::uint64_t interactions_today = 0;  // accepted
  Duration talk_time{};                  // summed answer->complete
  MonoTime last_idle{};                  // last time all work ended (or login)
  int consecutive_timeouts = 0;
  int used_units = 0;
  std::array<int, kChannelCount> channel_count{};
  std::vector<InteractionId> reserved;  // outstanding offers
  std::vector<InteractionId> active;
  std::vector<InteractionId> wrapping;  // wrap-up holds
  std::optional<MonoTime> wrap_up_until;
  std::vector<QueueId> queues;  // queues the agent is a candidate for
};

struct InteractionSnapshot {
  InteractionId id;
  TenantId tenant;
  QueueId queue;                 // entry queue
  std::vector<QueueId> also_in;  // overflow queues reached by escalation
  Channel channel = Channel::Voice;
  InteractionPhase phase = InteractionPhase::Waiting;
  int priority = 0;        // interaction + queue priority, before aging
  std::uint32_t step = 0;  // active escalation step (0 = base)
  MonoTime enqueued_at{};
  std::vector<AgentId> offered_to;  // outstanding reservations
  std::optional<AgentId> agent;     // when Active
};

struct QueueSnapshot {
  QueueId id;
  TenantId tenant;
  std::size_t waiting = 0;          // in the queue's waiting set (entry or overflow)
  std::size_t candidates = 0;       // agents eligible at some step
  std::size_t open_candidates = 0;  // of those, routable with spare capacity now
  std::optional<MonoTime> oldest_enqueued_at;
};

struct EngineStats {
  std::uint64_t offers = 0;
  std::uint64_t accepts = 0;
  std::uint64_t declines = 0;
  std::uint64_t offer_timeouts = 0;
  std::uint64_t rescinds = 0;
  std::uint64_t enqueued = 0;
  std::uint64_t finished = 0;
  std::uint64_t queue_timeouts = 0;
  std::uint64_t escalations = 0;
  std::size_t waiting = 0;       // interactions in Waiting phase
  std::size_t interactions = 0;  // all live interactions
};

class Engine {
 public:
  explicit Engine(EngineConfig config = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- Configuration (live changes are safe at any time) ----
  // Creates or replaces a queue. Validates everything first (expressions are compiled here:
  // a malformed one fails with Errc::InvalidArgument, field "expression" or
  // "escalation[i].expression", message "position <n>: <reason>"). On replace, waiting
  // interactions keep their place; offers in flight stay valid. May produce Offers.
  Status upsertQueue(const QueueSpec& spec, MonoTime now, Output& out);
  // Waiting/ringing interactions are moved to spec.on_remove_overflow if set (Overflowed),
  // else handed back (InteractionReturned + InteractionFinished{Returned}). Active ones stay
  // with their agents until complete(). Errc::NotFound if unknown.
  Status removeQueue(const QueueId& id, MonoTime now, Output& out);
  // Creates or replaces an agent (skills, attributes, capacity). A new agent starts Offline.
  Status upsertAgent(const AgentSpec& spec, MonoTime now, Output& out);
  // Logs the agent out first (rescinding offers, releasing work), then forgets it.
  Status removeAgent(const AgentId& id, MonoTime now, Output& out);

  // ---- Agent events ----
  // `requested` must be Offline, Available, Away or Break (else Errc::InvalidArgument).
  // Leaving Available rescinds outstanding offers (interactions requeued at their place);
  // active work continues until complete(). `reason` is the break reason code.
  Status setAgentState(const AgentId& id, AgentState requested, std::string reason, MonoTime now,
                       Output& out);
  // Anything but Presence::Available stops offers (and rescinds outstanding ones).
  Status setPresence(const AgentId& id, Presence presence, MonoTime now, Output& out);
  // false (no SIP binding) behaves like presence != Available.
  Status setReachable(const AgentId& id, bool reachable, MonoTime now, Output& out);
  // Ends the agent's wrap-up holds now (then Available or the requested state).
  Status endWrapUp(const AgentId& id, MonoTime now, Output& out);

  // ---- Interaction events ----
  // Errc::AlreadyExists (id live), NotFound (queue), InvalidArgument (tenant/channel mismatch),
  // Unavailable (queue at max_size).
  Result<EnqueueResult> enqueue(const InteractionSpec& spec, MonoTime now, Output& out);
  // Agent accepted the offer: Assigned (+ Rescinds for other ring-all offers).
  // Errc::NotFound if the reservation is no longer outstanding (rescinded/expired).
  Status accept(ReservationId reservation, MonoTime now, Output& out);
  // Interaction goes back to its original place; agent skipped for decline_skip_time.
  Status decline(ReservationId reservation, MonoTime now, Output& out);
  // Active interaction ended: agent enters wrap-up (queue wrap_up_time) or frees capacity.
  Status complete(const InteractionId& id, MonoTime now, Output& out);
  // Caller left (waiting or ringing): rescinds offers, InteractionFinished{Abandoned}.
  // On an active interaction it behaves like complete().
  Status abandon(const InteractionId& id, MonoTime now, Output& out);
  // Reports hold on/off for analytics (SegmentEvent only). NotFound unless active.
  Status hold(const InteractionId& id, bool on, MonoTime now, Output& out);

  // ---- Time ----
  // Advances everything due at or before `now`: reservation timeouts, wrap-up ends,
  // escalation steps, ring-progressively additions, skip-window ends, max-wait expiry.
  void tick(MonoTime now, Output& out);
  // Earliest instant at which tick() has something to do; nullopt when nothing is pending.
  std::optional<MonoTime> nextDeadline() const;
  // Releases everything owned by interactions not in `live` (offers, active work,
  // wrap-up holds, waiting entries: InteractionFinished{Reconciled}) and busy leases older
  // than max_busy. Afterwards no agent is held by a non-existent interaction.
  void reconcile(MonoTime now, const std::unordered_set<InteractionId>& live, Output& out);

  // ---- Queries (O(1)/O(size of the answer) unless noted) ----
  std::optional<AgentSnapshot> agent(const AgentId& id) const;
  std::optional<InteractionSnapshot> interaction(const InteractionId& id) const;
  std::optional<QueueSnapshot> queue(const QueueId& id) const;
  // Why records of an interaction, oldest first; kept after it finishes (bounded history).
  std::vector<WhyPtr> why(const InteractionId& id) const;
  const EngineStats& stats() const;
  // Approximate heap bytes held by the engine (for the benchmark's bytes-per-waiting figure).
  std::size_t approximateMemory() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::routing
