// SPDX-License-Identifier: Apache-2.0
#include "app/queue_stats.h"

#include <optional>

namespace sb::app {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::size_t kBuckets = 15;

std::optional<analytics::SegmentKind> analyticsKind(routing::SegmentKind k) {
  using R = routing::SegmentKind;
  using A = analytics::SegmentKind;
  switch (k) {
    case R::Enqueue: return A::Enqueue;
    case R::Offer: return A::Offer;
    case R::Answer: return A::Answer;
    case R::HoldOn: return A::HoldStart;
    case R::HoldOff: return A::HoldEnd;
    case R::End: return A::Disconnect;
    case R::WrapUpStart: return A::WrapUpStart;
    case R::WrapUpEnd: return A::WrapUpEnd;
    case R::Abandon: return A::Abandon;
    case R::FlowOut: return A::FlowOut;
    // Offer outcomes other than an answer change no queue outcome (the call stays waiting).
    case R::Decline:
    case R::OfferTimeout:
    case R::Rescind:
    case R::Escalate: return std::nullopt;
  }
  return std::nullopt;
}

analytics::AgentState analyticsState(routing::AgentState s) {
  switch (s) {
    case routing::AgentState::Offline: return analytics::AgentState::LoggedOut;
    case routing::AgentState::Available: return analytics::AgentState::Available;
    case routing::AgentState::Reserved:
    case routing::AgentState::Busy: return analytics::AgentState::Busy;
    case routing::AgentState::WrapUp: return analytics::AgentState::WrapUp;
    case routing::AgentState::Away:
    case routing::AgentState::Break: return analytics::AgentState::Away;
  }
  return analytics::AgentState::LoggedOut;
}

std::unique_ptr<analytics::Aggregator> rolling(Duration window, MonoTime day_origin,
                                               std::optional<Duration> day_length) {
  analytics::WindowOptions o;
  o.bucket_count = kBuckets;
  o.bucket_width = window / static_cast<int>(kBuckets);
  o.day_origin = day_origin;
  o.day_length = day_length.value_or(o.bucket_width);
  return std::make_unique<analytics::Aggregator>(o);
}

nlohmann::json optionalNumber(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json optionalSeconds(const std::optional<Duration>& v) {
  return v ? nlohmann::json(std::chrono::duration<double>(*v).count()) : nlohmann::json(nullptr);
}

}  // namespace

std::vector<std::string> statsWindowNames() { return {"5m", "15m", "1h", "today"}; }

Result<StatsWindow> parseStatsWindow(std::string_view text) {
  if (text == "today") return StatsWindow{"today", std::chrono::hours(24), true};
  if (text == "5m" || text == "300s") return StatsWindow{"5m", minutes(5), false};
  if (text == "15m" || text == "900s") return StatsWindow{"15m", minutes(15), false};
  if (text == "1h" || text == "60m" || text == "3600s") return StatsWindow{"1h", minutes(60), false};
  return fail(Errc::InvalidArgument, "window must be one of 5m, 15m, 1h or today", "window");
}

nlohmann::json toJson(const WindowedQueueStats& s) {
  const auto& r = s.report;
  const auto& c = r.counts;
  return {{"window", s.window.name},
          {"windowSeconds", std::chrono::duration_cast<seconds>(s.window.length).count()},
          {"preset", s.preset},
          {"serviceLevelThresholdSeconds", std::chrono::duration<double>(s.threshold).count()},
          {"shortAbandonSeconds", std::chrono::duration<double>(s.short_abandon).count()},
          {"enqueued", c.enqueued},
          {"answered", c.answered},
          {"answeredWithinThreshold", c.answered_within},
          {"abandoned", c.abandoned},
          {"shortAbandoned", c.short_abandoned},
          {"flowedOut", c.flowed_out},
          {"handled", r.handled},
          {"serviceLevel", optionalNumber(r.service_level)},
          {"abandonRate", optionalNumber(r.abandon_rate)},
          {"asaSeconds", optionalSeconds(r.asa)},
          {"ahtSeconds", optionalSeconds(r.aht)},
          {"occupancy", optionalNumber(r.occupancy)}};
}

QueueStats::QueueStats(MonoTime now, WallTime wall_now) {
  // Monotonic instant of the last UTC midnight: analytics counts days from it.
  const auto since_midnight = wall_now.time_since_epoch() % std::chrono::hours(24);
  const MonoTime midnight = now - std::chrono::duration_cast<Duration>(since_midnight);
  five_ = rolling(minutes(5), now, std::nullopt);
  fifteen_ = rolling(minutes(15), midnight, std::chrono::hours(24));
  hour_ = rolling(minutes(60), now, std::nullopt);
}

void QueueStats::onSegment(const routing::SegmentEvent& e) {
  auto kind = analyticsKind(e.kind);
  if (!kind) return;
  analytics::SegmentEvent a;
  a.interaction = analytics::InteractionId(e.interaction.value());
  a.queue = analytics::QueueId(e.queue.value());
  a.agent = analytics::AgentId(e.agent.value());
  a.kind = *kind;
  a.at = e.at;
  five_->onSegment(a);
  fifteen_->onSegment(a);
  hour_->onSegment(a);
}

void QueueStats::onAgentState(const routing::AgentId& agent, routing::AgentState to,
                              const std::vector<routing::QueueId>& queues, MonoTime at) {
  analytics::AgentStateEvent a;
  a.agent = analytics::AgentId(agent.value());
  a.state = analyticsState(to);
  a.at = at;
  a.queues.reserve(queues.size());
  for (const auto& q : queues) a.queues.emplace_back(q.value());
  five_->onAgentState(a);
  fifteen_->onAgentState(a);
  hour_->onAgentState(a);
}

const analytics::Aggregator& QueueStats::aggregatorFor(const StatsWindow& w) const {
  if (w.today || w.length == minutes(15)) return *fifteen_;
  if (w.length == minutes(5)) return *five_;
  return *hour_;
}

Result<WindowedQueueStats> QueueStats::stats(const routing::QueueId& queue,
                                             const StatsWindow& window, std::string_view preset,
                                             Duration threshold, Duration short_abandon,
                                             MonoTime now) const {
  analytics::MetricPreset p;
  if (preset.empty() || preset == "switchboard") {
    p = analytics::switchboardPreset(threshold, short_abandon);
  } else {
    auto named = analytics::presetByName(preset, threshold);
    if (!named) {
      Error e = named.error();
      e.field = "preset";
      return std::unexpected(e);
    }
    p = std::move(*named);
  }
  const auto tally = aggregatorFor(window).queueTally(
      analytics::QueueId(queue.value()),
      window.today ? analytics::Span::Today : analytics::Span::Window, now);
  WindowedQueueStats out;
  out.window = window;
  out.preset = p.name;
  out.threshold = threshold;
  out.short_abandon = p.service_level.short_abandon;
  out.report = analytics::makeReport(tally, p);
  return out;
}

}  // namespace sb::app
