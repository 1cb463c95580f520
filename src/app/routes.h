// SPDX-License-Identifier: Apache-2.0
// The HTTP API's route groups, one register function per group (each in its own routes_*.cpp).
// HttpApi::start() calls them in order on the main thread; handlers then run on the API thread
// and reach other threads only through ApiContext::onVoice / onStore.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/roles.h"
#include "app/api_context.h"
#include "common/result.h"

namespace sb::app {

// Queues with live waiting counts, live queue statistics, agent state (voice shard).
Status registerVoiceRoutes(ApiContext& ctx);
// Agent work (offers, decline, wrap-up), windowed queue statistics, live events.
Status registerAgentRoutes(ApiContext& ctx);
// Tenants, users, queues, numbers, trunks: store-backed, applied live (docs/config.md).
Status registerConfigRoutes(ApiContext& ctx);
// Skills, flows, wrap-up codes, calendars, the audit log.
Status registerResourceRoutes(ApiContext& ctx);
// Interaction records: search and CSV export.
Status registerRecordRoutes(ApiContext& ctx);
// Sign-in with an OpenID provider (docs/oidc.md).
Status registerOidcRoutes(ApiContext& ctx);
// App registrations: a tenant's OAuth clients (docs/security.md).
Status registerAppRoutes(ApiContext& ctx);

// The body of POST /api/v1/tenants/{tenantId}/apps: a display name and the roles the app's
// tokens carry (admin, supervisor, agent; duplicates dropped). Errors: InvalidArgument naming
// the field (unknown fields too). Pure.
struct AppCreateRequest {
  std::string display_name;
  std::vector<api::Role> roles;
};
Result<AppCreateRequest> parseAppCreate(const nlohmann::json& body);
// PATCH body: each member present replaces that field; at least one is required.
struct AppPatchRequest {
  std::optional<std::string> display_name;
  std::optional<std::vector<api::Role>> roles;
};
Result<AppPatchRequest> parseAppPatch(const nlohmann::json& body);

// Graph presence (docs/presence.md).
Status registerPresenceRoutes(ApiContext& ctx);
// Graph change-notification subscriptions and webhook delivery (docs/webhooks.md); the service
// lives as long as `keep_alive`.
Status registerSubscriptionRoutes(ApiContext& ctx, std::shared_ptr<void>& keep_alive);

}  // namespace sb::app
