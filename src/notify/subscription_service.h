// SPDX-License-Identifier: Apache-2.0
// SubscriptionService: Graph-style change-notification subscriptions with webhook delivery
// (docs/webhooks.md). It runs its own thread and io_context (plus, with a persistence that
// keepsPending(), a writer thread that commits queue changes in batches): every public method may
// be called from any thread, only posts, and answers through the callback on the service thread, so
// a producer (publish) or an API handler never waits for a receiver. Receivers are isolated by the
// Dispatcher: one queue and at most one request in flight per subscription, a bounded number
// overall, and a 3 s answer deadline. Persistence (optional) is called on the service thread.
// Construct, start() and stop() on one owner thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "notify/dispatcher.h"
#include "notify/webhook_client.h"

namespace sb::notify {

// What survives a restart: the subscription (with its signing key) and its dead letters.
struct StoredSubscription {
  SubscriptionRecord record;
  std::vector<DeadLetter> dead_letters;
};
nlohmann::json toDocument(const StoredSubscription& s);  // the store's document_json
Result<StoredSubscription> fromDocument(const nlohmann::json& doc);

// A pending-delivery change for the store: a PendingOp with wall-clock times.
struct PendingWrite {
  PendingOp::Kind kind = PendingOp::Kind::PutItem;
  std::string tenant_id;
  std::string subscription_id;
  bool lifecycle = false;
  int64_t seq = 0;
  std::string item_json;
  int64_t batch_end = 0;
  int attempts = 0;
  WallTime first_attempt{};
  WallTime next_attempt{};
  std::string last_error;
};

// A stored queue as loadPending() returns it (wall-clock times).
struct StoredQueue {
  std::string tenant_id;
  std::string subscription_id;
  bool lifecycle = false;
  std::vector<std::pair<int64_t, std::string>> items;  // (seq, item JSON), ascending seq
  struct Batch {
    int64_t batch_end = 0;
    int attempts = 0;
    WallTime first_attempt{};
    WallTime next_attempt{};
    std::string last_error;
  };
  std::optional<Batch> batch;
};

// The seam to the store (implemented in app/). save/remove/loadAll/loadPending are called on
// the service thread; writePending on the service's pending-delivery writer thread. All may
// block. A persistence that keepsPending() makes queued notifications survive a restart.
class SubscriptionPersistence {
 public:
  virtual ~SubscriptionPersistence() = default;
  [[nodiscard]] virtual Status save(const StoredSubscription& s, bool created) = 0;
  [[nodiscard]] virtual Status remove(const std::string& tenant, const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::vector<StoredSubscription>> loadAll() = 0;
  virtual bool keepsPending() const { return false; }
  // Applies the writes in order in one transaction (all or none).
  [[nodiscard]] virtual Status writePending(const std::vector<PendingWrite>& writes) {
    (void)writes;
    return {};
  }
  [[nodiscard]] virtual Result<std::vector<StoredQueue>> loadPending() {
    return std::vector<StoredQueue>{};
  }
};

struct ServiceOptions {
  DispatchOptions dispatch;
  presence::SubscriptionPolicy policy;
  Duration validation_timeout = presence::kValidationTimeout;
  Duration delivery_timeout = presence::kDeliveryAnswerTimeout;
  bool verify_tls = true;
  KeepAlive keep_alive;  // connections to receivers
  // When set, the service registers its metrics there (docs/webhooks.md "Metrics"); it must
  // outlive the service.
  metrics::Registry* metrics = nullptr;
  // Pending-delivery writes wait this long for more before one transaction commits them.
  Duration pending_gather = std::chrono::milliseconds(20);
};

// Who is asking. Callers see their own subscriptions; see_all (tenant admins) the tenant's.
struct Caller {
  std::string tenant_id;
  std::string user_id;
  std::string application_id;
  bool see_all = false;
};

class SubscriptionService final {
 public:
  using JsonCallback = std::function<void(Result<nlohmann::json>)>;
  using StatusCallback = std::function<void(Status)>;

  // clock must be a real-time clock (timers use steady_clock) and outlive the service;
  // persistence may be null and must outlive the service.
  SubscriptionService(ServiceOptions options, const Clock& clock,
                      SubscriptionPersistence* persistence);
  ~SubscriptionService();
  SubscriptionService(const SubscriptionService&) = delete;
  SubscriptionService& operator=(const SubscriptionService&) = delete;

  // Loads persisted subscriptions and pending deliveries (errors: the load failed) and starts
  // the threads.
  Status start();
  // Stops the threads after committing the pending-delivery writes already recorded;
  // undelivered notifications stay in the store when the persistence keepsPending(), else
  // they are dropped. Idempotent.
  void stop();

  // POST /subscriptions: validates, runs the validation handshake against notificationUrl and
  // lifecycleNotificationUrl (text/plain echo within validation_timeout, else InvalidArgument
  // on that field), stores and returns the subscription JSON plus "signingKey" (only here).
  void create(Caller caller, nlohmann::json body, JsonCallback done);
  // PATCH: new expirationDateTime. NotFound for unknown or invisible ids.
  void renew(Caller caller, std::string id, nlohmann::json body, JsonCallback done);
  // POST /subscriptions/{id}/reauthorize (the answer to reauthorizationRequired): the caller
  // must still be allowed the resource (`can_monitor` for Switchboard's own resources, else
  // PermissionDenied on "resource"); re-arms reauthorizationRequired from now and keeps the
  // expiry. NotFound for unknown or invisible ids.
  void reauthorize(Caller caller, std::string id, bool can_monitor, StatusCallback done);
  void remove(Caller caller, std::string id, StatusCallback done);
  void get(Caller caller, std::string id, JsonCallback done);
  void list(Caller caller, JsonCallback done);  // {"value":[...]}
  // {"value":[dead letters, oldest first]}.
  void deadLetters(Caller caller, std::string id, JsonCallback done);

  // Any thread; never blocks. Matches and queues on the service thread.
  void publish(Change change);
  // Any thread: whether any subscription exists, so that a publisher can skip building
  // Changes nobody receives. Set on the service thread before create() answers, so every
  // change made after a client saw its subscription created finds it true.
  bool hasSubscriptions() const;

  // Service-thread counters, read from any thread (tests, metrics).
  std::size_t deliveredBatches() const;
  std::size_t failedAttempts() const;
  // Pending-delivery transactions that failed (each is retried; see docs/webhooks.md).
  std::size_t failedPendingWrites() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace sb::notify
