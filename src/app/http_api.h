// SPDX-License-Identifier: Apache-2.0
// HttpApi: the HTTP/WebSocket API of `serve` on its own thread and io_context — built-in
// routes (health, metrics, OpenAPI, docs), sign-in and tokens for the config's local accounts
// (and the demo API keys when `demo: true`), the event stream, and the route groups of
// routes.h over the voice shard and the store (ApiContext). Construct, start() and stop() on the main thread; start() before the SIP
// endpoint's threads start.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "app/config.h"
#include "app/voice_stack.h"
#include "common/asio.h"
#include "common/metrics.h"
#include "common/result.h"
#include "store/store.h"

namespace sb::app {

class HttpApi final {
 public:
  // `voice` may be null (no tenants configured); `store` may be null (no store); all outlive
  // the API. `registry` is served at /metrics (the SIP endpoint counts into it too).
  HttpApi(const Config& config, VoiceStack* voice, boost::asio::io_context* voice_io,
          store::Store* store, metrics::Registry& registry);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds and starts serving; returns the bound port. Errors: the bind failed, or a demo
  // credential could not be set up.
  Result<uint16_t> start();
  // Finishes in-flight requests (up to 5 s), then stops the thread. Idempotent.
  void stop();
  // Called on the blocking pool after a route committed a tenant's configuration change to the
  // store (ApiContext::config_changed). Set before start().
  void setConfigChanged(std::function<void(const std::string& tenant_id)> fn);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::app
