// SPDX-License-Identifier: Apache-2.0
// The HTTP API's route groups, one register function per group (each in its own routes_*.cpp).
// HttpApi::start() calls them in order on the main thread; handlers then run on the API thread
// and reach other threads only through ApiContext::onVoice / onStore.
#pragma once

#include "app/api_context.h"
#include "common/result.h"

namespace sb::app {

// Queues with live waiting counts, live queue statistics, agent state (voice shard).
Status registerVoiceRoutes(ApiContext& ctx);
Status registerOidcRoutes(ApiContext& ctx);  // sign-in with an OpenID provider (docs/oidc.md)
Status registerAgentRoutes(ApiContext& ctx);  // agent work, windowed stats, live events
Status registerSubscriptionRoutes(ApiContext& ctx, std::shared_ptr<void>& keep_alive);  // Graph webhooks (docs/webhooks.md)
Status registerPresenceRoutes(ApiContext& ctx);  // Graph presence (docs/presence.md)
Status registerConfigRoutes(ApiContext& ctx);  // tenants, users, queues, numbers, trunks (docs/config.md)
Status registerResourceRoutes(ApiContext& ctx);  // skills, flows, wrap-up codes, calendars, audit
Status registerRecordRoutes(ApiContext& ctx);  // interaction records search + CSV export

}  // namespace sb::app
