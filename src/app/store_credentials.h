// SPDX-License-Identifier: Apache-2.0
// StoreCredentialSource: the auth layer's CredentialSource backed by the store, so local
// accounts (store User.password_hash, argon2id) and API keys (store ApiKey: display prefix +
// SHA-256 secret hash) survive a restart, and so do refresh tokens (store RefreshToken: SHA-256
// hash, family, used/revoked flags), and so do app registrations (store AppRegistration). Owned by
// HttpApi; thread-safe (the store is; the key index is mutex-guarded). Every call blocks on the
// store: call it from the blocking pool or at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "api/credentials.h"
#include "app/config.h"
#include "common/clock.h"
#include "store/store.h"

namespace sb::app {

// Role mapping between the API's roles and the store's single role per user/key.
api::Role apiRoleOf(store::Role role) noexcept;  // sme -> agent
api::Role apiRoleOf(UserRole role) noexcept;     // a YAML user's role; sme -> agent
// The widest of `roles`; InvalidArgument (field "roles") when empty or system_operator, which
// the store cannot hold for a tenant account.
Result<store::Role> storeRoleOf(const std::vector<api::Role>& roles);

class StoreCredentialSource final : public api::CredentialSource {
 public:
  // store may be null: then everything goes to `memory`. Both must outlive this object.
  // `memory` answers for users and keys absent from the store (and keeps refresh tokens when
  // there is no store).
  StoreCredentialSource(store::Store* store, api::InMemoryCredentialSource& memory,
                        const Clock& clock);
  StoreCredentialSource(const StoreCredentialSource&) = delete;
  StoreCredentialSource& operator=(const StoreCredentialSource&) = delete;

  // Usernames are unique per tenant in the store: "name@tenant" picks the tenant; a bare name
  // must match in exactly one tenant (NotFound otherwise).
  Result<api::UserRecord> findUserByUsername(std::string_view username) override;
  // A bare id must exist in exactly one tenant; "tenant/id" is also accepted.
  Result<api::UserRecord> findUser(std::string_view user_id) override;
  Status addUser(api::UserRecord user) override;

  Result<api::ApiKeyRecord> findApiKeyByHash(std::string_view hash_hex) override;
  Status addApiKey(api::ApiKeyRecord key) override;
  Result<std::vector<api::ApiKeyRecord>> listApiKeys(std::string_view tenant_id) override;
  Status revokeApiKey(std::string_view tenant_id, std::string_view key_id) override;

  Status addRefreshToken(api::RefreshTokenRecord token) override;
  Result<api::RefreshTokenRecord> consumeRefreshToken(std::string_view hash_hex) override;
  Status revokeRefreshFamily(std::string_view family_id) override;
  // The store's app registration (roles mapped like a user's), else `memory`'s.
  Result<api::AppRecord> findApp(std::string_view client_id) override;

  // Start-up: seeds the config's sign-in accounts (YAML `password`, store id = YAML id) and
  // demo admin keys (id "<tenant>-demo-admin") into the store. An existing account keeps its
  // password unless it has none; an existing key (even revoked) is left alone. Builds the key
  // index. Errors: the store's.
  Status seedFromConfig(const Config& config);

 private:
  // Reloads the hash -> (tenant, key id) index from every tenant's keys.
  Status rebuildIndex();

  // Every kPurgeEvery-th new refresh token also deletes the expired ones.
  static constexpr std::uint64_t kPurgeEvery = 256;

  store::Store* store_;
  api::InMemoryCredentialSource& memory_;
  std::atomic<std::uint64_t> refresh_adds_{0};
  const Clock& clock_;
  std::mutex mu_;
  // SHA-256 hex of a key -> (tenant id, key id). GUARDED_BY(mu_). Lookups then read the key
  // from the store, so a revocation takes effect at once.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> index_;
  MonoTime last_rebuild_{};  // GUARDED_BY(mu_)
  // Verified keys by hash, for kKeyCacheTtl: an API-key request would otherwise cost a store
  // read. Revocation through this source erases the entry at once; a revocation elsewhere (another
  // node on the same PostgreSQL) applies within the TTL. GUARDED_BY(mu_).
  struct CachedKey {
    api::ApiKeyRecord record;
    MonoTime until{};
  };
  std::map<std::string, CachedKey, std::less<>> key_cache_;
};

}  // namespace sb::app
