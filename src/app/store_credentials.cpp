// SPDX-License-Identifier: Apache-2.0
#include "app/store_credentials.h"

#include <algorithm>

#include "api/crypto.h"
#include "common/log.h"

namespace sb::app {

namespace {

// A miss in the key index may be a key another process wrote; rescan the store at most this
// often so a stream of bad keys cannot turn every request into a full scan.
constexpr auto kIndexRescanInterval = std::chrono::seconds(2);
constexpr auto kKeyCacheTtl = std::chrono::seconds(1);
constexpr std::size_t kKeyCacheMax = 10000;

int rank(api::Role r) {
  switch (r) {
    case api::Role::Admin:
      return 3;
    case api::Role::Supervisor:
      return 2;
    case api::Role::Agent:
      return 1;
    case api::Role::SystemOperator:
      return 4;
  }
  return 0;
}

api::UserRecord userRecordOf(const store::User& u) {
  api::UserRecord out;
  out.id = u.id.value();
  out.tenant_id = u.tenant_id.value();
  out.username = u.username;
  out.password_hash = u.password_hash;
  out.roles = {apiRoleOf(u.role)};
  out.disabled = !u.active;
  return out;
}

api::ApiKeyRecord keyRecordOf(const store::ApiKey& k, WallTime now) {
  api::ApiKeyRecord out;
  out.id = k.id.value();
  out.tenant_id = k.tenant_id.value();
  out.name = k.name;
  out.hash_hex = k.secret_hash;
  out.prefix = k.prefix;
  out.roles = {apiRoleOf(k.role)};
  out.created_at = k.created_at;
  out.revoked = k.revoked || (k.expires_at && *k.expires_at <= now);
  return out;
}

store::Role storeRoleOfConfig(UserRole r) {
  switch (r) {
    case UserRole::Admin:
      return store::Role::Admin;
    case UserRole::Supervisor:
      return store::Role::Supervisor;
    case UserRole::Sme:
      return store::Role::Sme;
    case UserRole::Agent:
      return store::Role::Agent;
  }
  return store::Role::Agent;
}

}  // namespace

api::Role apiRoleOf(store::Role role) noexcept {
  switch (role) {
    case store::Role::Admin:
      return api::Role::Admin;
    case store::Role::Supervisor:
      return api::Role::Supervisor;
    case store::Role::Agent:
    case store::Role::Sme:
      return api::Role::Agent;
    case store::Role::SystemOperator:
      return api::Role::SystemOperator;
  }
  return api::Role::Agent;
}

api::Role apiRoleOf(UserRole role) noexcept { return apiRoleOf(storeRoleOfConfig(role)); }

Result<store::Role> storeRoleOf(const std::vector<api::Role>& roles) {
  if (roles.empty()) return fail(Errc::InvalidArgument, "at least one role is needed", "roles");
  api::Role widest = *std::max_element(roles.begin(), roles.end(),
                                       [](api::Role a, api::Role b) { return rank(a) < rank(b); });
  switch (widest) {
    case api::Role::Admin:
      return store::Role::Admin;
    case api::Role::Supervisor:
      return store::Role::Supervisor;
    case api::Role::Agent:
      return store::Role::Agent;
    case api::Role::SystemOperator:
      break;
  }
  return fail(Errc::InvalidArgument, "a tenant credential cannot hold system_operator", "roles");
}

StoreCredentialSource::StoreCredentialSource(store::Store* store,
                                             api::InMemoryCredentialSource& memory,
                                             const Clock& clock)
    : store_(store), memory_(memory), clock_(clock) {}

Result<api::UserRecord> StoreCredentialSource::findUserByUsername(std::string_view username) {
  if (store_ == nullptr) return memory_.findUserByUsername(username);
  if (auto at = username.rfind('@'); at != std::string_view::npos) {
    store::TenantId tenant{std::string(username.substr(at + 1))};
    if (store_->tenants().get(tenant)) {
      auto u = store_->users().findByUsername(tenant, std::string(username.substr(0, at)));
      if (u) return userRecordOf(*u);
      if (u.error().code != Errc::NotFound) return std::unexpected(u.error());
    }
  }
  auto tenants = store_->tenants().list();
  if (!tenants) return std::unexpected(tenants.error());
  std::optional<store::User> found;
  for (const auto& t : *tenants) {
    auto u = store_->users().findByUsername(t.id, std::string(username));
    if (!u) {
      if (u.error().code != Errc::NotFound) return std::unexpected(u.error());
      continue;
    }
    if (found) {
      return fail(Errc::NotFound, "username exists in several tenants: use username@tenant",
                  "username");
    }
    found = std::move(*u);
  }
  if (found) return userRecordOf(*found);
  return memory_.findUserByUsername(username);
}

Result<api::UserRecord> StoreCredentialSource::findUser(std::string_view user_id) {
  if (store_ == nullptr) return memory_.findUser(user_id);
  if (auto slash = user_id.find('/'); slash != std::string_view::npos) {
    auto u = store_->users().get(store::TenantId(std::string(user_id.substr(0, slash))),
                                 store::UserId(std::string(user_id.substr(slash + 1))));
    if (u) return userRecordOf(*u);
  }
  auto tenants = store_->tenants().list();
  if (!tenants) return std::unexpected(tenants.error());
  std::optional<store::User> found;
  for (const auto& t : *tenants) {
    auto u = store_->users().get(t.id, store::UserId(std::string(user_id)));
    if (!u) continue;
    if (found) return fail(Errc::NotFound, "user id exists in several tenants", "userId");
    found = std::move(*u);
  }
  if (found) return userRecordOf(*found);
  return memory_.findUser(user_id);
}

Status StoreCredentialSource::addUser(api::UserRecord user) {
  if (store_ == nullptr) return memory_.addUser(std::move(user));
  auto role = storeRoleOf(user.roles);
  if (!role) return std::unexpected(role.error());
  store::User u;
  u.tenant_id = store::TenantId(user.tenant_id);
  u.id = store::UserId(user.id);
  u.username = user.username;
  u.display_name = user.username;
  u.role = *role;
  u.password_hash = user.password_hash;
  u.active = !user.disabled;
  auto created = store_->users().create(std::move(u));
  if (!created) return std::unexpected(created.error());
  return {};
}

Status StoreCredentialSource::rebuildIndex() {
  auto tenants = store_->tenants().list();
  if (!tenants) return std::unexpected(tenants.error());
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> index;
  for (const auto& t : *tenants) {
    auto keys = store_->apiKeys().list(t.id);
    if (!keys) return std::unexpected(keys.error());
    for (const auto& k : *keys) {
      index.emplace(k.secret_hash, std::make_pair(k.tenant_id.value(), k.id.value()));
    }
  }
  std::lock_guard lock(mu_);
  index_ = std::move(index);
  last_rebuild_ = clock_.now();
  return {};
}

Result<api::ApiKeyRecord> StoreCredentialSource::findApiKeyByHash(std::string_view hash_hex) {
  if (store_ == nullptr) return memory_.findApiKeyByHash(hash_hex);
  std::optional<std::pair<std::string, std::string>> where;
  bool rescan = false;
  const MonoTime now = clock_.now();
  {
    std::lock_guard lock(mu_);
    if (auto c = key_cache_.find(hash_hex); c != key_cache_.end()) {
      if (now < c->second.until) return c->second.record;
      key_cache_.erase(c);
    }
    if (auto it = index_.find(hash_hex); it != index_.end()) {
      where = it->second;
    } else {
      rescan = now - last_rebuild_ >= kIndexRescanInterval;
    }
  }
  if (!where && rescan) {
    SB_TRY(rebuildIndex());
    std::lock_guard lock(mu_);
    if (auto it = index_.find(hash_hex); it != index_.end()) where = it->second;
  }
  if (!where) return memory_.findApiKeyByHash(hash_hex);
  // Read the row every time: a revocation (here or by another process) applies at once.
  auto key = store_->apiKeys().get(store::TenantId(where->first), store::ApiKeyId(where->second));
  if (!key) {
    if (key.error().code == Errc::NotFound) return fail(Errc::NotFound, "no such API key");
    return std::unexpected(key.error());
  }
  if (key->secret_hash != hash_hex) return fail(Errc::NotFound, "no such API key");
  api::ApiKeyRecord record = keyRecordOf(*key, clock_.wallNow());
  // Never cached past the key's own expiry.
  if (!record.revoked && (!key->expires_at || *key->expires_at > clock_.wallNow() + kKeyCacheTtl)) {
    std::lock_guard lock(mu_);
    if (key_cache_.size() >= kKeyCacheMax) key_cache_.clear();
    key_cache_.insert_or_assign(std::string(hash_hex), CachedKey{record, now + kKeyCacheTtl});
  }
  return record;
}

Status StoreCredentialSource::addApiKey(api::ApiKeyRecord key) {
  if (store_ == nullptr) return memory_.addApiKey(std::move(key));
  auto role = storeRoleOf(key.roles);
  if (!role) return std::unexpected(role.error());
  store::ApiKey k;
  k.tenant_id = store::TenantId(key.tenant_id);
  k.id = store::ApiKeyId(key.id);
  k.name = key.name;
  k.prefix = key.prefix;
  k.secret_hash = key.hash_hex;
  k.role = *role;
  k.created_at = key.created_at;
  k.revoked = key.revoked;
  auto created = store_->apiKeys().create(std::move(k));
  if (!created) return std::unexpected(created.error());
  std::lock_guard lock(mu_);
  index_.insert_or_assign(created->secret_hash,
                          std::make_pair(created->tenant_id.value(), created->id.value()));
  return {};
}

Result<std::vector<api::ApiKeyRecord>> StoreCredentialSource::listApiKeys(
    std::string_view tenant_id) {
  auto out = memory_.listApiKeys(tenant_id);
  if (!out || store_ == nullptr) return out;
  auto keys = store_->apiKeys().list(store::TenantId(std::string(tenant_id)));
  if (!keys) return std::unexpected(keys.error());
  const WallTime now = clock_.wallNow();
  for (const auto& k : *keys) out->push_back(keyRecordOf(k, now));
  return out;
}

Status StoreCredentialSource::revokeApiKey(std::string_view tenant_id, std::string_view key_id) {
  if (store_ == nullptr) return memory_.revokeApiKey(tenant_id, key_id);
  {
    std::lock_guard lock(mu_);
    std::erase_if(key_cache_, [&](const auto& entry) {
      return entry.second.record.tenant_id == tenant_id && entry.second.record.id == key_id;
    });
  }
  auto revoked = store_->apiKeys().revoke(store::TenantId(std::string(tenant_id)),
                                          store::ApiKeyId(std::string(key_id)));
  if (revoked) return {};
  if (revoked.error().code != Errc::NotFound) return revoked;
  return memory_.revokeApiKey(tenant_id, key_id);
}

// Refresh tokens live in the store when there is one (a restart keeps sessions); the hash,
// never the token, is the key. Rotation and reuse detection are TokenService's, unchanged.
Status StoreCredentialSource::addRefreshToken(api::RefreshTokenRecord token) {
  if (store_ == nullptr) return memory_.addRefreshToken(std::move(token));
  // Expired tokens are useless even for reuse detection: drop them now and then.
  if (++refresh_adds_ % kPurgeEvery == 0) {
    if (auto purged = store_->refreshTokens().purgeExpired(clock_.wallNow()); !purged) {
      SB_LOG_WARN("purging expired refresh tokens failed: {}", purged.error().toString());
    }
  }
  return store_->refreshTokens().create(store::RefreshToken{
      token.hash_hex, token.family_id, token.user_id, token.expires_at, token.used, token.revoked});
}

Result<api::RefreshTokenRecord> StoreCredentialSource::consumeRefreshToken(
    std::string_view hash_hex) {
  if (store_ == nullptr) return memory_.consumeRefreshToken(hash_hex);
  auto t = store_->refreshTokens().consume(std::string(hash_hex));
  if (!t) return std::unexpected(t.error());
  return api::RefreshTokenRecord{t->hash_hex,   t->family_id, t->user_id,
                                 t->expires_at, t->used,      t->revoked};
}

Status StoreCredentialSource::revokeRefreshFamily(std::string_view family_id) {
  if (store_ == nullptr) return memory_.revokeRefreshFamily(family_id);
  return store_->refreshTokens().revokeFamily(std::string(family_id));
}

// Read on every request an app token makes, uncached, so deleting the app (here or on another
// node sharing PostgreSQL) stops its tokens at once: one primary-key read.
Result<api::AppRecord> StoreCredentialSource::findApp(std::string_view client_id) {
  if (store_ == nullptr) return memory_.findApp(client_id);
  auto app = store_->apps().findByClientId(store::AppClientId(std::string(client_id)));
  if (!app) {
    if (app.error().code == Errc::NotFound) return memory_.findApp(client_id);
    return std::unexpected(app.error());
  }
  api::AppRecord out;
  out.client_id = app->client_id.value();
  out.tenant_id = app->tenant_id.value();
  out.display_name = app->display_name;
  out.secret_hash = app->secret_hash;
  for (auto r : app->roles) out.roles.push_back(apiRoleOf(r));
  return out;
}

Status StoreCredentialSource::seedFromConfig(const Config& config) {
  if (store_ == nullptr) return {};
  for (const auto& t : config.tenants) {
    const store::TenantId tenant(t.id);
    if (!store_->tenants().get(tenant)) {
      store::Tenant row;
      row.id = tenant;
      row.name = t.name.empty() ? t.id : t.name;
      row.created_at = clock_.wallNow();
      auto created = store_->tenants().create(row);
      if (!created && created.error().code != Errc::AlreadyExists) {
        return std::unexpected(created.error());
      }
    }
    for (const auto& u : t.users) {
      if (u.password.empty()) continue;  // no local sign-in for this user
      auto existing = store_->users().get(tenant, store::UserId(u.id));
      if (existing && !existing->password_hash.empty()) continue;  // set through the API
      auto hash = api::hashPassword(u.password);
      if (!hash) return std::unexpected(hash.error());
      if (existing) {
        existing->password_hash = std::move(*hash);
        SB_TRY(store_->users().update(*existing));
        continue;
      }
      store::User row;
      row.tenant_id = tenant;
      row.id = store::UserId(u.id);
      row.username = u.id;
      row.display_name = u.name.empty() ? u.id : u.name;
      row.role = storeRoleOfConfig(u.role);
      row.password_hash = std::move(*hash);
      auto created = store_->users().create(std::move(row));
      if (!created) return std::unexpected(created.error());
    }
    if (!t.demo_admin_key.empty()) {
      const store::ApiKeyId id(t.id + "-demo-admin");
      auto existing = store_->apiKeys().get(tenant, id);
      if (!existing) {
        if (existing.error().code != Errc::NotFound) return std::unexpected(existing.error());
        store::ApiKey k;
        k.tenant_id = tenant;
        k.id = id;
        k.name = "demo admin key";
        k.prefix = t.demo_admin_key.substr(0, std::min<std::size_t>(12, t.demo_admin_key.size()));
        k.secret_hash = api::sha256Hex(t.demo_admin_key);
        k.role = store::Role::Admin;
        k.created_at = clock_.wallNow();
        auto created = store_->apiKeys().create(std::move(k));
        if (!created) return std::unexpected(created.error());
      }
    }
  }
  return rebuildIndex();
}

}  // namespace sb::app
