// SPDX-License-Identifier: Apache-2.0
// The common shape of the store-backed configuration routes (routes_config.cpp): list with
// limit/cursor, get, replace and delete of one record kind, each answered from the blocking
// pool and every write audited and announced. A Resource states only what differs per kind:
// its repository calls, its record -> document mapping and its audit entity name.
// Registration runs on the main thread; the handlers run on the API thread and the store pool.
#pragma once

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/pagination.h"
#include "api/router.h"
#include "app/api_context.h"
#include "common/result.h"
#include "store/store.h"

namespace sb::app::crud {

// Items of a list answer keyed by their sort key.
using Items = std::vector<std::pair<std::string, nlohmann::json>>;

// A page of `items` (sorted here by key) after the cursor position {"id": key}.
api::HttpResponse page(const api::RequestContext& rc, const api::PageRequest& req, Items items);

// NotFound becomes "no such <what>" naming `field`; other errors pass through.
Error notFound(Error e, const std::string& what, const std::string& field);

// A JSON object body, or InvalidArgument naming "body".
Result<nlohmann::json> objectBody(const api::RequestContext& rc);

// InvalidArgument naming the first member of body that is not in `allowed`.
Status onlyKeys(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);

// The id in the path wins; a different id in the body under `key` is an error.
Status samePathId(const nlohmann::json& body, std::string_view key, const std::string& id);

// Audits and announces a committed change and applies it live. Runs on the blocking pool.
void committed(ApiContext& ctx, store::Store& st, const api::RequestContext& rc,
               const std::string& tenant, const std::string& action, const std::string& entity,
               const std::string& id, const nlohmann::json* before, const nlohmann::json* after);

// One record kind. `tenant` is the tenantId path parameter (the record's own id for tenants).
template <class Row>
struct Resource {
  std::string entity;    // audit entity type; "no such <entity>"
  std::string id_param;  // the path parameter naming one record
  std::function<Result<std::vector<Row>>(store::Store&, const std::string& tenant)> list;
  std::function<Result<Row>(store::Store&, const std::string& tenant, const std::string& id)> get;
  std::function<Status(store::Store&, const std::string& tenant, const std::string& id)> remove;
  std::function<Status(store::Store&, const Row&)> update;
  std::function<std::string(const Row&)> key;
  std::function<nlohmann::json(const Row&)> document;
};

// Builds the replacement record from a body: (store, body, tenant, id, existing record).
template <class Row>
using FromBody = std::function<Result<Row>(store::Store&, const nlohmann::json&,
                                           const std::string&, const std::string&, const Row&)>;

template <class Row>
using ResourcePtr = std::shared_ptr<const Resource<Row>>;

// A record kind kept per tenant in the store repository `repo`, addressed by an Id built from
// the path parameter.
template <class Row, class Id, class Repo>
ResourcePtr<Row> tenantScoped(std::string entity, std::string id_param,
                              Repo& (store::Store::*repo)(),
                              std::function<std::string(const Row&)> key,
                              std::function<nlohmann::json(const Row&)> document) {
  return std::make_shared<const Resource<Row>>(Resource<Row>{
      std::move(entity), std::move(id_param),
      [repo](store::Store& st, const std::string& tenant) {
        return (st.*repo)().list(store::TenantId(tenant));
      },
      [repo](store::Store& st, const std::string& tenant, const std::string& id) {
        return (st.*repo)().get(store::TenantId(tenant), Id(id));
      },
      [repo](store::Store& st, const std::string& tenant, const std::string& id) {
        return (st.*repo)().remove(store::TenantId(tenant), Id(id));
      },
      [repo](store::Store& st, const Row& row) { return (st.*repo)().update(row); },
      std::move(key), std::move(document)});
}

template <class Row>
Status addList(ApiContext& ctx, api::RouteSpec spec, ResourcePtr<Row> res) {
  return ctx.router.addAsync(
      std::move(spec), [&ctx, res](api::RequestContext rc, api::Responder respond) {
        auto req = api::pageRequestOf(rc.request);
        if (!req) return respond(rc.error(req.error()));
        ctx.onStore(std::move(respond), [res, rc = std::move(rc), req = *req](store::Store& st) {
          auto rows = res->list(st, std::string(rc.param("tenantId")));
          if (!rows) return rc.error(rows.error());
          Items items;
          for (const auto& row : *rows) items.emplace_back(res->key(row), res->document(row));
          return page(rc, req, std::move(items));
        });
      });
}

template <class Row>
Status addGet(ApiContext& ctx, api::RouteSpec spec, ResourcePtr<Row> res) {
  return ctx.router.addAsync(
      std::move(spec), [&ctx, res](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [res, rc = std::move(rc)](store::Store& st) {
          auto row = res->get(st, std::string(rc.param("tenantId")),
                              std::string(rc.param(res->id_param)));
          if (!row) return rc.error(notFound(row.error(), res->entity, res->id_param));
          return api::HttpResponse::json(200, res->document(*row));
        });
      });
}

// PUT: `body_key` is the body member that may repeat the path id.
template <class Row>
Status addReplace(ApiContext& ctx, api::RouteSpec spec, ResourcePtr<Row> res,
                  std::string body_key, std::type_identity_t<FromBody<Row>> from_body) {
  return ctx.router.addAsync(
      std::move(spec), [&ctx, res, body_key, from_body](api::RequestContext rc,
                                                        api::Responder respond) {
        auto body = objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        const std::string id(rc.param(res->id_param));
        if (auto ok = samePathId(*body, body_key, id); !ok) return respond(rc.error(ok.error()));
        ctx.onStore(std::move(respond), [&ctx, res, from_body, rc = std::move(rc),
                                         body = std::move(*body), id](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto existing = res->get(st, tenant, id);
          if (!existing) return rc.error(notFound(existing.error(), res->entity, res->id_param));
          auto row = from_body(st, body, tenant, id, *existing);
          if (!row) return rc.error(row.error());
          if (auto ok = res->update(st, *row); !ok) return rc.error(ok.error());
          const nlohmann::json before = res->document(*existing);
          const nlohmann::json after = res->document(*row);
          committed(ctx, st, rc, tenant, "update", res->entity, id, &before, &after);
          return api::HttpResponse::json(200, after);
        });
      });
}

// Refuses a delete (e.g. Conflict while something still points at the row); ok to go ahead.
using DeleteCheck =
    std::function<Status(store::Store&, const std::string& tenant, const std::string& id)>;

template <class Row>
Status addDelete(ApiContext& ctx, api::RouteSpec spec, ResourcePtr<Row> res,
                 DeleteCheck check = {}) {
  return ctx.router.addAsync(
      std::move(spec), [&ctx, res, check](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [&ctx, res, check, rc = std::move(rc)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const std::string id(rc.param(res->id_param));
          auto existing = res->get(st, tenant, id);
          if (!existing) return rc.error(notFound(existing.error(), res->entity, res->id_param));
          if (check) {
            if (auto ok = check(st, tenant, id); !ok) return rc.error(ok.error());
          }
          if (auto ok = res->remove(st, tenant, id); !ok) return rc.error(ok.error());
          const nlohmann::json before = res->document(*existing);
          committed(ctx, st, rc, tenant, "delete", res->entity, id, &before, nullptr);
          return api::HttpResponse::text(204, "", "application/json");
        });
      });
}

}  // namespace sb::app::crud
