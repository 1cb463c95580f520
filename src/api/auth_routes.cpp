// SPDX-License-Identifier: Apache-2.0
#include "api/auth_routes.h"

#include <chrono>

#include "api/crypto.h"

namespace sb::api {

namespace {

nlohmann::json rolesJson(const std::vector<Role>& roles) {
  nlohmann::json out = nlohmann::json::array();
  for (Role r : roles) out.push_back(roleName(r));
  return out;
}

Result<std::vector<Role>> rolesFrom(const nlohmann::json& body) {
  if (!body.contains("roles") || !body["roles"].is_array()) {
    return fail(Errc::InvalidArgument, "roles must be an array of role names", "roles");
  }
  std::vector<Role> roles;
  for (const auto& r : body["roles"]) {
    if (!r.is_string()) return fail(Errc::InvalidArgument, "role names are strings", "roles");
    auto role = parseRole(r.get<std::string>());
    if (!role) return std::unexpected(role.error());
    roles.push_back(*role);
  }
  return roles;
}

Result<std::string> stringField(const nlohmann::json& body, const char* name) {
  if (!body.contains(name) || !body[name].is_string()) {
    return fail(Errc::InvalidArgument, std::string(name) + " must be a string", name);
  }
  return body[name].get<std::string>();
}

// A principal may only hand out roles it holds itself, and the system-operator role only if
// it is one (no privilege escalation through keys or new users).
Status checkDelegation(const Principal& p, const std::vector<Role>& roles) {
  for (Role r : roles) {
    if (r == Role::SystemOperator && !p.hasRole(Role::SystemOperator)) {
      return fail(Errc::PermissionDenied, "cannot grant system_operator", "roles");
    }
  }
  return {};
}

// The token endpoint accepts JSON or application/x-www-form-urlencoded (RFC 6749 4.3, 6).
Result<nlohmann::json> tokenRequestBody(const RequestContext& ctx) {
  auto ct = ctx.request.header("content-type").value_or("");
  if (ct.starts_with("application/x-www-form-urlencoded")) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [k, v] : parseQuery(ctx.request.body)) out[k] = v;
    return out;
  }
  auto body = ctx.jsonBody();
  if (!body) return body;
  if (!body->is_object()) return fail(Errc::InvalidArgument, "body must be an object", "body");
  return body;
}

// RFC 6749 5.2: the token endpoint's own error body, {"error": code, "error_description": ...}.
HttpResponse oauthError(int status, std::string_view code, std::string_view description) {
  return HttpResponse::json(status, {{"error", code}, {"error_description", description}})
      .withHeader("Cache-Control", "no-store");
}

// RFC 6749 4.4.3: an access token only; the client authenticates again instead of refreshing.
HttpResponse clientGrantResponse(const TokenGrant& g) {
  return HttpResponse::json(200, {{"access_token", g.access_token},
                                  {"token_type", "Bearer"},
                                  {"expires_in", g.expires_in},
                                  {"tenantId", g.principal.tenant_id},
                                  {"clientId", g.principal.client_id},
                                  {"roles", rolesJson(g.principal.roles)}})
      .withHeader("Cache-Control", "no-store");
}

HttpResponse grantResponse(const TokenGrant& g) {
  return HttpResponse::json(200, {{"access_token", g.access_token},
                                  {"token_type", "Bearer"},
                                  {"expires_in", g.expires_in},
                                  {"refresh_token", g.refresh_token},
                                  {"tenantId", g.principal.tenant_id},
                                  {"userId", g.principal.user_id},
                                  {"roles", rolesJson(g.principal.roles)}})
      .withHeader("Cache-Control", "no-store");
}

// A key is "sb_" + 43 base64url characters (256 random bits). Its first 12 characters are
// the public display prefix (54 random bits, so the store's unique prefix rarely collides;
// a collision is retried).
Result<CreatedApiKey> createApiKey(CredentialSource& credentials, std::string tenant_id,
                                   std::string name, std::vector<Role> roles,
                                   std::string created_by) {
  if (name.empty()) return fail(Errc::InvalidArgument, "name must not be empty", "name");
  if (roles.empty()) return fail(Errc::InvalidArgument, "at least one role is needed", "roles");
  for (int attempt = 0;; ++attempt) {
    CreatedApiKey out;
    out.key = std::string(TokenService::kApiKeyPrefix) + base64UrlEncode(randomBytes(32));
    out.record.id = "key_" + base64UrlEncode(randomBytes(9));
    out.record.tenant_id = tenant_id;
    out.record.name = name;
    out.record.hash_hex = sha256Hex(out.key);
    out.record.prefix = out.key.substr(0, kApiKeyDisplayPrefix);
    out.record.roles = roles;
    out.record.created_by = created_by;
    out.record.created_at = std::chrono::system_clock::now();
    auto added = credentials.addApiKey(out.record);
    if (added) return out;
    if (added.error().code != Errc::AlreadyExists || attempt == 2) {
      return std::unexpected(added.error());
    }
  }
}

}  // namespace

Result<ClientCredentials> clientCredentialsOf(std::optional<std::string_view> authorization,
                                              const nlohmann::json& body) {
  const bool in_body = body.contains("client_id") || body.contains("client_secret");
  ClientCredentials out;
  if (authorization) {
    std::string_view v = *authorization;
    if (v.size() < 6 || (v.substr(0, 6) != "Basic " && v.substr(0, 6) != "basic ")) {
      return fail(Errc::InvalidArgument, "only HTTP Basic client authentication is accepted",
                  "Authorization");
    }
    if (in_body) {
      // RFC 6749 2.3: a client must not use more than one authentication method per request.
      return fail(Errc::InvalidArgument,
                  "client credentials in both the Authorization header and the body", "client_id");
    }
    v.remove_prefix(6);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    std::string b64(v);
    for (char& c : b64) {
      if (c == '+') c = '-';
      if (c == '/') c = '_';
    }
    auto decoded = base64UrlDecode(b64);
    if (!decoded)
      return fail(Errc::InvalidArgument, "malformed Basic credentials", "Authorization");
    auto colon = decoded->find(':');
    if (colon == std::string::npos) {
      return fail(Errc::InvalidArgument, "malformed Basic credentials", "Authorization");
    }
    // RFC 6749 2.3.1: both parts are form-urlencoded before they are joined.
    auto id = percentDecode(std::string_view(*decoded).substr(0, colon), true);
    auto secret = percentDecode(std::string_view(*decoded).substr(colon + 1), true);
    if (!id || !secret) {
      return fail(Errc::InvalidArgument, "malformed Basic credentials", "Authorization");
    }
    out.client_id = std::move(*id);
    out.client_secret = std::move(*secret);
    out.basic = true;
  } else {
    auto id = body.find("client_id");
    auto secret = body.find("client_secret");
    if (id != body.end() && id->is_string()) out.client_id = id->get<std::string>();
    if (secret != body.end() && secret->is_string()) out.client_secret = secret->get<std::string>();
  }
  if (out.client_id.empty()) {
    return fail(Errc::InvalidArgument, "client_id is required", "client_id");
  }
  if (out.client_secret.empty()) {
    return fail(Errc::InvalidArgument, "client_secret is required", "client_secret");
  }
  return out;
}

Status registerAuthRoutes(Router& router, TokenService& tokens, asio::any_io_executor blocking) {
  router.addSchema(
      "TokenRequest",
      {{"type", "object"},
       {"required", {"grant_type"}},
       {"properties",
        {{"grant_type", {{"enum", {"password", "refresh_token", "client_credentials"}}}},
         {"username", {{"type", "string"}}},
         {"password", {{"type", "string"}}},
         {"refresh_token", {{"type", "string"}}},
         {"client_id", {{"type", "string"}}},
         {"client_secret", {{"type", "string"}}}}}});
  router.addSchema("TokenResponse",
                   {{"type", "object"},
                    {"properties",
                     {{"access_token", {{"type", "string"}}},
                      {"token_type", {{"const", "Bearer"}}},
                      {"expires_in", {{"type", "integer"}}},
                      {"refresh_token", {{"type", "string"}}}}}});
  router.addSchema("Principal", {{"type", "object"},
                                 {"properties",
                                  {{"userId", {{"type", "string"}}},
                                   {"tenantId", {{"type", "string"}}},
                                   {"roles", {{"type", "array"}}},
                                   {"method", {{"type", "string"}}},
                                   {"clientId", {{"type", "string"}}}}}});
  router.addSchema("Jwks", {{"type", "object"}, {"properties", {{"keys", {{"type", "array"}}}}}});
  router.addSchema("ApiKeyCreate", {{"type", "object"},
                                    {"required", {"name", "roles"}},
                                    {"properties",
                                     {{"name", {{"type", "string"}}},
                                      {"roles", {{"type", "array"}}}}}});
  router.addSchema("ApiKey", {{"type", "object"},
                              {"properties",
                               {{"id", {{"type", "string"}}},
                                {"name", {{"type", "string"}}},
                                {"prefix", {{"type", "string"}}},
                                {"roles", {{"type", "array"}}},
                                {"revoked", {{"type", "boolean"}}},
                                {"key", {{"type", "string"},
                                         {"description", "only in the creation response"}}}}}});
  router.addSchema("ApiKeyList", {{"type", "object"},
                                  {"properties",
                                   {{"items", {{"type", "array"},
                                               {"items", {{"$ref", "#/components/schemas/ApiKey"}}}}}}}});
  router.addSchema("UserCreate", {{"type", "object"},
                                  {"required", {"username", "password", "roles"}},
                                  {"properties",
                                   {{"username", {{"type", "string"}}},
                                    {"password", {{"type", "string"}, {"minLength", 8}}},
                                    {"roles", {{"type", "array"}}}}}});
  router.addSchema("User", {{"type", "object"},
                            {"properties",
                             {{"id", {{"type", "string"}}},
                              {"tenantId", {{"type", "string"}}},
                              {"username", {{"type", "string"}}},
                              {"roles", {{"type", "array"}}}}}});

  SB_TRY(router.addAsync(
      {"POST", "/api/v1/auth/token",
       "Issue tokens: grant_type=password (local users), refresh_token (rotates the token) or "
       "client_credentials (registered apps; client_id + client_secret or HTTP Basic)",
       Permission::Public, "TokenRequest", "TokenResponse", "auth"},
      [&tokens, blocking](RequestContext ctx, Responder respond) {
        auto body = tokenRequestBody(ctx);
        if (!body) {
          respond(ctx.error(body.error()));
          return;
        }
        // argon2id is deliberately slow: keep it off the connection's event loop.
        asio::post(blocking, [&tokens, ctx = std::move(ctx), body = std::move(*body),
                              respond = std::move(respond)]() {
          std::string grant = body.value("grant_type", "");
          Result<TokenGrant> result = fail(Errc::InvalidArgument, "", "grant_type");
          if (grant == "password") {
            auto user = stringField(body, "username");
            auto pass = stringField(body, "password");
            if (!user) return respond(ctx.error(user.error()));
            if (!pass) return respond(ctx.error(pass.error()));
            result = tokens.passwordGrant(*user, *pass);
          } else if (grant == "refresh_token") {
            auto token = stringField(body, "refresh_token");
            if (!token) return respond(ctx.error(token.error()));
            result = tokens.refreshGrant(*token);
          } else if (grant == "client_credentials") {
            // RFC 6749 4.4 and 5.2: errors of this grant use the RFC's own body.
            auto client = clientCredentialsOf(ctx.request.header("authorization"), body);
            if (!client) {
              if (client.error().field == "Authorization" && ctx.request.header("authorization")) {
                return respond(oauthError(401, "invalid_client", client.error().message)
                                   .withHeader("WWW-Authenticate", "Basic realm=\"switchboard\""));
              }
              return respond(oauthError(400, "invalid_request", client.error().message));
            }
            auto granted = tokens.clientCredentialsGrant(client->client_id, client->client_secret);
            if (!granted) {
              if (granted.error().code != Errc::PermissionDenied) {
                return respond(ctx.error(granted.error()));
              }
              auto r = oauthError(401, "invalid_client", granted.error().message);
              // RFC 6749 5.2: a client that tried the Authorization header gets a challenge.
              if (client->basic) r.withHeader("WWW-Authenticate", "Basic realm=\"switchboard\"");
              return respond(std::move(r));
            }
            return respond(clientGrantResponse(*granted));
          } else {
            return respond(
                oauthError(400, "unsupported_grant_type",
                           "grant_type must be password, refresh_token or client_credentials"));
          }
          if (!result) {
            if (result.error().code == Errc::PermissionDenied) {
              return respond(ctx.error(400, "invalid_grant", result.error().message,
                                       result.error().field));
            }
            return respond(ctx.error(result.error()));
          }
          respond(grantResponse(*result));
        });
      }));

  SB_TRY(router.add({"GET", "/api/v1/auth/me", "The signed-in principal",
                     Permission::Authenticated, "", "Principal", "auth"},
                    [](const RequestContext& ctx) {
                      const Principal& p = *ctx.principal;
                      nlohmann::json out = {
                          {"userId", p.user_id},
                          {"tenantId", p.tenant_id},
                          {"roles", rolesJson(p.roles)},
                          {"method", p.method == AuthMethod::ApiKey ? "api_key" : "access_token"}};
                      if (!p.client_id.empty()) out["clientId"] = p.client_id;
                      return HttpResponse::json(200, out);
                    }));

  SB_TRY(router.add({"GET", "/api/v1/auth/jwks", "Public keys that verify access tokens",
                     Permission::Public, "", "Jwks", "auth"},
                    [&tokens](const RequestContext&) {
                      return HttpResponse::json(200, tokens.keyRing().jwks());
                    }));

  // Key routes touch the credential source, which may be a database: run them on `blocking`.
  SB_TRY(router.addAsync(
      {"POST", "/api/v1/tenants/{tenantId}/api-keys",
       "Create an API key; the key is returned once and stored only as a SHA-256 hash",
       Permission::ApiKeysManage, "ApiKeyCreate", "ApiKey", "api-keys", 201},
      [&tokens, blocking](RequestContext ctx, Responder respond) {
        asio::post(blocking, [&tokens, ctx = std::move(ctx), respond = std::move(respond)]() {
          auto body = ctx.jsonBody();
          if (!body) return respond(ctx.error(body.error()));
          if (!body->is_object()) {
            return respond(ctx.error(Error(Errc::InvalidArgument, "body must be an object", "body")));
          }
          auto name = stringField(*body, "name");
          if (!name) return respond(ctx.error(name.error()));
          auto roles = rolesFrom(*body);
          if (!roles) return respond(ctx.error(roles.error()));
          if (auto ok = checkDelegation(*ctx.principal, *roles); !ok) {
            return respond(ctx.error(ok.error()));
          }
          auto created = createApiKey(tokens.credentials(), std::string(ctx.param("tenantId")),
                                      *name, *roles, ctx.principal->subject);
          if (!created) return respond(ctx.error(created.error()));
          respond(HttpResponse::json(201, {{"id", created->record.id},
                                           {"name", created->record.name},
                                           {"prefix", created->record.prefix},
                                           {"roles", rolesJson(created->record.roles)},
                                           {"revoked", false},
                                           {"key", created->key}})
                      .withHeader("Cache-Control", "no-store"));
        });
      }));

  SB_TRY(router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/api-keys",
       "List the tenant's API keys (never the keys themselves)", Permission::ApiKeysManage, "",
       "ApiKeyList", "api-keys"},
      [&tokens, blocking](RequestContext ctx, Responder respond) {
        asio::post(blocking, [&tokens, ctx = std::move(ctx), respond = std::move(respond)]() {
          auto keys = tokens.credentials().listApiKeys(ctx.param("tenantId"));
          if (!keys) return respond(ctx.error(keys.error()));
          nlohmann::json items = nlohmann::json::array();
          for (const auto& k : *keys) {
            items.push_back({{"id", k.id},
                             {"name", k.name},
                             {"prefix", k.prefix},
                             {"roles", rolesJson(k.roles)},
                             {"revoked", k.revoked}});
          }
          respond(HttpResponse::json(200, {{"items", items}}));
        });
      }));

  SB_TRY(router.addAsync(
      {"DELETE", "/api/v1/tenants/{tenantId}/api-keys/{keyId}",
       "Revoke an API key; it stops working at once", Permission::ApiKeysManage, "", "",
       "api-keys", 204},
      [&tokens, blocking](RequestContext ctx, Responder respond) {
        asio::post(blocking, [&tokens, ctx = std::move(ctx), respond = std::move(respond)]() {
          auto ok = tokens.credentials().revokeApiKey(ctx.param("tenantId"), ctx.param("keyId"));
          if (!ok) return respond(ctx.error(ok.error()));
          respond(HttpResponse::text(204, "", "application/json"));
        });
      }));

  // POST /api/v1/tenants/{tenantId}/users lives in app/routes_config.cpp: users are store
  // records with an agent profile and SIP credentials, not only sign-in accounts.
  return {};
}

}  // namespace sb::api
