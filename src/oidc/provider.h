// SPDX-License-Identifier: Apache-2.0
// Provider: one configured OpenID provider as seen by Switchboard, the relying party. It
// fetches and caches the discovery document (OIDC Discovery 1.0) and the JWK set (refreshed
// when a token names an unknown kid, at most once per jwks_min_refresh, so key rotation works
// and unknown kids cannot make us hammer the provider), builds the authorization URL of the
// code flow with PKCE, exchanges the code at the token endpoint and verifies the ID token.
// Thread-safe: caches are snapshots under one mutex; network I/O happens outside it. Methods
// that may fetch block: call them from a blocking pool.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "oidc/http_client.h"
#include "oidc/id_token.h"
#include "oidc/jose.h"
#include "oidc/pending_logins.h"

namespace sb::oidc {

enum class ClientAuth { ClientSecretBasic, ClientSecretPost, None };
// "client_secret_basic", "client_secret_post", "none"; nullopt for anything else.
std::optional<ClientAuth> clientAuthFromName(std::string_view name);

struct ProviderConfig {
  std::string issuer;  // exact issuer identifier; https unless the host is loopback
  std::string client_id;
  std::string client_secret;  // empty for a public client (auth None)
  ClientAuth client_auth = ClientAuth::ClientSecretBasic;
  std::string redirect_uri;
  std::vector<std::string> scopes{"openid", "profile", "email"};
  std::chrono::seconds clock_skew{60};
  std::chrono::seconds discovery_ttl{3600};
  std::chrono::seconds jwks_min_refresh{10};
};

struct Discovery {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::vector<std::string> id_token_algs;  // id_token_signing_alg_values_supported
};
// Parses and checks a discovery document: its issuer must equal `expected_issuer` (Discovery
// 1.0 §4.3) and the endpoints must be http(s) URLs (https unless loopback).
Result<Discovery> parseDiscovery(std::string_view body, std::string_view expected_issuer);

struct TokenResponse {
  std::string id_token;
  std::string access_token;
  std::string token_type;
};

class Provider {
 public:
  // http and clock must outlive the provider. Fails on an invalid config (InvalidArgument,
  // field = config key).
  static Result<std::unique_ptr<Provider>> create(ProviderConfig config, HttpClient& http,
                                                  const Clock& clock);
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  const ProviderConfig& config() const { return config_; }

  // The cached discovery document, fetched when missing or older than discovery_ttl.
  Result<Discovery> discovery();
  // Authorization request URL for the code flow (OIDC Core §3.1.2.1) with PKCE S256.
  Result<std::string> authorizationUrl(const PendingLogin& login);
  // POSTs the code to the token endpoint with the verifier and the configured client
  // authentication. PermissionDenied when the provider refuses the code (its error is in the
  // message), Unavailable when it cannot be reached or answers nonsense.
  Result<TokenResponse> exchangeCode(std::string_view code, std::string_view code_verifier);
  // Verifies an ID token against this provider's keys (refreshing the JWKS on an unknown kid).
  Result<IdTokenClaims> verifyIdToken(std::string_view id_token, std::string_view nonce);
  // Keys for kid: the cached set when it has kid, else a refresh if the last one is older than
  // jwks_min_refresh. An empty kid returns the whole set.
  Result<std::vector<PublicJwk>> keysFor(const std::string& kid);

  // Number of JWKS fetches so far (metrics, tests).
  std::uint64_t jwksFetches() const;

 private:
  Provider(ProviderConfig config, HttpClient& http, const Clock& clock);
  Result<nlohmann::json> getJson(const std::string& url, std::string_view what);
  Result<std::vector<PublicJwk>> fetchJwks();

  ProviderConfig config_;
  HttpClient& http_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const Discovery> discovery_;          // GUARDED_BY(mu_)
  MonoTime discovery_at_{};                             // GUARDED_BY(mu_)
  std::shared_ptr<const std::vector<PublicJwk>> jwks_;  // GUARDED_BY(mu_)
  std::optional<MonoTime> jwks_at_;                     // GUARDED_BY(mu_)
  std::uint64_t jwks_fetches_ = 0;                      // GUARDED_BY(mu_)
};

}  // namespace sb::oidc
