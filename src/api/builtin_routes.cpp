// SPDX-License-Identifier: Apache-2.0
#include "api/builtin_routes.h"

#include "common/metrics.h"

namespace sb::api {

Status registerBuiltinRoutes(Router& router, metrics::Registry& metrics,
                             BuiltinRouteOptions options) {
  router.addSchema("OpenApiDocument", {{"type", "object"}, {"description", "OpenAPI 3.1"}});
  router.addSchema("Health", {{"type", "object"},
                              {"properties", {{"status", {{"type", "string"}}}}}});
  router.addSchema("Event", {{"type", "object"},
                             {"required", {"id", "type", "tenantId", "data", "time"}},
                             {"properties",
                              {{"id", {{"type", "integer"}}},
                               {"type", {{"type", "string"}}},
                               {"tenantId", {{"type", "string"}}},
                               {"data", {{"type", "object"}}},
                               {"time", {{"type", "string"}, {"format", "date-time"}}}}}});
  OpenApiInfo info = options.info;
  SB_TRY(router.add({"GET", "/api/v1/openapi.json", "OpenAPI 3.1 description of this API",
                     Permission::Public, "", "OpenApiDocument", "meta"},
                    [&router, info](const RequestContext&) {
                      return HttpResponse::json(200, router.openApi(info));
                    }));
  SB_TRY(router.add({"GET", "/docs", "Human-readable route list", Permission::Public, "", "",
                     "meta"},
                    [&router, info](const RequestContext&) {
                      return HttpResponse::text(200, router.docsHtml(info),
                                                "text/html; charset=utf-8");
                    }));
  SB_TRY(router.add({"GET", "/metrics", "Prometheus metrics (text format 0.0.4)",
                     options.public_metrics ? Permission::Public : Permission::MetricsRead, "",
                     "", "meta"},
                    [&metrics](const RequestContext&) {
                      return HttpResponse::text(200, metrics.renderText(),
                                                "text/plain; version=0.0.4; charset=utf-8");
                    }));
  SB_TRY(router.add({"GET", "/api/v1/health", "Liveness probe", Permission::Public, "", "Health",
                     "meta"},
                    [](const RequestContext&) {
                      return HttpResponse::json(200, {{"status", "ok"}});
                    }));
  SB_TRY(router.add(
      {"GET", "/api/v1/events",
       "WebSocket stream of events (JSON {id,type,tenantId,data,time}); upgrade required. "
       "Token in Authorization or ?access_token=; resume with ?lastEventId= or Last-Event-ID",
       Permission::EventsSubscribe, "", "Event", "events"},
      [](const RequestContext& ctx) {
        return ctx.error(426, "upgrade_required", "this endpoint speaks WebSocket only",
                         "Upgrade")
            .withHeader("Upgrade", "websocket");
      }));
  return {};
}

}  // namespace sb::api
