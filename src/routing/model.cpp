// SPDX-License-Identifier: Apache-2.0
#include "routing/model.h"

#include <array>
#include <utility>

#include "routing/decision.h"

namespace sb::routing {

const char* channelName(Channel c) noexcept {
  switch (c) {
    case Channel::Voice: return "voice";
    case Channel::Chat: return "chat";
    case Channel::Email: return "email";
    case Channel::Message: return "message";
    case Channel::Callback: return "callback";
    case Channel::Task: return "task";
  }
  return "voice";
}

std::optional<Channel> channelFromName(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kChannelCount; ++i) {
    auto c = static_cast<Channel>(i);
    if (name == channelName(c)) return c;
  }
  return std::nullopt;
}

const char* agentStateName(AgentState s) noexcept {
  switch (s) {
    case AgentState::Offline: return "offline";
    case AgentState::Available: return "available";
    case AgentState::Reserved: return "reserved";
    case AgentState::Busy: return "busy";
    case AgentState::WrapUp: return "wrap-up";
    case AgentState::Away: return "away";
    case AgentState::Break: return "break";
  }
  return "offline";
}

std::optional<AgentState> requestedStateFromName(std::string_view name) noexcept {
  for (AgentState s : kRequestedStates) {
    if (name == agentStateName(s)) return s;
  }
  return std::nullopt;
}

const char* strategyName(Strategy s) noexcept {
  switch (s) {
    case Strategy::LongestIdle: return "longest-idle";
    case Strategy::RoundRobinMemory: return "rrmemory";
    case Strategy::RoundRobinOrdered: return "rrordered";
    case Strategy::FewestInteractions: return "fewest-interactions";
    case Strategy::LeastTalkTime: return "least-talk-time";
    case Strategy::BestSkill: return "best-skill";
    case Strategy::Linear: return "linear";
    case Strategy::RingAll: return "ring-all";
    case Strategy::RingProgressively: return "ring-progressively";
    case Strategy::Random: return "random";
    case Strategy::WeightedRandom: return "weighted-random";
  }
  return "longest-idle";
}

std::optional<Strategy> strategyFromName(std::string_view name) noexcept {
  // Our names first, then the FreeSWITCH mod_callcenter and Asterisk app_queue spellings.
  static constexpr std::array<std::pair<std::string_view, Strategy>, 27> kNames{{
      {"longest-idle", Strategy::LongestIdle},
      {"leastrecent", Strategy::LongestIdle},
      {"longest-idle-agent", Strategy::LongestIdle},
      {"rrmemory", Strategy::RoundRobinMemory},
      {"round-robin", Strategy::RoundRobinMemory},
      {"rrordered", Strategy::RoundRobinOrdered},
      {"fewest-interactions", Strategy::FewestInteractions},
      {"fewestcalls", Strategy::FewestInteractions},
      {"agent-with-fewest-calls", Strategy::FewestInteractions},
      {"least-talk-time", Strategy::LeastTalkTime},
      {"agent-with-least-talk-time", Strategy::LeastTalkTime},
      {"best-skill", Strategy::BestSkill},
      {"linear", Strategy::Linear},
      {"top-down", Strategy::Linear},
      {"sequentially-by-agent-order", Strategy::Linear},
      {"ring-all", Strategy::RingAll},
      {"ringall", Strategy::RingAll},
      {"ring-progressively", Strategy::RingProgressively},
      {"random", Strategy::Random},
      {"weighted-random", Strategy::WeightedRandom},
      {"wrandom", Strategy::WeightedRandom},
      {"longest_idle", Strategy::LongestIdle},
      {"round_robin", Strategy::RoundRobinMemory},
      {"fewest_calls", Strategy::FewestInteractions},
      {"least_talk_time", Strategy::LeastTalkTime},
      {"best_skill", Strategy::BestSkill},
      {"ring_all", Strategy::RingAll},
  }};
  for (const auto& [n, s] : kNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

const char* timeoutActionName(TimeoutAction a) noexcept {
  switch (a) {
    case TimeoutAction::Disconnect: return "disconnect";
    case TimeoutAction::Voicemail: return "voicemail";
    case TimeoutAction::Transfer: return "transfer";
    case TimeoutAction::Callback: return "callback";
  }
  return "disconnect";
}

const char* exclusionName(Exclusion e) noexcept {
  switch (e) {
    case Exclusion::None: return "eligible";
    case Exclusion::NotRoutable: return "not-routable";
    case Exclusion::PresenceNotAvailable: return "presence-not-available";
    case Exclusion::Unreachable: return "unreachable";
    case Exclusion::NoCapacity: return "no-capacity";
    case Exclusion::MissingSkill: return "missing-skill";
    case Exclusion::ExpressionFalse: return "expression-false";
    case Exclusion::Skipped: return "skipped";
    case Exclusion::NotYetEscalated: return "not-yet-escalated";
    case Exclusion::LowerTier: return "lower-tier-first";
    case Exclusion::AlreadyOffered: return "already-offered";
    case Exclusion::NotPicked: return "not-picked";
  }
  return "eligible";
}

const char* finishReasonName(FinishReason r) noexcept {
  switch (r) {
    case FinishReason::Completed: return "completed";
    case FinishReason::Abandoned: return "abandoned";
    case FinishReason::TimedOut: return "timed-out";
    case FinishReason::Returned: return "returned";
    case FinishReason::Reconciled: return "reconciled";
  }
  return "completed";
}

const char* segmentKindName(SegmentKind k) noexcept {
  switch (k) {
    case SegmentKind::Enqueue: return "enqueue";
    case SegmentKind::Offer: return "offer";
    case SegmentKind::Decline: return "decline";
    case SegmentKind::OfferTimeout: return "offer-timeout";
    case SegmentKind::Rescind: return "rescind";
    case SegmentKind::Answer: return "answer";
    case SegmentKind::HoldOn: return "hold-on";
    case SegmentKind::HoldOff: return "hold-off";
    case SegmentKind::End: return "end";
    case SegmentKind::WrapUpStart: return "wrap-up-start";
    case SegmentKind::WrapUpEnd: return "wrap-up-end";
    case SegmentKind::Abandon: return "abandon";
    case SegmentKind::FlowOut: return "flow-out";
    case SegmentKind::Escalate: return "escalate";
  }
  return "enqueue";
}

}  // namespace sb::routing
