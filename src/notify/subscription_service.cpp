// SPDX-License-Identifier: Apache-2.0
#include "notify/subscription_service.h"

#include <atomic>
#include <random>

#include "common/asio.h"
#include "common/handoff.h"
#include "common/log.h"
#include "notify/encryption.h"
#include "notify/pending_writer.h"
#include "notify/signature.h"
#include "notify/webhook_client.h"
#include "presence/iso8601.h"

namespace sb::notify {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

Error invalid(std::string msg, std::string field) {
  return Error(Errc::InvalidArgument, std::move(msg), std::move(field));
}

}  // namespace

json toDocument(const StoredSubscription& s) {
  const auto& sub = s.record.sub;
  json j = presence::toJson(sub);
  j["tenantId"] = sub.tenant_id;
  j["signingKey"] = s.record.signing_key;
  j["armedDateTime"] = presence::formatIsoDateTime(s.record.armed_at);
  json dead = json::array();
  for (const auto& d : s.dead_letters) dead.push_back(toJson(d));
  j["deadLetters"] = std::move(dead);
  return j;
}

Result<StoredSubscription> fromDocument(const json& j) {
  if (!j.is_object()) return fail(Errc::InvalidArgument, "subscription document is not an object");
  StoredSubscription out;
  auto& sub = out.record.sub;
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  sub.id = str("id");
  sub.tenant_id = str("tenantId");
  sub.creator_id = str("creatorId");
  sub.application_id = str("applicationId");
  auto& r = sub.request;
  r.resource = str("resource");
  auto parsed = presence::parseSubscriptionResource(r.resource);
  if (!parsed) return std::unexpected(parsed.error());
  r.parsed_resource = std::move(*parsed);
  auto bits = presence::parseChangeTypes(str("changeType"), r.parsed_resource.kind);
  if (!bits) return std::unexpected(bits.error());
  r.change_types = *bits;
  r.notification_url = str("notificationUrl");
  if (!str("lifecycleNotificationUrl").empty()) r.lifecycle_notification_url = str("lifecycleNotificationUrl");
  auto exp = presence::parseIsoDateTime(str("expirationDateTime"));
  if (!exp) return std::unexpected(exp.error());
  r.expiration = *exp;
  if (j.contains("clientState") && j["clientState"].is_string()) r.client_state = str("clientState");
  r.include_resource_data = j.value("includeResourceData", false);
  if (!str("encryptionCertificate").empty())
    r.encryption_certificate = str("encryptionCertificate");
  if (!str("encryptionCertificateId").empty()) {
    r.encryption_certificate_id = str("encryptionCertificateId");
  }
  if (r.include_resource_data) {
    // Validity was checked at creation; an expired certificate still encrypts (the subscriber
    // renews the subscription, not the key, within the subscription's 60 minutes).
    auto cert = parseEncryptionCertificate(r.encryption_certificate.value_or(""), std::nullopt);
    if (!cert) return std::unexpected(cert.error());
    out.record.encryption = std::move(*cert);
  }
  out.record.signing_key = str("signingKey");
  auto armed = presence::parseIsoDateTime(str("armedDateTime"));
  out.record.armed_at = armed ? *armed : r.expiration - std::chrono::minutes(60);
  if (sub.id.empty() || sub.tenant_id.empty() || r.notification_url.empty() ||
      out.record.signing_key.empty()) {
    return fail(Errc::InvalidArgument, "subscription document lacks id, tenant, URL or key");
  }
  if (j.contains("deadLetters") && j["deadLetters"].is_array()) {
    for (const auto& d : j["deadLetters"]) {
      if (auto dl = deadLetterFromJson(d)) out.dead_letters.push_back(std::move(*dl));
    }
  }
  return out;
}

struct SubscriptionService::Impl : std::enable_shared_from_this<Impl> {
  ServiceOptions options;
  const Clock& clock;
  SubscriptionPersistence* persistence;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  asio::steady_timer timer{io};
  std::mt19937_64 rng{std::random_device{}()};
  Dispatcher dispatcher;
  WebhookClient client{io.get_executor(), options.verify_tls, options.keep_alive};
  std::atomic<std::size_t> delivered{0};
  std::atomic<std::size_t> failed{0};
  // dispatcher.size(), for hasSubscriptions(); syncLive() after every add or removal.
  std::atomic<std::size_t> live{0};
  void syncLive() {
    live.store(dispatcher.size(), std::memory_order_release);
    if (m_subscriptions != nullptr) m_subscriptions->set(static_cast<double>(dispatcher.size()));
  }
  // Metrics (options.metrics); null without a registry.
  metrics::Counter* m_ok = nullptr;
  metrics::Counter* m_failed = nullptr;
  metrics::Counter* m_opened = nullptr;
  metrics::Gauge* m_subscriptions = nullptr;
  metrics::Histogram* m_latency = nullptr;
  void registerMetrics(metrics::Registry& r) {
    auto& deliveries = r.counter("sb_webhook_deliveries_total",
                                 "Webhook POSTs by outcome (ok: 2xx in time)", {"outcome"});
    m_ok = &deliveries.with({"ok"});
    m_failed = &deliveries.with({"failed"});
    m_opened = &r.counter("sb_webhook_connections_opened_total",
                          "Connections opened to webhook receivers (the rest reused one)")
                    .with({});
    m_subscriptions =
        &r.gauge("sb_webhook_subscriptions", "Change-notification subscriptions").with({});
    m_latency = &r.histogram("sb_webhook_delivery_seconds",
                             "Time from sending a webhook POST to its answer (or failure)")
                     .with({});
    client.onConnectionOpened([this] { m_opened->inc(); });
  }
  // Changes arrive from the hub in batches: one wake-up of this thread per burst.
  Handoff<Change> inbox{io.get_executor(), [this](Change&& change) {
                          if (dispatcher.publish(change) > 0) pump();
                        }};
  // Set by start() when the persistence keepsPending(); owned by the service thread's
  // owner (stop() closes it after the service thread ended).
  std::unique_ptr<PendingWriter> writer;

  Impl(ServiceOptions o, const Clock& c, SubscriptionPersistence* p)
      : options(std::move(o)), clock(c), persistence(p), dispatcher(options.dispatch, [this] {
          return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
        }) {
    if (options.metrics != nullptr) registerMetrics(*options.metrics);
  }

  bool visible(const SubscriptionRecord& r, const Caller& c) const {
    return r.sub.tenant_id == c.tenant_id && (c.see_all || r.sub.creator_id == c.user_id);
  }

  const SubscriptionRecord* findVisible(const Caller& c, const std::string& id) const {
    const auto* r = dispatcher.find(c.tenant_id, id);
    return r != nullptr && visible(*r, c) ? r : nullptr;
  }

  StoredSubscription stored(const std::string& tenant, const std::string& id) const {
    StoredSubscription s;
    if (const auto* r = dispatcher.find(tenant, id)) s.record = *r;
    if (const auto* d = dispatcher.deadLetters(tenant, id)) {
      s.dead_letters.assign(d->begin(), d->end());
    }
    return s;
  }

  void persist(const std::string& tenant, const std::string& id) {
    if (persistence == nullptr) return;
    if (auto s = persistence->save(stored(tenant, id), false); !s) {
      SB_LOG_WARN("webhooks: saving subscription {} failed: {}", id, s.error().toString());
    }
  }

  // The validation handshake (§B.3) against url; done(Status) on this thread.
  void validate(const std::string& url, const std::string& field, StatusCallback done) {
    std::string token = newGuid();
    PostRequest req;
    req.url = presence::validationRequestUrl(url, token);
    req.content_type = "text/plain";
    req.timeout = options.validation_timeout;
    client.post(std::move(req), [token, field, done = std::move(done)](PostResult r) {
      if (presence::isValidValidationReply(r.status, r.content_type, r.body, token)) {
        done({});
        return;
      }
      std::string why = r.status == 0 ? r.error
                        : r.status != 200 ? "HTTP " + std::to_string(r.status)
                                          : "the reply did not echo the validationToken as text/plain";
      done(std::unexpected(
          invalid("subscription validation request failed (" + why + ")", field)));
    });
  }

  void create(Caller caller, json body, JsonCallback done) {
    if (caller.tenant_id.empty()) {
      return done(fail(Errc::PermissionDenied, "subscriptions belong to a tenant"));
    }
    auto req = presence::parseSubscriptionRequest(body, clock.wallNow(), options.policy);
    if (!req) return done(std::unexpected(req.error()));
    CertificatePtr cert;
    if (req->include_resource_data) {
      auto parsed = parseEncryptionCertificate(*req->encryption_certificate, clock.wallNow());
      if (!parsed) return done(std::unexpected(parsed.error()));
      cert = std::move(*parsed);
    }
    auto request = std::make_shared<presence::SubscriptionRequest>(std::move(*req));
    auto self = shared_from_this();
    validate(request->notification_url, "notificationUrl",
             [self, caller, request, cert, done](Status s) mutable {
               if (!s) return done(std::unexpected(s.error()));
               if (!request->lifecycle_notification_url) {
                 return self->finishCreate(std::move(caller), std::move(*request), cert, done);
               }
               self->validate(*request->lifecycle_notification_url, "lifecycleNotificationUrl",
                              [self, caller, request, cert, done](Status s2) mutable {
                                if (!s2) return done(std::unexpected(s2.error()));
                                self->finishCreate(std::move(caller), std::move(*request), cert,
                                                   done);
                              });
             });
  }

  void finishCreate(Caller caller, presence::SubscriptionRequest request, CertificatePtr cert,
                    JsonCallback done) {
    WallTime now = clock.wallNow();
    if (request.expiration <= now) {
      return done(fail(Errc::InvalidArgument, "must be in the future", "expirationDateTime"));
    }
    SubscriptionRecord rec;
    rec.sub.id = newGuid();
    rec.sub.tenant_id = caller.tenant_id;
    rec.sub.creator_id = caller.user_id;
    rec.sub.application_id = caller.application_id;
    rec.sub.request = std::move(request);
    rec.signing_key = newSigningKey();
    rec.encryption = std::move(cert);
    rec.armed_at = now;
    if (persistence != nullptr) {
      if (auto s = persistence->save({rec, {}}, true); !s) return done(std::unexpected(s.error()));
    }
    json out = presence::toJson(rec.sub);
    out["signingKey"] = rec.signing_key;
    dispatcher.add(std::move(rec));
    syncLive();
    done(std::move(out));
    pump();
  }

  void renew(const Caller& caller, const std::string& id, const json& body, JsonCallback done) {
    const auto* r = findVisible(caller, id);
    if (r == nullptr) return done(fail(Errc::NotFound, "no such subscription", "id"));
    WallTime now = clock.wallNow();
    auto exp = presence::parseSubscriptionRenewal(body, r->sub.request.parsed_resource.kind, now);
    if (!exp) return done(std::unexpected(exp.error()));
    dispatcher.renew(caller.tenant_id, id, *exp, now);
    persist(caller.tenant_id, id);
    done(presence::toJson(dispatcher.find(caller.tenant_id, id)->sub));
    pump();
  }

  void reauthorize(const Caller& caller, const std::string& id, bool can_monitor,
                   StatusCallback done) {
    const auto* r = findVisible(caller, id);
    if (r == nullptr) return done(fail(Errc::NotFound, "no such subscription", "id"));
    if (presence::needsMonitoring(r->sub.request.parsed_resource.kind) && !can_monitor) {
      return done(fail(Errc::PermissionDenied, "this resource needs the monitoring permission",
                       "resource"));
    }
    dispatcher.renew(caller.tenant_id, id, r->sub.request.expiration, clock.wallNow());
    persist(caller.tenant_id, id);
    done({});
    pump();
  }

  void remove(const Caller& caller, const std::string& id, StatusCallback done) {
    if (findVisible(caller, id) == nullptr) {
      return done(fail(Errc::NotFound, "no such subscription", "id"));
    }
    dispatcher.remove(caller.tenant_id, id);
    syncLive();
    flushJournal();
    if (persistence != nullptr) {
      if (auto s = persistence->remove(caller.tenant_id, id); !s) {
        SB_LOG_WARN("webhooks: deleting subscription {} failed: {}", id, s.error().toString());
      }
    }
    done({});
  }

  // Hands the dispatcher's journal to the writer (never blocks on the store).
  void flushJournal() {
    if (!writer) return;
    auto ops = dispatcher.takeJournal();
    if (ops.empty()) return;
    MonoTime now = clock.now();
    WallTime wall = clock.wallNow();
    std::vector<PendingWrite> writes;
    writes.reserve(ops.size());
    for (auto& op : ops) {
      PendingWrite w;
      w.kind = op.kind;
      w.tenant_id = std::move(op.tenant_id);
      w.subscription_id = std::move(op.subscription_id);
      w.lifecycle = op.lifecycle;
      w.seq = op.seq;
      w.item_json = std::move(op.item_json);
      w.batch_end = op.batch_end;
      w.attempts = op.attempts;
      w.first_attempt = wallOf(op.first_attempt, now, wall);
      w.next_attempt = wallOf(op.next_attempt, now, wall);
      w.last_error = std::move(op.last_error);
      writes.push_back(std::move(w));
    }
    writer->push(std::move(writes), ops.back().ticket);
  }

  // Start-up, before the thread runs: queues the store kept, with their retry schedule.
  Status restorePending() {
    auto queues = persistence->loadPending();
    if (!queues) return std::unexpected(queues.error());
    MonoTime now = clock.now();
    WallTime wall = clock.wallNow();
    auto toMono = [&](WallTime t) { return monoOf(t, now, wall); };
    std::vector<PendingWrite> orphaned;
    std::size_t items = 0;
    for (auto& sq : *queues) {
      RestoredQueue rq;
      rq.subscription_id = sq.subscription_id;
      rq.lifecycle = sq.lifecycle;
      for (auto& [seq, text] : sq.items) {
        auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) {
          SB_LOG_WARN("webhooks: skipping unreadable pending item {} of {}", seq,
                      sq.subscription_id);
          continue;
        }
        rq.items.emplace_back(seq, std::move(j));
      }
      if (sq.batch) {
        rq.batch = RestoredQueue::Batch{sq.batch->batch_end, sq.batch->attempts,
                                        toMono(sq.batch->first_attempt),
                                        toMono(sq.batch->next_attempt), sq.batch->last_error};
      }
      items += rq.items.size();
      if (!dispatcher.restore(std::move(rq))) {
        // The subscription is gone (deleted, or unreadable): so are its deliveries.
        PendingWrite w;
        w.kind = PendingOp::Kind::RemoveSubscription;
        w.tenant_id = sq.tenant_id;
        w.subscription_id = sq.subscription_id;
        orphaned.push_back(std::move(w));
      }
    }
    if (!orphaned.empty()) {
      if (auto s = persistence->writePending(orphaned); !s) {
        SB_LOG_WARN("webhooks: dropping pending deliveries of gone subscriptions failed: {}",
                    s.error().toString());
      }
    }
    if (items > 0) SB_LOG_INFO("webhooks: {} pending notifications restored", items);
    return {};
  }

  void pump() {
    MonoTime now = clock.now();
    WallTime wall = clock.wallNow();
    auto polled = dispatcher.poll(now, wall);
    syncLive();  // expired subscriptions are gone
    for (const auto& [tenant, id] : polled.expired) {
      SB_LOG_INFO("webhooks: subscription {} expired", id);
      if (persistence != nullptr) {
        if (auto s = persistence->remove(tenant, id); !s) {
          SB_LOG_WARN("webhooks: deleting expired {} failed: {}", id, s.error().toString());
        }
      }
    }
    for (const auto& id : polled.dead_lettered) {
      if (const auto* r = dispatcher.findById(id)) persist(r->sub.tenant_id, id);
    }
    for (auto& d : polled.deliveries) send(std::move(d));
    flushJournal();
    reschedule();
  }

  void send(Delivery d) {
    PostRequest req;
    req.url = d.url;
    req.body = std::move(d.body);
    req.timeout = options.delivery_timeout;
    auto unix = std::chrono::duration_cast<std::chrono::seconds>(
                    clock.wallNow().time_since_epoch())
                    .count();
    req.headers.emplace_back(std::string(kSignatureHeader),
                             signatureHeader(d.signing_key, unix, req.body));
    std::weak_ptr<Impl> weak = shared_from_this();
    uint64_t id = d.id;
    std::string sub = d.subscription_id;
    const MonoTime sent = clock.now();
    client.post(std::move(req), [weak, id, sub, sent](PostResult r) {
      auto self = weak.lock();
      if (!self) return;
      if (self->m_latency != nullptr) {
        self->m_latency->observe(std::chrono::duration<double>(self->clock.now() - sent).count());
      }
      std::string error;
      if (!r.ok()) {
        error = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
        self->failed.fetch_add(1);
        if (self->m_failed != nullptr) self->m_failed->inc();
        SB_LOG_DEBUG("webhooks: delivery for {} failed: {}", sub, error);
      } else {
        self->delivered.fetch_add(1);
        if (self->m_ok != nullptr) self->m_ok->inc();
      }
      self->dispatcher.complete(id, r.ok(), std::move(error), self->clock.now());
      self->pump();
    });
  }

  void reschedule() {
    auto next = dispatcher.nextWakeup(clock.now(), clock.wallNow());
    if (!next) {
      timer.cancel();
      return;
    }
    timer.expires_at(*next);
    std::weak_ptr<Impl> weak = shared_from_this();
    timer.async_wait([weak](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->pump();
    });
  }
};

SubscriptionService::SubscriptionService(ServiceOptions options, const Clock& clock,
                                         SubscriptionPersistence* persistence)
    : impl_(std::make_shared<Impl>(std::move(options), clock, persistence)) {}

SubscriptionService::~SubscriptionService() { stop(); }

Status SubscriptionService::start() {
  if (impl_->persistence != nullptr) {
    auto all = impl_->persistence->loadAll();
    if (!all) return std::unexpected(all.error());
    for (auto& s : *all) impl_->dispatcher.add(std::move(s.record), std::move(s.dead_letters));
    impl_->syncLive();
    if (!all->empty()) SB_LOG_INFO("webhooks: {} subscriptions restored", all->size());
    if (impl_->persistence->keepsPending()) {
      SB_TRY(impl_->restorePending());
      impl_->dispatcher.enableJournal();
      std::weak_ptr<Impl> weak = impl_;
      impl_->writer = std::make_unique<PendingWriter>(
          *impl_->persistence, impl_->options.pending_gather, [weak](uint64_t ticket) {
            auto self = weak.lock();
            if (!self) return;
            asio::post(self->io, [weak, ticket] {
              auto s = weak.lock();
              if (!s) return;
              s->dispatcher.markDurable(ticket);
              s->pump();
            });
          });
    }
  }
  auto impl = impl_;
  asio::post(impl->io, [impl] { impl->pump(); });
  thread_ = std::thread([impl] { impl->io.run(); });
  return {};
}

void SubscriptionService::stop() {
  if (!thread_.joinable()) return;
  impl_->work.reset();
  impl_->io.stop();
  thread_.join();
  if (impl_->writer) {
    // The service thread is gone: this thread may touch the dispatcher now.
    impl_->flushJournal();
    impl_->writer->close();
  }
}

void SubscriptionService::create(Caller caller, json body, JsonCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), body = std::move(body),
                         done = std::move(done)]() mutable {
    impl->create(std::move(caller), std::move(body), std::move(done));
  });
}

void SubscriptionService::renew(Caller caller, std::string id, json body, JsonCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), id = std::move(id),
                         body = std::move(body), done = std::move(done)]() mutable {
    impl->renew(caller, id, body, std::move(done));
  });
}

void SubscriptionService::reauthorize(Caller caller, std::string id, bool can_monitor,
                                      StatusCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), id = std::move(id), can_monitor,
                         done = std::move(done)]() mutable {
    impl->reauthorize(caller, id, can_monitor, std::move(done));
  });
}

void SubscriptionService::remove(Caller caller, std::string id, StatusCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), id = std::move(id),
                         done = std::move(done)]() mutable {
    impl->remove(caller, id, std::move(done));
  });
}

void SubscriptionService::get(Caller caller, std::string id, JsonCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), id = std::move(id),
                         done = std::move(done)]() {
    const auto* r = impl->findVisible(caller, id);
    if (r == nullptr) return done(fail(Errc::NotFound, "no such subscription", "id"));
    done(presence::toJson(r->sub));
  });
}

void SubscriptionService::list(Caller caller, JsonCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), done = std::move(done)]() {
    json value = json::array();
    for (const auto* r : impl->dispatcher.list(caller.tenant_id)) {
      if (impl->visible(*r, caller)) value.push_back(presence::toJson(r->sub));
    }
    done(json{{"value", std::move(value)}});
  });
}

void SubscriptionService::deadLetters(Caller caller, std::string id, JsonCallback done) {
  asio::post(impl_->io, [impl = impl_, caller = std::move(caller), id = std::move(id),
                         done = std::move(done)]() {
    if (impl->findVisible(caller, id) == nullptr) {
      return done(fail(Errc::NotFound, "no such subscription", "id"));
    }
    json value = json::array();
    for (const auto& d : *impl->dispatcher.deadLetters(caller.tenant_id, id)) {
      value.push_back(toJson(d));
    }
    done(json{{"value", std::move(value)}});
  });
}

void SubscriptionService::publish(Change change) { impl_->inbox.push(std::move(change)); }

bool SubscriptionService::hasSubscriptions() const {
  return impl_->live.load(std::memory_order_acquire) != 0;
}

std::size_t SubscriptionService::deliveredBatches() const { return impl_->delivered.load(); }
std::size_t SubscriptionService::failedAttempts() const { return impl_->failed.load(); }
std::size_t SubscriptionService::failedPendingWrites() const {
  return impl_->writer ? impl_->writer->failedTransactions() : 0;
}

}  // namespace sb::notify
