// SPDX-License-Identifier: Apache-2.0
#include "api/token_service.h"

#include <chrono>

#include "api/http_types.h"

namespace sb::api {

namespace {

std::int64_t epochSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Principal principalOf(const UserRecord& user) {
  return Principal{user.id, user.id, user.tenant_id, user.roles, AuthMethod::AccessToken};
}

}  // namespace

TokenService::TokenService(CredentialSource& credentials, const Clock& clock, TokenOptions options)
    : credentials_(credentials),
      clock_(clock),
      options_(std::move(options)),
      keys_(clock, options_.key_rotation, options_.access_ttl) {}

Result<std::string> TokenService::issueAccessToken(const Principal& principal) {
  WallTime now = clock_.wallNow();
  nlohmann::json roles = nlohmann::json::array();
  for (Role r : principal.roles) roles.push_back(roleName(r));
  nlohmann::json claims = {
      {"iss", options_.issuer},
      {"sub", principal.user_id},
      {"tid", principal.tenant_id},
      {"roles", roles},
      {"iat", epochSeconds(now)},
      {"exp",
       epochSeconds(now + std::chrono::duration_cast<WallTime::duration>(options_.access_ttl))},
      {"jti", base64UrlEncode(randomBytes(12))},
  };
  return keys_.sign(claims);
}

Result<Principal> TokenService::verifyAccessToken(std::string_view token) const {
  const std::uint64_t revocations = keys_.revocations();  // before verifying: never too new
  auto claims = keys_.verify(token);
  if (!claims) return fail(Errc::PermissionDenied, claims.error().message);
  const auto& c = *claims;
  if (c.value("iss", std::string()) != options_.issuer) {
    return fail(Errc::PermissionDenied, "token issuer is not accepted");
  }
  if (!c.contains("exp") || !c["exp"].is_number_integer()) {
    return fail(Errc::PermissionDenied, "token has no expiry");
  }
  if (epochSeconds(clock_.wallNow()) >= c["exp"].get<std::int64_t>()) {
    return fail(Errc::PermissionDenied, "token expired");
  }
  Principal p;
  p.user_id = p.subject = c.value("sub", std::string());
  p.tenant_id = c.value("tid", std::string());
  p.method = AuthMethod::AccessToken;
  if (c.contains("roles") && c["roles"].is_array()) {
    for (const auto& r : c["roles"]) {
      if (!r.is_string()) continue;
      if (auto role = parseRole(r.get<std::string>())) p.roles.push_back(*role);
    }
  }
  if (p.user_id.empty()) return fail(Errc::PermissionDenied, "token has no subject");
  {
    std::lock_guard lock(verified_mu_);
    if (verified_.size() >= 10000) verified_.clear();
    verified_.insert_or_assign(std::string(token),
                               VerifiedToken{p, c["exp"].get<std::int64_t>(), revocations});
  }
  return p;
}

Result<TokenGrant> TokenService::grantFor(const UserRecord& user, std::string family_id) {
  TokenGrant grant;
  grant.principal = principalOf(user);
  auto access = issueAccessToken(grant.principal);
  if (!access) return std::unexpected(access.error());
  grant.access_token = std::move(*access);
  grant.expires_in = std::chrono::duration_cast<std::chrono::seconds>(options_.access_ttl).count();
  grant.refresh_token = std::string(kRefreshPrefix) + base64UrlEncode(randomBytes(32));
  RefreshTokenRecord rec;
  rec.hash_hex = sha256Hex(grant.refresh_token);
  rec.family_id = std::move(family_id);
  rec.user_id = user.id;
  rec.expires_at =
      clock_.wallNow() + std::chrono::duration_cast<WallTime::duration>(options_.refresh_ttl);
  SB_TRY(credentials_.addRefreshToken(std::move(rec)));
  return grant;
}

Result<TokenGrant> TokenService::passwordGrant(std::string_view username,
                                               std::string_view password) {
  auto user = credentials_.findUserByUsername(username);
  if (!user) {
    if (user.error().code != Errc::NotFound) return std::unexpected(user.error());
    // Spend the same effort as a real check so response time does not reveal usernames.
    static const std::string kDummy = hashPassword("x").value_or(std::string());
    (void)verifyPassword(kDummy, password);
    return fail(Errc::PermissionDenied, "invalid username or password", "username");
  }
  if (!verifyPassword(user->password_hash, password)) {
    return fail(Errc::PermissionDenied, "invalid username or password", "username");
  }
  if (user->disabled) return fail(Errc::PermissionDenied, "account disabled", "username");
  return grantFor(*user, base64UrlEncode(randomBytes(12)));
}

Result<TokenGrant> TokenService::refreshGrant(std::string_view refresh_token) {
  if (!refresh_token.starts_with(kRefreshPrefix)) {
    return fail(Errc::PermissionDenied, "malformed refresh token", "refresh_token");
  }
  auto before = credentials_.consumeRefreshToken(sha256Hex(refresh_token));
  if (!before) {
    if (before.error().code == Errc::NotFound) {
      return fail(Errc::PermissionDenied, "unknown refresh token", "refresh_token");
    }
    return std::unexpected(before.error());
  }
  if (before->revoked) {
    return fail(Errc::PermissionDenied, "refresh token revoked", "refresh_token");
  }
  if (before->used) {
    // Reuse: either the legitimate client or a thief holds a stale copy. Kill the family so
    // both must sign in again (OAuth 2.0 Security BCP, refresh token rotation).
    SB_TRY(credentials_.revokeRefreshFamily(before->family_id));
    return fail(Errc::PermissionDenied, "refresh token reused; session revoked", "refresh_token");
  }
  if (clock_.wallNow() >= before->expires_at) {
    return fail(Errc::PermissionDenied, "refresh token expired", "refresh_token");
  }
  auto user = credentials_.findUser(before->user_id);
  if (!user || user->disabled) {
    return fail(Errc::PermissionDenied, "account no longer active", "refresh_token");
  }
  return grantFor(*user, before->family_id);
}

Result<CreatedApiKey> TokenService::createApiKey(std::string tenant_id, std::string name,
                                                 std::vector<Role> roles, std::string created_by) {
  if (name.empty()) return fail(Errc::InvalidArgument, "name must not be empty", "name");
  if (roles.empty()) return fail(Errc::InvalidArgument, "at least one role is needed", "roles");
  CreatedApiKey out;
  out.key = std::string(kApiKeyPrefix) + base64UrlEncode(randomBytes(32));
  out.record.id = "key_" + base64UrlEncode(randomBytes(9));
  out.record.tenant_id = std::move(tenant_id);
  out.record.name = std::move(name);
  out.record.hash_hex = sha256Hex(out.key);
  out.record.prefix = out.key.substr(0, 7);
  out.record.roles = std::move(roles);
  out.record.created_by = std::move(created_by);
  out.record.created_at = clock_.wallNow();
  SB_TRY(credentials_.addApiKey(out.record));
  return out;
}

Result<UserRecord> TokenService::createUser(std::string tenant_id, std::string username,
                                            std::string_view password, std::vector<Role> roles) {
  if (username.empty()) {
    return fail(Errc::InvalidArgument, "username must not be empty", "username");
  }
  if (password.size() < 8) {
    return fail(Errc::InvalidArgument, "password needs at least 8 characters", "password");
  }
  if (roles.empty()) return fail(Errc::InvalidArgument, "at least one role is needed", "roles");
  auto hash = hashPassword(password, options_.password);
  if (!hash) return std::unexpected(hash.error());
  UserRecord user{"usr_" + base64UrlEncode(randomBytes(9)),
                  std::move(tenant_id),
                  std::move(username),
                  std::move(*hash),
                  std::move(roles),
                  false};
  SB_TRY(credentials_.addUser(user));
  return user;
}

Result<Principal> TokenService::authenticate(std::string_view bearer) const {
  if (bearer.starts_with(kApiKeyPrefix)) {
    auto key = credentials_.findApiKeyByHash(sha256Hex(bearer));
    if (!key || key->revoked) return fail(Errc::PermissionDenied, "invalid API key");
    return Principal{"apikey:" + key->id, key->id, key->tenant_id, key->roles, AuthMethod::ApiKey};
  }
  {
    std::lock_guard lock(verified_mu_);
    if (auto it = verified_.find(std::string(bearer)); it != verified_.end()) {
      if (epochSeconds(clock_.wallNow()) < it->second.exp &&
          it->second.revocations == keys_.revocations()) {
        return it->second.principal;
      }
      verified_.erase(it);
    }
  }
  return verifyAccessToken(bearer);
}

}  // namespace sb::api
