// SPDX-License-Identifier: Apache-2.0
// TokenService: local sign-in and credentials. Issues short-lived ES256 access tokens (JWT,
// KeyRing), opaque refresh tokens (stored hashed, rotated on every use; presenting a used one
// revokes its whole family) and API keys ("sb_..." strings, stored as SHA-256). It is also the
// Authenticator the Router uses to turn a bearer credential into a Principal.
// Thread-safe: state lives in the KeyRing (locked) and the CredentialSource (thread-safe).
// Password checks cost tens of milliseconds: call the grants from a blocking pool.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/credentials.h"
#include "api/crypto.h"
#include "api/jwt.h"
#include "api/roles.h"
#include "common/clock.h"
#include "common/result.h"

namespace sb::api {

// Turns the credential of an `Authorization: Bearer` header into a Principal.
// Failures are PermissionDenied (answered 401). Must be callable from any thread.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Result<Principal> authenticate(std::string_view bearer) const = 0;
};

struct TokenOptions {
  Duration access_ttl = std::chrono::minutes(15);
  Duration refresh_ttl = std::chrono::hours(24 * 30);
  Duration key_rotation = std::chrono::hours(24);
  std::string issuer = "switchboard";
  PasswordParams password;
};

struct TokenGrant {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_in = 0;  // seconds
  Principal principal;
};

struct CreatedApiKey {
  std::string key;  // the only time the plaintext exists
  ApiKeyRecord record;
};

class TokenService final : public Authenticator {
 public:
  static constexpr std::string_view kApiKeyPrefix = "sb_";
  static constexpr std::string_view kRefreshPrefix = "sbr_";
  static constexpr std::string_view kClientSecretPrefix = "sbs_";
  static constexpr std::string_view kAppSubjectPrefix = "app:";

  // credentials and clock must outlive the service.
  TokenService(CredentialSource& credentials, const Clock& clock, TokenOptions options = {});

  // Errors: PermissionDenied "invalid_grant" for unknown user / wrong password / disabled.
  Result<TokenGrant> passwordGrant(std::string_view username, std::string_view password);
  // Rotates: the presented token becomes used, a new one of the same family is returned.
  // A used or revoked token fails and (for a used one) revokes the family.
  Result<TokenGrant> refreshGrant(std::string_view refresh_token);

  // RFC 6749 4.4: a registered app signs in with its client id and secret. The access token
  // carries the client id (claims `azp` and `appid`) and the app's roles; there is no refresh
  // token (the app holds its secret and asks again). Errors: PermissionDenied (field
  // "client_id") for an unknown client or a wrong secret, alike.
  Result<TokenGrant> clientCredentialsGrant(std::string_view client_id,
                                            std::string_view client_secret);
  // A new client id (a random version-4 GUID, lower case) and a new client secret
  // ("sbs_" + 256 random bits, base64url). Thread-safe.
  static std::string newClientId();
  static std::string newClientSecret();

  // secret_tag: secretTag() of the app's secret hash for app principals (the "sgen" claim).
  Result<std::string> issueAccessToken(const Principal& principal,
                                       std::string_view secret_tag = {});
  // A change notification's validation token (docs/webhooks.md "Resource data"): an ES256 JWT
  // {iss, aud = audience (the subscribing app), tid, azp = kNotificationsParty, iat, nbf, exp =
  // now + 1 h} that a receiver checks against GET /api/v1/auth/jwks. It has an audience and no
  // subject, so verifyAccessToken() never accepts it as a bearer token.
  static constexpr std::string_view kNotificationsParty = "switchboard-change-notifications";
  Result<std::string> issueValidationToken(std::string_view tenant_id, std::string_view audience);
  // Signature (ES256 only), issuer, expiry, no audience; returns the Principal in the claims. An
  // app's token is also refused once the app is no longer registered (checked on every call,
  // cached or not).
  Result<Principal> verifyAccessToken(std::string_view token) const;

  Result<CreatedApiKey> createApiKey(std::string tenant_id, std::string name,
                                     std::vector<Role> roles, std::string created_by);

  // Local accounts: hashes the password with argon2id.
  Result<UserRecord> createUser(std::string tenant_id, std::string username,
                                std::string_view password, std::vector<Role> roles);

  // API keys, then access tokens; an app token is refused as soon as its app is deleted.
  Result<Principal> authenticate(std::string_view bearer) const override;

  KeyRing& keyRing() { return keys_; }
  const TokenOptions& options() const { return options_; }
  CredentialSource& credentials() { return credentials_; }

 private:
  Result<TokenGrant> grantFor(const UserRecord& user, std::string family_id);
  // Ok while the app named by an app principal is still registered in its tenant.
  // For an app principal: the app is still registered in the token's tenant and its client
  // secret is still the one the token was issued under (`secret_tag`, the token's "sgen"
  // claim), so replacing a leaked secret also ends the tokens obtained with it.
  Status checkAppLive(const Principal& p, std::string_view secret_tag) const;
  // The "sgen" claim of an app token: a digest of the app's stored secret hash (so neither the
  // secret nor its stored hash appears in the token).
  static std::string secretTag(std::string_view secret_hash);

  CredentialSource& credentials_;
  const Clock& clock_;
  TokenOptions options_;
  KeyRing keys_;
  // Access tokens already verified, until their own expiry: an ES256 verification costs far
  // more than the request it guards. Claims cannot change, so a hit returns the same Principal
  // verifyAccessToken() did. A signing-key revocation invalidates every entry. Bounded (cleared
  // when full).
  struct VerifiedToken {
    Principal principal;
    std::string secret_tag;         // app tokens' "sgen" claim
    std::int64_t exp = 0;           // seconds since the epoch
    std::uint64_t revocations = 0;  // keys_.revocations() when verified
  };
  mutable std::mutex verified_mu_;
  mutable std::unordered_map<std::string, VerifiedToken> verified_;  // GUARDED_BY(verified_mu_)
};

}  // namespace sb::api
