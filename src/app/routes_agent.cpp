// SPDX-License-Identifier: Apache-2.0
// Agent work routes (offers, interactions, decline, accept, end of wrap-up, with /api/v1/me
// shortcuts), windowed queue statistics, and the voice shard's side of the live API: offer and
// call events, `queue.stats` every second, per-queue Prometheus series and event-loop lag.
//
// Accepting a voice offer: the offer *is* the agent's phone ringing, and the B2BUA cannot make
// a phone answer. POST .../accept on a voice offer therefore answers 409 with that explanation;
// the offer is accepted when the phone answers (offer.accepted / call.answered events follow).
// Declining works from the API: the ringing leg is cancelled and the next agent is offered.
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <unordered_map>

#include "api/loop_lag.h"
#include "app/queue_stats.h"
#include "app/routes.h"
#include "app/text.h"
#include "common/log.h"
#include "presence/iso8601.h"

namespace sb::app {

namespace {

nlohmann::json optionalTime(const std::optional<WallTime>& t) {
  return t ? nlohmann::json(presence::formatIsoDateTime(*t)) : nlohmann::json(nullptr);
}

nlohmann::json callJson(const center::CallView& c) {
  return {{"interactionId", c.id},
          {"tenantId", c.tenant},
          {"queueId", c.queue},
          {"userId", c.user},
          {"caller", c.caller},
          {"called", c.called},
          {"channel", "voice"},
          {"state", c.state},
          {"offeredAt", optionalTime(c.offered)},
          {"answeredAt", optionalTime(c.answered)}};
}

nlohmann::json agentJson(const std::string& tenant, const std::string& user,
                         const routing::AgentSnapshot& a, MonoTime now) {
  nlohmann::json j = {{"userId", user},
                      {"tenantId", tenant},
                      {"state", lowerAscii(routing::agentStateName(a.state))},
                      {"requested", lowerAscii(routing::agentStateName(a.requested))},
                      {"reason", a.break_reason},
                      {"routable", a.routable},
                      {"reachable", a.reachable},
                      {"offers", a.reserved.size()},
                      {"active", a.active.size()},
                      {"wrapUps", a.wrapping.size()},
                      {"wrapUpRemainingSeconds", nullptr}};
  if (a.wrap_up_until && *a.wrap_up_until > now) {
    j["wrapUpRemainingSeconds"] = std::chrono::duration<double>(*a.wrap_up_until - now).count();
  }
  return j;
}

// Which segment kinds become offer.* events.
const char* offerEventType(routing::SegmentKind k) {
  switch (k) {
    case routing::SegmentKind::Offer:
      return "offer.created";
    case routing::SegmentKind::Answer:
      return "offer.accepted";
    case routing::SegmentKind::Decline:
      return "offer.declined";
    case routing::SegmentKind::OfferTimeout:
      return "offer.timedout";
    case routing::SegmentKind::Rescind:
      return "offer.rescinded";
    default:
      return nullptr;
  }
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

namespace {

// The voice shard's observer for the API: statistics, events, metrics. Created on the main
// thread before the shard runs; afterwards used only on the voice shard (observer callbacks,
// the 1-second timer, and stats reads posted there by onVoice()).
class AgentOps final : public center::CenterObserver,
                       public std::enable_shared_from_this<AgentOps> {
 public:
  explicit AgentOps(ApiContext& ctx)
      : ctx_(ctx),
        stats_(ctx.clock.now(), ctx.clock.wallNow()),
        lag_(ctx.registry),
        waiting_(ctx.registry.gauge("sb_queue_waiting", "Interactions waiting in the queue",
                                    {"tenant", "queue"})),
        longest_(ctx.registry.gauge("sb_queue_longest_wait_seconds",
                                    "Wait of the oldest waiting interaction", {"tenant", "queue"})),
        available_(ctx.registry.gauge("sb_queue_agents_available",
                                      "Agents of the queue who could take an offer now",
                                      {"tenant", "queue"})),
        service_level_(ctx.registry.gauge(
            "sb_queue_service_level",
            "Service level (switchboard preset, queue threshold) over the window; NaN: no data",
            {"tenant", "queue", "window"})),
        answered_(ctx.registry.counter("sb_queue_answered_total", "Queue calls answered",
                                       {"tenant", "queue"})),
        abandoned_(ctx.registry.counter("sb_queue_abandoned_total",
                                        "Queue calls abandoned while waiting or ringing",
                                        {"tenant", "queue"})),
        enqueued_(ctx.registry.counter("sb_queue_enqueued_total", "Calls that entered the queue",
                                       {"tenant", "queue"})),
        calls_active_(
            ctx.registry.gauge("sb_calls_active", "Calls in progress (all kinds)").with({})) {}

  ~AgentOps() override { lag_.stop(); }

  // Main thread, before the voice shard and the API threads run.
  void start() {
    if (ctx_.voice != nullptr) {
      ctx_.voice->center().addObserver(this);
      timer_.emplace(*ctx_.voice_io);
      std::weak_ptr<AgentOps> weak = weak_from_this();
      boost::asio::post(*ctx_.voice_io, [weak] {
        if (auto self = weak.lock()) self->arm();
      });
      lag_.watch(*ctx_.voice_io, "sip0");
    }
    auto& api_io = static_cast<boost::asio::io_context&>(
        boost::asio::query(ctx_.api_executor, boost::asio::execution::context));
    lag_.watch(api_io, "api");
  }

  QueueStats& stats() { return stats_; }

  // center::CenterObserver (voice shard)
  void onSegment(const routing::SegmentEvent& e) override {
    stats_.onSegment(e);
    liveChanged();
    auto who = center::splitQualified(e.agent.value());
    auto queue = center::splitQualified(e.queue.value());
    const std::string local_queue = queue ? queue->second : e.queue.value();
    switch (e.kind) {
      case routing::SegmentKind::Enqueue:
        counter(enqueued_, e).inc();
        break;
      case routing::SegmentKind::Answer:
        counter(answered_, e).inc();
        break;
      case routing::SegmentKind::Abandon:
        counter(abandoned_, e).inc();
        break;
      default:
        break;
    }
    const char* type = offerEventType(e.kind);
    if (type == nullptr || !who || ctx_.hub == nullptr) return;
    std::string user(who->second);
    std::optional<double> wait;
    if (e.kind == routing::SegmentKind::Answer) wait = seconds(e.at - e.enqueued_at);
    // The data is built on the hub's strand, if anyone receives the event (make_data).
    ctx_.hub->publish({type,
                       std::string(who->first),
                       {},
                       api::Permission::Interactions,
                       user,
                       [interaction = e.interaction.value(), local_queue, user, channel = e.channel,
                        detail = e.detail, wait] {
                         nlohmann::json data = {{"interactionId", interaction},
                                                {"queueId", local_queue},
                                                {"userId", user},
                                                {"channel", routing::channelName(channel)}};
                         if (!detail.empty()) data["reason"] = detail;
                         if (wait) data["waitSeconds"] = *wait;
                         return data;
                       }});
  }

  void onAgentState(const routing::AgentStateChanged& change) override {
    liveChanged();
    auto snap = ctx_.voice->center().engine().agent(change.agent);
    stats_.onAgentState(change.agent, change.to,
                        snap ? snap->queues : std::vector<routing::QueueId>{}, ctx_.clock.now());
  }

  void onCall(const center::CallView& call) override {
    if (ctx_.hub == nullptr) return;
    ctx_.hub->publish(
        {"call." + call.state, call.tenant, {}, api::Permission::Interactions, call.user, [call] {
           return callJson(call);
         }});
  }

 private:
  metrics::Counter& counter(metrics::CounterFamily& family, const routing::SegmentEvent& e) {
    auto key = std::make_pair(&family, e.queue.value());
    auto it = counters_.find(key);
    if (it != counters_.end()) return *it->second;
    auto q = center::splitQualified(e.queue.value());
    auto& c = q ? family.with({q->first, q->second}) : family.with({"", e.queue.value()});
    counters_.emplace(key, &c);
    return c;
  }

  void arm() {
    timer_->expires_after(std::chrono::seconds(1));
    std::weak_ptr<AgentOps> weak = weak_from_this();
    timer_->async_wait([weak](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        self->tick();
        self->arm();
      }
    });
  }

  // Every second on the voice shard: per-queue gauges and one queue.stats event per queue.
  void tick() {
    auto& vc = ctx_.voice->center();
    const auto now = ctx_.clock.now();
    calls_active_.set(static_cast<double>(vc.activeInteractions()));
    const auto window = *parseStatsWindow("15m");
    publishLive(now);
    for (const auto& t : vc.directory().tenants()) {
      for (const auto& q : t.queues) {
        auto snap = vc.engine().queue(q.routing.id);
        if (!snap) continue;
        double longest = 0;
        if (snap->oldest_enqueued_at) longest = seconds(now - *snap->oldest_enqueued_at);
        auto w =
            stats_.stats(q.routing.id, window, "switchboard", q.routing.service_level_threshold,
                         q.routing.short_abandon_threshold, now);
        waiting_.with({t.id, q.id}).set(static_cast<double>(snap->waiting));
        longest_.with({t.id, q.id}).set(longest);
        available_.with({t.id, q.id}).set(static_cast<double>(snap->open_candidates));
        const auto& report = w->report;
        service_level_.with({t.id, q.id, "15m"})
            .set(report.service_level ? *report.service_level
                                      : std::numeric_limits<double>::quiet_NaN());
        if (ctx_.hub == nullptr) continue;
        nlohmann::json data = {{"queueId", q.id},
                               {"waiting", snap->waiting},
                               {"longestWaitSeconds", longest},
                               {"agentsAvailable", snap->open_candidates},
                               {"agentsEligible", snap->candidates},
                               {"window", toJson(*w)}};
        ctx_.hub->publish({"queue.stats", t.id, std::move(data), api::Permission::Monitor, ""});
      }
    }
  }

  // The live figures of every queue, for the statistics route on the HTTP loops.
  void publishLive(MonoTime now) {
    auto& vc = ctx_.voice->center();
    auto live = std::make_shared<LiveQueues>();
    live->taken_at = now;
    for (const auto& t : vc.directory().tenants()) {
      for (const auto& q : t.queues) {
        if (auto snap = vc.engine().queue(q.routing.id)) {
          live->queues.emplace(std::pair(t.id, q.id), std::move(*snap));
        }
      }
    }
    ctx_.live_queues.publish(std::move(live));
  }

  // Waiting counts or agent states changed: publish fresh figures once this burst of changes
  // is over instead of at the next tick, so a reader rarely sees figures older than the change.
  void liveChanged() {
    if (live_pending_) return;
    live_pending_ = true;
    std::weak_ptr<AgentOps> weak = weak_from_this();
    boost::asio::post(*ctx_.voice_io, [weak] {
      if (auto self = weak.lock()) {
        self->live_pending_ = false;
        self->publishLive(self->ctx_.clock.now());
      }
    });
  }

  ApiContext& ctx_;
  QueueStats stats_;
  api::LoopLagMonitor lag_;
  metrics::GaugeFamily& waiting_;
  metrics::GaugeFamily& longest_;
  metrics::GaugeFamily& available_;
  metrics::GaugeFamily& service_level_;
  metrics::CounterFamily& answered_;
  metrics::CounterFamily& abandoned_;
  metrics::CounterFamily& enqueued_;
  metrics::Gauge& calls_active_;
  std::optional<boost::asio::steady_timer> timer_;
  bool live_pending_ = false;  // a publishLive() is posted
  std::map<std::pair<const void*, std::string>, metrics::Counter*> counters_;
};

// The AgentOps of each live ApiContext, for the live stats route in routes_voice.cpp.
std::mutex g_ops_mu;
std::map<const ApiContext*, std::weak_ptr<AgentOps>> g_ops;  // GUARDED_BY(g_ops_mu)

std::shared_ptr<AgentOps> opsFor(const ApiContext& ctx) {
  std::lock_guard lock(g_ops_mu);
  auto it = g_ops.find(&ctx);
  return it == g_ops.end() ? nullptr : it->second.lock();
}

struct Target {
  std::string tenant;
  std::string user;
};

// The agent a request is about: {tenantId}/{userId} params, or the principal for /me routes.
std::optional<Target> targetOf(const api::RequestContext& rc) {
  if (!rc.param("tenantId").empty()) {
    return Target{std::string(rc.param("tenantId")), std::string(rc.param("userId"))};
  }
  if (!rc.principal || rc.principal->tenant_id.empty()) return std::nullopt;
  return Target{rc.principal->tenant_id, rc.principal->user_id};
}

api::HttpResponse noAgent() {
  return api::errorResponse(api::Surface::Api, Error(Errc::NotFound, "no such agent", "userId"));
}

}  // namespace

void respondWindowedQueueStats(ApiContext& ctx, const api::RequestContext& rc,
                               api::Responder respond) {
  auto window = parseStatsWindow(rc.request.queryParam("window").value_or("15m"));
  if (!window) return respond(rc.error(window.error()));
  std::string preset(rc.request.queryParam("preset").value_or("switchboard"));
  auto ops = opsFor(ctx);
  if (!ops) {
    return respond(rc.error(Error(Errc::Unavailable, "statistics are not running")));
  }
  const std::string tenant(rc.param("tenantId"));
  const std::string queue(rc.param("queueId"));
  ctx.onVoice(
      std::move(respond), [&ctx, ops, tenant, queue, w = *window, preset](center::VoiceCenter& vc) {
        const auto* q = vc.directory().queue(tenant, queue);
        auto snap = q ? vc.engine().queue(q->routing.id) : std::nullopt;
        if (!snap) {
          return api::errorResponse(api::Surface::Api,
                                    Error(Errc::NotFound, "no such queue", "queueId"));
        }
        const auto now = ctx.clock.now();
        auto s = ops->stats().stats(q->routing.id, w, preset, q->routing.service_level_threshold,
                                    q->routing.short_abandon_threshold, now);
        if (!s) return api::errorResponse(api::Surface::Api, s.error());
        nlohmann::json j = toJson(*s);
        j["queueId"] = queue;
        j["tenantId"] = tenant;
        j["waiting"] = snap->waiting;
        j["longestWaitSeconds"] =
            snap->oldest_enqueued_at ? seconds(now - *snap->oldest_enqueued_at) : 0.0;
        j["agentsEligible"] = snap->candidates;
        j["agentsAvailable"] = snap->open_candidates;
        return api::HttpResponse::json(200, j);
      });
}

Status registerAgentRoutes(ApiContext& ctx) {
  auto ops = std::make_shared<AgentOps>(ctx);
  {
    std::lock_guard lock(g_ops_mu);
    std::erase_if(g_ops, [](const auto& e) { return e.second.expired(); });
    g_ops[&ctx] = ops;
  }
  ops->start();

  ctx.router.addSchema("AgentCall", {{"type", "object"},
                                     {"properties",
                                      {{"interactionId", {{"type", "string"}}},
                                       {"queueId", {{"type", "string"}}},
                                       {"userId", {{"type", "string"}}},
                                       {"caller", {{"type", "string"}}},
                                       {"called", {{"type", "string"}}},
                                       {"channel", {{"type", "string"}}},
                                       {"state", {{"type", "string"}}},
                                       {"offeredAt", {{"type", {"string", "null"}}}},
                                       {"answeredAt", {{"type", {"string", "null"}}}}}}});
  ctx.router.addSchema(
      "AgentWork",
      {{"type", "object"},
       {"properties",
        {{"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/AgentCall"}}}}},
         {"agent", {{"type", "object"}}}}}});
  ctx.router.addSchema("AgentStatus", {{"type", "object"}});
  ctx.router.addSchema(
      "AgentStateRequest",
      {{"type", "object"},
       {"required", {"state"}},
       {"properties",
        {{"state", {{"type", "string"}, {"enum", {"available", "away", "break", "offline"}}}},
         {"reason", {{"type", "string"}}}}}});

  // Lists the agent's calls whose state passes `keep`, with the agent's routing snapshot.
  auto list = [&ctx](bool offers_only) {
    return [&ctx, offers_only](api::RequestContext rc, api::Responder respond) {
      auto who = targetOf(rc);
      if (!who) return respond(noAgent());
      ctx.onVoice(std::move(respond), [&ctx, who = *who, offers_only](center::VoiceCenter& vc) {
        auto a = vc.engine().agent(center::agentIdFor(who.tenant, who.user));
        if (!a) return noAgent();
        nlohmann::json items = nlohmann::json::array();
        for (const auto& c : vc.callsOf(who.tenant, who.user)) {
          if (offers_only && c.state != "offered") continue;
          items.push_back(callJson(c));
        }
        return api::HttpResponse::json(
            200,
            {{"items", items}, {"agent", agentJson(who.tenant, who.user, *a, ctx.clock.now())}});
      });
    };
  };

  auto decline = [&ctx](api::RequestContext rc, api::Responder respond) {
    auto who = targetOf(rc);
    if (!who) return respond(noAgent());
    const std::string interaction(rc.param("interactionId"));
    ctx.onVoice(std::move(respond), [who = *who, interaction](center::VoiceCenter& vc) {
      if (auto s = vc.declineOffer(who.tenant, who.user, interaction); !s) {
        return api::errorResponse(api::Surface::Api, s.error());
      }
      return api::HttpResponse::json(
          200, {{"interactionId", interaction}, {"userId", who.user}, {"state", "declined"}});
    });
  };

  auto accept = [&ctx](api::RequestContext rc, api::Responder respond) {
    auto who = targetOf(rc);
    if (!who) return respond(noAgent());
    const std::string interaction(rc.param("interactionId"));
    ctx.onVoice(std::move(respond), [who = *who, interaction](center::VoiceCenter& vc) {
      for (const auto& c : vc.callsOf(who.tenant, who.user)) {
        if (c.id != interaction || c.state != "offered") continue;
        return api::errorResponse(
            api::Surface::Api,
            Error(Errc::Conflict,
                  "a voice offer is accepted by answering the phone that is ringing; the API "
                  "can only decline it",
                  "interactionId"));
      }
      return api::errorResponse(
          api::Surface::Api,
          Error(Errc::NotFound, "no outstanding offer of this interaction for this agent",
                "interactionId"));
    });
  };

  auto end_wrap_up = [&ctx](api::RequestContext rc, api::Responder respond) {
    auto who = targetOf(rc);
    if (!who) return respond(noAgent());
    ctx.onVoice(std::move(respond), [&ctx, who = *who](center::VoiceCenter& vc) {
      if (auto s = vc.endWrapUp(who.tenant, who.user); !s) {
        Error e = s.error();
        if (e.code == Errc::NotFound) e.field = "userId";
        return api::errorResponse(api::Surface::Api, e);
      }
      auto a = vc.engine().agent(center::agentIdFor(who.tenant, who.user));
      return api::HttpResponse::json(200, agentJson(who.tenant, who.user, *a, ctx.clock.now()));
    });
  };

  auto get_state = [&ctx](api::RequestContext rc, api::Responder respond) {
    auto who = targetOf(rc);
    if (!who) return respond(noAgent());
    ctx.onVoice(std::move(respond), [&ctx, who = *who](center::VoiceCenter& vc) {
      auto a = vc.engine().agent(center::agentIdFor(who.tenant, who.user));
      if (!a) return noAgent();
      return api::HttpResponse::json(200, agentJson(who.tenant, who.user, *a, ctx.clock.now()));
    });
  };

  auto put_state = [&ctx](api::RequestContext rc, api::Responder respond) {
    auto who = targetOf(rc);
    if (!who) return respond(noAgent());
    auto body = rc.jsonBody();
    if (!body) return respond(rc.error(body.error()));
    if (!body->is_object() || !body->contains("state") || !(*body)["state"].is_string()) {
      return respond(rc.error(Error(Errc::InvalidArgument, "state must be a string", "state")));
    }
    auto state = routing::requestedStateFromName((*body)["state"].get<std::string>());
    if (!state) {
      return respond(rc.error(Error(Errc::InvalidArgument,
                                    "state must be available, away, break or offline", "state")));
    }
    std::string reason;
    if (body->contains("reason")) {
      if (!(*body)["reason"].is_string()) {
        return respond(rc.error(Error(Errc::InvalidArgument, "reason must be a string", "reason")));
      }
      reason = (*body)["reason"].get<std::string>();
    }
    ctx.onVoice(
        std::move(respond), [&ctx, who = *who, state = *state, reason](center::VoiceCenter& vc) {
          if (auto s = vc.setAgentState(who.tenant, who.user, state, reason); !s) {
            Error e = s.error();
            if (e.code == Errc::NotFound) e.field = "userId";
            return api::errorResponse(api::Surface::Api, e);
          }
          auto a = vc.engine().agent(center::agentIdFor(who.tenant, who.user));
          return api::HttpResponse::json(200, agentJson(who.tenant, who.user, *a, ctx.clock.now()));
        });
  };

  const std::string agent = "/api/v1/tenants/{tenantId}/agents/{userId}";
  const std::string me = "/api/v1/me";
  using P = api::Permission;
  struct Def {
    const char* method;
    const char* suffix;
    const char* summary;
    P permission;
    const char* request;
    const char* response;
    api::AsyncHandler handler;
  };
  const std::vector<Def> defs = {
      {"GET", "/offers", "Outstanding offers (reservations) of the agent", P::Interactions, "",
       "AgentWork", list(true)},
      {"GET", "/interactions",
       "The agent's current interactions: offers, ringing and connected calls", P::Interactions, "",
       "AgentWork", list(false)},
      {"POST", "/offers/{interactionId}/decline",
       "Decline an offer: the ringing leg is cancelled and the call offered to the next agent",
       P::Interactions, "", "AgentCall", decline},
      {"POST", "/offers/{interactionId}/accept",
       "Accept an offer. Voice offers are accepted by answering the phone: 409 with an "
       "explanation while the offer rings, 404 when no such offer is outstanding",
       P::Interactions, "", "AgentCall", accept},
      {"POST", "/wrap-up/end",
       "End the agent's wrap-up now (available again, or the requested "
       "state)",
       P::AgentState, "", "AgentStatus", end_wrap_up},
  };
  // The router's handlers own AgentOps: it lives as long as the routes that read it.
  auto owning = [ops](api::AsyncHandler h) -> api::AsyncHandler {
    return [ops, h = std::move(h)](api::RequestContext rc, api::Responder respond) {
      h(std::move(rc), std::move(respond));
    };
  };
  for (const auto& d : defs) {
    SB_TRY(ctx.router.addAsync(
        {d.method, agent + d.suffix, d.summary, d.permission, d.request, d.response, "agents"},
        owning(d.handler)));
    SB_TRY(
        ctx.router.addAsync({d.method, me + d.suffix, std::string(d.summary) + " (signed-in agent)",
                             d.permission, d.request, d.response, "me"},
                            d.handler));
  }
  // The tenant-scoped state routes live in routes_voice.cpp; these are the /me forms.
  SB_TRY(ctx.router.addAsync({"GET", me + "/state", "The signed-in agent's routing state",
                              P::AgentState, "", "AgentStatus", "me"},
                             get_state));
  SB_TRY(ctx.router.addAsync({"PUT", me + "/state",
                              "Set the signed-in agent's state: available, away, break (with "
                              "reason) or offline",
                              P::AgentState, "AgentStateRequest", "AgentStatus", "me"},
                             put_state));
  return {};
}

}  // namespace sb::app
