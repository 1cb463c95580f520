// SPDX-License-Identifier: Apache-2.0
#include "api/router.h"

#include <algorithm>
#include <future>
#include <set>

#include <gtest/gtest.h>

#include "api/auth_routes.h"
#include "api/builtin_routes.h"
#include "api/token_service.h"
#include "common/metrics.h"

namespace sb::api {
namespace {

using namespace std::chrono_literals;

// Registers the real routes plus sample domain routes, like the app will.
class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router.setAuthenticator(&tokens);
    EXPECT_TRUE(registerBuiltinRoutes(router, metrics));
    EXPECT_TRUE(registerAuthRoutes(router, tokens, pool.get_executor()));
    auto echo = [](const RequestContext& ctx) {
      return HttpResponse::json(200, {{"route", ctx.route->pattern}, {"params", ctx.params}});
    };
    router.addSchema("Queue", {{"type", "object"}});
    EXPECT_TRUE(router.add({"GET", "/api/v1/tenants/{tenantId}/queues", "List queues",
                            Permission::QueuesRead, "", "Queue"},
                           echo));
    EXPECT_TRUE(router.add({"PUT", "/api/v1/tenants/{tenantId}/queues/{queueId}", "Change a queue",
                            Permission::QueuesManage, "Queue", "Queue"},
                           echo));
    EXPECT_TRUE(router.add({"PUT", "/api/v1/tenants/{tenantId}/config", "Change tenant config",
                            Permission::TenantConfigWrite, "Queue", ""},
                           echo));
    EXPECT_TRUE(router.add({"PUT", "/api/v1/tenants/{tenantId}/agents/{userId}/state",
                            "Set an agent's state", Permission::AgentState, "Queue", ""},
                           echo));
    EXPECT_TRUE(router.add({"GET", "/api/v1/tenants", "List tenants", Permission::TenantsManage,
                            "", "Queue"},
                           echo));
    EXPECT_TRUE(router.add({"GET", "/api/v1/tenants/{tenantId}/queues/stats", "Queue statistics",
                            Permission::Monitor, "", "Queue"},
                           echo));
    EXPECT_TRUE(router.add({"GET", "/graph/v1.0/users/{id}/presence", "Graph presence",
                            Permission::Monitor, "", "Queue"},
                           echo));
  }

  HttpResponse call(const std::string& method, const std::string& path,
                    const std::string& token = {}, const std::string& body = {}) {
    HttpRequest req;
    req.method = method;
    req.path = req.target = path;
    req.body = body;
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    std::promise<HttpResponse> p;
    auto f = p.get_future();
    router.dispatch(req, Responder([&p](HttpResponse r) { p.set_value(std::move(r)); }));
    return f.get();
  }

  std::string token(const std::string& tenant, Role role, const std::string& user = "u1") {
    return tokens.issueAccessToken(Principal{user, user, tenant, {role}}).value();
  }

  SteadyClock clock;
  metrics::Registry metrics;
  InMemoryCredentialSource creds;
  TokenService tokens{creds, clock, TokenOptions{15min, 24h, 24h, "switchboard", {1, 64, 1}}};
  asio::thread_pool pool{1};
  Router router;
};

TEST_F(RouterTest, MatchesParamsAndPrefersLiterals) {
  auto m = router.match("GET", "/api/v1/tenants/t1/queues/stats");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->spec->pattern, "/api/v1/tenants/{tenantId}/queues/stats");
  m = router.match("PUT", "/api/v1/tenants/t1/queues/q7");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params[1], (std::pair<std::string, std::string>{"queueId", "q7"}));
  EXPECT_FALSE(router.add({"GET", "/api/v1/tenants/{x}/queues", "dup"}, nullptr));
  EXPECT_FALSE(router.add({"GET", "/api/v1/a{b}", "bad"}, nullptr));
}

TEST_F(RouterTest, UnknownRouteIs404JsonAndWrongMethodIs405WithAllow) {
  auto r = call("GET", "/api/v1/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "not_found");
  r = call("DELETE", "/api/v1/tenants/t1/queues/q1");
  EXPECT_EQ(r.status, 405);
  bool has_allow = false;
  for (auto& [k, v] : r.headers) {
    if (k == "Allow") {
      has_allow = true;
      EXPECT_EQ(v, "PUT");
    }
  }
  EXPECT_TRUE(has_allow);
  r = call("GET", "/graph/v1.0/nothing");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "itemNotFound");
}

TEST_F(RouterTest, EveryRouteHasMetadataAndAppearsInOpenApi) {
  auto doc = router.openApi();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const auto& schemas = doc["components"]["schemas"];
  std::set<std::string> op_ids;
  for (const RouteSpec* s : router.routes()) {
    EXPECT_FALSE(s->summary.empty()) << s->pattern;
    std::string method = s->method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    ASSERT_TRUE(doc["paths"].contains(s->pattern)) << s->pattern;
    ASSERT_TRUE(doc["paths"][s->pattern].contains(method)) << s->method << " " << s->pattern;
    const auto& op = doc["paths"][s->pattern][method];
    EXPECT_EQ(op["x-permission"], permissionName(s->permission));
    EXPECT_TRUE(op_ids.insert(op["operationId"].get<std::string>()).second)
        << "duplicate operationId " << op["operationId"];
    // Every referenced schema is defined.
    for (const auto& name : {s->request_schema, s->response_schema}) {
      if (!name.empty()) {
        EXPECT_TRUE(schemas.contains(name)) << name;
      }
    }
    if (s->permission == Permission::Public) {
      EXPECT_TRUE(op["security"].empty());
    } else {
      EXPECT_FALSE(op["security"].empty()) << s->pattern;
    }
  }
  std::size_t ops = 0;
  for (auto& [path, methods] : doc["paths"].items()) ops += methods.size();
  EXPECT_EQ(ops, router.routes().size());
}

TEST_F(RouterTest, DocsPageListsEveryRoute) {
  auto html = router.docsHtml();
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  for (const RouteSpec* s : router.routes()) {
    EXPECT_NE(html.find("<code>" + htmlEscape(s->pattern) + "</code>"), std::string::npos)
        << s->pattern;
  }
}

TEST_F(RouterTest, MissingOrBadTokenIs401) {
  auto r = call("GET", "/api/v1/tenants/t1/queues");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], "Authorization");
  r = call("GET", "/api/v1/tenants/t1/queues", "garbage");
  EXPECT_EQ(r.status, 401);
  r = call("GET", "/api/v1/health");
  EXPECT_EQ(r.status, 200);
}

// route x role x own/foreign tenant.
TEST_F(RouterTest, PermissionWalk) {
  struct Case {
    std::string method, path;
    Role role;
    int own_tenant, foreign_tenant;
  };
  const std::vector<Case> cases = {
      {"GET", "/api/v1/tenants/{t}/queues", Role::Agent, 200, 404},
      {"GET", "/api/v1/tenants/{t}/queues", Role::Supervisor, 200, 404},
      {"GET", "/api/v1/tenants/{t}/queues", Role::Admin, 200, 404},
      {"GET", "/api/v1/tenants/{t}/queues", Role::SystemOperator, 200, 200},
      {"PUT", "/api/v1/tenants/{t}/queues/q1", Role::Agent, 403, 404},
      {"PUT", "/api/v1/tenants/{t}/queues/q1", Role::Supervisor, 200, 404},
      {"PUT", "/api/v1/tenants/{t}/queues/q1", Role::Admin, 200, 404},
      {"PUT", "/api/v1/tenants/{t}/config", Role::Supervisor, 403, 404},
      {"PUT", "/api/v1/tenants/{t}/config", Role::Admin, 200, 404},
      {"PUT", "/api/v1/tenants/{t}/config", Role::SystemOperator, 200, 200},
      {"GET", "/api/v1/tenants/{t}/queues/stats", Role::Agent, 403, 404},
      {"GET", "/api/v1/tenants/{t}/queues/stats", Role::Supervisor, 200, 404},
      {"PUT", "/api/v1/tenants/{t}/agents/u1/state", Role::Agent, 200, 404},  // own state
      {"PUT", "/api/v1/tenants/{t}/agents/u2/state", Role::Agent, 403, 404},  // someone else's
      {"PUT", "/api/v1/tenants/{t}/agents/u2/state", Role::Supervisor, 200, 404},
      {"GET", "/api/v1/tenants", Role::Admin, 403, 403},
      {"GET", "/api/v1/tenants", Role::SystemOperator, 200, 200},
      {"GET", "/api/v1/tenants/{t}/api-keys", Role::Supervisor, 403, 404},
      {"GET", "/api/v1/tenants/{t}/api-keys", Role::Admin, 200, 404},
  };
  for (const auto& c : cases) {
    for (bool foreign : {false, true}) {
      std::string path = c.path;
      if (auto p = path.find("{t}"); p != std::string::npos) {
        path.replace(p, 3, foreign ? "t2" : "t1");
      }
      auto r = call(c.method, path, token("t1", c.role), "{}");
      int want = foreign ? c.foreign_tenant : c.own_tenant;
      EXPECT_EQ(r.status, want) << c.method << " " << path << " as " << roleName(c.role) << ": "
                                << r.body;
      if (want == 404) {
        // Never data: the body is only the error.
        EXPECT_EQ(nlohmann::json::parse(r.body).size(), 1u);
        EXPECT_TRUE(nlohmann::json::parse(r.body).contains("error"));
      }
    }
  }
}

TEST_F(RouterTest, RolesWithoutAnyGrantOnARouteAreSpelledOutInTheTable) {
  // Each permission used by a route is granted to at least one role (no dead routes), and
  // every non-public route requires credentials.
  for (const RouteSpec* s : router.routes()) {
    bool someone = false;
    for (Role r : allRoles()) someone = someone || grantOf(r, s->permission).has_value();
    EXPECT_TRUE(someone) << s->pattern;
    if (s->permission != Permission::Public) {
      EXPECT_EQ(decideAccess(nullptr, s->permission, "", ""), AccessDecision::Unauthenticated);
    }
  }
}

TEST_F(RouterTest, HandlerThatDropsTheResponderYields500) {
  ASSERT_TRUE(router.addAsync({"GET", "/api/v1/drop", "drops", Permission::Public},
                              [](RequestContext, Responder) {}));
  auto r = call("GET", "/api/v1/drop");
  EXPECT_EQ(r.status, 500);
}

}  // namespace
}  // namespace sb::api
