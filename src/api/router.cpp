// SPDX-License-Identifier: Apache-2.0
#include "api/router.h"

#include <algorithm>
#include <set>

#include "api/token_service.h"

namespace sb::api {

struct Responder::State {
  std::mutex mu;
  Fn fn;  // GUARDED_BY(mu); empty once answered
  ~State() {
    if (fn) {
      fn(errorResponse(Surface::Other, 500, "internal",
                       "the handler dropped the request without answering"));
    }
  }
};

Responder::Responder(Fn fn) : state_(std::make_shared<State>()) { state_->fn = std::move(fn); }

void Responder::operator()(HttpResponse response) const {
  Fn fn;
  {
    std::lock_guard lock(state_->mu);
    fn = std::move(state_->fn);
    state_->fn = nullptr;
  }
  if (fn) fn(std::move(response));
}

std::string_view RequestContext::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

bool RequestContext::canSee(std::string_view tenant, std::string_view owner) const {
  if (!route || route->permission == Permission::Public) return true;
  return principal && api::canSee(*principal, route->permission, tenant, owner);
}

namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

Router::Router(const Authenticator* authenticator) : authenticator_(authenticator) {}

Status Router::add(RouteSpec spec, SyncHandler handler) {
  return addAsync(std::move(spec), [h = std::move(handler)](RequestContext ctx, Responder r) {
    r(h(ctx));
  });
}

Status Router::addAsync(RouteSpec spec, AsyncHandler handler) {
  if (spec.pattern.empty() || spec.pattern.front() != '/') {
    return fail(Errc::InvalidArgument, "pattern must start with '/'", "pattern");
  }
  auto segments = splitPath(spec.pattern);
  for (const auto& s : segments) {
    if ((s.find('{') != std::string::npos || s.find('}') != std::string::npos) && !isParam(s)) {
      return fail(Errc::InvalidArgument, "a {param} must be a whole segment", "pattern");
    }
  }
  for (const auto& e : entries_) {
    if (e->spec.method == spec.method && e->segments.size() == segments.size()) {
      bool same = true;
      for (std::size_t i = 0; i < segments.size() && same; ++i) {
        same = (isParam(segments[i]) && isParam(e->segments[i])) || segments[i] == e->segments[i];
      }
      if (same) {
        return fail(Errc::AlreadyExists, "route " + spec.method + " " + spec.pattern +
                                             " clashes with " + e->spec.pattern);
      }
    }
  }
  if (spec.tag.empty()) {
    std::size_t skip = surfaceOf(spec.pattern) == Surface::Other ? 0 : 2;
    spec.tag = segments.size() > skip ? segments[skip] : "root";
    // /api/v1/tenants/{tenantId}/queues is about queues, not tenants.
    if (segments.size() > skip + 2 && segments[skip] == "tenants" && isParam(segments[skip + 1])) {
      spec.tag = segments[skip + 2];
    }
  }
  entries_.push_back(std::make_unique<Entry>(Entry{std::move(spec), std::move(segments),
                                                   std::move(handler)}));
  return {};
}

void Router::addSchema(std::string name, nlohmann::json schema) {
  schemas_[std::move(name)] = std::move(schema);
}

std::optional<Router::Match> Router::match(std::string_view method, std::string_view path,
                                           std::vector<std::string>* allowed) const {
  auto segments = splitPath(path);
  std::optional<Match> found;
  bool path_matched = false;
  // Literal segments beat parameters: pick the match with the most literal segments.
  int best_literals = -1;
  for (const auto& e : entries_) {
    if (e->segments.size() != segments.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      if (isParam(e->segments[i])) {
        params.emplace_back(e->segments[i].substr(1, e->segments[i].size() - 2), segments[i]);
      } else if (e->segments[i] == segments[i]) {
        ++literals;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (allowed) allowed->push_back(e->spec.method);
    if (e->spec.method == method && literals > best_literals) {
      best_literals = literals;
      found = Match{&e->spec, std::move(params)};
    }
  }
  if (allowed && (found || !path_matched)) allowed->clear();
  if (allowed) {
    std::sort(allowed->begin(), allowed->end());
    allowed->erase(std::unique(allowed->begin(), allowed->end()), allowed->end());
  }
  return found;
}

std::optional<std::string> Router::bearerOf(const HttpRequest& request, bool allow_query) {
  if (auto h = request.header("authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
      v.remove_prefix(7);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v);
    }
    return std::nullopt;
  }
  if (allow_query) {
    if (auto q = request.queryParam("access_token")) return std::string(*q);
  }
  return std::nullopt;
}

std::optional<HttpResponse> Router::authorize(
    const HttpRequest& request, const RouteSpec& spec,
    const std::vector<std::pair<std::string, std::string>>& params,
    std::optional<Principal>& principal, bool allow_query_token) const {
  Surface surface = surfaceOf(spec.pattern);
  auto bearer = bearerOf(request, allow_query_token);
  if (bearer && authenticator_) {
    auto p = authenticator_->authenticate(*bearer);
    if (!p) {
      // A bad credential is an error even on Public routes: the client believes it is signed in.
      auto r = errorResponse(surface, 401, "unauthenticated", p.error().message, "Authorization");
      r.withHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      return r;
    }
    principal = std::move(*p);
  }
  std::string_view tenant, owner;
  for (const auto& [k, v] : params) {
    if (k == spec.tenant_param) tenant = v;
    if (k == spec.owner_param) owner = v;
  }
  switch (decideAccess(principal ? &*principal : nullptr, spec.permission, tenant, owner)) {
    case AccessDecision::Allow: return std::nullopt;
    case AccessDecision::Unauthenticated: {
      auto r = errorResponse(surface, 401, "unauthenticated", "credentials are required",
                             "Authorization");
      r.withHeader("WWW-Authenticate", "Bearer");
      return r;
    }
    case AccessDecision::Forbidden:
      return errorResponse(surface, 403, "permission_denied",
                           "requires permission " + std::string(permissionName(spec.permission)));
    case AccessDecision::NotFound:
      return errorResponse(surface, 404, "not_found", "no such resource", spec.tenant_param);
  }
  return std::nullopt;
}

void Router::dispatch(HttpRequest request, Responder respond) const {
  Surface surface = surfaceOf(request.path);
  std::vector<std::string> allowed;
  auto m = match(request.method, request.path, &allowed);
  if (!m && request.method == "HEAD") m = match("GET", request.path, nullptr);
  if (!m) {
    if (!allowed.empty()) {
      std::string allow;
      for (const auto& a : allowed) allow += (allow.empty() ? "" : ", ") + a;
      auto r = errorResponse(surface, 405, "method_not_allowed",
                             "method " + request.method + " is not allowed here; use " + allow,
                             "method");
      r.withHeader("Allow", allow);
      respond(std::move(r));
    } else {
      respond(errorResponse(surface, 404, "not_found", "no route for " + request.path, "path"));
    }
    return;
  }
  const RouteSpec& spec = *m->spec;
  std::optional<Principal> principal;
  if (auto denied = authorize(request, spec, m->params, principal, false)) {
    denied->route = spec.pattern;
    respond(std::move(*denied));
    return;
  }
  const Entry* entry = nullptr;
  for (const auto& e : entries_) {
    if (&e->spec == &spec) entry = e.get();
  }
  RequestContext ctx{std::move(request), std::move(m->params), std::move(principal), surface,
                     &spec};
  Responder labelled([respond, route = spec.pattern](HttpResponse r) {
    r.route = route;
    respond(std::move(r));
  });
  entry->handler(std::move(ctx), std::move(labelled));
}

std::vector<const RouteSpec*> Router::routes() const {
  std::vector<const RouteSpec*> out;
  for (const auto& e : entries_) out.push_back(&e->spec);
  return out;
}

nlohmann::json Router::openApi(const OpenApiInfo& info) const {
  using nlohmann::json;
  json paths = json::object();
  std::set<std::string> tags;
  for (const auto& e : entries_) {
    const RouteSpec& s = e->spec;
    std::string method = s.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    json op;
    std::string op_id = method;
    for (const auto& seg : e->segments) {
      std::string cleaned;
      for (char c : seg) {
        if (std::isalnum(static_cast<unsigned char>(c))) cleaned += c;
      }
      if (!cleaned.empty()) {
        cleaned[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(cleaned[0])));
      }
      op_id += isParam(seg) ? "By" + cleaned : cleaned;
    }
    op["operationId"] = op_id;
    op["summary"] = s.summary;
    op["tags"] = json::array({s.tag});
    tags.insert(s.tag);
    op["x-permission"] = permissionName(s.permission);
    if (s.permission == Permission::Public) {
      op["security"] = json::array();
    } else {
      op["security"] = json::array({{{"bearer", json::array()}}});
    }
    json params = json::array();
    for (const auto& seg : e->segments) {
      if (isParam(seg)) {
        params.push_back({{"name", seg.substr(1, seg.size() - 2)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
      }
    }
    if (!params.empty()) op["parameters"] = params;
    if (!s.request_schema.empty()) {
      op["requestBody"] = {
          {"required", true},
          {"content",
           {{"application/json",
             {{"schema", {{"$ref", "#/components/schemas/" + s.request_schema}}}}}}}};
    }
    json ok = {{"description", s.summary}};
    if (!s.response_schema.empty()) {
      ok["content"] = {{"application/json",
                        {{"schema", {{"$ref", "#/components/schemas/" + s.response_schema}}}}}};
    }
    std::string error_schema =
        surfaceOf(s.pattern) == Surface::Graph ? "GraphError" : "Error";
    json responses = {{std::to_string(s.success_status), ok},
                      {"default",
                       {{"description", "error"},
                        {"content",
                         {{"application/json",
                           {{"schema", {{"$ref", "#/components/schemas/" + error_schema}}}}}}}}}};
    op["responses"] = responses;
    paths[s.pattern][method] = op;
  }
  json schemas = schemas_;
  // The two error bodies differ only in their third property (STYLE: one JSON error shape).
  auto errorSchema = [](const char* extra, json extra_type) {
    return json{{"type", "object"},
                {"required", {"error"}},
                {"properties",
                 {{"error",
                   {{"type", "object"},
                    {"required", {"code", "message"}},
                    {"properties",
                     {{"code", {{"type", "string"}}},
                      {"message", {{"type", "string"}}},
                      {extra, std::move(extra_type)}}}}}}}};
  };
  if (!schemas.contains("Error")) schemas["Error"] = errorSchema("field", {{"type", "string"}});
  if (!schemas.contains("GraphError")) {
    schemas["GraphError"] = errorSchema("innerError", {{"type", "object"}});
  }
  json tag_list = json::array();
  for (const auto& t : tags) tag_list.push_back({{"name", t}});
  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", info.title}, {"version", info.version}, {"description", info.description}}},
      {"tags", tag_list},
      {"paths", paths},
      {"components",
       {{"schemas", schemas},
        {"securitySchemes",
         {{"bearer",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "Switchboard access token (JWT, ES256) or API key (sb_...)"}}}}}}},
  };
}

std::string Router::docsHtml(const OpenApiInfo& info) const {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
      htmlEscape(info.title) +
      "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}code{white-space:nowrap}"
      "</style></head><body>\n<h1>" +
      htmlEscape(info.title) + " " + htmlEscape(info.version) +
      "</h1>\n<p>Machine-readable description: <a href=\"/api/v1/openapi.json\">"
      "/api/v1/openapi.json</a> (OpenAPI 3.1). Errors are JSON: "
      "<code>{\"error\":{\"code\",\"message\",\"field\"}}</code> on /api/v1 and the Graph "
      "shape on /graph/v1.0.</p>\n<table>\n<tr><th>Method</th><th>Path</th><th>Summary</th>"
      "<th>Permission</th><th>Request</th><th>Response</th></tr>\n";
  auto sorted = routes();
  std::stable_sort(sorted.begin(), sorted.end(), [](const RouteSpec* a, const RouteSpec* b) {
    return std::tie(a->pattern, a->method) < std::tie(b->pattern, b->method);
  });
  for (const RouteSpec* s : sorted) {
    out += "<tr><td>" + htmlEscape(s->method) + "</td><td><code>" + htmlEscape(s->pattern) +
           "</code></td><td>" + htmlEscape(s->summary) + "</td><td>" +
           htmlEscape(permissionName(s->permission)) + "</td><td>" +
           htmlEscape(s->request_schema) + "</td><td>" + htmlEscape(s->response_schema) +
           "</td></tr>\n";
  }
  out += "</table>\n</body></html>\n";
  return out;
}

}  // namespace sb::api
