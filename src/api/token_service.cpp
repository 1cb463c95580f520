// SPDX-License-Identifier: Apache-2.0
#include "api/token_service.h"

#include <algorithm>
#include <chrono>
#include <optional>

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

Result<std::string> TokenService::issueAccessToken(const Principal& principal,
                                                   std::string_view secret_tag) {
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
  if (!principal.client_id.empty()) {
    // `azp` (OIDC Core 2) names the client the token was issued to; `appid` is the name Entra
    // v1 tokens (and Graph callers) use for the same thing.
    claims["azp"] = principal.client_id;
    claims["appid"] = principal.client_id;
    claims["sgen"] = std::string(secret_tag);
  }
  return keys_.sign(claims);
}

Result<std::string> TokenService::issueValidationToken(std::string_view tenant_id,
                                                       std::string_view audience) {
  WallTime now = clock_.wallNow();
  std::int64_t t = epochSeconds(now);
  return keys_.sign({{"iss", options_.issuer},
                     {"aud", audience},
                     {"tid", tenant_id},
                     {"azp", kNotificationsParty},
                     {"iat", t},
                     {"nbf", t},
                     {"exp", t + 3600}});
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
  // Access tokens have no audience; a token with one (a change notification's validation
  // token, which its receiver could replay) is not a bearer credential here.
  if (c.contains("aud")) return fail(Errc::PermissionDenied, "token is not an access token");
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
  if (c.contains("azp") && c["azp"].is_string()) {
    p.client_id = c["azp"].get<std::string>();
    p.subject = std::string(kAppSubjectPrefix) + p.client_id;  // the audit actor, as at issue
  }
  std::string secret_tag;
  if (!p.client_id.empty() && c.contains("sgen") && c["sgen"].is_string()) {
    secret_tag = c["sgen"].get<std::string>();
  }
  SB_TRY(checkAppLive(p, secret_tag));
  {
    std::lock_guard lock(verified_mu_);
    if (verified_.size() >= 10000) verified_.clear();
    verified_.insert_or_assign(
        std::string(token),
        VerifiedToken{p, std::move(secret_tag), c["exp"].get<std::int64_t>(), revocations});
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

std::string TokenService::secretTag(std::string_view secret_hash) {
  return sha256Hex("sgen:" + std::string(secret_hash)).substr(0, 16);
}

Status TokenService::checkAppLive(const Principal& p, std::string_view secret_tag) const {
  if (p.client_id.empty()) return {};
  auto app = credentials_.findApp(p.client_id);
  if (!app) {
    if (app.error().code != Errc::NotFound) return std::unexpected(app.error());
    return fail(Errc::PermissionDenied, "the app of this token is no longer registered");
  }
  if (app->tenant_id != p.tenant_id) {
    return fail(Errc::PermissionDenied, "the app of this token is no longer registered");
  }
  if (!constantTimeEquals(secret_tag, secretTag(app->secret_hash))) {
    return fail(Errc::PermissionDenied,
                "the app's client secret was replaced after this token was issued");
  }
  // A token carries the roles the app had when it signed in; after an edit it must sign in
  // again, so that a removed role stops at once (and an added one is not used unannounced).
  auto sorted = [](std::vector<Role> r) {
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
    return r;
  };
  if (sorted(p.roles) != sorted(app->roles)) {
    return fail(Errc::PermissionDenied, "the app's roles were changed after this token was issued");
  }
  return {};
}

std::string TokenService::newClientId() {
  std::string b = randomBytes(16);
  // RFC 9562 5.4: version 4 (random), variant 10.
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0F) | 0x40);
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto byte = static_cast<unsigned char>(b[i]);
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0F];
  }
  return out;
}

std::string TokenService::newClientSecret() {
  return std::string(kClientSecretPrefix) + base64UrlEncode(randomBytes(32));
}

Result<TokenGrant> TokenService::clientCredentialsGrant(std::string_view client_id,
                                                        std::string_view client_secret) {
  auto app = credentials_.findApp(client_id);
  if (!app) {
    if (app.error().code != Errc::NotFound) return std::unexpected(app.error());
    return fail(Errc::PermissionDenied, "client authentication failed", "client_id");
  }
  // Secrets carry 256 random bits, so one SHA-256 suffices (as for API keys); compare the
  // hashes in constant time all the same.
  if (!constantTimeEquals(sha256Hex(client_secret), app->secret_hash)) {
    return fail(Errc::PermissionDenied, "client authentication failed", "client_id");
  }
  TokenGrant grant;
  grant.principal = Principal{std::string(kAppSubjectPrefix) + app->client_id,
                              app->client_id,
                              app->tenant_id,
                              app->roles,
                              AuthMethod::AccessToken,
                              app->client_id};
  auto access = issueAccessToken(grant.principal, secretTag(app->secret_hash));
  if (!access) return std::unexpected(access.error());
  grant.access_token = std::move(*access);
  grant.expires_in = std::chrono::duration_cast<std::chrono::seconds>(options_.access_ttl).count();
  return grant;
}

Result<Principal> TokenService::authenticate(std::string_view bearer) const {
  if (bearer.starts_with(kApiKeyPrefix)) {
    auto key = credentials_.findApiKeyByHash(sha256Hex(bearer));
    if (!key || key->revoked) return fail(Errc::PermissionDenied, "invalid API key");
    return Principal{"apikey:" + key->id, key->id, key->tenant_id, key->roles, AuthMethod::ApiKey};
  }
  std::optional<Principal> cached;
  std::string secret_tag;
  {
    std::lock_guard lock(verified_mu_);
    if (auto it = verified_.find(std::string(bearer)); it != verified_.end()) {
      if (epochSeconds(clock_.wallNow()) < it->second.exp &&
          it->second.revocations == keys_.revocations()) {
        Principal p = it->second.principal;
        secret_tag = it->second.secret_tag;
        // Unlocked below: the app lookup may read the store.
        cached = std::move(p);
      } else {
        verified_.erase(it);
      }
    }
  }
  if (cached) {
    // A cached verification proves the signature, not that the app still exists: deleting an
    // app must stop its tokens at once, like revoking an API key.
    SB_TRY(checkAppLive(*cached, secret_tag));
    return *cached;
  }
  return verifyAccessToken(bearer);
}

}  // namespace sb::api
