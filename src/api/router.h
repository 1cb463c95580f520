// SPDX-License-Identifier: Apache-2.0
// Router: the route registry of both API surfaces (/api/v1 and /graph/v1.0). Each route is a
// method plus a path pattern with {param} segments and metadata (summary, permission, schema
// names); the OpenAPI 3.1 document and the /docs page are generated from the same registry.
// dispatch() matches, authenticates, authorizes (role grant, tenant, ownership) and calls the
// handler. Register every route before the server starts; afterwards the Router is read-only
// and dispatch() may run concurrently on any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_types.h"
#include "api/roles.h"

namespace sb::api {

class Authenticator;

struct RouteSpec {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // "/api/v1/tenants/{tenantId}/queues/{queueId}"
  std::string summary;
  Permission permission = Permission::Authenticated;
  std::string request_schema;   // name in components/schemas, or empty
  std::string response_schema;  // name in components/schemas, or empty
  std::string tag;              // OpenAPI tag; defaults to the first segment after the surface
  int success_status = 200;
  // Path parameters the access check reads: the targeted tenant and the targeted user.
  std::string tenant_param = "tenantId";
  std::string owner_param = "userId";
};

// Completes one request exactly once, from any thread. Copies share the state: the first call
// wins, later calls are ignored. If every copy is dropped unanswered, a 500 is sent.
class Responder {
 public:
  using Fn = std::move_only_function<void(HttpResponse)>;
  explicit Responder(Fn fn);
  void operator()(HttpResponse response) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

struct RequestContext {
  HttpRequest request;
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<Principal> principal;  // empty on Public routes called anonymously
  Surface surface = Surface::Other;
  const RouteSpec* route = nullptr;  // lives as long as the Router

  std::string_view param(std::string_view name) const;
  // Parses the body (see parseJsonBody: malformed JSON names line/column/byte).
  Result<nlohmann::json> jsonBody() const { return parseJsonBody(request.body); }
  HttpResponse error(const Error& e) const { return errorResponse(surface, e); }
  HttpResponse error(int status, std::string_view code, std::string_view message,
                     std::string_view field = {}) const {
    return errorResponse(surface, status, code, message, field);
  }
  // Whether the caller may see a record of `tenant` owned by `owner` under the route's permission.
  bool canSee(std::string_view tenant, std::string_view owner = {}) const;
};

using SyncHandler = std::function<HttpResponse(const RequestContext&)>;
using AsyncHandler = std::function<void(RequestContext, Responder)>;

struct OpenApiInfo {
  std::string title = "Switchboard API";
  std::string version = "1.0.0";
  std::string description;
};

class Router {
 public:
  // authenticator may be null (then every non-Public route answers 401); must outlive us.
  explicit Router(const Authenticator* authenticator = nullptr);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void setAuthenticator(const Authenticator* authenticator) { authenticator_ = authenticator; }

  // Fails (AlreadyExists) on a duplicate method+pattern, (InvalidArgument) on a malformed
  // pattern. Setup-time only.
  Status add(RouteSpec spec, SyncHandler handler);
  Status addAsync(RouteSpec spec, AsyncHandler handler);
  // JSON Schema for components/schemas/<name>.
  void addSchema(std::string name, nlohmann::json schema);

  // Routes the request and answers through respond (possibly later, from another thread).
  void dispatch(HttpRequest request, Responder respond) const;

  // Extracts the bearer credential: `Authorization: Bearer x`, or `?access_token=x` when
  // allow_query (browser WebSockets cannot set headers).
  static std::optional<std::string> bearerOf(const HttpRequest& request, bool allow_query);
  // 401/403/404 or nullopt (allowed); fills principal when credentials were presented.
  std::optional<HttpResponse> authorize(const HttpRequest& request, const RouteSpec& spec,
                                        const std::vector<std::pair<std::string, std::string>>& params,
                                        std::optional<Principal>& principal,
                                        bool allow_query_token) const;

  struct Match {
    const RouteSpec* spec = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
  };
  // nullopt when no pattern matches the path. `allowed` lists methods for a 405.
  std::optional<Match> match(std::string_view method, std::string_view path,
                             std::vector<std::string>* allowed = nullptr) const;

  std::vector<const RouteSpec*> routes() const;
  const nlohmann::json& schemas() const { return schemas_; }
  nlohmann::json openApi(const OpenApiInfo& info = {}) const;
  std::string docsHtml(const OpenApiInfo& info = {}) const;

 private:
  struct Entry {
    RouteSpec spec;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    AsyncHandler handler;
  };
  const Authenticator* authenticator_;
  std::vector<std::unique_ptr<Entry>> entries_;
  nlohmann::json schemas_ = nlohmann::json::object();
};

}  // namespace sb::api
