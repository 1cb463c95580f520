// SPDX-License-Identifier: Apache-2.0
// The server over real HTTP on 127.0.0.1, port 0, with a Beast client.
#include "api/http_server.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/ssl.hpp>
#include <gtest/gtest.h>

#include "api/loop_lag.h"
#include "api/testing/test_client.h"

namespace sb::api {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::TestServer;

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer s;
  s.start();
  HttpClient c(s.port);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request("GET", "/api/v1/health");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.json()["status"], "ok");
  }
  EXPECT_EQ(s.server->connectionCount(), 1u);
}

TEST(HttpServerTest, OversizedHeadersGet431Json) {
  ServerOptions o;
  o.header_limit = 1024;
  TestServer s(o);
  s.start();
  HttpClient c(s.port);
  auto r = c.request("GET", "/api/v1/health", "", {{"X-Big", std::string(4000, 'a')}});
  ASSERT_EQ(r.status, 431) << r.error;
  EXPECT_EQ(r.json()["error"]["field"], "headers");
  EXPECT_FALSE(r.keep_alive);
}

TEST(HttpServerTest, OversizedBodyGets413Json) {
  ServerOptions o;
  o.body_limit = 1024;
  TestServer s(o);
  s.start();
  HttpClient c(s.port);
  auto r = c.request("POST", "/api/v1/auth/token", std::string(4096, ' '));
  ASSERT_EQ(r.status, 413) << r.error;
  EXPECT_EQ(r.json()["error"]["code"], "payload_too_large");
  EXPECT_EQ(r.json()["error"]["field"], "body");
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout = 200ms;
  TestServer s(o);
  s.start();
  HttpClient c(s.port);
  ASSERT_EQ(c.request("GET", "/api/v1/health").status, 200);
  EXPECT_TRUE(c.waitClosed(3s));
}

TEST(HttpServerTest, SlowRequestHitsReadTimeout) {
  ServerOptions o;
  o.read_timeout = 300ms;
  o.idle_timeout = 10s;
  TestServer s(o);
  s.start();
  HttpClient c(s.port);
  ASSERT_TRUE(c.sendRaw("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"));  // never finished
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.waitClosed(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(HttpServerTest, UnknownRouteAndWrongMethodAreJson) {
  TestServer s;
  s.start();
  HttpClient c(s.port);
  auto r = c.request("GET", "/api/v1/nothing-here");
  ASSERT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.json()["error"]["code"], "not_found");
  r = c.request("DELETE", "/api/v1/auth/token");
  ASSERT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST");
  EXPECT_EQ(r.json()["error"]["code"], "method_not_allowed");
  r = c.request("GET", "/graph/v1.0/me/presence");
  ASSERT_EQ(r.status, 404);
  auto err = r.json()["error"];
  EXPECT_EQ(err["code"], "itemNotFound");
  EXPECT_TRUE(err["message"].is_string());
  EXPECT_FALSE(err.contains("field"));
}

TEST(HttpServerTest, MalformedJsonIs400NamingThePosition) {
  TestServer s;
  s.start();
  HttpClient c(s.port);
  auto r = c.request("POST", "/api/v1/auth/token", "{\"grant_type\": \"password\",,}");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "invalid_argument");
  EXPECT_EQ(r.json()["error"]["field"], "body");
  std::string msg = r.json()["error"]["message"];
  EXPECT_NE(msg.find("line 1, column 27"), std::string::npos) << msg;
}

TEST(HttpServerTest, OpenApiDocumentCoversEveryRoute) {
  TestServer s;
  ASSERT_TRUE(s.router.add(
      {"GET", "/graph/v1.0/communications/calls/{id}", "Get a call", Permission::Monitor},
      [](const RequestContext&) { return HttpResponse::json(200, {}); }));
  s.start();
  HttpClient c(s.port);
  auto r = c.request("GET", "/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  auto doc = r.json();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  for (const RouteSpec* spec : s.router.routes()) {
    std::string m = spec->method;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    EXPECT_TRUE(doc["paths"][spec->pattern].contains(m)) << spec->method << " " << spec->pattern;
  }
  EXPECT_TRUE(doc["paths"].contains("/api/v1/events"));
  EXPECT_EQ(doc["paths"]["/graph/v1.0/communications/calls/{id}"]["get"]["responses"]["default"]
               ["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/GraphError");
}

TEST(HttpServerTest, DocsPageIsHtmlListingRoutes) {
  TestServer s;
  s.start();
  HttpClient c(s.port);
  auto r = c.request("GET", "/docs");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.header("content-type").starts_with("text/html"));
  EXPECT_NE(r.body.find("/api/v1/auth/token"), std::string::npos);
  EXPECT_NE(r.body.find("/api/v1/openapi.json"), std::string::npos);
}

TEST(HttpServerTest, MetricsUseTheTextFormatAndCountRequests) {
  TestServer s;
  s.start();
  LoopLagMonitor lag(s.metrics);
  lag.watch(*s.loops[0], "api0", 20ms);
  HttpClient c(s.port);
  ASSERT_EQ(c.request("GET", "/api/v1/health").status, 200);
  ASSERT_EQ(c.request("GET", "/api/v1/nope").status, 404);
  std::this_thread::sleep_for(100ms);
  auto r = c.request("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(
      r.body.find(
          "sb_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"} 1\n"),
      std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("route=\"unmatched\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(r.body.find("sb_event_loop_lag_seconds{loop=\"api0\"}"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE sb_http_request_duration_seconds histogram"), std::string::npos);
  // Every line is a comment or `name{labels} value`.
  std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfa]+$)");
  std::istringstream lines(r.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
  lag.stop();
}

TEST(HttpServerTest, GracefulShutdownFinishesInFlightRequestAndStopsAccepting) {
  TestServer s;
  std::atomic<bool> handling{false};
  ASSERT_TRUE(s.router.addAsync({"GET", "/api/v1/slow", "Slow", Permission::Public},
                                [&s, &handling](RequestContext, Responder r) {
                                  handling = true;
                                  asio::post(s.blocking, [r] {
                                    std::this_thread::sleep_for(600ms);
                                    r(HttpResponse::json(200, {{"done", true}}));
                                  });
                                }));
  s.start();
  HttpClient idle(s.port);
  ASSERT_EQ(idle.request("GET", "/api/v1/health").status, 200);
  HttpClient c(s.port);
  // The callback owns its promise: it may run after a failed assertion ended the test.
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  std::thread stopper([&] {
    // Shutdown closes a connection whose request has not been read yet: wait for the handler.
    for (int i = 0; i < 400 && !handling; ++i) std::this_thread::sleep_for(5ms);
    s.server->shutdown(5s, [finished] { finished->set_value(); });
  });
  auto r = c.request("GET", "/api/v1/slow");
  stopper.join();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.json()["done"], true);
  EXPECT_FALSE(r.keep_alive);  // Connection: close while draining
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
  EXPECT_TRUE(idle.waitClosed(1s));  // idle keep-alive connections are closed at once
  HttpClient late(s.port);
  EXPECT_TRUE(!late.connected() ||
              late.request("GET", "/api/v1/health", "", {}, 1000ms).status == -1);
}

TEST(HttpServerTest, GracefulShutdownFinishesInFlightRequestsOnEveryLoop) {
  TestServer s({}, 64, 3);
  std::atomic<int> in_flight{0};
  ASSERT_TRUE(s.router.addAsync({"GET", "/api/v1/slow", "Slow", Permission::Public},
                                [&s, &in_flight](RequestContext, Responder r) {
                                  ++in_flight;
                                  asio::post(s.blocking, [r] {
                                    std::this_thread::sleep_for(400ms);
                                    r(HttpResponse::json(200, {{"done", true}}));
                                  });
                                }));
  s.start();
  // Connections go to the loops round-robin: six of them cover each of the three twice.
  constexpr int kClients = 6;
  std::vector<std::future<testing::ClientResponse>> results;
  for (int i = 0; i < kClients; ++i) {
    results.push_back(std::async(std::launch::async, [&s] {
      HttpClient c(s.port);
      return c.request("GET", "/api/v1/slow", "", {}, 5000ms);
    }));
  }
  // Shutdown closes a connection whose request has not been read yet (it is idle to the
  // server), so wait until every request is being handled, not merely connected.
  ASSERT_TRUE([&] {
    for (int i = 0; i < 400 && in_flight < kClients; ++i) std::this_thread::sleep_for(5ms);
    return in_flight == kClients && s.server->connectionCount() == kClients;
  }());
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  s.server->shutdown(5s, [finished] { finished->set_value(); });
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.json()["done"], true);
    EXPECT_FALSE(r.keep_alive);
  }
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
}

TEST(HttpServerTest, ShutdownDeadlineClosesStuckRequests) {
  TestServer s;
  ASSERT_TRUE(s.router.addAsync({"GET", "/api/v1/stuck", "Stuck", Permission::Public},
                                [&s](RequestContext, Responder r) {
                                  asio::post(s.blocking, [r] {
                                    std::this_thread::sleep_for(2500ms);
                                    r(HttpResponse::json(200, {}));
                                  });
                                }));
  s.start();
  HttpClient c(s.port);
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    s.server->shutdown(300ms, [finished] { finished->set_value(); });
  });
  auto r = c.request("GET", "/api/v1/stuck", "", {}, 5000ms);
  stopper.join();
  EXPECT_EQ(r.status, -1);  // connection closed without an answer
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
}

TEST(HttpServerTest, ServesTls) {
  TestServer s(testing::tlsServerOptions());
  s.start();
  HttpClient c(s.port, true);
  ASSERT_TRUE(c.connected());
  auto r = c.request("GET", "/api/v1/health");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(c.request("GET", "/api/v1/health").status, 200);  // keep-alive over TLS
}

TEST(HttpServerTest, PasswordRefreshAndApiKeyFlowOverHttp) {
  TestServer s;
  ASSERT_TRUE(s.tokens.createUser("t1", "admin@t1", "admin-pass-1", {Role::Admin}));
  s.start();
  HttpClient c(s.port);
  auto r =
      c.request("POST", "/api/v1/auth/token",
                R"({"grant_type":"password","username":"admin@t1","password":"admin-pass-1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  std::string access = r.json()["access_token"], refresh = r.json()["refresh_token"];
  auto me = c.request("GET", "/api/v1/auth/me", "", {{"Authorization", "Bearer " + access}});
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json()["tenantId"], "t1");

  auto bad = c.request("POST", "/api/v1/auth/token",
                       "grant_type=password&username=admin%40t1&password=nope",
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["error"]["code"], "invalid_grant");

  auto r2 =
      c.request("POST", "/api/v1/auth/token",
                nlohmann::json{{"grant_type", "refresh_token"}, {"refresh_token", refresh}}.dump());
  ASSERT_EQ(r2.status, 200) << r2.body;
  auto reuse =
      c.request("POST", "/api/v1/auth/token",
                nlohmann::json{{"grant_type", "refresh_token"}, {"refresh_token", refresh}}.dump());
  EXPECT_EQ(reuse.status, 400);
  EXPECT_EQ(reuse.json()["error"]["code"], "invalid_grant");

  auto key =
      c.request("POST", "/api/v1/tenants/t1/api-keys", R"({"name":"crm","roles":["supervisor"]})",
                {{"Authorization", "Bearer " + access}});
  ASSERT_EQ(key.status, 201) << key.body;
  std::string api_key = key.json()["key"];
  auto as_key = c.request("GET", "/api/v1/auth/me", "", {{"Authorization", "Bearer " + api_key}});
  ASSERT_EQ(as_key.status, 200);
  EXPECT_EQ(as_key.json()["method"], "api_key");
  auto listed =
      c.request("GET", "/api/v1/tenants/t1/api-keys", "", {{"Authorization", "Bearer " + access}});
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(api_key), std::string::npos);  // never the key itself
  auto escalate = c.request("POST", "/api/v1/tenants/t1/api-keys",
                            R"({"name":"x","roles":["system_operator"]})",
                            {{"Authorization", "Bearer " + access}});
  EXPECT_EQ(escalate.status, 403);
  auto foreign =
      c.request("GET", "/api/v1/tenants/t2/api-keys", "", {{"Authorization", "Bearer " + access}});
  EXPECT_EQ(foreign.status, 404);
  auto nokey = c.request("GET", "/api/v1/auth/me");
  EXPECT_EQ(nokey.status, 401);
  EXPECT_EQ(nokey.header("www-authenticate"), "Bearer");
}

}  // namespace
}  // namespace sb::api
