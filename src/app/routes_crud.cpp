// SPDX-License-Identifier: Apache-2.0
// The shared pieces of the store-backed configuration routes (see routes_crud.h).
#include "app/routes_crud.h"

#include "common/log.h"

namespace sb::app::crud {

using nlohmann::json;
using api::Permission;

namespace {

std::string actorOf(const api::RequestContext& rc) {
  return rc.principal ? rc.principal->subject : "anonymous";
}

}  // namespace

Result<json> objectBody(const api::RequestContext& rc) {
  auto body = rc.jsonBody();
  if (!body) return body;
  if (!body->is_object()) return fail(Errc::InvalidArgument, "body must be a JSON object", "body");
  return body;
}

// The id in the path wins; a different id in the body is an error.
Status samePathId(const json& body, std::string_view key, const std::string& id) {
  auto it = body.find(key);
  if (it == body.end()) return {};
  if (!it->is_string() || it->get<std::string>() != id) {
    return fail(Errc::InvalidArgument, std::string(key) + " does not match the path",
                std::string(key));
  }
  return {};
}

// Audits and announces a committed change. Runs on the blocking pool.
void committed(ApiContext& ctx, store::Store& st, const api::RequestContext& rc,
               const std::string& tenant, const std::string& action, const std::string& entity,
               const std::string& id, const json* before, const json* after) {
  store::AuditEntry e;
  e.tenant_id = store::TenantId(tenant);
  e.at = ctx.clock.wallNow();
  e.actor = actorOf(rc);
  e.action = action;
  e.entity_type = entity;
  e.entity_id = id;
  if (before) e.before_json = before->dump();
  if (after) e.after_json = after->dump();
  // A deleted tenant takes its audit log with it; there is nothing to append to.
  if (!(entity == "tenant" && action == "delete")) {
    if (auto ok = st.audit().append(std::move(e)); !ok) {
      SB_LOG_ERROR("audit append failed for {} {}/{}: {}", entity, tenant, id,
                   ok.error().toString());
    }
  }
  if (ctx.hub != nullptr) {
    ctx.hub->publish({"config.changed", tenant, {{"entity", entity}, {"id", id}, {"action", action}},
                      Permission::TenantConfigRead, ""});
  }
  if (ctx.config_changed) ctx.config_changed(tenant);
}

Status onlyKeys(const json& body, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return fail(Errc::InvalidArgument, "unknown member '" + key + "'", key);
    }
  }
  return {};
}

Error notFound(Error e, const std::string& what, const std::string& field) {
  if (e.code == Errc::NotFound) return Error(Errc::NotFound, "no such " + what, field);
  return e;
}

// A page of `items` (already sorted by key) after the cursor position {"id": key}.
api::HttpResponse page(const api::RequestContext& rc, const api::PageRequest& req,
                       Items items) {
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string after;
  if (req.position) {
    if (!req.position->is_object() || !req.position->contains("id") ||
        !(*req.position)["id"].is_string()) {
      return rc.error(Error(Errc::InvalidArgument, "not a valid cursor", "cursor"));
    }
    after = (*req.position)["id"].get<std::string>();
  }
  json out = json::array();
  std::optional<json> next;
  const std::string* last = nullptr;
  for (const auto& [key, item] : items) {
    if (req.position && key <= after) continue;
    if (out.size() == req.limit) {
      next = json{{"id", *last}};
      break;
    }
    out.push_back(item);
    last = &key;
  }
  return api::HttpResponse::json(200, api::pageBody(rc.request, std::move(out), next));
}

}  // namespace sb::app::crud
