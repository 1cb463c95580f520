// SPDX-License-Identifier: Apache-2.0
// ID token verification (OpenID Connect Core 1.0 §3.1.3.7): signature with a key from the
// provider's JWK set (RS256 or ES256 only: `none`, HS* and everything else are refused, so a
// public key can never be used as an HMAC secret), then iss, aud/azp, exp, nbf, iat and nonce.
// Pure: the caller supplies the keys and the time. Safe from any thread; never throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "oidc/jose.h"

namespace sb::oidc {

struct IdTokenExpectations {
  std::string issuer;    // must equal `iss` exactly
  std::string audience;  // our client_id: must be in `aud`; with several audiences, `azp` too
  std::string nonce;     // the nonce of the authorization request; must equal `nonce`
  WallTime now{};
  std::chrono::seconds clock_skew{60};    // tolerance for exp, nbf and iat
  std::chrono::seconds max_iat_age{600};  // refuse tokens issued longer ago than this
};

struct IdTokenClaims {
  std::string issuer;
  std::string subject;
  std::string alg;
  std::string kid;
  WallTime expires_at{};
  nlohmann::json claims;  // the whole payload

  // A string claim, or empty when absent or not a string.
  std::string stringClaim(std::string_view name) const;
};

// Returns the keys that may have signed a token with this kid (empty kid: all keys). May fetch
// (a JWKS refresh); an error aborts verification.
using KeyLookup = std::function<Result<std::vector<PublicJwk>>(const std::string& kid)>;

// Errors are PermissionDenied with a message naming the failed check and field "id_token",
// except a lookup error, which is passed on.
Result<IdTokenClaims> verifyIdToken(std::string_view token, const KeyLookup& keys,
                                    const IdTokenExpectations& expect);

}  // namespace sb::oidc
