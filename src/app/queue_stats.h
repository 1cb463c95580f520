// SPDX-License-Identifier: Apache-2.0
// QueueStats: windowed queue statistics (last 5 min, 15 min, 1 h, today) for the API, folded
// from the routing engine's segment events and agent state changes by analytics::Aggregator
// and read through a named metric preset (analytics/formulas.h: service level, ASA, abandon
// rate, AHT, occupancy). Pure: time comes from the events and the `now` arguments. Owned by
// the voice shard (fed from the center's observer there); not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analytics/aggregator.h"
#include "analytics/formulas.h"
#include "common/clock.h"
#include "common/result.h"
#include "routing/decision.h"

namespace sb::api {
struct RequestContext;
class Responder;
}  // namespace sb::api

namespace sb::app {

struct StatsWindow {
  std::string name;  // "5m", "15m", "1h", "today"
  Duration length{};
  bool today = false;
};

// The windows QueueStats keeps, in the spelling parseStatsWindow() returns.
std::vector<std::string> statsWindowNames();
// "5m" / "15m" / "1h" (also "300s", "900s", "60m", "3600s") and "today". InvalidArgument
// (field "window") for anything else, naming the supported windows.
Result<StatsWindow> parseStatsWindow(std::string_view text);

// Counts and metrics of one queue over one window, with the parameters they were computed
// under.
struct WindowedQueueStats {
  StatsWindow window;
  std::string preset;
  Duration threshold{};
  Duration short_abandon{};
  analytics::Report report;
};
// The API's JSON form: counts, serviceLevel / abandonRate / occupancy as fractions 0..1,
// asaSeconds / ahtSeconds; null where the denominator is zero (no data is not 0 %).
nlohmann::json toJson(const WindowedQueueStats& stats);

class QueueStats final {
 public:
  // `now` / `wall_now`: the same instant on both clocks; "today" starts at UTC midnight.
  QueueStats(MonoTime now, WallTime wall_now);
  QueueStats(const QueueStats&) = delete;
  QueueStats& operator=(const QueueStats&) = delete;

  void onSegment(const routing::SegmentEvent& event);
  // The agent entered routing state `to` at `at`; `queues` are the queues it serves (its
  // state time counts in each, for occupancy).
  void onAgentState(const routing::AgentId& agent, routing::AgentState to,
                    const std::vector<routing::QueueId>& queues, MonoTime at);

  // Statistics of `queue` over `window` under `preset` (analytics::presetByName names; the
  // threshold is the queue's service-level target). InvalidArgument for an unknown preset.
  Result<WindowedQueueStats> stats(const routing::QueueId& queue, const StatsWindow& window,
                                   std::string_view preset, Duration threshold,
                                   Duration short_abandon, MonoTime now) const;

 private:
  const analytics::Aggregator& aggregatorFor(const StatsWindow& window) const;

  // One aggregator per rolling window (the analytics ring merges all its buckets); the 15-min
  // one also keeps the real day for "today", the others a one-bucket "day" so their today
  // tallies stay small.
  std::unique_ptr<analytics::Aggregator> five_;
  std::unique_ptr<analytics::Aggregator> fifteen_;
  std::unique_ptr<analytics::Aggregator> hour_;
};

struct ApiContext;
// GET /api/v1/tenants/{tenantId}/queues/{queueId}/stats?window=15m[&preset=asterisk-sl]: the
// windowed statistics plus the live figures, answered from the voice shard (routes_agent.cpp).
// The live stats route hands requests with a `window` or `preset` query parameter here.
void respondWindowedQueueStats(ApiContext& ctx, const api::RequestContext& rc,
                               api::Responder respond);

}  // namespace sb::app
