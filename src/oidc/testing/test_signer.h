// SPDX-License-Identifier: Apache-2.0
// TestSigner (tests only): a freshly generated RSA-2048 or EC P-256 key pair that signs
// compact JWS tokens and publishes its public JWK, standing in for an OpenID provider's key.
// Not thread-safe; use from one test.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace sb::oidc::testing {

class TestSigner {
 public:
  static TestSigner rsa(std::string kid);
  static TestSigner ec(std::string kid);

  // The public key as a JWK (with kid, use=sig).
  nlohmann::json jwk() const;
  std::string publicPem() const;
  // "<b64 header>.<b64 payload>.<b64 sig>" with alg RS256 or ES256 as fits the key; `header`
  // members override the defaults (alg, typ, kid).
  std::string sign(const nlohmann::json& payload, const nlohmann::json& header = {}) const;
  // Signs with the given alg name in the header but this key's real algorithm (alg confusion).
  std::string signClaimingAlg(const nlohmann::json& payload, const std::string& alg) const;

  const std::string& kid() const { return kid_; }

 private:
  struct Key;
  std::shared_ptr<Key> key_;
  std::string kid_;
  bool ec_ = false;
};

// HS256 over "<header>.<payload>" with `secret` as the HMAC key.
std::string signHs256(const nlohmann::json& header, const nlohmann::json& payload,
                      const std::string& secret);
// An unsigned token: alg none and an empty signature.
std::string unsignedToken(const nlohmann::json& payload);

}  // namespace sb::oidc::testing
