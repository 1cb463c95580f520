// SPDX-License-Identifier: Apache-2.0
// Graph-compatible presence routes (teams_integration.md §B.2): read one user's, my own or a
// batch of users' presence, and set/clear a presence session or the preferred presence. Graph
// paths carry no tenant: they act in the caller's tenant, and a user of another tenant is 404.
// Work runs on the voice shard that owns the PresenceService; every change is also published
// as a `presence.changed` event.
#include <memory>

#include "app/routes.h"
#include "presence/graph_json.h"

namespace sb::app {

namespace {

using api::HttpResponse;

constexpr std::string_view kPresenceTag = "presence";

HttpResponse graphError(const Error& e) { return api::errorResponse(api::Surface::Graph, e); }

// A request body Graph refuses: 400 naming the field, whatever kind of refusal (an app naming
// a session other than its own client id is a bad request, not a missing permission).
HttpResponse badRequest(const Error& e) {
  if (e.code == Errc::PermissionDenied && e.field == "sessionId") {
    return graphError(Error(Errc::InvalidArgument, e.message, e.field));
  }
  return graphError(e);
}

// Publishes presence changes to the event stream; registered with the service on its shard.
class HubPublisher final : public center::PresenceListener {
 public:
  explicit HubPublisher(api::EventHub* hub) : hub_(hub) {}
  void onPresenceChanged(const std::string& tenant, const presence::Presence& p) override {
    if (hub_ == nullptr) return;
    // Supervisors and admins see everyone's changes in the tenant, an agent its own
    // (AgentState is Own-scoped for agents).
    // The data is built on the hub's strand, if anyone receives the event (make_data).
    hub_->publish(
        {"presence.changed", tenant, {}, api::Permission::AgentState, p.user_id, [p] {
           return nlohmann::json{{"userId", p.user_id}, {"presence", presence::toJson(p)}};
         }});
  }

 private:
  api::EventHub* hub_;
};

// The caller's tenant, or a 404 for principals bound to none (a platform operator).
std::optional<std::string> callerTenant(const api::RequestContext& rc) {
  if (!rc.principal || rc.principal->tenant_id.empty()) return std::nullopt;
  return rc.principal->tenant_id;
}

// Runs fn(PresenceService&) -> HttpResponse on the voice shard.
template <typename Fn>
void onPresence(ApiContext& ctx, api::Responder respond, Fn fn) {
  if (ctx.voice == nullptr || ctx.voice_io == nullptr) {
    respond(graphError(Error(Errc::Unavailable, "no tenants are configured")));
    return;
  }
  boost::asio::post(*ctx.voice_io, [&ctx, respond = std::move(respond), fn = std::move(fn)]() {
    respond(fn(ctx.voice->presence()));
  });
}

HttpResponse presenceJson(const Result<presence::Presence>& p) {
  if (!p) return graphError(p.error());
  return HttpResponse::json(200, presence::toJson(*p));
}

HttpResponse emptyOk(const Status& s) {
  if (!s) return graphError(s.error());
  HttpResponse r;
  r.status = 200;
  r.content_type.clear();
  return r;
}

// Which user a route acts on: {userId} or the caller (/me).
std::string targetUser(const api::RequestContext& rc, bool me) {
  return me ? rc.principal->user_id : std::string(rc.param("userId"));
}

enum class Action { Set, Clear, SetPreferred, ClearPreferred, SetStatusMessage };

Status addAction(ApiContext& ctx, bool me, Action action) {
  static constexpr std::string_view kNames[] = {"setPresence", "clearPresence",
                                                "setUserPreferredPresence",
                                                "clearUserPreferredPresence", "setStatusMessage"};
  static constexpr std::string_view kSummaries[] = {
      "Create or refresh a presence session (Graph presence: setPresence)",
      "Remove a presence session (Graph presence: clearPresence)",
      "Set the preferred presence, which beats all sessions (Graph)",
      "Clear the preferred presence (Graph)",
      "Set or clear (empty content) the status message, optionally until a UTC expiry (Graph)"};
  static constexpr std::string_view kSchemas[] = {"SetPresenceRequest", "ClearPresenceRequest",
                                                  "SetPreferredPresenceRequest", "",
                                                  "SetStatusMessageRequest"};
  const auto i = static_cast<size_t>(action);
  api::RouteSpec spec;
  spec.method = "POST";
  spec.pattern = std::string(me ? "/graph/v1.0/me/presence/" : "/graph/v1.0/users/{userId}/presence/") +
                 std::string(kNames[i]);
  spec.summary = std::string(kSummaries[i]);
  // Agents set their own presence; supervisors and admins anyone's in their tenant.
  spec.permission = me ? api::Permission::Authenticated : api::Permission::AgentState;
  spec.request_schema = std::string(kSchemas[i]);
  spec.tag = std::string(kPresenceTag);
  return ctx.router.addAsync(spec, [&ctx, me, action](api::RequestContext rc,
                                                      api::Responder respond) {
    auto tenant = callerTenant(rc);
    if (!tenant) return respond(graphError(Error(Errc::NotFound, "no such user", "id")));
    const std::string user = targetUser(rc, me);
    // Graph: an app signed in with its own client credentials may only name the session after
    // its client id; users and API keys may name any GUID (checkSessionId).
    std::optional<std::string_view> client_id;
    if (!rc.principal->client_id.empty()) client_id = rc.principal->client_id;
    nlohmann::json body = nlohmann::json::object();
    if (action != Action::ClearPreferred || !rc.request.body.empty()) {
      auto parsed = presence::parseJsonBody(rc.request.body);
      if (!parsed) return respond(graphError(parsed.error()));
      body = std::move(*parsed);
    }
    switch (action) {
      case Action::Set: {
        auto req = presence::parseSetPresence(body, client_id);
        if (!req) return respond(badRequest(req.error()));
        return onPresence(ctx, std::move(respond), [t = *tenant, user, r = *req](
                                                       center::PresenceService& ps) {
          return emptyOk(ps.setPresence(t, user, r));
        });
      }
      case Action::Clear: {
        auto req = presence::parseClearPresence(body, client_id);
        if (!req) return respond(badRequest(req.error()));
        return onPresence(ctx, std::move(respond), [t = *tenant, user, r = *req](
                                                       center::PresenceService& ps) {
          return emptyOk(ps.clearPresence(t, user, r.session_id));
        });
      }
      case Action::SetPreferred: {
        auto req = presence::parseSetUserPreferredPresence(body);
        if (!req) return respond(graphError(req.error()));
        return onPresence(ctx, std::move(respond), [t = *tenant, user, r = *req](
                                                       center::PresenceService& ps) {
          return emptyOk(ps.setUserPreferredPresence(t, user, r));
        });
      }
      case Action::ClearPreferred:
        return onPresence(ctx, std::move(respond),
                          [t = *tenant, user](center::PresenceService& ps) {
                            return emptyOk(ps.clearUserPreferredPresence(t, user));
                          });
      case Action::SetStatusMessage: {
        auto msg = presence::parseSetStatusMessage(body, ctx.clock.wallNow());
        if (!msg) return respond(graphError(msg.error()));
        return onPresence(ctx, std::move(respond),
                          [t = *tenant, user, m = *msg](center::PresenceService& ps) {
                            return emptyOk(ps.setStatusMessage(t, user, m));
                          });
      }
    }
  });
}

}  // namespace

Status registerPresenceRoutes(ApiContext& ctx) {
  const nlohmann::json str = {{"type", "string"}};
  ctx.router.addSchema(
      "Presence",
      {{"type", "object"},
       {"properties",
        {{"id", str},
         {"availability", str},
         {"activity", str},
         {"sequenceNumber", str},
         {"statusMessage", {{"type", {"object", "null"}}}},
         {"outOfOfficeSettings", {{"type", "object"}}}}}});
  nlohmann::json presence_list = {{"type", "array"},
                                   {"items", {{"$ref", "#/components/schemas/Presence"}}}};
  ctx.router.addSchema("PresenceCollection",
                       {{"type", "object"}, {"properties", {{"value", presence_list}}}});
  nlohmann::json id_list = {{"type", "array"}, {"items", str}, {"maxItems", 650}};
  ctx.router.addSchema("GetPresencesRequest", {{"type", "object"},
                                               {"required", {"ids"}},
                                               {"properties", {{"ids", id_list}}}});
  ctx.router.addSchema("SetPresenceRequest",
                       {{"type", "object"},
                        {"required", {"sessionId", "availability", "activity"}},
                        {"properties",
                         {{"sessionId", str},
                          {"availability", str},
                          {"activity", str},
                          {"expirationDuration", str}}}});
  ctx.router.addSchema("ClearPresenceRequest", {{"type", "object"},
                                                {"required", {"sessionId"}},
                                                {"properties", {{"sessionId", str}}}});
  ctx.router.addSchema("SetPreferredPresenceRequest",
                       {{"type", "object"},
                        {"required", {"availability", "activity"}},
                        {"properties",
                         {{"availability", str}, {"activity", str}, {"expirationDuration", str}}}});
  ctx.router.addSchema(
      "SetStatusMessageRequest",
      {{"type", "object"},
       {"required", {"statusMessage"}},
       {"properties",
        {{"statusMessage",
          {{"type", "object"},
           {"required", {"message"}},
           {"properties",
            {{"message",
              {{"type", "object"},
               {"required", {"content"}},
               {"properties",
                {{"content", {{"type", "string"}, {"maxLength", presence::kMaxStatusMessageChars}}},
                 {"contentType", {{"type", "string"}, {"enum", {"text", "html"}}}}}}}},
             {"expiryDateTime",
              {{"type", {"object", "null"}},
               {"properties",
                {{"dateTime", str},
                 {"timeZone", {{"type", "string"}, {"enum", {"UTC"}}}}}}}}}}}}}}});

  // Reading presence: anyone signed in to the tenant sees colleagues' presence (as in Teams).
  api::RouteSpec get_user{"GET", "/graph/v1.0/users/{userId}/presence",
                          "A user's aggregated presence (Graph presence resource)",
                          api::Permission::Authenticated, "", "Presence"};
  get_user.tag = std::string(kPresenceTag);
  get_user.owner_param.clear();
  SB_TRY(ctx.router.addAsync(get_user, [&ctx](api::RequestContext rc, api::Responder respond) {
    auto tenant = callerTenant(rc);
    if (!tenant) return respond(graphError(Error(Errc::NotFound, "no such user", "id")));
    onPresence(ctx, std::move(respond),
               [t = *tenant, user = std::string(rc.param("userId"))](center::PresenceService& ps) {
                 return presenceJson(ps.get(t, user));
               });
  }));

  api::RouteSpec get_me{"GET", "/graph/v1.0/me/presence", "The caller's aggregated presence",
                        api::Permission::Authenticated, "", "Presence"};
  get_me.tag = std::string(kPresenceTag);
  SB_TRY(ctx.router.addAsync(get_me, [&ctx](api::RequestContext rc, api::Responder respond) {
    auto tenant = callerTenant(rc);
    if (!tenant) return respond(graphError(Error(Errc::NotFound, "no such user", "id")));
    onPresence(ctx, std::move(respond),
               [t = *tenant, user = rc.principal->user_id](center::PresenceService& ps) {
                 return presenceJson(ps.get(t, user));
               });
  }));

  api::RouteSpec batch{"POST", "/graph/v1.0/communications/getPresencesByUserId",
                       "Presence of up to 650 users of the caller's tenant",
                       api::Permission::Authenticated, "GetPresencesRequest", "PresenceCollection"};
  batch.tag = std::string(kPresenceTag);
  SB_TRY(ctx.router.addAsync(batch, [&ctx](api::RequestContext rc, api::Responder respond) {
    auto tenant = callerTenant(rc);
    if (!tenant) return respond(graphError(Error(Errc::NotFound, "no such user", "ids")));
    auto body = presence::parseJsonBody(rc.request.body);
    if (!body) return respond(graphError(body.error()));
    auto ids = presence::parseGetPresencesByUserId(*body);
    if (!ids) return respond(graphError(ids.error()));
    onPresence(ctx, std::move(respond),
               [t = *tenant, ids = std::move(*ids)](center::PresenceService& ps) {
                 std::vector<presence::Presence> list;
                 list.reserve(ids.size());
                 for (const auto& id : ids) {
                   auto p = ps.get(t, id);
                   if (!p) return graphError(Error(Errc::NotFound, "no such user: " + id, "ids"));
                   list.push_back(std::move(*p));
                 }
                 return HttpResponse::json(200, presence::toJsonCollection(list));
               });
  }));

  for (bool me : {false, true}) {
    for (auto a : {Action::Set, Action::Clear, Action::SetPreferred, Action::ClearPreferred,
                   Action::SetStatusMessage}) {
      SB_TRY(addAction(ctx, me, a));
    }
  }

  if (ctx.voice != nullptr && ctx.voice_io != nullptr) {
    // Owned by the router's handlers (they live as long as the API); added on the shard.
    auto publisher = std::make_shared<HubPublisher>(ctx.hub);
    boost::asio::post(*ctx.voice_io, [&ctx, publisher] {
      ctx.voice->presence().addListener(publisher.get());
    });
    api::RouteSpec keep{"GET", "/graph/v1.0/me/presence/sessions",
                        "The caller's live presence sessions (Switchboard extension)",
                        api::Permission::Authenticated, "", ""};
    keep.tag = std::string(kPresenceTag);
    SB_TRY(ctx.router.addAsync(keep, [&ctx, publisher](api::RequestContext rc,
                                                       api::Responder respond) {
      auto tenant = callerTenant(rc);
      if (!tenant) return respond(graphError(Error(Errc::NotFound, "no such user", "id")));
      onPresence(ctx, std::move(respond),
                 [t = *tenant, user = rc.principal->user_id](center::PresenceService& ps) {
                   nlohmann::json items = nlohmann::json::array();
                   for (const auto& s : ps.sessions(t, user)) {
                     items.push_back({{"id", s.id},
                                      {"availability", presence::toString(s.pair.availability)},
                                      {"activity", presence::toString(s.pair.activity)}});
                   }
                   return HttpResponse::json(200, {{"value", items}});
                 });
    }));
  }
  return {};
}

}  // namespace sb::app
