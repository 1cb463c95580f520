// SPDX-License-Identifier: Apache-2.0
#include "app/http_api.h"

#include <future>

#include "api/auth_routes.h"
#include "api/builtin_routes.h"
#include "api/credentials.h"
#include "api/crypto.h"
#include "api/event_hub.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/token_service.h"
#include "common/log.h"
#include "common/metrics.h"

namespace sb::app {

namespace {

api::Role apiRole(UserRole r) {
  switch (r) {
    case UserRole::Admin: return api::Role::Admin;
    case UserRole::Supervisor: return api::Role::Supervisor;
    default: return api::Role::Agent;
  }
}

std::optional<routing::AgentState> requestedState(std::string_view s) {
  if (s == "available") return routing::AgentState::Available;
  if (s == "away") return routing::AgentState::Away;
  if (s == "break") return routing::AgentState::Break;
  if (s == "offline") return routing::AgentState::Offline;
  return std::nullopt;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

struct HttpApi::Impl final : public center::CenterObserver {
  const Config& config;
  VoiceStack* voice;
  boost::asio::io_context* voice_io;
  SteadyClock clock;
  boost::asio::io_context io{1};
  boost::asio::thread_pool blocking{1};  // argon2 verification off the event loop
  metrics::Registry registry;
  api::InMemoryCredentialSource credentials;
  api::TokenService tokens{credentials, clock};
  api::Router router{&tokens};
  std::unique_ptr<api::EventHub> hub;
  std::unique_ptr<api::HttpServer> server;
  std::thread thread;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  bool stopped = false;

  Impl(const Config& c, VoiceStack* v, boost::asio::io_context* vio)
      : config(c), voice(v), voice_io(vio) {}

  // Runs `fn` on the voice shard and answers with its result.
  template <typename Fn>
  void onVoice(api::Responder respond, Fn fn) {
    if (voice == nullptr) {
      respond(api::errorResponse(api::Surface::Api,
                                 Error(Errc::Unavailable, "no tenants are configured")));
      return;
    }
    boost::asio::post(*voice_io, [this, respond = std::move(respond), fn = std::move(fn)]() {
      respond(fn(voice->center()));
    });
  }

  Status setupCredentials() {
    for (const auto& t : config.tenants) {
      for (const auto& u : t.users) {
        if (u.password.empty()) continue;  // demo-only plain passwords (config.cpp checked)
        auto created = tokens.createUser(t.id, u.id, u.password, {apiRole(u.role)});
        if (!created) return std::unexpected(created.error());
      }
      if (!t.demo_admin_key.empty()) {
        api::ApiKeyRecord key;
        key.id = t.id + "-demo-admin";
        key.tenant_id = t.id;
        key.name = "demo admin key";
        key.hash_hex = api::sha256Hex(t.demo_admin_key);
        key.prefix = t.demo_admin_key.substr(0, 7);
        key.roles = {api::Role::Admin};
        key.created_by = "config";
        key.created_at = clock.wallNow();
        SB_TRY(credentials.addApiKey(key));
      }
    }
    return {};
  }

  Status registerRoutes() {
    api::BuiltinRouteOptions builtin;
    builtin.info.title = "Switchboard API";
    SB_TRY(api::registerBuiltinRoutes(router, registry, builtin));
    SB_TRY(api::registerAuthRoutes(router, tokens, blocking.get_executor()));

    router.addSchema("Queue", {{"type", "object"},
                               {"properties",
                                {{"id", {{"type", "string"}}},
                                 {"tenantId", {{"type", "string"}}},
                                 {"strategy", {{"type", "string"}}},
                                 {"waiting", {{"type", "integer"}}}}}});
    router.addSchema("QueueStats", {{"type", "object"}});
    router.addSchema("AgentState", {{"type", "object"},
                                    {"properties",
                                     {{"state", {{"type", "string"}}},
                                      {"reason", {{"type", "string"}}}}}});

    SB_TRY(router.addAsync(
        {"GET", "/api/v1/tenants/{tenantId}/queues", "Queues of a tenant with live waiting counts",
         api::Permission::QueuesRead, "", "Queue"},
        [this](api::RequestContext ctx, api::Responder respond) {
          const std::string tenant(ctx.param("tenantId"));
          onVoice(std::move(respond), [tenant](center::VoiceCenter& vc) {
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

    SB_TRY(router.addAsync(
        {"GET", "/api/v1/tenants/{tenantId}/queues/{queueId}/stats",
         "Live statistics of a queue", api::Permission::QueuesRead, "", "QueueStats"},
        [this](api::RequestContext ctx, api::Responder respond) {
          const std::string tenant(ctx.param("tenantId"));
          const std::string queue(ctx.param("queueId"));
          onVoice(std::move(respond), [this, tenant, queue](center::VoiceCenter& vc) {
            const auto* q = vc.directory().queue(tenant, queue);
            auto snap = q ? vc.engine().queue(q->routing.id) : std::nullopt;
            if (!snap) {
              return api::errorResponse(api::Surface::Api,
                                        Error(Errc::NotFound, "no such queue", "queueId"));
            }
            const auto now = clock.now();
            double longest = 0;
            if (snap->oldest_enqueued_at) {
              longest = std::chrono::duration<double>(now - *snap->oldest_enqueued_at).count();
            }
            return api::HttpResponse::json(
                200, {{"queueId", queue},
                      {"tenantId", tenant},
                      {"waiting", snap->waiting},
                      {"longestWaitSeconds", longest},
                      {"agentsEligible", snap->candidates},
                      {"agentsAvailable", snap->open_candidates}});
          });
        }));

    SB_TRY(router.addAsync(
        {"GET", "/api/v1/tenants/{tenantId}/agents/{userId}/state", "An agent's routing state",
         api::Permission::AgentState, "", "AgentState"},
        [this](api::RequestContext ctx, api::Responder respond) {
          const std::string tenant(ctx.param("tenantId"));
          const std::string user(ctx.param("userId"));
          onVoice(std::move(respond), [tenant, user](center::VoiceCenter& vc) {
            auto a = vc.engine().agent(center::agentIdFor(tenant, user));
            if (!a) {
              return api::errorResponse(api::Surface::Api,
                                        Error(Errc::NotFound, "no such agent", "userId"));
            }
            return api::HttpResponse::json(
                200, {{"userId", user},
                      {"tenantId", tenant},
                      {"state", lower(routing::agentStateName(a->state))},
                      {"requested", lower(routing::agentStateName(a->requested))},
                      {"reason", a->break_reason},
                      {"reachable", a->reachable},
                      {"routable", a->routable},
                      {"interactionsToday", a->interactions_today}});
          });
        }));

    SB_TRY(router.addAsync(
        {"PUT", "/api/v1/tenants/{tenantId}/agents/{userId}/state",
         "Set an agent's state: available, away, break (with reason) or offline",
         api::Permission::AgentState, "AgentState", "AgentState"},
        [this](api::RequestContext ctx, api::Responder respond) {
          auto body = ctx.jsonBody();
          if (!body) return respond(ctx.error(body.error()));
          if (!body->is_object() || !(*body)["state"].is_string()) {
            return respond(ctx.error(Error(Errc::InvalidArgument, "state must be a string", "state")));
          }
          auto state = requestedState((*body)["state"].get<std::string>());
          if (!state) {
            return respond(ctx.error(Error(
                Errc::InvalidArgument, "state must be available, away, break or offline", "state")));
          }
          std::string reason;
          if (body->contains("reason")) {
            if (!(*body)["reason"].is_string()) {
              return respond(
                  ctx.error(Error(Errc::InvalidArgument, "reason must be a string", "reason")));
            }
            reason = (*body)["reason"].get<std::string>();
          }
          const std::string tenant(ctx.param("tenantId"));
          const std::string user(ctx.param("userId"));
          onVoice(std::move(respond), [=](center::VoiceCenter& vc) {
            if (auto s = vc.setAgentState(tenant, user, *state, reason); !s) {
              Error e = s.error();
              if (e.code == Errc::NotFound) e.field = "userId";
              return api::errorResponse(api::Surface::Api, e);
            }
            auto a = vc.engine().agent(center::agentIdFor(tenant, user));
            return api::HttpResponse::json(
                200, {{"userId", user},
                      {"tenantId", tenant},
                      {"state", lower(routing::agentStateName(a->state))},
                      {"reason", a->break_reason}});
          });
        }));
    return {};
  }

  // center::CenterObserver (on the voice shard): agent state changes become events.
  void onAgentState(const routing::AgentStateChanged& change) override {
    auto who = center::splitQualified(change.agent.value());
    if (!who) return;
    hub->publish({"agent.state",
                  who->first,
                  {{"userId", who->second},
                   {"from", lower(routing::agentStateName(change.from))},
                   {"to", lower(routing::agentStateName(change.to))},
                   {"reason", change.reason}},
                  api::Permission::AgentState,
                  who->second});
  }
  void onRecord(const center::InteractionRecord& r) override {
    hub->publish({"interaction.ended",
                  r.tenant,
                  {{"interactionId", r.id},
                   {"queueId", r.queue},
                   {"agentId", r.agent},
                   {"disposition", std::string(center::dispositionName(r.disposition))},
                   {"endReason", r.end_reason}},
                  api::Permission::Monitor,
                  r.agent});
  }
};

HttpApi::HttpApi(const Config& config, VoiceStack* voice, boost::asio::io_context* voice_io)
    : impl_(std::make_unique<Impl>(config, voice, voice_io)) {}

HttpApi::~HttpApi() { stop(); }

Result<uint16_t> HttpApi::start() {
  Impl& m = *impl_;
  SB_TRY(m.setupCredentials());
  SB_TRY(m.registerRoutes());
  m.hub = std::make_unique<api::EventHub>(m.io.get_executor(), m.clock, 4096, &m.registry);
  api::ServerOptions so;
  so.address = m.config.http.address;
  so.port = m.config.http.port;
  m.server = std::make_unique<api::HttpServer>(std::vector<boost::asio::io_context*>{&m.io},
                                               m.router, m.registry, m.hub.get(), so);
  auto port = m.server->start();
  if (!port) return port;
  // start() runs before SipEndpoint::start(): the voice shard has no thread yet, so setting
  // its observer here races with nothing.
  if (m.voice != nullptr) m.voice->center().setObserver(&m);
  m.work.emplace(m.io.get_executor());
  m.thread = std::thread([&m] { m.io.run(); });
  return port;
}

void HttpApi::stop() {
  Impl& m = *impl_;
  if (m.stopped || !m.thread.joinable()) return;
  m.stopped = true;
  std::promise<void> done;
  boost::asio::post(m.io, [&] {
    m.server->shutdown(std::chrono::seconds(5), [&] { done.set_value(); });
  });
  done.get_future().wait_for(std::chrono::seconds(7));
  m.work.reset();
  m.io.stop();
  m.thread.join();
  m.blocking.join();
}

}  // namespace sb::app
