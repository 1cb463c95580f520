// SPDX-License-Identifier: Apache-2.0
// CredentialSource: where the auth layer finds local users, API keys, refresh tokens and
// registered apps (OAuth clients). app::StoreCredentialSource implements it over the store;
// InMemoryCredentialSource serves tests and single-node demos. Implementations must be
// thread-safe: the token endpoint and the authenticator call them from connection strands and
// the blocking pool. Secrets are never stored: only argon2id hashes (passwords) and SHA-256
// hashes (API keys, refresh tokens, app client secrets).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.h"
#include "common/clock.h"
#include "common/result.h"

namespace sb::api {

struct UserRecord {
  std::string id;
  std::string tenant_id;
  std::string username;       // unique across the installation
  std::string password_hash;  // argon2id PHC string
  std::vector<Role> roles;
  bool disabled = false;
};

struct ApiKeyRecord {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string hash_hex;  // SHA-256 of the whole key
  std::string prefix;    // first characters of the key, for display ("sb_AbCd")
  std::vector<Role> roles;
  std::string created_by;
  WallTime created_at{};
  bool revoked = false;
};

struct RefreshTokenRecord {
  std::string hash_hex;   // SHA-256 of the token
  std::string family_id;  // all rotations of one sign-in share it
  std::string user_id;
  WallTime expires_at{};
  bool used = false;     // rotated away already
  bool revoked = false;  // family revoked (reuse detected, sign-out)
};

// A registered OAuth client (app registration) of one tenant.
struct AppRecord {
  std::string client_id;  // a GUID, unique across the installation
  std::string tenant_id;
  std::string display_name;
  std::string secret_hash;  // SHA-256 hex of the client secret
  std::vector<Role> roles;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // NotFound when absent.
  virtual Result<UserRecord> findUserByUsername(std::string_view username) = 0;
  virtual Result<UserRecord> findUser(std::string_view user_id) = 0;
  // AlreadyExists on a duplicate id or username.
  virtual Status addUser(UserRecord user) = 0;

  virtual Result<ApiKeyRecord> findApiKeyByHash(std::string_view hash_hex) = 0;
  virtual Status addApiKey(ApiKeyRecord key) = 0;
  virtual Result<std::vector<ApiKeyRecord>> listApiKeys(std::string_view tenant_id) = 0;
  // NotFound when the key does not exist in that tenant.
  virtual Status revokeApiKey(std::string_view tenant_id, std::string_view key_id) = 0;

  virtual Status addRefreshToken(RefreshTokenRecord token) = 0;
  // Atomically marks the token used and returns the record as it was before (so used == true
  // means this is a reuse). NotFound when unknown.
  virtual Result<RefreshTokenRecord> consumeRefreshToken(std::string_view hash_hex) = 0;
  virtual Status revokeRefreshFamily(std::string_view family_id) = 0;

  // The app registered under `client_id`; NotFound when there is none (never registered or
  // deleted). Called for every request an app token makes, so a deletion applies at once.
  virtual Result<AppRecord> findApp(std::string_view client_id) = 0;
};

class InMemoryCredentialSource final : public CredentialSource {
 public:
  InMemoryCredentialSource() = default;
  InMemoryCredentialSource(const InMemoryCredentialSource&) = delete;
  InMemoryCredentialSource& operator=(const InMemoryCredentialSource&) = delete;

  Result<UserRecord> findUserByUsername(std::string_view username) override;
  Result<UserRecord> findUser(std::string_view user_id) override;
  Status addUser(UserRecord user) override;
  Result<ApiKeyRecord> findApiKeyByHash(std::string_view hash_hex) override;
  Status addApiKey(ApiKeyRecord key) override;
  Result<std::vector<ApiKeyRecord>> listApiKeys(std::string_view tenant_id) override;
  Status revokeApiKey(std::string_view tenant_id, std::string_view key_id) override;
  Status addRefreshToken(RefreshTokenRecord token) override;
  Result<RefreshTokenRecord> consumeRefreshToken(std::string_view hash_hex) override;
  Status revokeRefreshFamily(std::string_view family_id) override;
  Result<AppRecord> findApp(std::string_view client_id) override;
  // Registers or replaces an app (tests and store-less demos).
  void putApp(AppRecord app);
  void removeApp(std::string_view client_id);

  // Snapshot of stored refresh-token records (tests check that only hashes are kept).
  std::vector<RefreshTokenRecord> refreshTokens() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, UserRecord, std::less<>> users_;          // GUARDED_BY(mu_), by id
  std::map<std::string, ApiKeyRecord, std::less<>> api_keys_;     // GUARDED_BY(mu_), by hash
  std::map<std::string, RefreshTokenRecord, std::less<>> refresh_;  // GUARDED_BY(mu_), by hash
  std::map<std::string, AppRecord, std::less<>> apps_;              // GUARDED_BY(mu_), by client id
};

}  // namespace sb::api
