// SPDX-License-Identifier: Apache-2.0
// App registrations: a tenant's OAuth clients (docs/security.md "App principals"). An admin
// registers an app and receives its client secret once; the app then signs in with the
// client-credentials grant of POST /api/v1/auth/token. Store-backed, audited and announced
// like the other configuration writes (routes_crud.h); deleting an app stops its tokens at once
// (TokenService checks the registration on every request an app token makes).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "api/crypto.h"
#include "api/roles.h"
#include "api/token_service.h"
#include "app/routes.h"
#include "app/routes_crud.h"
#include "app/store_credentials.h"
#include "presence/iso8601.h"

namespace sb::app {

namespace {

using api::Permission;
using nlohmann::json;

json rolesJson(const std::vector<store::Role>& roles) {
  json out = json::array();
  for (auto r : roles) out.push_back(api::roleName(apiRoleOf(r)));
  return out;
}

// Never the secret (nor its hash): this is also the audit record.
json appJson(const store::AppRegistration& a) {
  return {{"clientId", a.client_id.value()},
          {"displayName", a.display_name},
          {"roles", rolesJson(a.roles)},
          {"createdBy", a.created_by},
          {"createdAt", presence::formatIsoDateTime(a.created_at)}};
}

}  // namespace

Result<AppCreateRequest> parseAppCreate(const json& body) {
  if (!body.is_object()) return fail(Errc::InvalidArgument, "body must be a JSON object", "body");
  SB_TRY(crud::onlyKeys(body, {"displayName", "roles"}));
  AppCreateRequest out;
  auto name = body.find("displayName");
  if (name == body.end() || !name->is_string() || name->get<std::string>().empty()) {
    return fail(Errc::InvalidArgument, "displayName must be a non-empty string", "displayName");
  }
  out.display_name = name->get<std::string>();
  if (out.display_name.size() > 256) {
    return fail(Errc::InvalidArgument, "displayName is longer than 256 characters", "displayName");
  }
  auto roles = body.find("roles");
  if (roles == body.end() || !roles->is_array() || roles->empty()) {
    return fail(Errc::InvalidArgument, "roles must be a non-empty array of role names", "roles");
  }
  for (const auto& r : *roles) {
    if (!r.is_string()) return fail(Errc::InvalidArgument, "role names are strings", "roles");
    auto role = api::parseRole(r.get<std::string>());
    if (!role) return fail(Errc::InvalidArgument, role.error().message, "roles");
    // An app belongs to one tenant: the platform role is never an app's.
    if (*role == api::Role::SystemOperator) {
      return fail(Errc::InvalidArgument, "an app cannot hold system_operator", "roles");
    }
    if (std::find(out.roles.begin(), out.roles.end(), *role) == out.roles.end()) {
      out.roles.push_back(*role);
    }
  }
  return out;
}

Status registerAppRoutes(ApiContext& ctx) {
  const json str = {{"type", "string"}};
  const json role_list = {{"type", "array"},
                          {"items", {{"enum", {"admin", "supervisor", "agent"}}}}};
  ctx.router.addSchema("AppCreate", {{"type", "object"},
                                     {"required", {"displayName", "roles"}},
                                     {"properties", {{"displayName", str}, {"roles", role_list}}}});
  ctx.router.addSchema(
      "App", {{"type", "object"},
              {"properties",
               {{"clientId", {{"type", "string"}, {"format", "uuid"}}},
                {"displayName", str},
                {"roles", role_list},
                {"createdBy", str},
                {"createdAt", {{"type", "string"}, {"format", "date-time"}}},
                {"clientSecret",
                 {{"type", "string"}, {"description", "only in the creation response"}}}}}});
  ctx.router.addSchema(
      "AppList",
      {{"type", "object"},
       {"properties",
        {{"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/App"}}}}},
         {"next", str}}}});

  const std::string apps = "/api/v1/tenants/{tenantId}/apps";
  const std::string app = apps + "/{clientId}";

  SB_TRY(ctx.router.addAsync(
      {"POST", apps,
       "Register an app (OAuth client). The server picks the client id (a GUID); the client "
       "secret is returned once and stored only as a SHA-256 hash. Audited",
       Permission::ApiKeysManage, "AppCreate", "App", "apps", 201},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = crud::objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        auto req = parseAppCreate(*body);
        if (!req) return respond(rc.error(req.error()));
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc),
                                         req = std::move(*req)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          store::AppRegistration row;
          row.tenant_id = store::TenantId(tenant);
          row.display_name = req.display_name;
          for (auto r : req.roles) {
            auto sr = storeRoleOf({r});
            if (!sr) return rc.error(sr.error());
            row.roles.push_back(*sr);
          }
          row.created_by = rc.principal->subject;
          row.created_at = ctx.clock.wallNow();
          const std::string secret = api::TokenService::newClientSecret();
          row.secret_hash = api::sha256Hex(secret);
          // 122 random bits: a clash is all but impossible, but retry rather than fail on one.
          Result<store::AppRegistration> created = fail(Errc::Internal, "not attempted");
          for (int attempt = 0; attempt < 3; ++attempt) {
            row.client_id = store::AppClientId(api::TokenService::newClientId());
            created = st.apps().create(row);
            if (created || created.error().code != Errc::AlreadyExists) break;
          }
          if (!created) return rc.error(created.error());
          const json after = appJson(*created);
          crud::committed(ctx, st, rc, tenant, "create", "app", created->client_id.value(), nullptr,
                          &after);
          json out = after;
          out["clientSecret"] = secret;
          return api::HttpResponse::json(201, out)
              .withHeader("Location",
                          "/api/v1/tenants/" + tenant + "/apps/" + created->client_id.value())
              .withHeader("Cache-Control", "no-store");
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"POST", app + "/secret",
       "Replace the app's client secret (rotation): the new secret is returned once; the old "
       "one and every access token obtained with it stop working at once. Audited",
       Permission::ApiKeysManage, "", "App", "apps", 200},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        if (!rc.request.body.empty()) {  // none, or an object without members
          auto body = crud::objectBody(rc);
          if (!body) return respond(rc.error(body.error()));
          if (auto ok = crud::onlyKeys(*body, {}); !ok) return respond(rc.error(ok.error()));
        }
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const store::AppClientId id{std::string(rc.param("clientId"))};
          auto current = st.apps().get(store::TenantId(tenant), id);
          if (!current) return rc.error(crud::notFound(current.error(), "app", "clientId"));
          const std::string secret = api::TokenService::newClientSecret();
          if (auto s = st.apps().replaceSecret(store::TenantId(tenant), id, api::sha256Hex(secret));
              !s) {
            return rc.error(s.error());
          }
          // The audit record shows the rotation, never a secret or its hash.
          const json entry = appJson(*current);
          crud::committed(ctx, st, rc, tenant, "rotate-secret", "app", id.value(), &entry, &entry);
          json out = entry;
          out["clientSecret"] = secret;
          return api::HttpResponse::json(200, out).withHeader("Cache-Control", "no-store");
        });
      }));

  auto res = std::make_shared<const crud::Resource<store::AppRegistration>>(
      crud::Resource<store::AppRegistration>{
          "app", "clientId",
          [](store::Store& st, const std::string& tenant) {
            return st.apps().list(store::TenantId(tenant));
          },
          [](store::Store& st, const std::string& tenant, const std::string& id) {
            return st.apps().get(store::TenantId(tenant), store::AppClientId(id));
          },
          [](store::Store& st, const std::string& tenant, const std::string& id) {
            return st.apps().remove(store::TenantId(tenant), store::AppClientId(id));
          },
          // Registrations are created and deleted, never replaced (no PUT route).
          [](store::Store&, const store::AppRegistration&) -> Status {
            return fail(Errc::Unsupported, "app registrations cannot be replaced");
          },
          [](const store::AppRegistration& a) { return a.client_id.value(); }, appJson});

  SB_TRY(crud::addList(
      ctx,
      {"GET", apps, "List the tenant's apps (never their secrets); limit/cursor pages",
       Permission::ApiKeysManage, "", "AppList", "apps"},
      res));
  SB_TRY(crud::addGet(ctx,
                      {"GET", app, "One app registration (never its secret)",
                       Permission::ApiKeysManage, "", "App", "apps"},
                      res));
  SB_TRY(crud::addDelete(
      ctx,
      {"DELETE", app, "Delete an app: its access tokens stop working at once. Audited",
       Permission::ApiKeysManage, "", "", "apps", 204},
      res));
  return {};
}

}  // namespace sb::app
