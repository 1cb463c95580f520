// SPDX-License-Identifier: Apache-2.0
// Live voice-path routes: queues with waiting counts, queue statistics and agent state, all
// answered on the voice shard that owns the routing engine.
#include <cctype>

#include "app/queue_stats.h"
#include "app/routes.h"
#include "app/text.h"

namespace sb::app {

namespace {

std::optional<routing::AgentState> requestedState(std::string_view s) {
  if (s == "available") return routing::AgentState::Available;
  if (s == "away") return routing::AgentState::Away;
  if (s == "break") return routing::AgentState::Break;
  if (s == "offline") return routing::AgentState::Offline;
  return std::nullopt;
}

// The live statistics document; longestWaitSeconds is computed at `now`, so it is exact even
// when the other figures come from a snapshot.
api::HttpResponse liveQueueStats(const std::string& tenant, const std::string& queue,
                                 const routing::QueueSnapshot& snap, MonoTime now) {
  double longest = 0;
  if (snap.oldest_enqueued_at) {
    longest = std::chrono::duration<double>(now - *snap.oldest_enqueued_at).count();
  }
  return api::HttpResponse::json(200, {{"queueId", queue},
                                       {"tenantId", tenant},
                                       {"waiting", snap.waiting},
                                       {"longestWaitSeconds", longest},
                                       {"agentsEligible", snap.candidates},
                                       {"agentsAvailable", snap.open_candidates}});
}

}  // namespace

Status registerVoiceRoutes(ApiContext& ctx) {
  ctx.router.addSchema("Queue", {{"type", "object"},
                                 {"properties",
                                  {{"id", {{"type", "string"}}},
                                   {"tenantId", {{"type", "string"}}},
                                   {"strategy", {{"type", "string"}}},
                                   {"waiting", {{"type", "integer"}}}}}});
  ctx.router.addSchema("QueueStats", {{"type", "object"}});
  ctx.router.addSchema(
      "AgentState",
      {{"type", "object"},
       {"properties", {{"state", {{"type", "string"}}}, {"reason", {{"type", "string"}}}}}});

  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/queues", "Queues of a tenant with live waiting counts",
       api::Permission::QueuesRead, "", "Queue"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        const std::string tenant(rc.param("tenantId"));
        ctx.onVoice(std::move(respond), [tenant](center::VoiceCenter& vc) {
          const auto* t = vc.directory().tenant(tenant);
          if (t == nullptr) {
            return api::errorResponse(api::Surface::Api,
                                      Error(Errc::NotFound, "no such tenant", "tenantId"));
          }
          nlohmann::json items = nlohmann::json::array();
          for (const auto& q : t->queues) {
            auto snap = vc.engine().queue(q.routing.id);
            items.push_back({{"id", q.id},
                             {"tenantId", tenant},
                             {"strategy", routing::strategyName(q.routing.strategy)},
                             {"waiting", snap ? snap->waiting : 0}});
          }
          return api::HttpResponse::json(200, {{"items", items}, {"next", nullptr}});
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/queues/{queueId}/stats", "Live statistics of a queue",
       api::Permission::QueuesRead, "", "QueueStats"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        if (rc.request.queryParam("window") || rc.request.queryParam("preset")) {
          return respondWindowedQueueStats(ctx, rc, std::move(respond));  // queue_stats.h
        }
        const std::string tenant(rc.param("tenantId"));
        const std::string queue(rc.param("queueId"));
        // The router has checked the tenant and role; the snapshot is keyed by tenant, so a
        // queue of another tenant is as unknown here as on the shard.
        if (auto snap = ctx.live_queues.find(tenant, queue, ctx.clock.now())) {
          return respond(liveQueueStats(tenant, queue, *snap, ctx.clock.now()));
        }
        // No fresh snapshot or a queue created since: ask the shard that owns the engine.
        ctx.onVoice(std::move(respond), [&ctx, tenant, queue](center::VoiceCenter& vc) {
          const auto* q = vc.directory().queue(tenant, queue);
          auto snap = q ? vc.engine().queue(q->routing.id) : std::nullopt;
          if (!snap) {
            return api::errorResponse(api::Surface::Api,
                                      Error(Errc::NotFound, "no such queue", "queueId"));
          }
          return liveQueueStats(tenant, queue, *snap, ctx.clock.now());
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/agents/{userId}/state", "An agent's routing state",
       api::Permission::AgentState, "", "AgentState"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        const std::string tenant(rc.param("tenantId"));
        const std::string user(rc.param("userId"));
        ctx.onVoice(std::move(respond), [tenant, user](center::VoiceCenter& vc) {
          auto a = vc.engine().agent(center::agentIdFor(tenant, user));
          if (!a) {
            return api::errorResponse(api::Surface::Api,
                                      Error(Errc::NotFound, "no such agent", "userId"));
          }
          return api::HttpResponse::json(
              200, {{"userId", user},
                    {"tenantId", tenant},
                    {"state", lowerAscii(routing::agentStateName(a->state))},
                    {"requested", lowerAscii(routing::agentStateName(a->requested))},
                    {"reason", a->break_reason},
                    {"reachable", a->reachable},
                    {"routable", a->routable},
                    {"interactionsToday", a->interactions_today}});
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"PUT", "/api/v1/tenants/{tenantId}/agents/{userId}/state",
       "Set an agent's state: available, away, break (with reason) or offline",
       api::Permission::AgentState, "AgentState", "AgentState"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = rc.jsonBody();
        if (!body) return respond(rc.error(body.error()));
        if (!body->is_object() || !(*body)["state"].is_string()) {
          return respond(rc.error(Error(Errc::InvalidArgument, "state must be a string", "state")));
        }
        auto state = requestedState((*body)["state"].get<std::string>());
        if (!state) {
          return respond(rc.error(Error(
              Errc::InvalidArgument, "state must be available, away, break or offline", "state")));
        }
        std::string reason;
        if (body->contains("reason")) {
          if (!(*body)["reason"].is_string()) {
            return respond(
                rc.error(Error(Errc::InvalidArgument, "reason must be a string", "reason")));
          }
          reason = (*body)["reason"].get<std::string>();
        }
        const std::string tenant(rc.param("tenantId"));
        const std::string user(rc.param("userId"));
        ctx.onVoice(std::move(respond), [=](center::VoiceCenter& vc) {
          if (auto s = vc.setAgentState(tenant, user, *state, reason); !s) {
            Error e = s.error();
            if (e.code == Errc::NotFound) e.field = "userId";
            return api::errorResponse(api::Surface::Api, e);
          }
          auto a = vc.engine().agent(center::agentIdFor(tenant, user));
          return api::HttpResponse::json(200,
                                         {{"userId", user},
                                          {"tenantId", tenant},
                                          {"state", lowerAscii(routing::agentStateName(a->state))},
                                          {"reason", a->break_reason}});
        });
      }));
  return {};
}

}  // namespace sb::app
