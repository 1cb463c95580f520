// SPDX-License-Identifier: Apache-2.0
// HttpServer: the Beast HTTP/1.1 (+ WebSocket) server of the API. It runs on io_contexts the
// app owns (it never creates threads): one acceptor, and each connection on its own strand of
// one of the given loops, round-robin. Keep-alive, header/body limits (431/413 JSON), idle and
// read timeouts, optional TLS, WebSocket event streaming at options.events_path via EventHub,
// and graceful shutdown (stop accepting, finish in-flight requests, force-close at a deadline).
// start()/shutdown() may be called from any thread; destroy the server only after shutdown
// has completed or the loops have stopped.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"
#include "common/result.h"

namespace boost::asio::ssl {
class context;
}
namespace sb::metrics {
class Registry;
}

namespace sb::api {

namespace asio = boost::asio;

class Router;
class EventHub;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (see HttpServer::port())
  std::size_t header_limit = 16 * 1024;    // bytes of request line + headers; above: 431
  std::size_t body_limit = 1024 * 1024;    // bytes of body; above: 413
  Duration idle_timeout = std::chrono::seconds(60);  // keep-alive wait for the next request
  Duration read_timeout = std::chrono::seconds(15);  // first byte to complete request
  Duration write_timeout = std::chrono::seconds(30);
  // Set: every connection is TLS (HTTPS/WSS). The context must be configured with a
  // certificate and key and outlive the server.
  std::shared_ptr<asio::ssl::context> tls;
  std::string events_path = "/api/v1/events";
  std::size_t ws_queue_limit = 1024;  // frames queued per WebSocket; above: slow consumer, dropped
  Duration ws_close_grace = std::chrono::seconds(2);  // for the close handshake before a hard close
  Duration ws_idle_timeout = std::chrono::seconds(60);  // pings at half of it
  std::string server_name = "Switchboard";
};

class HttpServer {
 public:
  // loops: non-empty; must outlive the server. router (routes registered), metrics and
  // events (nullable: WebSocket upgrades then get 503) must outlive it too.
  HttpServer(std::vector<asio::io_context*> loops, Router& router, metrics::Registry& metrics,
             EventHub* events, ServerOptions options = {});
  // Only once no thread runs the loops any more (after shutdown(), stop and join them first).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts accepting. Returns the bound port. Fails (Unavailable) when the
  // address cannot be bound.
  Result<std::uint16_t> start();
  std::uint16_t port() const;

  // Stops accepting, closes idle keep-alive connections, lets in-flight requests finish (their
  // responses carry Connection: close) and asks WebSockets to close (1001). Connections still
  // open after `deadline` are closed hard. on_done runs (on a server loop) once no connection
  // is left, or at the deadline after the hard close. Any thread; repeated calls only add
  // callbacks.
  void shutdown(Duration deadline, std::function<void()> on_done = {});

  std::size_t connectionCount() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sb::api
