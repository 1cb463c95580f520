// SPDX-License-Identifier: Apache-2.0
// notify::SubscriptionPersistence over store::SubscriptionRepository: each webhook
// subscription is one row whose document_json is notify::toDocument() (including the signing
// key and the dead letters); its queued notifications are rows of
// store::PendingDeliveryRepository. Called on the SubscriptionService thread and its
// pending-delivery writer; the store is thread-safe and blocking.
#include <map>
#include <memory>
#include <tuple>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "notify/subscription_service.h"
#include "store/store.h"

namespace sb::app {

namespace {

class StoreSubscriptionPersistence final : public notify::SubscriptionPersistence {
 public:
  explicit StoreSubscriptionPersistence(store::Store& store) : store_(store) {}

  Status save(const notify::StoredSubscription& s, bool created) override {
    store::Subscription row;
    row.tenant_id = store::TenantId(s.record.sub.tenant_id);
    row.id = s.record.sub.id;
    row.resource = s.record.sub.request.resource;
    row.document_json = notify::toDocument(s).dump();
    row.expires_at = s.record.sub.request.expiration;
    if (created) {
      auto r = store_.subscriptions().create(std::move(row));
      if (!r) return std::unexpected(r.error());
      return {};
    }
    return store_.subscriptions().update(row);
  }

  Status remove(const std::string& tenant, const std::string& id) override {
    auto s = store_.subscriptions().remove(store::TenantId(tenant), id);
    if (!s && s.error().code == Errc::NotFound) return {};
    return s;
  }

  Result<std::vector<notify::StoredSubscription>> loadAll() override {
    auto rows = store_.subscriptions().listAll();
    if (!rows) return std::unexpected(rows.error());
    std::vector<notify::StoredSubscription> out;
    for (const auto& row : *rows) {
      auto doc = nlohmann::json::parse(row.document_json, nullptr, /*allow_exceptions=*/false);
      auto s = notify::fromDocument(doc);
      if (!s) {
        // One unreadable row must not keep the others from being delivered.
        SB_LOG_WARN("webhooks: skipping stored subscription {}: {}", row.id,
                    s.error().toString());
        continue;
      }
      out.push_back(std::move(*s));
    }
    return out;
  }

  bool keepsPending() const override { return true; }

  Status writePending(const std::vector<notify::PendingWrite>& writes) override {
    using Kind = notify::PendingOp::Kind;
    std::vector<store::PendingDeliveryWrite> rows;
    rows.reserve(writes.size());
    for (const auto& w : writes) {
      store::PendingDeliveryWrite row;
      switch (w.kind) {
        case Kind::PutItem:
          row.kind = store::PendingDeliveryWrite::Kind::PutItem;
          break;
        case Kind::PutState:
          row.kind = store::PendingDeliveryWrite::Kind::PutState;
          break;
        case Kind::RemoveUpTo:
          row.kind = store::PendingDeliveryWrite::Kind::RemoveUpTo;
          break;
        case Kind::RemoveSubscription:
          row.kind = store::PendingDeliveryWrite::Kind::RemoveSubscription;
          break;
      }
      row.item = {store::TenantId(w.tenant_id), w.subscription_id, w.lifecycle, w.seq, w.item_json};
      row.state = {store::TenantId(w.tenant_id),
                   w.subscription_id,
                   w.lifecycle,
                   w.batch_end,
                   w.attempts,
                   w.first_attempt,
                   w.next_attempt,
                   w.last_error};
      rows.push_back(std::move(row));
    }
    return store_.pendingDeliveries().apply(rows);
  }

  Result<std::vector<notify::StoredQueue>> loadPending() override {
    auto items = store_.pendingDeliveries().listItems();
    if (!items) return std::unexpected(items.error());
    auto states = store_.pendingDeliveries().listStates();
    if (!states) return std::unexpected(states.error());
    using Key = std::tuple<std::string, std::string, bool>;
    std::map<Key, notify::StoredQueue> queues;
    auto queueOf = [&](const store::TenantId& t, const std::string& sub,
                       bool lifecycle) -> notify::StoredQueue& {
      auto& q = queues[Key(t.value(), sub, lifecycle)];
      q.tenant_id = t.value();
      q.subscription_id = sub;
      q.lifecycle = lifecycle;
      return q;
    };
    for (auto& i : *items) {
      queueOf(i.tenant_id, i.subscription_id, i.lifecycle)
          .items.emplace_back(i.seq, std::move(i.item_json));
    }
    for (auto& s : *states) {
      queueOf(s.tenant_id, s.subscription_id, s.lifecycle).batch = notify::StoredQueue::Batch{
          s.batch_end, s.attempts, s.first_attempt_at, s.next_attempt_at, s.last_error};
    }
    std::vector<notify::StoredQueue> out;
    out.reserve(queues.size());
    for (auto& [key, q] : queues) out.push_back(std::move(q));
    return out;
  }

 private:
  store::Store& store_;
};

}  // namespace

// Declared where it is used (routes_subscriptions.cpp): the only caller.
std::unique_ptr<notify::SubscriptionPersistence> makeStoreSubscriptionPersistence(
    store::Store& store) {
  return std::make_unique<StoreSubscriptionPersistence>(store);
}

}  // namespace sb::app
