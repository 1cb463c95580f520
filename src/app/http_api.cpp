// SPDX-License-Identifier: Apache-2.0
#include "app/http_api.h"

#include <future>

#include <boost/asio/ssl.hpp>

#include "api/auth_routes.h"
#include "api/builtin_routes.h"
#include "api/credentials.h"
#include "api/crypto.h"
#include "api/event_hub.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/token_service.h"
#include "app/routes.h"
#include "app/store_credentials.h"
#include "app/text.h"
#include "common/log.h"
#include "common/metrics.h"

namespace sb::app {

namespace {

std::vector<std::unique_ptr<boost::asio::io_context>> makeLoops(unsigned n) {
  std::vector<std::unique_ptr<boost::asio::io_context>> loops;
  // Concurrency hint 1: each loop runs on exactly one thread, so Asio can skip its locking.
  for (unsigned i = 0; i < n; ++i) loops.push_back(std::make_unique<boost::asio::io_context>(1));
  return loops;
}

}  // namespace

struct HttpApi::Impl final : public center::CenterObserver {
  const Config& config;
  VoiceStack* voice;
  boost::asio::io_context* voice_io;
  store::Store* store;
  SteadyClock clock;
  // The HTTP loops, one thread each (http.workers). Loop 0 also runs the event hub's strand
  // and is ctx.api_executor.
  std::vector<std::unique_ptr<boost::asio::io_context>> loops =
      makeLoops(httpWorkerCount(config.http));
  boost::asio::io_context& io = *loops.front();
  // Store calls and argon2 verification, off the event loop.
  boost::asio::thread_pool blocking{2};
  metrics::Registry& registry;                // shared with the SIP endpoint (serve owns it)
  api::InMemoryCredentialSource credentials;  // refresh tokens; accounts/keys when no store
  StoreCredentialSource store_credentials{store, credentials, clock};
  api::TokenService tokens{store_credentials, clock};
  api::Router router{&tokens};
  ApiContext ctx{config,
                 clock,
                 router,
                 tokens,
                 credentials,
                 registry,
                 io.get_executor(),
                 blocking.get_executor()};
  std::unique_ptr<api::EventHub> hub;
  std::unique_ptr<api::HttpServer> server;
  std::shared_ptr<void> notifier;  // webhook subscriptions, own thread (routes_subscriptions.cpp)
  std::vector<std::thread> threads;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  bool stopped = false;

  LiveQueueBoard& live_queues() { return ctx.live_queues; }

  Impl(const Config& c, VoiceStack* v, boost::asio::io_context* vio, store::Store* st,
       metrics::Registry& reg)
      : config(c), voice(v), voice_io(vio), store(st), registry(reg) {
    ctx.voice = v;
    ctx.voice_io = vio;
    ctx.store = st;
  }

  Status setupCredentials() {
    // With a store, accounts and keys live there (seeded from the config once).
    if (store != nullptr) return store_credentials.seedFromConfig(config);
    for (const auto& t : config.tenants) {
      for (const auto& u : t.users) {
        if (u.password.empty()) continue;  // demo-only plain passwords (config.cpp checked)
        auto created = tokens.createUser(t.id, u.id, u.password, {apiRoleOf(u.role)});
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
    SB_TRY(registerVoiceRoutes(ctx));
    SB_TRY(registerSubscriptionRoutes(ctx, notifier));
    SB_TRY(registerConfigRoutes(ctx));
    SB_TRY(registerAppRoutes(ctx));
    SB_TRY(registerPresenceRoutes(ctx));
    SB_TRY(registerOidcRoutes(ctx));
    SB_TRY(registerResourceRoutes(ctx));
    SB_TRY(registerRecordRoutes(ctx));
    SB_TRY(registerAgentRoutes(ctx));
    return {};
  }

  // center::CenterObserver (on the voice shard): agent state changes become events.
  void onAgentState(const routing::AgentStateChanged& change) override {
    auto who = center::splitQualified(change.agent.value());
    if (!who) return;
    // The data is built on the hub's strand, if anyone receives the event (make_data).
    std::string user(who->second);
    hub->publish({"agent.state",
                  std::string(who->first),
                  {},
                  api::Permission::AgentState,
                  user,
                  [user, from = change.from, to = change.to, reason = change.reason] {
                    return nlohmann::json{{"userId", user},
                                          {"from", lowerAscii(routing::agentStateName(from))},
                                          {"to", lowerAscii(routing::agentStateName(to))},
                                          {"reason", reason}};
                  }});
  }
  void onRecord(const center::InteractionRecord& r) override {
    hub->publish({"interaction.ended",
                  r.tenant,
                  {},
                  api::Permission::Monitor,
                  r.agent,
                  [id = r.id, queue = r.queue, agent = r.agent, disposition = r.disposition,
                   end_reason = r.end_reason] {
                    return nlohmann::json{
                        {"interactionId", id},
                        {"queueId", queue},
                        {"agentId", agent},
                        {"disposition", std::string(center::dispositionName(disposition))},
                        {"endReason", end_reason}};
                  }});
  }
};

HttpApi::HttpApi(const Config& config, VoiceStack* voice, boost::asio::io_context* voice_io,
                 store::Store* store, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(config, voice, voice_io, store, registry)) {}

HttpApi::~HttpApi() { stop(); }

void HttpApi::setConfigChanged(std::function<void(const std::string& tenant_id)> fn) {
  Impl& m = *impl_;
  m.ctx.config_changed = [&m, fn = std::move(fn)](const std::string& tenant_id) {
    // fn posts the rebuilt directory to the voice shard; statistics requests hop there until
    // it is applied, so nobody reads a snapshot from before the change after it returned.
    m.live_queues().suspend();
    fn(tenant_id);
    if (m.voice_io == nullptr) return m.live_queues().resume();
    boost::asio::post(*m.voice_io, [&m] { m.live_queues().resume(); });
  };
}

Result<uint16_t> HttpApi::start() {
  Impl& m = *impl_;
  m.hub = std::make_unique<api::EventHub>(m.io.get_executor(), m.clock, 4096, &m.registry);
  m.ctx.hub = m.hub.get();
  SB_TRY(m.setupCredentials());
  SB_TRY(m.registerRoutes());
  api::ServerOptions so;
  so.address = m.config.http.address;
  so.port = m.config.http.port;
  if (!m.config.http.tls_certificate.empty()) {
    auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    tls->set_options(boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(m.config.http.tls_certificate, ec);
    if (!ec)
      tls->use_private_key_file(m.config.http.tls_private_key, boost::asio::ssl::context::pem, ec);
    if (ec) {
      return fail(Errc::InvalidArgument,
                  "cannot load the HTTP TLS certificate or key: " + ec.message(),
                  "http.tls_certificate");
    }
    so.tls = std::move(tls);
  }
  std::vector<boost::asio::io_context*> loops;
  for (auto& l : m.loops) loops.push_back(l.get());
  m.server =
      std::make_unique<api::HttpServer>(std::move(loops), m.router, m.registry, m.hub.get(), so);
  auto port = m.server->start();
  if (!port) return port;
  // start() runs before SipEndpoint::start(): the voice shard has no thread yet, so setting
  // its observer here races with nothing.
  if (m.voice != nullptr) m.voice->center().setObserver(&m);
  for (auto& l : m.loops) {
    m.work.push_back(boost::asio::make_work_guard(*l));
    m.threads.emplace_back([loop = l.get()] { loop->run(); });
  }
  SB_LOG_INFO("api: {} HTTP loop(s)", m.loops.size());
  return port;
}

void HttpApi::stop() {
  Impl& m = *impl_;
  if (m.stopped || m.threads.empty()) return;
  m.stopped = true;
  std::promise<void> done;
  boost::asio::post(
      m.io, [&] { m.server->shutdown(std::chrono::seconds(5), [&] { done.set_value(); }); });
  done.get_future().wait_for(std::chrono::seconds(7));
  m.notifier.reset();  // stops webhook delivery before the store goes
  m.work.clear();
  for (auto& l : m.loops) l->stop();
  for (auto& t : m.threads) t.join();
  m.blocking.join();
}

}  // namespace sb::app
