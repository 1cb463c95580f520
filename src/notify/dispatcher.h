// SPDX-License-Identifier: Apache-2.0
// Dispatcher: the I/O-free core of webhook delivery. It holds the live subscriptions, matches
// changes to them, keeps one queue per subscription (notifications, and lifecycle events on
// their own queue), batches, retries with backoff (presence::nextRetry), dead-letters, and
// emits `reauthorizationRequired` / `subscriptionRemoved` / `missed` lifecycle events. Time
// and jitter are inputs. Owned by one thread (SubscriptionService's); not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "notify/encryption.h"
#include "presence/subscription.h"

namespace sb::notify {

// A subscription as the dispatcher keeps it. signing_key is the HMAC-SHA256 key (hex text);
// encryption is the subscriber's certificate when it asked for resource data
// (includeResourceData), parsed once.
struct SubscriptionRecord {
  presence::Subscription sub;
  std::string signing_key;
  CertificatePtr encryption;
  WallTime armed_at{};  // creation or last renewal: reauthorizationRequired is relative to it
};

// A change from a producer. kind is Presence (matches Presence and PresenceList
// subscriptions), QueueStats or Interactions; id is the user, queue or interaction id.
// resource_data is what a basic notification carries; resource is the whole resource, which
// a subscription with includeResourceData receives encrypted (its resourceData then keeps only
// the identifying properties: @odata.type, @odata.id, id).
struct Change {
  std::string tenant_id;
  presence::ResourceKind kind = presence::ResourceKind::Presence;
  std::string id;
  uint8_t change_type = presence::kUpdated;  // exactly one bit
  nlohmann::json resource_data = nlohmann::json::object();
  nlohmann::json resource = nullptr;  // null: resource_data is the whole resource
};

struct DeadLetter {
  nlohmann::json item;  // the notification (or lifecycle) item as it would have been sent
  bool lifecycle = false;
  WallTime failed_at{};
  int attempts = 0;
  std::string last_error;
};
nlohmann::json toJson(const DeadLetter& d);
std::optional<DeadLetter> deadLetterFromJson(const nlohmann::json& j);

struct DispatchOptions {
  presence::RetryPolicy retry;
  std::size_t max_batch = 100;           // items per POST
  std::size_t max_pending = 10000;       // queued items per subscription; beyond: dead letter
  std::size_t max_dead_letters = 1000;   // per subscription, oldest dropped
  std::size_t max_in_flight = 64;        // POSTs at once over all subscriptions
  Duration reauthorize_before = std::chrono::minutes(10);
  // Signs the `validationTokens` entry of a delivery to a subscription with resource data
  // (a JWT whose audience is the subscribing app); unset or nullopt: no tokens are sent.
  std::function<std::optional<std::string>(const presence::Subscription&)> validation_token;
};

// Pending-delivery journal (docs/webhooks.md "Restarts"): when enabled, every change to a
// subscription's queues is recorded as an op for the store, in order. seq numbers an item
// within its queue (per subscription and lifecycle flag) and never repeats; ticket numbers ops
// over the whole dispatcher. Times are the dispatcher's monotonic times.
struct PendingOp {
  enum class Kind {
    PutItem,            // insert or replace item `seq` (item_json)
    PutState,           // the current batch (seq <= batch_end) and its retry state
    RemoveUpTo,         // items seq <= batch_end and the state are gone (delivered/dead)
    RemoveSubscription  // every item and state of the subscription
  };
  Kind kind = Kind::PutItem;
  uint64_t ticket = 0;
  std::string tenant_id;
  std::string subscription_id;
  bool lifecycle = false;
  int64_t seq = 0;
  std::string item_json;
  int64_t batch_end = 0;
  int attempts = 0;  // failed attempts of the batch so far
  MonoTime first_attempt{};
  MonoTime next_attempt{};
  std::string last_error;
};

// A queue read back from the store: items by seq, and the batch in progress if any.
struct RestoredQueue {
  std::string subscription_id;
  bool lifecycle = false;
  std::vector<std::pair<int64_t, nlohmann::json>> items;  // ascending seq
  struct Batch {
    int64_t batch_end = 0;
    int attempts = 0;
    MonoTime first_attempt{};
    MonoTime next_attempt{};
    std::string last_error;
  };
  std::optional<Batch> batch;
};

// One POST to make. The caller reports the outcome with Dispatcher::complete(id, ...).
struct Delivery {
  uint64_t id = 0;
  std::string tenant_id;
  std::string subscription_id;
  bool lifecycle = false;
  std::string url;
  std::string body;  // {"value":[...]}
  std::string signing_key;
  int attempt = 1;
  std::size_t items = 0;
};

class Dispatcher final {
 public:
  // jitter returns values in [0,1) (tests pass a constant).
  Dispatcher(DispatchOptions options, std::function<double()> jitter);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Adds (or, same id, replaces) a subscription, with dead letters restored from storage.
  void add(SubscriptionRecord record, std::vector<DeadLetter> dead_letters = {});
  // New expiry (already validated). Re-arms reauthorizationRequired. False when unknown.
  bool renew(const std::string& tenant, const std::string& id, WallTime expiry, WallTime now);
  // Deleted by its owner: pending items are dropped, no lifecycle event. False when unknown.
  bool remove(const std::string& tenant, const std::string& id);

  const SubscriptionRecord* find(const std::string& tenant, const std::string& id) const;
  const SubscriptionRecord* findById(const std::string& id) const;  // any tenant
  std::vector<const SubscriptionRecord*> list(const std::string& tenant) const;
  const std::deque<DeadLetter>* deadLetters(const std::string& tenant,
                                            const std::string& id) const;
  std::size_t pendingCount(const std::string& id) const;  // queued + in the current batch
  std::size_t size() const { return subs_.size(); }       // subscriptions, every tenant

  // Queues a notification on every matching subscription; returns how many matched.
  // Consecutive `updated` items for the same resource that have not been sent yet collapse
  // into the newest (queue stats and presence are state, not history).
  std::size_t publish(const Change& change);

  struct Poll {
    std::vector<Delivery> deliveries;
    std::vector<std::pair<std::string, std::string>> expired;  // (tenant, id): now gone
    std::vector<std::string> dead_lettered;  // subscription ids whose dead letters grew
  };
  // Expires subscriptions, raises reauthorizationRequired, gives up on exhausted batches, and
  // returns the POSTs due now (at most one in flight per queue, max_in_flight overall).
  Poll poll(MonoTime now, WallTime wall);
  // Outcome of a delivery from poll(): ok means a 2xx in time.
  void complete(uint64_t delivery_id, bool ok, std::string error, MonoTime now);
  // The earliest instant poll() has something to do; nullopt when idle.
  std::optional<MonoTime> nextWakeup(MonoTime now, WallTime wall) const;
  std::size_t inFlight() const { return in_flight_; }

  // Journal (see PendingOp). Once enabled, items are only batched after markDurable() covered
  // the ticket of their PutItem, so a receiver never sees a notification the store could
  // lose: the first delivery attempt proves it survives a crash.
  void enableJournal() { journal_enabled_ = true; }
  // The ops recorded since the last call, in order.
  std::vector<PendingOp> takeJournal();
  // Every op with ticket <= ticket is committed.
  void markDurable(uint64_t ticket) { durable_ = std::max(durable_, ticket); }
  // The ticket of the newest op recorded (0 when none).
  uint64_t lastTicket() const { return next_ticket_ - 1; }
  // Restores a persisted queue of a subscription added before (start-up, before any
  // publish). The restored items count as durable; the batch keeps its attempt count and
  // schedule. False (and nothing changes) when the subscription or its lifecycle URL is
  // unknown: the caller drops the stored rows.
  bool restore(RestoredQueue queue);

 private:
  struct Item {
    int64_t seq = 0;
    uint64_t ticket = 0;  // of its latest PutItem; 0 when not journaled
    nlohmann::json json;
  };
  struct Queue {
    std::string url;
    std::deque<Item> pending;
    std::vector<Item> batch;  // being delivered (retried as a whole)
    int64_t next_seq = 1;
    bool journaled = true;  // false for an orphan: its rows went with the subscription
    int failures = 0;
    MonoTime first_attempt{};
    MonoTime next_attempt{};
    std::optional<uint64_t> in_flight;
    std::string last_error;
    bool idle() const { return batch.empty() && pending.empty(); }
  };
  struct Entry {
    SubscriptionRecord record;
    Queue notify;
    std::optional<Queue> lifecycle;
    bool reauth_sent = false;
    bool overflowing = false;  // a `missed` was queued for the current overflow
    std::deque<DeadLetter> dead;
  };
  // A lifecycle queue still draining after its subscription expired.
  struct Orphan {
    std::string tenant_id;
    std::string subscription_id;
    std::string signing_key;
    Queue queue;
  };

  void queueLifecycle(Entry& e, presence::LifecycleEvent event);
  void append(Queue& q, const std::string& tenant, const std::string& sub, bool lifecycle,
              nlohmann::json item);
  void record(PendingOp op);
  void recordState(const Queue& q, const std::string& tenant, const std::string& sub,
                   bool lifecycle);
  void recordRemoveUpTo(const Queue& q, const std::string& tenant, const std::string& sub,
                        bool lifecycle, int64_t batch_end);
  bool batchable(const Queue& q) const;
  void addDead(Entry& e, nlohmann::json item, bool lifecycle, WallTime wall, int attempts,
               const std::string& error);
  // Moves the queue forward; returns a delivery when one is due.
  std::optional<Delivery> step(Queue& q, const std::string& tenant, const std::string& sub,
                               const std::string& key, bool lifecycle, MonoTime now);
  // Gives up on q's batch if its retry window is over; returns the given-up items.
  std::vector<Item> giveUpIfExhausted(Queue& q, MonoTime now);
  WallTime reauthAt(const Entry& e) const;

  DispatchOptions options_;
  std::function<double()> jitter_;
  std::map<std::string, Entry> subs_;  // by subscription id (GUIDs are unique over tenants)
  std::vector<Orphan> orphans_;
  // delivery id -> (subscription id or orphan marker, lifecycle)
  struct InFlight {
    std::string subscription_id;
    bool lifecycle = false;
    bool orphan = false;
  };
  std::map<uint64_t, InFlight> deliveries_;
  uint64_t next_delivery_ = 1;
  std::size_t in_flight_ = 0;
  // poll() collects these between calls.
  std::vector<std::string> dead_lettered_;
  bool journal_enabled_ = false;
  std::vector<PendingOp> journal_;
  uint64_t next_ticket_ = 1;
  uint64_t durable_ = 0;
};

}  // namespace sb::notify
