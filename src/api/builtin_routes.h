// SPDX-License-Identifier: Apache-2.0
// The framework's own routes: GET /api/v1/openapi.json, GET /docs, GET /metrics,
// GET /api/v1/health and the WebSocket endpoint GET /api/v1/events (its plain-HTTP form answers
// 426; HttpServer performs the upgrade). Registered once at setup, before the server starts.
#pragma once

#include "api/router.h"
#include "common/result.h"

namespace sb::metrics {
class Registry;
}

namespace sb::api {

struct BuiltinRouteOptions {
  OpenApiInfo info;
  bool public_metrics = true;  // false: /metrics needs permission metrics.read
};

// router and metrics must outlive the routes (the handlers keep references).
Status registerBuiltinRoutes(Router& router, metrics::Registry& metrics,
                             BuiltinRouteOptions options = {});

}  // namespace sb::api
