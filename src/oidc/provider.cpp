// SPDX-License-Identifier: Apache-2.0
#include "oidc/provider.h"

#include <algorithm>

namespace sb::oidc {

namespace {

std::string str(const nlohmann::json& obj, std::string_view name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// https everywhere, except loopback hosts (tests and a provider on the same machine).
Status checkEndpoint(const std::string& url, const char* field) {
  auto parsed = parseUrl(url);
  if (!parsed)
    return fail(Errc::InvalidArgument, std::string(field) + " is not a URL: " + url, field);
  if (parsed->scheme != "https" && !isLoopbackHost(parsed->host)) {
    return fail(Errc::InvalidArgument, std::string(field) + " must use https: " + url, field);
  }
  return {};
}

std::string withQuery(const std::string& endpoint,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  return endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + formBody(params);
}

}  // namespace

std::optional<ClientAuth> clientAuthFromName(std::string_view name) {
  if (name == "client_secret_basic") return ClientAuth::ClientSecretBasic;
  if (name == "client_secret_post") return ClientAuth::ClientSecretPost;
  if (name == "none") return ClientAuth::None;
  return std::nullopt;
}

Result<Discovery> parseDiscovery(std::string_view body, std::string_view expected_issuer) {
  auto doc = parseJson(body, "discovery");
  if (!doc || !doc->is_object()) {
    return fail(Errc::Unavailable, "discovery document is not a JSON object", "issuer");
  }
  Discovery d;
  d.issuer = str(*doc, "issuer");
  d.authorization_endpoint = str(*doc, "authorization_endpoint");
  d.token_endpoint = str(*doc, "token_endpoint");
  d.jwks_uri = str(*doc, "jwks_uri");
  if (d.issuer != expected_issuer) {
    // Discovery 1.0 §4.3: a mismatch means a misconfiguration or an impersonation attempt.
    return fail(Errc::Unavailable,
                "discovery issuer '" + d.issuer + "' is not the configured '" +
                    std::string(expected_issuer) + "'",
                "issuer");
  }
  for (auto [url, field] :
       {std::pair{&d.authorization_endpoint, "authorization_endpoint"},
        std::pair{&d.token_endpoint, "token_endpoint"}, std::pair{&d.jwks_uri, "jwks_uri"}}) {
    if (auto ok = checkEndpoint(*url, field); !ok) {
      return fail(Errc::Unavailable, "discovery: " + ok.error().message, "issuer");
    }
  }
  if (auto it = doc->find("id_token_signing_alg_values_supported");
      it != doc->end() && it->is_array()) {
    for (const auto& a : *it) {
      if (a.is_string()) d.id_token_algs.push_back(a.get<std::string>());
    }
  }
  return d;
}

Result<std::unique_ptr<Provider>> Provider::create(ProviderConfig config, HttpClient& http,
                                                   const Clock& clock) {
  if (config.issuer.empty()) return fail(Errc::InvalidArgument, "issuer is required", "issuer");
  SB_TRY(checkEndpoint(config.issuer, "issuer"));
  if (config.client_id.empty()) {
    return fail(Errc::InvalidArgument, "client_id is required", "client_id");
  }
  if (config.redirect_uri.empty()) {
    return fail(Errc::InvalidArgument, "redirect_uri is required", "redirect_uri");
  }
  if (auto u = parseUrl(config.redirect_uri); !u) {
    return fail(Errc::InvalidArgument, "redirect_uri is not an absolute URL", "redirect_uri");
  }
  if (config.client_auth != ClientAuth::None && config.client_secret.empty()) {
    return fail(Errc::InvalidArgument, "client_secret is required unless client_auth is none",
                "client_secret");
  }
  if (std::find(config.scopes.begin(), config.scopes.end(), "openid") == config.scopes.end()) {
    config.scopes.insert(config.scopes.begin(), "openid");
  }
  return std::unique_ptr<Provider>(new Provider(std::move(config), http, clock));
}

Provider::Provider(ProviderConfig config, HttpClient& http, const Clock& clock)
    : config_(std::move(config)), http_(http), clock_(clock) {}

Result<nlohmann::json> Provider::getJson(const std::string& url, std::string_view what) {
  auto reply = http_.send(HttpCall{"GET", url, {}, {}});
  if (!reply) return fail(reply.error().code, std::string(what) + ": " + reply.error().message);
  if (reply->status != 200) {
    return fail(Errc::Unavailable,
                std::string(what) + ": " + url + " answered HTTP " + std::to_string(reply->status));
  }
  auto doc = parseJson(reply->body, what);
  if (!doc) return fail(Errc::Unavailable, std::string(what) + " is not JSON");
  return doc;
}

Result<Discovery> Provider::discovery() {
  const MonoTime now = clock_.now();
  {
    std::lock_guard lock(mu_);
    if (discovery_ && now - discovery_at_ < config_.discovery_ttl) return *discovery_;
  }
  std::string base = config_.issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto reply = http_.send(HttpCall{"GET", base + "/.well-known/openid-configuration", {}, {}});
  if (!reply) return fail(reply.error().code, "discovery: " + reply.error().message, "issuer");
  if (reply->status != 200) {
    return fail(Errc::Unavailable, "discovery answered HTTP " + std::to_string(reply->status),
                "issuer");
  }
  auto parsed = parseDiscovery(reply->body, config_.issuer);
  if (!parsed) return parsed;
  std::lock_guard lock(mu_);
  discovery_ = std::make_shared<const Discovery>(*parsed);
  discovery_at_ = now;
  return parsed;
}

Result<std::string> Provider::authorizationUrl(const PendingLogin& login) {
  auto d = discovery();
  if (!d) return std::unexpected(d.error());
  std::string scope;
  for (const auto& s : config_.scopes) scope += (scope.empty() ? "" : " ") + s;
  return withQuery(d->authorization_endpoint,
                   {{"response_type", "code"},
                    {"client_id", config_.client_id},
                    {"redirect_uri", config_.redirect_uri},
                    {"scope", scope},
                    {"state", login.state},
                    {"nonce", login.nonce},
                    {"code_challenge", codeChallengeS256(login.code_verifier)},
                    {"code_challenge_method", "S256"}});
}

Result<TokenResponse> Provider::exchangeCode(std::string_view code,
                                             std::string_view code_verifier) {
  auto d = discovery();
  if (!d) return std::unexpected(d.error());
  std::vector<std::pair<std::string, std::string>> form{
      {"grant_type", "authorization_code"},
      {"code", std::string(code)},
      {"redirect_uri", config_.redirect_uri},
      {"code_verifier", std::string(code_verifier)}};
  HttpCall call{"POST", d->token_endpoint, {}, {}};
  call.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  switch (config_.client_auth) {
    case ClientAuth::ClientSecretBasic:
      // RFC 6749 §2.3.1: id and secret are form-encoded before the Basic encoding.
      {
        std::string pair = formEncode(config_.client_id) + ":" + formEncode(config_.client_secret);
        // Basic uses the standard alphabet with padding: map from base64url.
        std::string b64 = base64UrlEncode(pair);
        for (auto& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
        while (b64.size() % 4 != 0) b64 += '=';
        call.headers.emplace_back("Authorization", "Basic " + b64);
      }
      break;
    case ClientAuth::ClientSecretPost:
      form.emplace_back("client_id", config_.client_id);
      form.emplace_back("client_secret", config_.client_secret);
      break;
    case ClientAuth::None:
      form.emplace_back("client_id", config_.client_id);
      break;
  }
  call.body = formBody(form);
  auto reply = http_.send(call);
  if (!reply) return fail(reply.error().code, "token endpoint: " + reply.error().message, "code");
  auto doc = parseJson(reply->body, "token response");
  if (reply->status != 200) {
    std::string err = doc && doc->is_object() ? str(*doc, "error") : std::string();
    std::string desc = doc && doc->is_object() ? str(*doc, "error_description") : std::string();
    if (reply->status == 400 || reply->status == 401) {
      return fail(Errc::PermissionDenied,
                  "the provider refused the code: " +
                      (err.empty() ? "HTTP " + std::to_string(reply->status) : err) +
                      (desc.empty() ? "" : " (" + desc + ")"),
                  "code");
    }
    return fail(Errc::Unavailable, "token endpoint answered HTTP " + std::to_string(reply->status),
                "code");
  }
  if (!doc || !doc->is_object()) {
    return fail(Errc::Unavailable, "token response is not a JSON object", "code");
  }
  TokenResponse out;
  out.id_token = str(*doc, "id_token");
  out.access_token = str(*doc, "access_token");
  out.token_type = str(*doc, "token_type");
  if (out.id_token.empty()) {
    return fail(Errc::Unavailable, "token response has no id_token (is 'openid' in scope?)",
                "code");
  }
  return out;
}

Result<std::vector<PublicJwk>> Provider::fetchJwks() {
  auto d = discovery();
  if (!d) return std::unexpected(d.error());
  auto doc = getJson(d->jwks_uri, "jwks");
  if (!doc) return std::unexpected(doc.error());
  auto keys = parseJwks(*doc);
  if (!keys) return fail(Errc::Unavailable, "jwks: " + keys.error().message);
  return keys;
}

Result<std::vector<PublicJwk>> Provider::keysFor(const std::string& kid) {
  const MonoTime now = clock_.now();
  std::shared_ptr<const std::vector<PublicJwk>> cached;
  {
    std::lock_guard lock(mu_);
    cached = jwks_;
    bool has = false;
    if (cached) {
      for (const auto& k : *cached) has = has || kid.empty() || k.kid() == kid;
    }
    if (has) return *cached;
    if (jwks_at_ && now - *jwks_at_ < config_.jwks_min_refresh) {
      // Rate limit: an unknown kid right after a fetch is not worth another one.
      if (cached) return *cached;
      return fail(Errc::Unavailable, "provider keys are unavailable", "id_token");
    }
    jwks_at_ = now;  // claim the refresh slot before unlocking, so concurrent misses wait
    ++jwks_fetches_;
  }
  auto fresh = fetchJwks();
  if (!fresh) {
    if (cached) return *cached;  // keep verifying with the old set
    return std::unexpected(fresh.error());
  }
  auto snapshot = std::make_shared<const std::vector<PublicJwk>>(std::move(*fresh));
  std::lock_guard lock(mu_);
  jwks_ = snapshot;
  return *snapshot;
}

Result<IdTokenClaims> Provider::verifyIdToken(std::string_view id_token, std::string_view nonce) {
  IdTokenExpectations expect;
  expect.issuer = config_.issuer;
  expect.audience = config_.client_id;
  expect.nonce = std::string(nonce);
  expect.now = clock_.wallNow();
  expect.clock_skew = config_.clock_skew;
  return oidc::verifyIdToken(
      id_token, [this](const std::string& kid) { return keysFor(kid); }, expect);
}

std::uint64_t Provider::jwksFetches() const {
  std::lock_guard lock(mu_);
  return jwks_fetches_;
}

}  // namespace sb::oidc
