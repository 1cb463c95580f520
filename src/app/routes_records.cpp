// SPDX-License-Identifier: Apache-2.0
// Interaction records (CDRs) from the store: search by time range, queue, agent and
// disposition with `next` cursors, one record by id, and CSV export of every page of a search.
// Agents (Interactions granted with Own scope) only ever see records they handled.
#include <charconv>
#include <optional>
#include <string>

#include "api/pagination.h"
#include "app/routes.h"
#include "app/routes_resources.h"
#include "store/csv.h"

namespace sb::app {

namespace {

constexpr std::size_t kCsvPage = 1000;  // store page size while exporting

nlohmann::json timeOrNull(const std::optional<WallTime>& t) {
  return t ? nlohmann::json(store::formatUtc(*t)) : nlohmann::json();
}

nlohmann::json recordJson(const store::InteractionRecord& r) {
  return {{"id", r.id.value()},
          {"channel", r.channel},
          {"direction", r.direction},
          {"queueId", r.queue_id ? nlohmann::json(r.queue_id->value()) : nlohmann::json()},
          {"caller", r.caller},
          {"callee", r.callee},
          {"agentId", r.agent_id ? nlohmann::json(r.agent_id->value()) : nlohmann::json()},
          {"arrivedAt", store::formatUtc(r.arrived_at)},
          {"queuedAt", timeOrNull(r.queued_at)},
          {"offeredAt", timeOrNull(r.offered_at)},
          {"answeredAt", timeOrNull(r.answered_at)},
          {"endedAt", timeOrNull(r.ended_at)},
          {"endReason", r.end_reason},
          {"disposition", r.disposition
                              ? nlohmann::json(std::string(store::dispositionName(*r.disposition)))
                              : nlohmann::json()},
          {"wrapUpCode", r.wrap_up_code}};
}

// The search filters of a request; errors name the query parameter.
Result<store::InteractionQuery> queryOf(const api::RequestContext& rc) {
  store::InteractionQuery q;
  const auto& req = rc.request;
  if (auto from = req.queryParam("from")) {
    auto t = parseIsoTime(*from, "from");
    if (!t) return std::unexpected(t.error());
    q.from = *t;
  }
  if (auto to = req.queryParam("to")) {
    auto t = parseIsoTime(*to, "to");
    if (!t) return std::unexpected(t.error());
    q.to = *t;
  }
  if (q.from >= q.to) return fail(Errc::InvalidArgument, "to must be after from", "to");
  if (auto queue = req.queryParam("queueId")) {
    SB_TRY(validateId(*queue, "queueId"));
    q.queue_id = store::QueueId(std::string(*queue));
  }
  if (auto agent = req.queryParam("agentId")) {
    SB_TRY(validateId(*agent, "agentId"));
    q.agent_id = store::UserId(std::string(*agent));
  }
  if (auto d = req.queryParam("disposition")) {
    auto parsed = store::parseDisposition(*d);
    if (!parsed) {
      return fail(Errc::InvalidArgument,
                  "disposition must be answered, abandoned, timed_out or rejected", "disposition");
    }
    q.disposition = *parsed;
  }
  // Own scope (agents): only their own records, whatever they asked for.
  if (rc.principal && rc.principal->scopeFor(api::Permission::Interactions) == api::Scope::Own) {
    if (q.agent_id && q.agent_id->value() != rc.principal->user_id) {
      return fail(Errc::PermissionDenied, "agents see only their own interactions", "agentId");
    }
    q.agent_id = store::UserId(rc.principal->user_id);
  }
  return q;
}

api::HttpResponse exportCsv(const api::RequestContext& rc, store::Store& st,
                            store::InteractionQuery q) {
  const store::TenantId tenant(std::string(rc.param("tenantId")));
  q.limit = kCsvPage;
  q.cursor.clear();
  std::string body = store::interactionCsvHeader();
  while (true) {
    auto page = st.interactions().search(tenant, q);
    if (!page) return rc.error(page.error());
    for (const auto& r : page->items) body += store::interactionCsvRow(r);
    if (page->next.empty()) break;
    q.cursor = page->next;
  }
  return api::HttpResponse::text(200, std::move(body), "text/csv; charset=utf-8")
      .withHeader("Content-Disposition", "attachment; filename=\"interactions.csv\"");
}

void searchRoute(ApiContext& ctx, api::RequestContext rc, api::Responder respond, bool csv) {
  auto q = queryOf(rc);
  if (!q) return respond(rc.error(q.error()));
  if (!csv && rc.request.queryParam("format")) {
    auto f = *rc.request.queryParam("format");
    if (f == "csv") {
      csv = true;
    } else if (f != "json") {
      return respond(
          rc.error(Error(Errc::InvalidArgument, "format must be json or csv", "format")));
    }
  }
  if (csv) {
    ctx.onStore(std::move(respond), [rc = std::move(rc), q = std::move(*q)](store::Store& st) {
      return exportCsv(rc, st, q);
    });
    return;
  }
  auto page = api::pageRequestOf(rc.request, 100, 1000);
  if (!page) return respond(rc.error(page.error()));
  q->limit = page->limit;
  if (page->position) {
    if (!page->position->is_string()) {
      return respond(rc.error(Error(Errc::InvalidArgument, "not a valid cursor", "cursor")));
    }
    q->cursor = page->position->get<std::string>();
  }
  ctx.onStore(std::move(respond), [rc = std::move(rc), q = std::move(*q)](store::Store& st) {
    auto found = st.interactions().search(store::TenantId(std::string(rc.param("tenantId"))), q);
    if (!found) {
      Error e = found.error();
      if (e.code == Errc::InvalidArgument && e.field.empty()) e.field = "cursor";
      return rc.error(e);
    }
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : found->items) items.push_back(recordJson(r));
    std::optional<nlohmann::json> next;
    if (!found->next.empty()) next = found->next;
    return api::HttpResponse::json(200, api::pageBody(rc.request, std::move(items), next));
  });
}

}  // namespace

Status registerRecordRoutes(ApiContext& ctx) {
  nlohmann::json str = {{"type", "string"}};
  nlohmann::json opt_str = {{"type", {"string", "null"}}};
  nlohmann::json opt_time = {{"type", {"string", "null"}}, {"format", "date-time"}};
  ctx.router.addSchema(
      "InteractionRecord",
      {{"type", "object"},
       {"properties",
        {{"id", str},
         {"channel", str},
         {"direction", str},
         {"queueId", opt_str},
         {"caller", str},
         {"callee", str},
         {"agentId", opt_str},
         {"arrivedAt", {{"type", "string"}, {"format", "date-time"}}},
         {"queuedAt", opt_time},
         {"offeredAt", opt_time},
         {"answeredAt", opt_time},
         {"endedAt", opt_time},
         {"endReason", str},
         {"disposition", {{"enum", {"answered", "abandoned", "timed_out", "rejected", nullptr}}}},
         {"wrapUpCode", str}}}});
  ctx.router.addSchema(
      "InteractionPage",
      {{"type", "object"},
       {"properties",
        {{"items",
          {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/InteractionRecord"}}}}},
         {"next", str}}}});

  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/interactions",
       "Search interaction records: from/to (ISO-8601, on arrival), queueId, agentId, "
       "disposition, limit, cursor; format=csv exports every page. Agents see only their own.",
       api::Permission::Interactions, "", "InteractionPage", "interactions"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        searchRoute(ctx, std::move(rc), std::move(respond), false);
      }));
  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/interactions.csv",
       "CSV export (RFC 4180, header row) of every record matching the search filters",
       api::Permission::Interactions, "", "", "interactions"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        searchRoute(ctx, std::move(rc), std::move(respond), true);
      }));
  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/interactions/{interactionId}", "One interaction record",
       api::Permission::Interactions, "", "InteractionRecord", "interactions"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [rc = std::move(rc)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto r =
              st.interactions().get(store::TenantId(tenant),
                                    store::InteractionId(std::string(rc.param("interactionId"))));
          // Another agent's record answers like a missing one: nothing leaks.
          if (!r || !rc.canSee(tenant, r->agent_id ? r->agent_id->value() : std::string())) {
            if (r || r.error().code == Errc::NotFound) {
              return rc.error(Error(Errc::NotFound, "no such interaction", "interactionId"));
            }
            return rc.error(r.error());
          }
          return api::HttpResponse::json(200, recordJson(*r));
        });
      }));

  ctx.router.addSchema("AgentStateHistory",
                       {{"type", "object"},
                        {"properties",
                         {{"items",
                           {{"type", "array"},
                            {"items",
                             {{"type", "object"},
                              {"properties",
                               {{"state", str},
                                {"reason", str},
                                {"at", {{"type", "string"}, {"format", "date-time"}}}}}}}}},
                          {"next", opt_str}}}});
  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/agents/{userId}/state-history",
       "An agent's state changes, oldest first: from/to (ISO-8601), limit (1..1000, default 100)",
       api::Permission::AgentState, "", "AgentStateHistory", "agents"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        WallTime from{};
        WallTime to = WallTime::max();
        for (auto [name, slot] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
          if (auto v = rc.request.queryParam(name)) {
            auto t = parseIsoTime(*v, name);
            if (!t) return respond(rc.error(t.error()));
            *slot = *t;
          }
        }
        if (from >= to)
          return respond(rc.error(Error(Errc::InvalidArgument, "to must be after from", "to")));
        std::size_t limit = 100;
        if (auto v = rc.request.queryParam("limit")) {
          int n = 0;
          auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
          if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > 1000) {
            return respond(
                rc.error(Error(Errc::InvalidArgument, "limit must be 1..1000", "limit")));
          }
          limit = static_cast<std::size_t>(n);
        }
        ctx.onStore(std::move(respond), [rc = std::move(rc), from, to, limit](store::Store& st) {
          auto rows = st.agentStates().list(store::TenantId(std::string(rc.param("tenantId"))),
                                            store::UserId(std::string(rc.param("userId"))), from,
                                            to, limit + 1);
          if (!rows) return rc.error(rows.error());
          nlohmann::json items = nlohmann::json::array();
          nlohmann::json next = nullptr;
          for (std::size_t i = 0; i < rows->size(); ++i) {
            const auto& c = (*rows)[i];
            if (i == limit) {  // one more than asked: the next page starts at its time
              next = store::formatUtc(c.at);
              break;
            }
            items.push_back(
                {{"state", c.state}, {"reason", c.reason}, {"at", store::formatUtc(c.at)}});
          }
          return api::HttpResponse::json(200, {{"items", items}, {"next", next}});
        });
      }));
  return {};
}

}  // namespace sb::app
