// SPDX-License-Identifier: Apache-2.0
// notify::SubscriptionPersistence over store::SubscriptionRepository: each webhook
// subscription is one row whose document_json is notify::toDocument() (including the signing
// key and the dead letters). Called on the SubscriptionService thread; the store is
// thread-safe and blocking.
#include <memory>

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
