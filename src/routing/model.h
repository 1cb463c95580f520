// SPDX-License-Identifier: Apache-2.0
// Routing model: ids, enums and the value specs (agent, queue, interaction) fed to sb::routing::Engine.
// Plain value types owned by the caller; copied into the engine on upsert. Thread-compatible.
// docs/routing.md explains every field; strategy names map to FreeSWITCH/Asterisk/TaskRouter names.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/strong_id.h"

namespace sb::routing {

struct AgentTag {};
struct QueueTag {};
struct InteractionTag {};
struct TenantTag {};
struct ReservationTag {};
using AgentId = StrongId<AgentTag>;
using QueueId = StrongId<QueueTag>;
using InteractionId = StrongId<InteractionTag>;
using TenantId = StrongId<TenantTag>;
// Engine-assigned, unique for the engine's lifetime, never 0.
using ReservationId = StrongId<ReservationTag, std::uint64_t>;

enum class Channel : std::uint8_t { Voice, Chat, Email, Message, Callback, Task };
inline constexpr std::size_t kChannelCount = 6;
const char* channelName(Channel c) noexcept;
std::optional<Channel> channelFromName(std::string_view name) noexcept;

// The one authoritative agent routing state (docs/routing.md "Agent state machine").
// Offline/Available/Away/Break are requested by the agent or a supervisor; Reserved, Busy
// and WrapUp are derived from the work the engine tracks for the agent.
enum class AgentState : std::uint8_t {
  Offline,    // logged out: no offers
  Available,  // logged in, ready, nothing reserved or active
  Reserved,   // has >= 1 outstanding offer and nothing active
  Busy,       // has >= 1 accepted (active) interaction
  WrapUp,     // nothing active, >= 1 wrap-up timer running
  Away,       // logged in, not ready (also set after N offer timeouts in a row)
  Break,      // logged in, not ready, with a reason code
};
const char* agentStateName(AgentState s) noexcept;
// The states an agent (or a supervisor) may request, and one of them by agentStateName().
inline constexpr AgentState kRequestedStates[] = {AgentState::Offline, AgentState::Available,
                                                  AgentState::Away, AgentState::Break};
std::optional<AgentState> requestedStateFromName(std::string_view name) noexcept;

// Presence as reported by the presence module. Only Available receives offers.
enum class Presence : std::uint8_t { Available, Busy, Away, DoNotDisturb, Offline };

// Strategy: how an arriving interaction picks among several eligible agents.
// Names accepted by strategyFromName() include the FreeSWITCH mod_callcenter and
// Asterisk app_queue spellings (see docs/routing.md for exact tie-breaks).
enum class Strategy : std::uint8_t {
  LongestIdle,          // leastrecent, longest-idle-agent (default)
  RoundRobinMemory,     // rrmemory, round-robin
  RoundRobinOrdered,    // rrordered
  FewestInteractions,   // fewestcalls, agent-with-fewest-calls
  LeastTalkTime,        // agent-with-least-talk-time
  BestSkill,            // best-skill (highest proficiency, ties longest idle)
  Linear,               // linear, top-down, sequentially-by-agent-order
  RingAll,              // ringall, ring-all
  RingProgressively,    // ring-progressively
  Random,               // random
  WeightedRandom,       // wrandom
};
const char* strategyName(Strategy s) noexcept;
std::optional<Strategy> strategyFromName(std::string_view name) noexcept;

struct SkillRequirement {
  std::string skill;
  int min_level = 1;  // 1..10
};

// Capacity (docs/routing.md "Capacity"): an offer of channel C fits when
//   count[C] + 1 <= max_per_channel[C]
//   AND (total_units == 0 OR used_units + unit_cost[C] <= total_units)
//   AND (!voice_blocks_others OR (C == Voice ? no other work : no voice work)).
// Reservations, active interactions and wrap-up holds all count.
struct Capacity {
  std::array<int, kChannelCount> max_per_channel{1, 3, 5, 3, 1, 1};
  int total_units = 0;  // 0: unit budget not used
  std::array<int, kChannelCount> unit_cost{100, 25, 20, 25, 100, 50};
  bool voice_blocks_others = true;
};

struct AgentSpec {
  AgentId id;
  TenantId tenant;
  std::vector<std::pair<std::string, int>> skills;      // name -> proficiency 1..10
  std::vector<std::pair<std::string, std::string>> attributes;  // e.g. team, language
  Capacity capacity;
};

struct QueueMember {
  AgentId agent;
  int penalty = 0;   // lower tiers are tried first by every strategy (Asterisk penalty, FS tier level)
  int position = 0;  // order inside a tier (linear, rrordered, ring-progressively)
  double weight = 1.0;  // WeightedRandom weight (> 0)
};

// What happens to an interaction that waited max_wait (or was in a removed queue).
enum class TimeoutAction : std::uint8_t { Disconnect, Voicemail, Transfer, Callback };
const char* timeoutActionName(TimeoutAction a) noexcept;

// Bullseye ring: applies once the interaction has waited `after` (measured from enqueue).
struct EscalationStep {
  Duration after{};
  std::optional<std::vector<SkillRequirement>> skills;  // replaces the queue's requirements
  std::vector<QueueId> overflow_queues;                 // interaction also waits in these
  std::vector<AgentId> add_agents;                      // agents eligible from this step on
  std::optional<std::string> expression;                // replaces the worker expression
};

struct QueueSpec {
  QueueId id;
  TenantId tenant;
  std::vector<Channel> channels{Channel::Voice};
  std::vector<SkillRequirement> skills;
  std::string expression;  // worker expression; empty = everyone qualifies
  int priority = 0;        // added to the interaction's own priority
  Strategy strategy = Strategy::LongestIdle;
  Duration max_wait{};     // 0: no limit
  std::size_t max_size = 0;  // 0: unlimited
  TimeoutAction timeout_action = TimeoutAction::Disconnect;
  std::string timeout_target;  // transfer/voicemail target passed back with QueueTimeout
  Duration service_level_threshold = std::chrono::seconds(20);  // for analytics
  Duration short_abandon_threshold = std::chrono::seconds(5);   // for analytics
  Duration wrap_up_time{};
  Duration reservation_timeout = std::chrono::seconds(20);
  Duration decline_skip_time = std::chrono::seconds(30);  // agent skipped for that interaction
  Duration ring_progressive_interval = std::chrono::seconds(10);
  double aging_rate = 0.0;  // priority points gained per second of wait
  double weight = 1.0;      // multiplies the effective priority across queues (> 0)
  std::vector<EscalationStep> escalation;  // sorted by `after` on save
  // Empty: every agent of the tenant with the skills is eligible (skills-based queue).
  // Non-empty: only these agents (plus escalation add_agents).
  std::vector<QueueMember> members;
  // Where waiting interactions go when the queue is removed (empty: returned to caller).
  std::optional<QueueId> on_remove_overflow;
};

struct InteractionSpec {
  InteractionId id;
  TenantId tenant;
  Channel channel = Channel::Voice;
  QueueId queue;
  int priority = 0;
  std::vector<std::pair<std::string, std::string>> attributes;  // e.g. language, vip
  std::vector<SkillRequirement> skills;  // in addition to the queue's
  // Time the interaction entered the contact center (kept on overflow); unset = now.
  std::optional<MonoTime> enqueued_at;
};

}  // namespace sb::routing
