// SPDX-License-Identifier: Apache-2.0
#include "api/credentials.h"

namespace sb::api {

namespace {
// The value under key in one of the source's maps (caller holds the lock), or NotFound.
template <class Map>
Result<typename Map::mapped_type> lookup(const Map& map, std::string_view key,
                                         const char* message, const char* field) {
  auto it = map.find(key);
  if (it == map.end()) return fail(Errc::NotFound, message, field);
  return it->second;
}
}  // namespace

Result<UserRecord> InMemoryCredentialSource::findUserByUsername(std::string_view username) {
  std::lock_guard lock(mu_);
  for (const auto& [id, u] : users_) {
    if (u.username == username) return u;
  }
  return fail(Errc::NotFound, "no such user", "username");
}

Result<UserRecord> InMemoryCredentialSource::findUser(std::string_view user_id) {
  std::lock_guard lock(mu_);
  return lookup(users_, user_id, "no such user", "userId");
}

Status InMemoryCredentialSource::addUser(UserRecord user) {
  std::lock_guard lock(mu_);
  if (users_.contains(user.id)) return fail(Errc::AlreadyExists, "user id exists", "id");
  for (const auto& [id, u] : users_) {
    if (u.username == user.username) {
      return fail(Errc::AlreadyExists, "username is taken", "username");
    }
  }
  users_.emplace(user.id, std::move(user));
  return {};
}

Result<ApiKeyRecord> InMemoryCredentialSource::findApiKeyByHash(std::string_view hash_hex) {
  std::lock_guard lock(mu_);
  return lookup(api_keys_, hash_hex, "no such API key", "");
}

Status InMemoryCredentialSource::addApiKey(ApiKeyRecord key) {
  std::lock_guard lock(mu_);
  if (api_keys_.contains(key.hash_hex)) return fail(Errc::AlreadyExists, "API key exists");
  api_keys_.emplace(key.hash_hex, std::move(key));
  return {};
}

Result<std::vector<ApiKeyRecord>> InMemoryCredentialSource::listApiKeys(
    std::string_view tenant_id) {
  std::lock_guard lock(mu_);
  std::vector<ApiKeyRecord> out;
  for (const auto& [h, k] : api_keys_) {
    if (k.tenant_id == tenant_id) out.push_back(k);
  }
  return out;
}

Status InMemoryCredentialSource::revokeApiKey(std::string_view tenant_id,
                                              std::string_view key_id) {
  std::lock_guard lock(mu_);
  for (auto& [h, k] : api_keys_) {
    if (k.id == key_id && k.tenant_id == tenant_id) {
      k.revoked = true;
      return {};
    }
  }
  return fail(Errc::NotFound, "no such API key", "keyId");
}

Status InMemoryCredentialSource::addRefreshToken(RefreshTokenRecord token) {
  std::lock_guard lock(mu_);
  refresh_.insert_or_assign(token.hash_hex, std::move(token));
  return {};
}

Result<RefreshTokenRecord> InMemoryCredentialSource::consumeRefreshToken(
    std::string_view hash_hex) {
  std::lock_guard lock(mu_);
  auto it = refresh_.find(hash_hex);
  if (it == refresh_.end()) return fail(Errc::NotFound, "unknown refresh token", "refresh_token");
  RefreshTokenRecord before = it->second;
  it->second.used = true;
  return before;
}

Status InMemoryCredentialSource::revokeRefreshFamily(std::string_view family_id) {
  std::lock_guard lock(mu_);
  for (auto& [h, t] : refresh_) {
    if (t.family_id == family_id) t.revoked = true;
  }
  return {};
}

Result<AppRecord> InMemoryCredentialSource::findApp(std::string_view client_id) {
  std::lock_guard lock(mu_);
  return lookup(apps_, client_id, "no such app", "client_id");
}

void InMemoryCredentialSource::putApp(AppRecord app) {
  std::lock_guard lock(mu_);
  std::string id = app.client_id;
  apps_.insert_or_assign(std::move(id), std::move(app));
}

void InMemoryCredentialSource::removeApp(std::string_view client_id) {
  std::lock_guard lock(mu_);
  if (auto it = apps_.find(client_id); it != apps_.end()) apps_.erase(it);
}

std::vector<RefreshTokenRecord> InMemoryCredentialSource::refreshTokens() const {
  std::lock_guard lock(mu_);
  std::vector<RefreshTokenRecord> out;
  for (const auto& [h, t] : refresh_) out.push_back(t);
  return out;
}

}  // namespace sb::api
