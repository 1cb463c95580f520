// SPDX-License-Identifier: Apache-2.0
#include "oidc/id_token.h"

#include <optional>

namespace sb::oidc {

namespace {

std::unexpected<Error> denied(std::string message) {
  return fail(Errc::PermissionDenied, std::move(message), "id_token");
}

std::string str(const nlohmann::json& obj, std::string_view name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// NumericDate (RFC 7519 §2): seconds since the epoch, integer or not.
std::optional<std::int64_t> numericDate(const nlohmann::json& obj, std::string_view name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) return static_cast<std::int64_t>(it->get<double>());
  return std::nullopt;
}

}  // namespace

std::string IdTokenClaims::stringClaim(std::string_view name) const { return str(claims, name); }

Result<IdTokenClaims> verifyIdToken(std::string_view token, const KeyLookup& keys,
                                    const IdTokenExpectations& expect) {
  auto jws = splitCompactJws(token);
  if (!jws) return denied(jws.error().message);
  const auto& h = jws->header;
  const auto& p = jws->payload;

  // The algorithm comes from the header, so it is attacker-chosen: allow-list it before looking
  // at keys (RFC 8725 §3.1). "none" and HS256 signed with the RSA public key as the HMAC
  // secret are the classic confusions; only asymmetric algorithms reach the key lookup.
  std::string alg = str(h, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return denied("ID token algorithm '" + alg + "' is not accepted (RS256 or ES256 only)");
  }
  if (h.contains("crit")) return denied("ID token header has unsupported critical parameters");
  std::string kid = str(h, "kid");

  auto candidates = keys(kid);
  if (!candidates) return std::unexpected(candidates.error());
  bool any_suits = false;
  bool verified = false;
  for (const auto& key : *candidates) {
    if (!kid.empty() && key.kid() != kid) continue;
    if (!key.suits(alg)) continue;
    any_suits = true;
    if (key.verify(alg, jws->signing_input, jws->signature)) {
      verified = true;
      break;
    }
  }
  if (!any_suits) return denied("no provider key with kid '" + kid + "' for " + alg);
  if (!verified) return denied("ID token signature does not verify");

  IdTokenClaims out;
  out.alg = alg;
  out.kid = kid;
  out.issuer = str(p, "iss");
  out.subject = str(p, "sub");
  if (out.issuer != expect.issuer) {
    return denied("ID token issuer '" + out.issuer + "' is not '" + expect.issuer + "'");
  }
  if (out.subject.empty()) return denied("ID token has no subject");

  // §3.1.3.7 (3)-(5): aud contains our client_id; with several audiences azp must be us.
  auto aud_it = p.find("aud");
  std::vector<std::string> audiences;
  if (aud_it != p.end() && aud_it->is_string()) {
    audiences.push_back(aud_it->get<std::string>());
  } else if (aud_it != p.end() && aud_it->is_array()) {
    for (const auto& a : *aud_it) {
      if (a.is_string()) audiences.push_back(a.get<std::string>());
    }
  }
  bool ours = false;
  for (const auto& a : audiences) ours = ours || a == expect.audience;
  if (!ours) return denied("ID token audience does not include this client");
  std::string azp = str(p, "azp");
  if ((audiences.size() > 1 || !azp.empty()) && azp != expect.audience) {
    return denied("ID token authorized party is not this client");
  }

  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(expect.now.time_since_epoch()).count();
  const std::int64_t skew = expect.clock_skew.count();
  auto exp = numericDate(p, "exp");
  if (!exp) return denied("ID token has no expiry");
  if (now >= *exp + skew) return denied("ID token expired");
  if (auto nbf = numericDate(p, "nbf"); nbf && now + skew < *nbf) {
    return denied("ID token is not valid yet (nbf)");
  }
  auto iat = numericDate(p, "iat");
  if (!iat) return denied("ID token has no issue time");
  if (*iat > now + skew) return denied("ID token is issued in the future");
  if (now - *iat > expect.max_iat_age.count() + skew) return denied("ID token is too old (iat)");

  // §3.1.3.7 (11): the nonce binds the token to this browser's login attempt (replay defence).
  std::string nonce = str(p, "nonce");
  if (expect.nonce.empty() || nonce != expect.nonce) return denied("ID token nonce does not match");

  out.expires_at = WallTime{} + std::chrono::seconds(*exp);
  out.claims = p;
  return out;
}

}  // namespace sb::oidc
