// SPDX-License-Identifier: Apache-2.0
// /api/v1 configuration of the voice path, kept in the store (app/config_store.h): tenants
// (system operators), users with their agent profile and SIP credentials, queues, phone
// numbers and trunks. Documents use the YAML config's key names (users: the API's camelCase)
// and are validated by the YAML loader, so both accept the same settings. Every write is
// committed, audited (actor, before/after JSON), announced as `config.changed` and applied to
// the running voice path through ApiContext::config_changed, without a restart. Lists take
// limit/cursor and answer {items, next}.
#include <algorithm>
#include <set>

#include "api/crypto.h"
#include "api/pagination.h"
#include "app/config_store.h"
#include "app/routes.h"
#include "app/routes_crud.h"
#include "common/log.h"

namespace sb::app {

namespace {

using api::Permission;
using crud::committed;
using crud::notFound;
using crud::objectBody;
using crud::onlyKeys;
using crud::page;
using crud::samePathId;
using nlohmann::json;

bool idChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

// Ids double as SIP URI user parts and path segments: 1..64 of [A-Za-z0-9_.-].
Status checkId(std::string_view id, const std::string& field) {
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), idChar)) {
    return fail(Errc::InvalidArgument, field + " must be 1-64 of [A-Za-z0-9_.-]", field);
  }
  return {};
}

// A create request's body: a JSON object with a valid string "id".
Result<json> createBody(const api::RequestContext& rc) {
  auto body = objectBody(rc);
  if (!body) return body;
  auto id = body->find("id");
  if (id == body->end() || !id->is_string()) {
    return fail(Errc::InvalidArgument, "id is required", "id");
  }
  SB_TRY(checkId(id->get<std::string>(), "id"));
  return body;
}

Error renamed(Error e, std::string_view from, std::string_view to) {
  if (e.field == from) e.field = std::string(to);
  return e;
}

Result<TenantRefs> refsOf(store::Store& st, const std::string& tenant) {
  TenantRefs refs;
  auto queues = st.queues().list(store::TenantId(tenant));
  if (!queues) return std::unexpected(queues.error());
  for (const auto& q : *queues) refs.queue_ids.push_back(q.id.value());
  auto tenants = st.tenants().list();
  if (!tenants) return std::unexpected(tenants.error());
  for (const auto& t : *tenants) {
    auto tc = tenantFromRecord(t);
    if (tc) refs.tenants.emplace_back(tc->id, tc->domain);
    auto trunks = st.trunks().list(t.id);
    if (!trunks) return std::unexpected(trunks.error());
    for (const auto& row : *trunks) {
      auto trunk = trunkFromRecord(row);
      if (trunk && std::find(trunk->tenants.begin(), trunk->tenants.end(), tenant) !=
                       trunk->tenants.end()) {
        refs.trunk_ids.push_back(trunk->id);
      }
    }
  }
  return refs;
}

// ---- Tenants ----

json tenantJson(const store::Tenant& row) {
  json out{{"id", row.id.value()}, {"name", row.name}, {"active", row.active}};
  if (auto tc = tenantFromRecord(row)) {
    out["domain"] = tc->domain;
    out["outbound_trunk"] = tc->outbound_trunk;
    out["copy_headers"] = tc->copy_headers;
  }
  return out;
}

// Body -> record. `existing` is the row being replaced (PUT), else null.
Result<store::Tenant> tenantFromBody(store::Store& st, json body, const std::string& id,
                                     const store::Tenant* existing, WallTime now) {
  SB_TRY(
      crud::onlyKeys(body, {"id", "name", "domain", "outbound_trunk", "copy_headers", "active"}));
  bool active = existing ? existing->active : true;
  if (auto a = body.find("active"); a != body.end()) {
    if (!a->is_boolean()) return fail(Errc::InvalidArgument, "active must be true or false", "active");
    active = a->get<bool>();
    body.erase("active");
  }
  body["id"] = id;
  auto refs = refsOf(st, id);
  if (!refs) return std::unexpected(refs.error());
  auto tc = validateTenantDocument(body, *refs);
  if (!tc) return std::unexpected(tc.error());
  store::Tenant row = tenantRecord(*tc, existing ? existing->created_at : now);
  row.active = active;
  return row;
}

// ---- Users ----

const char* roleText(store::Role r) { return store::roleName(r).data(); }

json userJson(const store::User& u) {
  json out{{"id", u.id.value()},
           {"tenantId", u.tenant_id.value()},
           {"username", u.username},
           {"displayName", u.display_name},
           {"email", u.email},
           {"role", roleText(u.role)},
           {"skills", u.profile.skills},
           {"capacity", u.profile.channel_capacity},
           {"active", u.active}};
  auto uc = userFromRecord(u);
  out["extension"] = uc ? uc->extension : "";
  out["queues"] = uc ? uc->queues : std::vector<std::string>{};
  out["sipEnabled"] = uc && (!uc->sip_ha1_md5.empty() || !uc->sip_ha1_sha256.empty());
  out["signInEnabled"] = !u.password_hash.empty();
  return out;
}

Result<store::User> userFromBody(store::Store& st, const json& body, const std::string& tenant,
                                 const std::string& id, const store::User* existing) {
  SB_TRY(onlyKeys(body, {"id", "username", "displayName", "email", "role", "extension", "password",
                         "skills", "capacity", "queues", "active"}));
  std::string username = existing ? existing->username : id;
  if (auto it = body.find("username"); it != body.end()) {
    if (!it->is_string()) return fail(Errc::InvalidArgument, "username must be a string", "username");
    username = it->get<std::string>();
    SB_TRY(checkId(username, "username"));
  }
  // The voice keys go through the YAML loader's user rules.
  json doc{{"id", id}};
  static constexpr std::pair<const char*, const char*> kVoiceKeys[] = {
      {"displayName", "name"}, {"role", "role"},         {"extension", "extension"},
      {"skills", "skills"},    {"capacity", "capacity"}, {"queues", "queues"}};
  for (const auto& [api_key, yaml_key] : kVoiceKeys) {
    if (auto it = body.find(api_key); it != body.end()) doc[yaml_key] = *it;
  }
  if (existing) {
    // PUT replaces the document; what it leaves out keeps its current value.
    auto current = userFromRecord(*existing);
    if (!current) return std::unexpected(current.error());
    if (!doc.contains("name")) doc["name"] = current->name;
    if (!doc.contains("role")) doc["role"] = roleText(existing->role);
    if (!doc.contains("extension")) doc["extension"] = current->extension;
    if (!doc.contains("skills")) doc["skills"] = existing->profile.skills;
    if (!doc.contains("capacity")) doc["capacity"] = existing->profile.channel_capacity;
    if (!doc.contains("queues")) doc["queues"] = current->queues;
  }
  auto refs = refsOf(st, tenant);
  if (!refs) return std::unexpected(refs.error());
  auto uc = validateUserDocument(doc, *refs);
  if (!uc) return std::unexpected(renamed(uc.error(), "name", "displayName"));

  auto tenant_row = st.tenants().get(store::TenantId(tenant));
  if (!tenant_row) return std::unexpected(notFound(tenant_row.error(), "tenant", "tenantId"));
  auto tc = tenantFromRecord(*tenant_row);
  const std::string domain = tc ? tc->domain : std::string();

  std::string password_hash = existing ? existing->password_hash : std::string();
  if (auto it = body.find("password"); it != body.end()) {
    if (!it->is_string()) return fail(Errc::InvalidArgument, "password must be a string", "password");
    const auto password = it->get<std::string>();
    if (password.size() < 8 || password.size() > 256) {
      return fail(Errc::InvalidArgument, "password must be 8 to 256 characters", "password");
    }
    auto hash = api::hashPassword(password);
    if (!hash) return std::unexpected(hash.error());
    password_hash = std::move(*hash);
    // SIP digest HA1s for the tenant's realm (RFC 3261 22.4 / RFC 7616: H(user:realm:pw)).
    if (!domain.empty()) uc->sip_password = password;
  } else if (existing) {
    auto current = userFromRecord(*existing);
    uc->sip_ha1_md5 = current->sip_ha1_md5;
    uc->sip_ha1_sha256 = current->sip_ha1_sha256;
  }
  store::User row = userRecord(tenant, domain, *uc);
  row.username = username;
  row.password_hash = std::move(password_hash);
  row.email = existing ? existing->email : std::string();
  row.active = existing ? existing->active : true;
  if (auto it = body.find("email"); it != body.end()) {
    if (!it->is_string()) return fail(Errc::InvalidArgument, "email must be a string", "email");
    row.email = it->get<std::string>();
  }
  if (auto it = body.find("active"); it != body.end()) {
    if (!it->is_boolean()) return fail(Errc::InvalidArgument, "active must be true or false", "active");
    row.active = it->get<bool>();
  }
  return row;
}

// ---- Queues ----

json queueJson(const std::string& tenant, const QueueConfig& q) {
  json out = queueDocument(q);
  out["tenantId"] = tenant;
  return out;
}

Result<store::Queue> queueFromBody(store::Store& st, json body, const std::string& tenant,
                                   const std::string& id) {
  body["id"] = id;
  body.erase("tenantId");
  auto refs = refsOf(st, tenant);
  if (!refs) return std::unexpected(refs.error());
  if (std::find(refs->queue_ids.begin(), refs->queue_ids.end(), id) == refs->queue_ids.end()) {
    refs->queue_ids.push_back(id);  // a queue may overflow to itself only by name: harmless
  }
  auto qc = validateQueueDocument(body, *refs);
  if (!qc) return std::unexpected(qc.error());
  return queueRecord(tenant, *qc);
}

// ---- Numbers ----

// Conflict (naming the id's parameter) while a number of the tenant points at the queue or
// user: deleting it would leave the number ringing nothing.
Status noNumberPointsAt(store::Store& st, const std::string& tenant, store::NumberTargetKind kind,
                        const std::string& id) {
  auto numbers = st.numbers().list(store::TenantId(tenant));
  if (!numbers) return std::unexpected(numbers.error());
  const bool user = kind == store::NumberTargetKind::User;
  for (const auto& n : *numbers) {
    if (n.target_kind == kind && n.target_id == id) {
      return fail(Errc::Conflict,
                  "number " + n.number + (user ? " rings this user" : " points at this queue") +
                      "; point it elsewhere first",
                  user ? "userId" : "queueId");
    }
  }
  return {};
}

json numberJson(const store::PhoneNumber& n) {
  json out{{"number", n.number}, {"tenantId", n.tenant_id.value()}, {"label", n.label}};
  out[n.target_kind == store::NumberTargetKind::User ? "user" : "queue"] = n.target_id;
  return out;
}

Result<store::PhoneNumber> numberFromBody(store::Store& st, const json& body,
                                          const std::string& tenant, const std::string& number) {
  SB_TRY(onlyKeys(body, {"number", "queue", "user", "label"}));
  if (number.empty() || number.size() > 32 ||
      !std::all_of(number.begin(), number.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '+' || c == '*' || c == '#';
      })) {
    return fail(Errc::InvalidArgument, "number must be 1-32 of digits, '+', '*' or '#'", "number");
  }
  // Exactly one target: a queue, or a user whose phones ring (direct inward dialing).
  const bool has_queue = body.contains("queue"), has_user = body.contains("user");
  if (has_queue == has_user) {
    return fail(Errc::InvalidArgument, "give exactly one of queue or user",
                has_user ? "user" : "queue");
  }
  const char* field = has_user ? "user" : "queue";
  const json& target = body[field];
  if (!target.is_string() || target.get<std::string>().empty()) {
    return fail(Errc::InvalidArgument, std::string(field) + " must be a non-empty string", field);
  }
  const std::string id = target.get<std::string>();
  auto errorOf = [](const auto& r) { return r ? Status{} : Status(std::unexpected(r.error())); };
  const Status exists = has_user
                            ? errorOf(st.users().get(store::TenantId(tenant), store::UserId(id)))
                            : errorOf(st.queues().get(store::TenantId(tenant), store::QueueId(id)));
  if (!exists) {
    if (exists.error().code == Errc::NotFound) {
      return fail(Errc::InvalidArgument,
                  "number " + number + " points at unknown " + field + " '" + id + "'", field);
    }
    return std::unexpected(exists.error());
  }
  std::string label;
  if (auto l = body.find("label"); l != body.end()) {
    if (!l->is_string()) return fail(Errc::InvalidArgument, "label must be a string", "label");
    label = l->get<std::string>();
  }
  return store::PhoneNumber{
      number, store::TenantId(tenant),
      has_user ? store::NumberTargetKind::User : store::NumberTargetKind::Queue, id, label};
}

// ---- Trunks ----

json trunkJson(const store::Trunk& row) {
  json out{{"id", row.id.value()}, {"tenantId", row.tenant_id.value()}, {"enabled", row.enabled}};
  if (auto t = trunkFromRecord(row)) {
    out["tenants"] = t->tenants;
    json sources = json::array();
    for (const auto& s : t->sources) sources.push_back({{"address", s.address}, {"port", s.port}});
    out["sources"] = sources;
    out["transport"] = row.transport;
    out["outbound_address"] = t->outbound_address;
    out["outbound_port"] = t->outbound_port;
  }
  return out;
}

Result<store::Trunk> trunkFromBody(store::Store& st, json body, const std::string& tenant,
                                   const std::string& id, const store::Trunk* existing) {
  bool enabled = existing ? existing->enabled : true;
  if (auto e = body.find("enabled"); e != body.end()) {
    if (!e->is_boolean()) return fail(Errc::InvalidArgument, "enabled must be true or false", "enabled");
    enabled = e->get<bool>();
    body.erase("enabled");
  }
  body.erase("tenantId");
  body["id"] = id;
  // The owning tenant comes first; others listed share the trunk.
  std::vector<std::string> tenants{tenant};
  if (auto list = body.find("tenants"); list != body.end() && list->is_array()) {
    for (const auto& t : *list) {
      if (t.is_string() && t.get<std::string>() != tenant) tenants.push_back(t.get<std::string>());
    }
  } else if (list != body.end()) {
    return fail(Errc::InvalidArgument, "tenants must be a list", "tenants");
  }
  body["tenants"] = tenants;
  auto all = st.tenants().list();
  if (!all) return std::unexpected(all.error());
  std::vector<std::string> ids;
  for (const auto& t : *all) ids.push_back(t.id.value());
  auto tc = validateTrunkDocument(body, ids);
  if (!tc) return std::unexpected(tc.error());
  store::Trunk row = trunkRecord(*tc);
  row.enabled = enabled;
  if (existing) {
    row.username = existing->username;
    row.secret = existing->secret;
  }
  return row;
}

}  // namespace

Status registerConfigRoutes(ApiContext& ctx) {
  const json object{{"type", "object"}};
  for (const char* name :
       {"TenantConfig", "QueueConfig", "NumberConfig", "TrunkConfig", "ConfigList"}) {
    ctx.router.addSchema(name, object);
  }
  ctx.router.addSchema(
      "UserConfig",
      {{"type", "object"},
       {"properties",
        {{"id", {{"type", "string"}}},
         {"username", {{"type", "string"}}},
         {"displayName", {{"type", "string"}}},
         {"role", {{"type", "string"}, {"enum", {"agent", "sme", "supervisor", "admin"}}}},
         {"extension", {{"type", "string"}}},
         {"password", {{"type", "string"}, {"writeOnly", true}}},
         {"skills", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
         {"capacity", {{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}},
         {"queues", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}});

  // What differs between the record kinds; the handler shapes are in routes_crud.h.
  auto tenants = std::make_shared<const crud::Resource<store::Tenant>>(crud::Resource<store::Tenant>{
      "tenant", "tenantId",
      [](store::Store& st, const std::string&) { return st.tenants().list(); },
      [](store::Store& st, const std::string&, const std::string& id) {
        return st.tenants().get(store::TenantId(id));
      },
      [](store::Store& st, const std::string&, const std::string& id) {
        return st.tenants().remove(store::TenantId(id));
      },
      [](store::Store& st, const store::Tenant& row) { return st.tenants().update(row); },
      [](const store::Tenant& t) { return t.id.value(); }, tenantJson});
  auto tenantFromBodyNow = [&ctx](store::Store& st, const json& body, const std::string&,
                                  const std::string& id, const store::Tenant& existing) {
    return tenantFromBody(st, body, id, &existing, ctx.clock.wallNow());
  };
  auto userRes = crud::tenantScoped<store::User, store::UserId>(
      "user", "userId", &store::Store::users, [](const store::User& u) { return u.id.value(); },
      userJson);
  auto userFromExisting = [](store::Store& st, const json& body, const std::string& tenant,
                             const std::string& id, const store::User& existing) {
    return userFromBody(st, body, tenant, id, &existing);
  };
  auto numberRes = crud::tenantScoped<store::PhoneNumber, std::string>(
      "number", "number", &store::Store::numbers,
      [](const store::PhoneNumber& n) { return n.number; }, numberJson);
  auto numberFromExisting = [](store::Store& st, const json& body, const std::string& tenant,
                               const std::string& number, const store::PhoneNumber&) {
    return numberFromBody(st, body, tenant, number);
  };
  auto trunkRes = crud::tenantScoped<store::Trunk, store::TrunkId>(
      "trunk", "trunkId", &store::Store::trunks, [](const store::Trunk& t) { return t.id.value(); },
      trunkJson);
  auto trunkFromExisting = [](store::Store& st, const json& body, const std::string& tenant,
                              const std::string& id, const store::Trunk& existing) {
    return trunkFromBody(st, body, tenant, id, &existing);
  };

  // ---- Tenants (system operator) ----
  SB_TRY(crud::addList(ctx, {"GET", "/api/v1/tenants", "List tenants (limit, cursor)", Permission::TenantsManage, "",
       "ConfigList", "tenants"}, tenants));
  SB_TRY(crud::addGet(ctx, {"GET", "/api/v1/tenants/{tenantId}", "Get a tenant's settings", Permission::TenantConfigRead,
       "", "TenantConfig", "tenants"}, tenants));
  SB_TRY(ctx.router.addAsync(
      {"POST", "/api/v1/tenants", "Create a tenant (audited; applied live)",
       Permission::TenantsManage, "TenantConfig", "TenantConfig", "tenants", 201},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = createBody(rc);
        if (!body) return respond(rc.error(body.error()));
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc), body = std::move(*body)](
                                            store::Store& st) {
          const std::string id = body["id"].get<std::string>();
          auto row = tenantFromBody(st, body, id, nullptr, ctx.clock.wallNow());
          if (!row) return rc.error(row.error());
          auto created = st.tenants().create(*row);
          if (!created) return rc.error(created.error());
          const json after = tenantJson(*created);
          committed(ctx, st, rc, id, "create", "tenant", id, nullptr, &after);
          return api::HttpResponse::json(201, after).withHeader("Location", "/api/v1/tenants/" + id);
        });
      }));
  SB_TRY(crud::addReplace(ctx, {"PUT", "/api/v1/tenants/{tenantId}", "Replace a tenant's settings (audited; applied live)",
       Permission::TenantsManage, "TenantConfig", "TenantConfig", "tenants"}, tenants, "id", tenantFromBodyNow));
  SB_TRY(crud::addDelete(ctx, {"DELETE", "/api/v1/tenants/{tenantId}",
       "Delete a tenant and everything it owns (applied live)", Permission::TenantsManage, "", "",
       "tenants", 204}, tenants));

  // ---- Users ----
  const std::string users = "/api/v1/tenants/{tenantId}/users";
  SB_TRY(crud::addList(ctx, {"GET", users, "List users with their agent profiles (limit, cursor)",
       Permission::TenantConfigRead, "", "ConfigList", "users"}, userRes));
  SB_TRY(crud::addGet(ctx, {"GET", users + "/{userId}", "Get a user with the agent profile",
       Permission::TenantConfigRead, "", "UserConfig", "users"}, userRes));
  SB_TRY(ctx.router.addAsync(
      {"POST", users,
       "Create a user: agent profile (skills, capacity, queues), extension, and a password that "
       "signs in (argon2id) and registers SIP phones (digest HA1s). Audited; applied live",
       Permission::UsersManage, "UserConfig", "UserConfig", "users", 201},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        // The id defaults to the username; it is also the SIP user part.
        auto pick = body->find("id");
        if (pick == body->end()) pick = body->find("username");
        if (pick == body->end() || !pick->is_string()) {
          return respond(rc.error(Error(Errc::InvalidArgument, "username is required", "username")));
        }
        const std::string id = pick->get<std::string>();
        const std::string field = body->contains("id") ? "id" : "username";
        if (auto ok = checkId(id, field); !ok) return respond(rc.error(ok.error()));
        // Argon2 hashing is slow: the blocking pool does it with the store calls.
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc), body = std::move(*body),
                                         id](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto row = userFromBody(st, body, tenant, id, nullptr);
          if (!row) return rc.error(row.error());
          auto created = st.users().create(*row);
          if (!created) return rc.error(created.error());
          const json after = userJson(*created);
          committed(ctx, st, rc, tenant, "create", "user", id, nullptr, &after);
          return api::HttpResponse::json(201, after)
              .withHeader("Location", "/api/v1/tenants/" + tenant + "/users/" + id);
        });
      }));
  SB_TRY(crud::addReplace(ctx, {"PUT", users + "/{userId}",
       "Replace a user's settings; members left out keep their value, a password is changed "
       "only when given. Audited; applied live",
       Permission::UsersManage, "UserConfig", "UserConfig", "users"}, userRes, "id", userFromExisting));
  SB_TRY(crud::addDelete(
      ctx,
      {"DELETE", users + "/{userId}",
       "Delete a user (logged out of routing at once); refused while a number rings the user",
       Permission::UsersManage, "", "", "users", 204},
      userRes, [](store::Store& st, const std::string& tenant, const std::string& id) {
        return noNumberPointsAt(st, tenant, store::NumberTargetKind::User, id);
      }));

  // ---- Queues (the list with live counts is in routes_voice.cpp) ----
  const std::string queue = "/api/v1/tenants/{tenantId}/queues/{queueId}";
  SB_TRY(ctx.router.addAsync(
      {"GET", queue, "Get a queue's settings (the YAML queue keys)", Permission::QueuesRead, "",
       "QueueConfig", "queues"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [rc = std::move(rc)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto row = st.queues().get(store::TenantId(tenant),
                                     store::QueueId(std::string(rc.param("queueId"))));
          if (!row) return rc.error(notFound(row.error(), "queue", "queueId"));
          auto refs = refsOf(st, tenant);
          if (!refs) return rc.error(refs.error());
          auto qc = queueFromRecord(*row, *refs);
          if (!qc) return rc.error(qc.error());
          return api::HttpResponse::json(200, queueJson(tenant, *qc));
        });
      }));
  SB_TRY(ctx.router.addAsync(
      {"POST", "/api/v1/tenants/{tenantId}/queues",
       "Create a queue; settings use the YAML queue keys and rules. Audited; applied live",
       Permission::QueuesManage, "QueueConfig", "QueueConfig", "queues", 201},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = createBody(rc);
        if (!body) return respond(rc.error(body.error()));
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc), body = std::move(*body)](
                                            store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const std::string id = body["id"].get<std::string>();
          auto row = queueFromBody(st, body, tenant, id);
          if (!row) return rc.error(row.error());
          auto created = st.queues().create(*row);
          if (!created) return rc.error(created.error());
          auto refs = refsOf(st, tenant);
          auto qc = refs ? queueFromRecord(*created, *refs) : Result<QueueConfig>(std::unexpected(refs.error()));
          if (!qc) return rc.error(qc.error());
          const json after = queueJson(tenant, *qc);
          committed(ctx, st, rc, tenant, "create", "queue", id, nullptr, &after);
          return api::HttpResponse::json(201, after)
              .withHeader("Location", "/api/v1/tenants/" + tenant + "/queues/" + id);
        });
      }));
  SB_TRY(ctx.router.addAsync(
      {"PUT", queue, "Replace a queue's settings (waiting calls keep their place). Audited; "
                     "applied live",
       Permission::QueuesManage, "QueueConfig", "QueueConfig", "queues"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        const std::string id(rc.param("queueId"));
        if (auto ok = samePathId(*body, "id", id); !ok) return respond(rc.error(ok.error()));
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc), body = std::move(*body),
                                         id](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto existing = st.queues().get(store::TenantId(tenant), store::QueueId(id));
          if (!existing) return rc.error(notFound(existing.error(), "queue", "queueId"));
          auto row = queueFromBody(st, body, tenant, id);
          if (!row) return rc.error(row.error());
          if (auto ok = st.queues().update(*row); !ok) return rc.error(ok.error());
          auto refs = refsOf(st, tenant);
          if (!refs) return rc.error(refs.error());
          auto before_qc = queueFromRecord(*existing, *refs);
          auto after_qc = queueFromRecord(*row, *refs);
          const json before = before_qc ? queueJson(tenant, *before_qc) : json(existing->settings_json);
          const json after = after_qc ? queueJson(tenant, *after_qc) : json(row->settings_json);
          committed(ctx, st, rc, tenant, "update", "queue", id, &before, &after);
          return api::HttpResponse::json(200, after);
        });
      }));
  SB_TRY(ctx.router.addAsync(
      {"DELETE", queue,
       "Delete a queue: its waiting calls end (480); refused while a number points at it",
       Permission::QueuesManage, "", "", "queues", 204},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const std::string id(rc.param("queueId"));
          auto existing = st.queues().get(store::TenantId(tenant), store::QueueId(id));
          if (!existing) return rc.error(notFound(existing.error(), "queue", "queueId"));
          if (auto free = noNumberPointsAt(st, tenant, store::NumberTargetKind::Queue, id); !free) {
            return rc.error(free.error());
          }
          if (auto ok = st.queues().remove(store::TenantId(tenant), store::QueueId(id)); !ok) {
            return rc.error(ok.error());
          }
          const json before{{"id", id}, {"name", existing->name}, {"strategy", existing->strategy},
                            {"settings", existing->settings_json}};
          committed(ctx, st, rc, tenant, "delete", "queue", id, &before, nullptr);
          return api::HttpResponse::text(204, "", "application/json");
        });
      }));

  // ---- Numbers ----
  const std::string numbers = "/api/v1/tenants/{tenantId}/numbers";
  SB_TRY(crud::addList(ctx, {"GET", numbers, "List phone numbers (limit, cursor)", Permission::TenantConfigRead, "",
       "ConfigList", "numbers"}, numberRes));
  SB_TRY(crud::addGet(ctx, {"GET", numbers + "/{number}", "Get a phone number", Permission::TenantConfigRead, "",
       "NumberConfig", "numbers"}, numberRes));
  SB_TRY(ctx.router.addAsync(
      {"POST", numbers,
       "Route a phone number to a queue or a user (unique across tenants). "
       "Audited; applied live",
       Permission::TenantConfigWrite, "NumberConfig", "NumberConfig", "numbers", 201},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        auto n = body->find("number");
        if (n == body->end() || !n->is_string()) {
          return respond(rc.error(Error(Errc::InvalidArgument, "number is required", "number")));
        }
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc), body = std::move(*body)](
                                            store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const std::string number = body["number"].get<std::string>();
          auto row = numberFromBody(st, body, tenant, number);
          if (!row) return rc.error(row.error());
          if (auto ok = st.numbers().create(*row); !ok) {
            // Numbers are unique across tenants: say so without naming the owner.
            if (ok.error().code == Errc::AlreadyExists) {
              return rc.error(Error(Errc::AlreadyExists, "the number is already in use", "number"));
            }
            return rc.error(ok.error());
          }
          const json after = numberJson(*row);
          committed(ctx, st, rc, tenant, "create", "number", number, nullptr, &after);
          return api::HttpResponse::json(201, after);
        });
      }));
  SB_TRY(
      crud::addReplace(ctx,
                       {"PUT", numbers + "/{number}",
                        "Point a phone number at another queue or user. Audited; applied live",
                        Permission::TenantConfigWrite, "NumberConfig", "NumberConfig", "numbers"},
                       numberRes, "number", numberFromExisting));
  SB_TRY(crud::addDelete(ctx, {"DELETE", numbers + "/{number}", "Release a phone number. Audited; applied live",
       Permission::TenantConfigWrite, "", "", "numbers", 204}, numberRes));

  // ---- Trunks ----
  const std::string trunks = "/api/v1/tenants/{tenantId}/trunks";
  SB_TRY(crud::addList(ctx, {"GET", trunks, "List the tenant's trunks (limit, cursor)", Permission::TenantConfigRead, "",
       "ConfigList", "trunks"}, trunkRes));
  SB_TRY(crud::addGet(ctx, {"GET", trunks + "/{trunkId}", "Get a trunk", Permission::TenantConfigRead, "",
       "TrunkConfig", "trunks"}, trunkRes));
  SB_TRY(ctx.router.addAsync(
      {"POST", trunks, "Create a trunk (the YAML trunk keys). Audited; applied live",
       Permission::TenantConfigWrite, "TrunkConfig", "TrunkConfig", "trunks", 201},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto body = createBody(rc);
        if (!body) return respond(rc.error(body.error()));
        ctx.onStore(std::move(respond), [&ctx, rc = std::move(rc), body = std::move(*body)](
                                            store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const std::string id = body["id"].get<std::string>();
          auto row = trunkFromBody(st, body, tenant, id, nullptr);
          if (!row) return rc.error(row.error());
          auto created = st.trunks().create(*row);
          if (!created) return rc.error(created.error());
          const json after = trunkJson(*created);
          committed(ctx, st, rc, tenant, "create", "trunk", id, nullptr, &after);
          return api::HttpResponse::json(201, after);
        });
      }));
  SB_TRY(crud::addReplace(ctx, {"PUT", trunks + "/{trunkId}", "Replace a trunk. Audited; applied live",
       Permission::TenantConfigWrite, "TrunkConfig", "TrunkConfig", "trunks"}, trunkRes, "id", trunkFromExisting));
  SB_TRY(crud::addDelete(ctx, {"DELETE", trunks + "/{trunkId}", "Delete a trunk. Audited; applied live",
       Permission::TenantConfigWrite, "", "", "trunks", 204}, trunkRes));
  return {};
}

}  // namespace sb::app
