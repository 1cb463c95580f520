// SPDX-License-Identifier: Apache-2.0
// Test helpers: a blocking Beast HTTP/WebSocket client with timeouts (each call runs its own
// io_context) and TestServer, a real HttpServer on 127.0.0.1:0 with its loops on background
// threads. Test-only; one thread per client object.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/builtin_routes.h"
#include "api/credentials.h"
#include "api/event_hub.h"
#include "api/http_server.h"
#include "api/router.h"
#include "api/token_service.h"
#include "common/asio.h"
#include "common/metrics.h"

namespace sb::api::testing {

using namespace std::chrono_literals;

struct ClientResponse {
  int status = -1;  // -1: transport error (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool keep_alive = false;
  std::string error;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, bool tls = false);
  ~HttpClient();
  bool connected() const;
  ClientResponse request(const std::string& method, const std::string& target,
                         const std::string& body = {}, const Headers& headers = {},
                         std::chrono::milliseconds timeout = 5000ms);
  // Raw bytes, for limit and timeout tests.
  bool sendRaw(const std::string& bytes, std::chrono::milliseconds timeout = 5000ms);
  ClientResponse readResponse(std::chrono::milliseconds timeout = 5000ms);
  // True when the server closed the connection within timeout (read hits EOF/reset).
  bool waitClosed(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class WsClient {
 public:
  // Performs the upgrade. On refusal, handshakeStatus() holds the HTTP status.
  WsClient(std::uint16_t port, const std::string& target, const Headers& headers = {});
  ~WsClient();
  bool open() const;
  int handshakeStatus() const;
  std::string handshakeBody() const;
  // Next text message as JSON, or nullopt on timeout/close.
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout = 5000ms);
  // After next() returned nullopt because the server closed: the close code (0 if none).
  int closeCode() const;
  bool closed() const;
  // Sends a ping; its pong (answered by the server) shows up in pongs() during a later next().
  bool ping(const std::string& payload);
  // Closes with code and waits for the server's close; false if it did not answer in time.
  bool close(int code, std::chrono::milliseconds timeout = 5000ms);
  const std::vector<std::string>& pongs() const;
  int pingsReceived() const;  // the server's keep-alive pings seen by next()

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A running server with an in-memory credential source and the builtin + auth routes.
struct TestServer {
  explicit TestServer(ServerOptions options = {}, std::size_t replay = 64, int loops = 2,
                      bool auth_routes = true);
  ~TestServer();
  // Registers routes before start() (tests add their own).
  void start();
  void stop(Duration deadline = 2s);
  std::string userToken(const std::string& tenant, std::vector<Role> roles,
                        const std::string& user_id = "u1");

  SteadyClock clock;
  metrics::Registry metrics;
  InMemoryCredentialSource credentials;
  TokenService tokens;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  asio::thread_pool blocking{1};
  std::unique_ptr<EventHub> hub;
  Router router;
  std::unique_ptr<HttpServer> server;
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  ServerOptions options;
  std::uint16_t port = 0;
  bool stopped = false;
};

// Self-signed P-256 certificate + key in PEM, for TLS tests.
struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};
TestCert makeSelfSignedCert();
// A client WebSocket frame as a browser sends it (RFC 6455 §5.3): first byte as given (FIN,
// RSV, opcode), masked with a fixed key, payload under 64 KiB.
std::string maskedClientFrame(unsigned char first, std::string_view payload);

// ServerOptions with TLS on, from a fresh self-signed certificate.
ServerOptions tlsServerOptions();

}  // namespace sb::api::testing
