// SPDX-License-Identifier: Apache-2.0
// Graph change-notification subscriptions (docs/webhooks.md): the /graph/v1.0/subscriptions
// routes over notify::SubscriptionService, the service's construction (options, store
// persistence) and the EventHub subscriber that turns presence.changed, queue.stats and
// interaction.ended events into changes. The service runs its own thread; handlers only post
// to it and answer from its callback.
#include <cstdlib>
#include <memory>

#include "app/routes.h"
#include "common/log.h"
#include "notify/subscription_service.h"

namespace sb::app {

std::unique_ptr<notify::SubscriptionPersistence> makeStoreSubscriptionPersistence(
    store::Store& store);  // notify_store.cpp

namespace {

using nlohmann::json;
using presence::ResourceKind;

// SB_WEBHOOK_* environment variables override the `webhooks:` section (docs/webhooks.md): the
// older way to tune, kept because test drivers shorten the windows with them.
std::optional<Duration> envMillis(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  char* end = nullptr;
  long long ms = std::strtoll(v, &end, 10);
  if (end == v || *end != '\0' || ms <= 0) {
    SB_LOG_WARN("webhooks: ignoring {}={} (want a positive number of milliseconds)", name, v);
    return std::nullopt;
  }
  return std::chrono::milliseconds(ms);
}

notify::ServiceOptions serviceOptions(const Config& config) {
  using std::chrono::milliseconds;
  notify::ServiceOptions o;
  const auto& w = config.webhooks;
  o.delivery_timeout = milliseconds(w.answer_timeout_ms);
  o.validation_timeout = milliseconds(w.validation_timeout_ms);
  o.dispatch.retry.initial_delay = milliseconds(w.retry_initial_ms);
  o.dispatch.retry.max_delay = milliseconds(w.retry_max_ms);
  o.dispatch.retry.give_up_after = milliseconds(w.give_up_after_ms);
  o.dispatch.max_batch = w.batch_size;
  o.dispatch.max_pending = w.max_queue;
  o.keep_alive.enabled = w.keep_alive;
  o.keep_alive.idle_timeout = std::chrono::seconds(w.keep_alive_idle_s);
  o.keep_alive.max_idle_per_host = w.keep_alive_max_idle;
  const char* loopback = std::getenv("SB_WEBHOOK_ALLOW_HTTP_LOOPBACK");
  o.policy.allow_http_loopback =
      config.demo || w.allow_http_loopback || (loopback != nullptr && std::string(loopback) == "1");
  if (auto d = envMillis("SB_WEBHOOK_RETRY_INITIAL_MS")) o.dispatch.retry.initial_delay = *d;
  if (auto d = envMillis("SB_WEBHOOK_RETRY_MAX_MS")) o.dispatch.retry.max_delay = *d;
  if (auto d = envMillis("SB_WEBHOOK_GIVE_UP_MS")) o.dispatch.retry.give_up_after = *d;
  if (auto d = envMillis("SB_WEBHOOK_ANSWER_TIMEOUT_MS")) o.delivery_timeout = *d;
  if (auto d = envMillis("SB_WEBHOOK_VALIDATION_TIMEOUT_MS")) o.validation_timeout = *d;
  return o;
}

std::optional<notify::Change> changeOf(const api::Event& e) {
  auto str = [&](const char* key) {
    return e.data.is_object() && e.data.contains(key) && e.data[key].is_string()
               ? e.data[key].get<std::string>()
               : std::string();
  };
  if (e.tenant_id.empty()) return std::nullopt;
  if (e.type == "presence.changed") {
    std::string user = str("userId");
    if (user.empty()) return std::nullopt;
    // Basic (Graph) notifications name the presence; its state is read with GET .../presence
    // or, with includeResourceData, decrypted from the notification's encryptedContent.
    return notify::Change{e.tenant_id,
                          ResourceKind::Presence,
                          user,
                          presence::kUpdated,
                          {{"@odata.type", "#Microsoft.Graph.presence"},
                           {"@odata.id", presence::resourceText(ResourceKind::Presence, user)},
                           {"id", user}},
                          e.data.contains("presence") ? e.data["presence"] : json(nullptr)};
  }
  if (e.type == "queue.stats") {
    std::string queue = str("queueId");
    if (queue.empty()) return std::nullopt;
    return notify::Change{e.tenant_id, ResourceKind::QueueStats, queue, presence::kUpdated, e.data};
  }
  if (e.type == "interaction.ended") {
    std::string id = str("interactionId");
    if (id.empty()) return std::nullopt;
    // The record of an ended interaction appears in /api/v1/interactions: a creation.
    return notify::Change{e.tenant_id, ResourceKind::Interactions, id, presence::kCreated, e.data};
  }
  return std::nullopt;
}

// What HttpApi keeps alive: the service and its hub subscription (held weakly by the hub).
struct Notifier final : api::EventSubscriber {
  std::unique_ptr<notify::SubscriptionPersistence> persistence;
  std::unique_ptr<notify::SubscriptionService> service;

  // Hub strand: publish() only posts to the service thread.
  void deliver(std::shared_ptr<const api::Event> event) override {
    if (auto c = changeOf(*event)) service->publish(std::move(*c));
  }
  // Reads the event's fields only, never its rendered text.
  bool wantsWire() const override { return false; }
  // With no subscription at all (the usual case on a busy voice server) the hub neither
  // builds nor hands over anything for the notifier.
  bool wantsEvents() const override { return service->hasSubscriptions(); }
};

notify::Caller callerOf(const api::RequestContext& rc) {
  notify::Caller c;
  if (!rc.principal) return c;
  c.tenant_id = rc.principal->tenant_id;
  c.user_id = rc.principal->user_id;
  c.application_id = rc.principal->client_id;
  auto scope = rc.principal->scopeFor(api::Permission::TenantConfigWrite);
  c.see_all = scope && *scope >= api::Scope::Tenant;
  return c;
}

// Whether the caller may read Switchboard's own resources (presence::needsMonitoring).
bool canMonitor(const api::RequestContext& rc) {
  return rc.principal &&
         api::canSee(*rc.principal, api::Permission::Monitor, rc.principal->tenant_id, "");
}

api::HttpResponse jsonOrError(const api::RequestContext& rc, const Result<json>& r, int status) {
  if (!r) return rc.error(r.error());
  return api::HttpResponse::json(status, *r);
}

}  // namespace

Status registerSubscriptionRoutes(ApiContext& ctx, std::shared_ptr<void>& keep_alive) {
  auto notifier = std::make_shared<Notifier>();
  if (ctx.store != nullptr) notifier->persistence = makeStoreSubscriptionPersistence(*ctx.store);
  notify::ServiceOptions options = serviceOptions(ctx.config);
  options.metrics = &ctx.registry;
  // Deliveries with encrypted resource data carry a token signed by the access-token keys
  // (TokenService and its key ring are thread-safe and outlive the service).
  options.dispatch.validation_token =
      [&tokens = ctx.tokens](const presence::Subscription& s) -> std::optional<std::string> {
    auto token = tokens.issueValidationToken(
        s.tenant_id, s.application_id.empty() ? s.creator_id : s.application_id);
    if (!token) return std::nullopt;
    return std::move(*token);
  };
  notifier->service = std::make_unique<notify::SubscriptionService>(std::move(options), ctx.clock,
                                                                    notifier->persistence.get());
  SB_TRY(notifier->service->start());
  if (ctx.hub != nullptr) {
    api::Principal system;
    system.subject = "system:webhooks";
    system.user_id = "webhooks";
    system.roles = {api::Role::SystemOperator};
    ctx.hub->subscribe(notifier, system, std::nullopt);
  }
  keep_alive = notifier;
  std::weak_ptr<Notifier> weak = notifier;
  // Runs fn(service) when the service is still there (HttpApi::stop() drops it), else 503.
  auto withService = [weak](const api::RequestContext& rc, const api::Responder& respond,
                            auto fn) {
    auto n = weak.lock();
    if (!n) return respond(rc.error(Error(Errc::Unavailable, "subscriptions are stopping")));
    if (!rc.principal || rc.principal->tenant_id.empty()) {
      return respond(rc.error(
          Error(Errc::PermissionDenied, "subscriptions need a principal bound to a tenant")));
    }
    fn(*n->service);
  };

  ctx.router.addSchema(
      "Subscription",
      {{"type", "object"},
       {"properties",
        {{"id", {{"type", "string"}}},
         {"resource", {{"type", "string"}}},
         {"changeType", {{"type", "string"}}},
         {"notificationUrl", {{"type", "string"}}},
         {"lifecycleNotificationUrl", {{"type", {"string", "null"}}}},
         {"expirationDateTime", {{"type", "string"}, {"format", "date-time"}}},
         {"clientState", {{"type", {"string", "null"}}, {"maxLength", 128}}},
         {"includeResourceData",
          {{"type", "boolean"},
           {"description", "the resource arrives encrypted in encryptedContent"}}},
         {"encryptionCertificate",
          {{"type", {"string", "null"}},
           {"description",
            "base64 DER (or PEM) X.509 certificate, RSA >= 2048 "
            "bits; required with includeResourceData"}}},
         {"encryptionCertificateId", {{"type", {"string", "null"}}}},
         {"signingKey",
          {{"type", "string"},
           {"description", "HMAC-SHA256 key, only in the creation response"}}}}},
       {"required", {"resource", "changeType", "notificationUrl", "expirationDateTime"}}});
  ctx.router.addSchema("SubscriptionRenewal",
                       {{"type", "object"},
                        {"properties",
                         {{"expirationDateTime", {{"type", "string"}, {"format", "date-time"}}}}},
                        {"required", {"expirationDateTime"}}});
  ctx.router.addSchema("DeadLetters", {{"type", "object"}});

  api::RouteSpec create{"POST", "/graph/v1.0/subscriptions",
                        "Create a change-notification subscription (validation handshake first)",
                        api::Permission::Authenticated, "Subscription", "Subscription"};
  create.success_status = 201;
  SB_TRY(ctx.router.addAsync(create, [withService](api::RequestContext rc,
                                                   api::Responder respond) {
    auto body = rc.jsonBody();
    if (!body) return respond(rc.error(body.error()));
    // Switchboard's own resources carry live statistics and records: monitoring rights.
    if (body->is_object() && (*body)["resource"].is_string()) {
      auto res = presence::parseSubscriptionResource((*body)["resource"].get<std::string>());
      if (res && presence::needsMonitoring(res->kind) && !canMonitor(rc)) {
        return respond(rc.error(Error(Errc::PermissionDenied,
                                      "this resource needs the monitoring permission",
                                      "resource")));
      }
    }
    withService(rc, respond, [&](notify::SubscriptionService& s) {
      s.create(callerOf(rc), std::move(*body), [rc, respond](Result<json> r) {
        respond(jsonOrError(rc, r, 201));
      });
    });
  }));

  SB_TRY(ctx.router.addAsync(
      {"GET", "/graph/v1.0/subscriptions", "List the caller's subscriptions (admins: the tenant's)",
       api::Permission::Authenticated, "", "Subscription"},
      [withService](api::RequestContext rc, api::Responder respond) {
        withService(rc, respond, [&](notify::SubscriptionService& s) {
          s.list(callerOf(rc), [rc, respond](Result<json> r) { respond(jsonOrError(rc, r, 200)); });
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"GET", "/graph/v1.0/subscriptions/{id}", "A subscription", api::Permission::Authenticated,
       "", "Subscription"},
      [withService](api::RequestContext rc, api::Responder respond) {
        withService(rc, respond, [&](notify::SubscriptionService& s) {
          s.get(callerOf(rc), std::string(rc.param("id")),
                [rc, respond](Result<json> r) { respond(jsonOrError(rc, r, 200)); });
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"PATCH", "/graph/v1.0/subscriptions/{id}",
       "Renew a subscription: a new expirationDateTime within the resource's maximum lifetime",
       api::Permission::Authenticated, "SubscriptionRenewal", "Subscription"},
      [withService](api::RequestContext rc, api::Responder respond) {
        auto body = rc.jsonBody();
        if (!body) return respond(rc.error(body.error()));
        withService(rc, respond, [&](notify::SubscriptionService& s) {
          s.renew(callerOf(rc), std::string(rc.param("id")), std::move(*body),
                  [rc, respond](Result<json> r) { respond(jsonOrError(rc, r, 200)); });
        });
      }));

  api::RouteSpec reauthorize{
      "POST", "/graph/v1.0/subscriptions/{id}/reauthorize",
      "Answer reauthorizationRequired: checks the caller may still read the resource and re-arms "
      "the reminder (Graph); the expiry is unchanged",
      api::Permission::Authenticated};
  SB_TRY(ctx.router.addAsync(reauthorize, [withService](api::RequestContext rc,
                                                        api::Responder respond) {
    const bool can_monitor = canMonitor(rc);
    withService(rc, respond, [&](notify::SubscriptionService& s) {
      s.reauthorize(callerOf(rc), std::string(rc.param("id")), can_monitor,
                    [rc, respond](Status st) {
                      if (!st) return respond(rc.error(st.error()));
                      api::HttpResponse ok;
                      ok.status = 200;
                      ok.content_type.clear();
                      respond(std::move(ok));
                    });
    });
  }));

  api::RouteSpec remove{"DELETE", "/graph/v1.0/subscriptions/{id}", "Delete a subscription",
                        api::Permission::Authenticated};
  remove.success_status = 204;
  SB_TRY(ctx.router.addAsync(remove, [withService](api::RequestContext rc,
                                                   api::Responder respond) {
    withService(rc, respond, [&](notify::SubscriptionService& s) {
      s.remove(callerOf(rc), std::string(rc.param("id")), [rc, respond](Status st) {
        if (!st) return respond(rc.error(st.error()));
        respond(api::HttpResponse::text(204, "", "application/json"));
      });
    });
  }));

  SB_TRY(ctx.router.addAsync(
      {"GET", "/graph/v1.0/subscriptions/{id}/deadLetters",
       "Notifications given up on after the retry window (Switchboard extension)",
       api::Permission::Authenticated, "", "DeadLetters"},
      [withService](api::RequestContext rc, api::Responder respond) {
        withService(rc, respond, [&](notify::SubscriptionService& s) {
          s.deadLetters(callerOf(rc), std::string(rc.param("id")),
                        [rc, respond](Result<json> r) { respond(jsonOrError(rc, r, 200)); });
        });
      }));
  return {};
}

}  // namespace sb::app
