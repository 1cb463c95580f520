// SPDX-License-Identifier: Apache-2.0
// ApiContext: what the HTTP API's route groups (routes.h) share — the router, token service,
// event hub, metrics, the voice shard (for live state) and the store (for configuration and
// records). Owned by HttpApi; built on the main thread before the API thread starts, then read
// by handlers on the API thread. onVoice() / onStore() move work to the thread that owns the
// state and answer from there, so a handler never blocks the API's event loop.
#pragma once

#include <functional>
#include <string>

#include "api/credentials.h"
#include "api/event_hub.h"
#include "api/router.h"
#include "api/token_service.h"
#include "app/config.h"
#include "app/live_queues.h"
#include "app/voice_stack.h"
#include "common/asio.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "store/store.h"

namespace sb::app {

struct ApiContext {
  const Config& config;
  const Clock& clock;
  api::Router& router;
  api::TokenService& tokens;
  api::InMemoryCredentialSource& credentials;
  metrics::Registry& registry;
  boost::asio::any_io_executor api_executor;  // the API's own event loop
  boost::asio::any_io_executor blocking;      // store calls and password hashing
  api::EventHub* hub = nullptr;               // set in HttpApi::start(), before serving
  VoiceStack* voice = nullptr;                // null when no tenants are configured
  boost::asio::io_context* voice_io = nullptr;
  store::Store* store = nullptr;  // null only in tests that run without a store
  // Called (on the blocking pool) after a tenant's configuration changed in the store, so the
  // voice path applies it live. Empty when nothing listens.
  std::function<void(const std::string& tenant_id)> config_changed;
  // Live queue figures, refreshed on the voice shard every second (routes_agent.cpp) and read
  // by the statistics route on the HTTP loops instead of a hop per request.
  LiveQueueBoard live_queues{};

  // Runs fn(VoiceCenter&) -> HttpResponse on the voice shard and answers with its result.
  template <typename Fn>
  void onVoice(api::Responder respond, Fn fn) {
    if (voice == nullptr) {
      respond(api::errorResponse(api::Surface::Api,
                                 Error(Errc::Unavailable, "no tenants are configured")));
      return;
    }
    boost::asio::post(*voice_io, [this, respond = std::move(respond), fn = std::move(fn)]() {
      respond(fn(voice->center()));
    });
  }

  // Runs fn(store::Store&) -> HttpResponse on the blocking pool and answers with its result.
  template <typename Fn>
  void onStore(api::Responder respond, Fn fn) {
    if (store == nullptr) {
      respond(api::errorResponse(api::Surface::Api,
                                 Error(Errc::Unavailable, "no store is configured")));
      return;
    }
    boost::asio::post(blocking, [this, respond = std::move(respond), fn = std::move(fn)]() {
      respond(fn(*store));
    });
  }
};

}  // namespace sb::app
