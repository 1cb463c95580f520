// SPDX-License-Identifier: Apache-2.0
// Sign-in with an OpenID provider (docs/oidc.md): GET /api/v1/auth/oidc/login sends the browser
// to the provider (authorization code flow, PKCE S256, state, nonce); GET .../callback takes
// the code back, exchanges it, verifies the ID token, maps issuer + subject (and the tenant
// claim) to a Switchboard user and answers with Switchboard's own access and refresh tokens.
// Provider calls block, so both handlers run on the blocking pool.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <memory>

#include "api/crypto.h"
#include "app/routes.h"
#include "app/store_credentials.h"
#include "app/text.h"
#include "common/log.h"
#include "oidc/pending_logins.h"
#include "oidc/provider.h"

namespace sb::app {

namespace {

using api::HttpResponse;
using api::RequestContext;
using api::Responder;

struct OidcProviderEntry {
  const OidcConfig* config = nullptr;
  std::string tenant;  // "" for the global section
  std::unique_ptr<oidc::BeastHttpClient> http;
  std::unique_ptr<oidc::Provider> provider;
};

// Shared by the two handlers; lives as long as the Router holds them.
// Keeps sign-ins in progress in the store (table oidc_logins), so that a restart between the
// login and the callback does not send the user back to the start. Runs on the blocking pool
// (both OIDC routes do). A failing store only costs that: logged, the in-memory copy still
// works while the process lives.
class StoreLoginKeeper final : public oidc::PendingLoginKeeper {
 public:
  explicit StoreLoginKeeper(store::Store& store) : store_(store) {}

  void keep(const oidc::PendingLogin& l, WallTime expires_at) override {
    // Expired rows go now and then, so abandoned sign-ins do not pile up.
    if (++kept_ % 64 == 0) {
      if (auto purged = store_.oidcLogins().purgeExpired(expires_at - std::chrono::hours(1));
          !purged) {
        SB_LOG_WARN("oidc: purging old sign-ins failed: {}", purged.error().toString());
      }
    }
    store::OidcLogin row{l.state, l.nonce, l.code_verifier, l.provider, l.tenant, expires_at};
    if (auto s = store_.oidcLogins().put(row); !s) {
      SB_LOG_WARN("oidc: sign-in not kept across a restart: {}", s.error().toString());
    }
  }

  std::optional<Kept> takeKept(std::string_view state, WallTime now) override {
    auto row = store_.oidcLogins().take(std::string(state), now);
    if (!row) {
      SB_LOG_WARN("oidc: kept sign-in not read: {}", row.error().toString());
      return std::nullopt;
    }
    if (!row->has_value()) return std::nullopt;
    const auto& r = **row;
    Kept k;
    k.login.state = r.state;
    k.login.nonce = r.nonce;
    k.login.code_verifier = r.code_verifier;
    k.login.provider = r.provider;
    k.login.tenant = r.tenant;
    k.expires_at = r.expires_at;
    return k;
  }

 private:
  store::Store& store_;
  std::atomic<std::uint64_t> kept_{0};
};

struct OidcState {
  explicit OidcState(const Clock& clock) : pending(clock) {}
  std::unique_ptr<StoreLoginKeeper> keeper;  // before `pending`, which points at it
  oidc::PendingLoginStore pending;
  std::map<std::string, OidcProviderEntry, std::less<>> providers;  // "" = global; read-only
  metrics::CounterFamily* logins = nullptr;
};

struct MappedUser {
  std::string tenant;
  std::string username;  // the Switchboard user id
  api::Role role = api::Role::Agent;
};

Result<oidc::ProviderConfig> providerConfig(const OidcConfig& c) {
  oidc::ProviderConfig p;
  p.issuer = c.issuer;
  p.client_id = c.client_id;
  p.client_secret = c.client_secret;
  auto auth = oidc::clientAuthFromName(c.client_auth);
  if (!auth)
    return fail(Errc::InvalidArgument, "unknown client_auth " + c.client_auth, "client_auth");
  p.client_auth = *auth;
  p.redirect_uri = c.redirect_uri;
  p.scopes = c.scopes;
  p.clock_skew = std::chrono::seconds(c.clock_skew_s);
  p.jwks_min_refresh = std::chrono::seconds(c.jwks_min_refresh_s);
  return p;
}

// Which tenant the verified identity signs in to.
Result<std::string> resolveTenant(const OidcProviderEntry& entry, const oidc::PendingLogin& login,
                                  const oidc::IdTokenClaims& id) {
  const OidcConfig& c = *entry.config;
  std::string claimed;
  if (!c.tenant_claim.empty()) {
    claimed = id.stringClaim(c.tenant_claim);
    if (claimed.empty()) {
      return fail(Errc::PermissionDenied, "the ID token has no '" + c.tenant_claim + "' claim",
                  "tenant");
    }
  }
  if (!entry.tenant.empty()) {
    if (!claimed.empty() && claimed != entry.tenant) {
      return fail(Errc::PermissionDenied, "the identity belongs to another tenant", "tenant");
    }
    return entry.tenant;
  }
  if (!claimed.empty()) {
    if (!login.tenant.empty() && login.tenant != claimed) {
      return fail(Errc::PermissionDenied, "the identity belongs to another tenant", "tenant");
    }
    return claimed;
  }
  if (login.tenant.empty()) {
    return fail(Errc::InvalidArgument, "no tenant: pass ?tenant= at login or set tenant_claim",
                "tenant");
  }
  return login.tenant;
}

// Finds the Switchboard user for the identity: explicit subject mappings first, then the
// configured claim against the store's users, then the users of the YAML config.
Result<MappedUser> mapUser(ApiContext& ctx, const OidcProviderEntry& entry,
                           const std::string& tenant, const oidc::IdTokenClaims& id) {
  const OidcConfig& c = *entry.config;
  std::string wanted;
  bool by_email = false;
  for (const auto& m : c.subjects) {
    const std::string& iss = m.issuer.empty() ? c.issuer : m.issuer;
    if (iss == id.issuer && m.subject == id.subject && (m.tenant.empty() || m.tenant == tenant)) {
      wanted = m.user;
      break;
    }
  }
  if (wanted.empty()) {
    wanted = id.stringClaim(c.user_claim);
    by_email = c.user_claim == "email";
    if (by_email) {
      // An unverified address could be anyone's (OIDC Core §5.1: email_verified).
      auto it = id.claims.find("email_verified");
      if (it != id.claims.end() && !(it->is_boolean() && it->get<bool>())) {
        return fail(Errc::PermissionDenied, "the provider has not verified this email", "email");
      }
    }
  }
  if (wanted.empty()) {
    return fail(Errc::PermissionDenied, "the ID token has no '" + c.user_claim + "' claim",
                c.user_claim);
  }
  if (ctx.store != nullptr) {
    const store::TenantId tid(tenant);
    if (!by_email) {
      if (auto u = ctx.store->users().findByUsername(tid, wanted); u) {
        if (!u->active) return fail(Errc::PermissionDenied, "the user is disabled", "user");
        return MappedUser{tenant, u->username, apiRoleOf(u->role)};
      }
    } else if (auto users = ctx.store->users().list(tid); users) {
      for (const auto& u : *users) {
        if (!u.email.empty() && lowerAscii(u.email) == lowerAscii(wanted)) {
          if (!u.active) return fail(Errc::PermissionDenied, "the user is disabled", "user");
          return MappedUser{tenant, u.username, apiRoleOf(u.role)};
        }
      }
    }
  }
  for (const auto& t : ctx.config.tenants) {
    if (t.id != tenant) continue;
    for (const auto& u : t.users) {
      if (u.id == wanted) return MappedUser{tenant, u.id, apiRoleOf(u.role)};
    }
  }
  return fail(Errc::PermissionDenied,
              "no Switchboard user of tenant '" + tenant + "' for this identity (" + c.user_claim +
                  " '" + wanted + "')",
              "user");
}

// The credential record behind the tokens: the local account of that user if there is one
// (same principal as a password sign-in), else a password-less record created now. The
// credential source may be store-backed ("name@tenant" selects the tenant) or in memory (user
// names global), so both spellings are tried.
Result<api::UserRecord> findAccount(api::CredentialSource& creds, const MappedUser& m) {
  auto r = creds.findUserByUsername(m.username + "@" + m.tenant);
  if (r || r.error().code != Errc::NotFound) return r;
  r = creds.findUserByUsername(m.username);
  if (r && r->tenant_id != m.tenant) {
    return fail(Errc::Conflict, "user name '" + m.username + "' belongs to another tenant", "user");
  }
  return r;
}

Result<api::UserRecord> accountFor(ApiContext& ctx, const MappedUser& m) {
  auto& creds = ctx.tokens.credentials();
  auto existing = findAccount(creds, m);
  if (!existing && existing.error().code == Errc::NotFound) {
    // No password hash: verifyPassword() fails on it, so this account cannot sign in locally.
    api::UserRecord rec{m.username, m.tenant, m.username, "", {m.role}, false};
    if (auto added = creds.addUser(rec); !added && added.error().code != Errc::AlreadyExists) {
      return std::unexpected(added.error());
    }
    // Read it back: the source may have assigned its own id, or a concurrent callback won.
    existing = findAccount(creds, m);
  }
  if (!existing) return existing;
  if (existing->disabled) return fail(Errc::PermissionDenied, "account disabled", "user");
  return existing;
}

// Access token plus a refresh token of a new family, as TokenService does for password sign-in.
Result<api::TokenGrant> issueTokens(ApiContext& ctx, const api::UserRecord& user) {
  api::TokenGrant g;
  g.principal =
      api::Principal{user.id, user.id, user.tenant_id, user.roles, api::AuthMethod::AccessToken};
  auto access = ctx.tokens.issueAccessToken(g.principal);
  if (!access) return std::unexpected(access.error());
  g.access_token = std::move(*access);
  const auto& opts = ctx.tokens.options();
  g.expires_in = std::chrono::duration_cast<std::chrono::seconds>(opts.access_ttl).count();
  g.refresh_token =
      std::string(api::TokenService::kRefreshPrefix) + api::base64UrlEncode(api::randomBytes(32));
  api::RefreshTokenRecord rec;
  rec.hash_hex = api::sha256Hex(g.refresh_token);
  rec.family_id = api::base64UrlEncode(api::randomBytes(12));
  rec.user_id = user.id;
  rec.expires_at =
      ctx.clock.wallNow() + std::chrono::duration_cast<WallTime::duration>(opts.refresh_ttl);
  SB_TRY(ctx.tokens.credentials().addRefreshToken(std::move(rec)));
  return g;
}

// Binds a pending login to the browser that started it: without this, an attacker could send
// a victim to the callback with the attacker's own code and state (login CSRF) and the victim
// would be signed in as the attacker. Holds a hash of the state, so the cookie alone is useless.
constexpr std::string_view kStateCookie = "sb_oidc_state";

std::string stateCookie(const std::string& state, bool secure, bool clear) {
  return std::string(kStateCookie) + "=" + (clear ? "" : api::sha256Hex(state)) +
         "; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=" + (clear ? "0" : "600") +
         (secure ? "; Secure" : "");
}

std::string cookieValue(const api::HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      auto semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
        return std::string(part.substr(name.size() + 1));
      }
    }
  }
  return {};
}

HttpResponse redirectTo(const std::string& location) {
  HttpResponse r = HttpResponse::text(302, "", "text/plain");
  r.withHeader("Location", location).withHeader("Cache-Control", "no-store");
  return r;
}

HttpResponse tokensResponse(const OidcConfig& c, const api::TokenGrant& g,
                            const oidc::IdTokenClaims& id) {
  if (!c.post_login_redirect.empty()) {
    // Tokens go in the fragment: browsers never send it to a server or put it in Referer.
    std::string loc = c.post_login_redirect + "#" +
                      oidc::formBody({{"access_token", g.access_token},
                                      {"token_type", "Bearer"},
                                      {"expires_in", std::to_string(g.expires_in)},
                                      {"refresh_token", g.refresh_token},
                                      {"tenantId", g.principal.tenant_id},
                                      {"userId", g.principal.user_id}});
    return redirectTo(loc);
  }
  nlohmann::json roles = nlohmann::json::array();
  for (auto r : g.principal.roles) roles.push_back(api::roleName(r));
  return HttpResponse::json(200, {{"access_token", g.access_token},
                                  {"token_type", "Bearer"},
                                  {"expires_in", g.expires_in},
                                  {"refresh_token", g.refresh_token},
                                  {"tenantId", g.principal.tenant_id},
                                  {"userId", g.principal.user_id},
                                  {"roles", roles},
                                  {"issuer", id.issuer},
                                  {"subject", id.subject}})
      .withHeader("Cache-Control", "no-store");
}

void handleCallback(ApiContext& ctx, OidcState& state, const RequestContext& rc,
                    const Responder& respond) {
  auto param = [&](std::string_view n) {
    return std::string(rc.request.queryParam(n).value_or(""));
  };
  auto count = [&](const std::string& outcome) { state.logins->with({outcome}).inc(); };
  const std::string st = param("state");
  if (st.empty())
    return respond(rc.error(Error(Errc::InvalidArgument, "state is missing", "state")));
  const std::string cookie = cookieValue(rc.request, kStateCookie);
  if (cookie.empty() || !api::constantTimeEquals(cookie, api::sha256Hex(st))) {
    count("bad_state");
    return respond(rc.error(400, "invalid_state",
                            "this sign-in was not started in this browser (state cookie missing "
                            "or different): start the sign-in again",
                            "state"));
  }
  auto login = state.pending.take(st);
  if (!login) {
    count("bad_state");
    return respond(rc.error(400, "invalid_state",
                            "unknown, used or expired login state: start the sign-in again",
                            "state"));
  }
  if (!param("error").empty()) {
    // RFC 6749 §4.1.2.1: the provider refused (user cancelled, consent denied, ...).
    count("provider_error");
    std::string desc = param("error_description");
    return respond(rc.error(
        403, "oidc_" + param("error"),
        "the identity provider refused the sign-in" + (desc.empty() ? std::string() : ": " + desc),
        "code"));
  }
  const std::string code = param("code");
  if (code.empty())
    return respond(rc.error(Error(Errc::InvalidArgument, "code is missing", "code")));
  auto it = state.providers.find(login->provider);
  if (it == state.providers.end()) {
    return respond(rc.error(Error(Errc::NotFound, "OIDC provider no longer configured", "state")));
  }
  const OidcProviderEntry& entry = it->second;
  auto fail_with = [&](const Error& e, const char* outcome) {
    count(outcome);
    SB_LOG_INFO("oidc sign-in refused ({}): {}", outcome, e.toString());
    respond(rc.error(e));
  };
  auto tokens = entry.provider->exchangeCode(code, login->code_verifier);
  if (!tokens) return fail_with(tokens.error(), "exchange_failed");
  auto id = entry.provider->verifyIdToken(tokens->id_token, login->nonce);
  if (!id) return fail_with(id.error(), "id_token_rejected");
  auto tenant = resolveTenant(entry, *login, *id);
  if (!tenant) return fail_with(tenant.error(), "tenant_rejected");
  auto user = mapUser(ctx, entry, *tenant, *id);
  if (!user) return fail_with(user.error(), "no_user");
  auto account = accountFor(ctx, *user);
  if (!account) return fail_with(account.error(), "no_user");
  auto grant = issueTokens(ctx, *account);
  if (!grant) return fail_with(grant.error(), "internal");
  count("ok");
  SB_LOG_INFO("oidc sign-in: {} {} -> tenant {} user {}", id->issuer, id->subject, *tenant,
              account->id);
  const bool secure = entry.config->redirect_uri.starts_with("https://");
  respond(tokensResponse(*entry.config, *grant, *id)
              .withHeader("Set-Cookie", stateCookie("", secure, /*clear=*/true)));
}

}  // namespace

Status registerOidcRoutes(ApiContext& ctx) {
  auto state = std::make_shared<OidcState>(ctx.clock);
  if (ctx.store != nullptr) {
    state->keeper = std::make_unique<StoreLoginKeeper>(*ctx.store);
    state->pending.setKeeper(state->keeper.get());
  }
  state->logins = &ctx.registry.counter("sb_oidc_callbacks_total",
                                        "OIDC sign-in callbacks by outcome", {"outcome"});
  auto add_provider = [&](const OidcConfig& c, const std::string& tenant) -> Status {
    if (!c.enabled) return {};
    auto pc = providerConfig(c);
    if (!pc) return std::unexpected(pc.error());
    OidcProviderEntry e;
    e.config = &c;
    e.tenant = tenant;
    oidc::BeastHttpClientOptions ho;
    ho.ca_file = c.ca_file;
    e.http = std::make_unique<oidc::BeastHttpClient>(ho);
    auto p = oidc::Provider::create(std::move(*pc), *e.http, ctx.clock);
    if (!p) {
      return fail(Errc::InvalidArgument,
                  "oidc" + (tenant.empty() ? std::string() : " of tenant " + tenant) + ": " +
                      p.error().message,
                  p.error().field);
    }
    e.provider = std::move(*p);
    state->providers.emplace(tenant, std::move(e));
    return {};
  };
  SB_TRY(add_provider(ctx.config.oidc, ""));
  for (const auto& t : ctx.config.tenants) SB_TRY(add_provider(t.oidc, t.id));

  ctx.router.addSchema("OidcTokenResponse",
                       {{"type", "object"},
                        {"properties",
                         {{"access_token", {{"type", "string"}}},
                          {"token_type", {{"type", "string"}}},
                          {"expires_in", {{"type", "integer"}}},
                          {"refresh_token", {{"type", "string"}}},
                          {"tenantId", {{"type", "string"}}},
                          {"userId", {{"type", "string"}}},
                          {"roles", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                          {"issuer", {{"type", "string"}}},
                          {"subject", {{"type", "string"}}}}}});

  api::RouteSpec login{"GET",
                       "/api/v1/auth/oidc/login",
                       "Start sign-in with the organization's OpenID provider: 302 to its "
                       "authorization endpoint (code flow, PKCE S256). Query: tenant",
                       api::Permission::Public,
                       "",
                       "",
                       "auth"};
  login.success_status = 302;
  SB_TRY(ctx.router.addAsync(login, [&ctx, state](RequestContext rc, Responder respond) {
    std::string tenant(rc.request.queryParam("tenant").value_or(""));
    auto it = state->providers.find(tenant);
    if (it == state->providers.end()) it = state->providers.find("");
    if (it == state->providers.end()) {
      return respond(rc.error(
          Error(Errc::NotFound,
                tenant.empty() ? "OIDC sign-in is not configured (or pass ?tenant=)"
                               : "OIDC sign-in is not configured for tenant '" + tenant + "'",
                "tenant")));
    }
    boost::asio::post(ctx.blocking, [state, key = it->first, tenant, rc = std::move(rc),
                                     respond = std::move(respond)]() {
      const auto& entry = state->providers.at(key);
      auto pending = state->pending.begin(key, tenant);
      auto url = entry.provider->authorizationUrl(pending);
      if (!url) {
        (void)state->pending.take(pending.state);
        return respond(rc.error(url.error()));
      }
      const bool secure = entry.config->redirect_uri.starts_with("https://");
      respond(redirectTo(*url).withHeader("Set-Cookie", stateCookie(pending.state, secure, false)));
    });
  }));

  api::RouteSpec callback{"GET",
                          "/api/v1/auth/oidc/callback",
                          "Redirect target of the OpenID provider: exchanges the code, verifies "
                          "the ID token and answers with Switchboard tokens (JSON, or a 302 to "
                          "post_login_redirect with the tokens in the fragment). Query: code, "
                          "state (or error, error_description)",
                          api::Permission::Public,
                          "",
                          "OidcTokenResponse",
                          "auth"};
  SB_TRY(ctx.router.addAsync(callback, [&ctx, state](RequestContext rc, Responder respond) {
    boost::asio::post(ctx.blocking,
                      [&ctx, state, rc = std::move(rc), respond = std::move(respond)]() {
                        handleCallback(ctx, *state, rc, respond);
                      });
  }));
  return {};
}

}  // namespace sb::app
