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

Result<std::string> parseDisplayName(const json& v) {
  if (!v.is_string() || v.get<std::string>().empty()) {
    return fail(Errc::InvalidArgument, "displayName must be a non-empty string", "displayName");
  }
  std::string name = v.get<std::string>();
  if (name.size() > 256) {
    return fail(Errc::InvalidArgument, "displayName is longer than 256 characters", "displayName");
  }
  return name;
}

Result<std::vector<api::Role>> parseRoles(const json& v) {
  if (!v.is_array() || v.empty()) {
    return fail(Errc::InvalidArgument, "roles must be a non-empty array of role names", "roles");
  }
  std::vector<api::Role> out;
  for (const auto& r : v) {
    if (!r.is_string()) return fail(Errc::InvalidArgument, "role names are strings", "roles");
    auto role = api::parseRole(r.get<std::string>());
    if (!role) return fail(Errc::InvalidArgument, role.error().message, "roles");
    // An app belongs to one tenant: the platform role is never an app's.
    if (*role == api::Role::SystemOperator) {
      return fail(Errc::InvalidArgument, "an app cannot hold system_operator", "roles");
    }
    if (std::find(out.begin(), out.end(), *role) == out.end()) out.push_back(*role);
  }
  return out;
}

Result<std::vector<store::Role>> storeRoles(const std::vector<api::Role>& roles) {
  std::vector<store::Role> out;
  for (auto r : roles) {
    auto sr = storeRoleOf({r});
    if (!sr) return std::unexpected(sr.error());
    out.push_back(*sr);
  }
  return out;
}

}  // namespace

Result<AppCreateRequest> parseAppCreate(const json& body) {
  if (!body.is_object()) return fail(Errc::InvalidArgument, "body must be a JSON object", "body");
  SB_TRY(crud::onlyKeys(body, {"displayName", "roles"}));
  auto name = body.find("displayName");
  if (name == body.end()) {
    return fail(Errc::InvalidArgument, "displayName must be a non-empty string", "displayName");
  }
  auto display_name = parseDisplayName(*name);
  if (!display_name) return std::unexpected(display_name.error());
  auto roles = body.find("roles");
  if (roles == body.end()) {
    return fail(Errc::InvalidArgument, "roles must be a non-empty array of role names", "roles");
  }
  auto role_list = parseRoles(*roles);
  if (!role_list) return std::unexpected(role_list.error());
  return AppCreateRequest{std::move(*display_name), std::move(*role_list)};
}

Result<AppPatchRequest> parseAppPatch(const json& body) {
  if (!body.is_object()) return fail(Errc::InvalidArgument, "body must be a JSON object", "body");
  SB_TRY(crud::onlyKeys(body, {"displayName", "roles"}));
  if (body.empty()) {
    return fail(Errc::InvalidArgument, "nothing to change: give displayName and/or roles", "body");
  }
  AppPatchRequest out;
  if (auto name = body.find("displayName"); name != body.end()) {
    auto v = parseDisplayName(*name);
    if (!v) return std::unexpected(v.error());
    out.display_name = std::move(*v);
  }
  if (auto roles = body.find("roles"); roles != body.end()) {
    auto v = parseRoles(*roles);
    if (!v) return std::unexpected(v.error());
    out.roles = std::move(*v);
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
  ctx.router.addSchema("AppPatch", {{"type", "object"},
                                    {"minProperties", 1},
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
          auto roles = storeRoles(req.roles);
          if (!roles) return rc.error(roles.error());
          row.roles = std::move(*roles);
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

  SB_TRY(ctx.router.addAsync(
      {"PATCH", app,
       "Rename the app and/or replace its roles (JSON merge patch of displayName and roles). "
       "Access tokens issued with other roles stop working at once; the app signs in again to "
       "get the new ones. Audited",
       Permission::ApiKeysManage, "AppPatch", "App", "apps", 200},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = crud::objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        auto req = parseAppPatch(*body);
        if (!req) return respond(rc.error(req.error()));
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc),
                                         req = std::move(*req)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const store::AppClientId id{std::string(rc.param("clientId"))};
          auto current = st.apps().get(store::TenantId(tenant), id);
          if (!current) return rc.error(crud::notFound(current.error(), "app", "clientId"));
          std::vector<store::Role> roles = current->roles;
          if (req.roles) {
            auto r = storeRoles(*req.roles);
            if (!r) return rc.error(r.error());
            roles = std::move(*r);
          }
          auto updated =
              st.apps().update(store::TenantId(tenant), id,
                               req.display_name.value_or(current->display_name), std::move(roles));
          if (!updated) return rc.error(crud::notFound(updated.error(), "app", "clientId"));
          const json before = appJson(*current);
          const json after = appJson(*updated);
          crud::committed(ctx, st, rc, tenant, "update", "app", id.value(), &before, &after);
          return api::HttpResponse::json(200, after);
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
          // Registrations are created, patched and deleted, never replaced (no PUT route).
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
