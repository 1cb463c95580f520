// SPDX-License-Identifier: Apache-2.0
// /api/v1 configuration resources kept only in the store: skills, flows, wrap-up codes and
// calendars (list with limit/next, get, create, PUT replace, delete), and the tenant's audit
// log. Every accepted write is committed before the answer, audited (actor = principal
// subject, before/after JSON) and announced as a `config.changed` event.
#include "app/routes_resources.h"

#include <algorithm>
#include <filesystem>
#include <memory>

#include "api/pagination.h"
#include "app/routes.h"
#include "common/log.h"
#include "store/csv.h"

namespace sb::app {

namespace {

constexpr std::string_view kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool idChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t daysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// "YYYY-MM-DD" -> days since the epoch.
std::optional<std::int64_t> parseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!digits(s.substr(0, 4)) || !digits(s.substr(5, 2)) || !digits(s.substr(8, 2))) {
    return std::nullopt;
  }
  int y = number(s.substr(0, 4));
  int m = number(s.substr(5, 2));
  int d = number(s.substr(8, 2));
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return std::nullopt;
  int max_day = kMonthDays[m - 1] + (m == 2 && leap(y) ? 1 : 0);
  if (d > max_day) return std::nullopt;
  return daysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

}  // namespace

Status validateId(std::string_view id, std::string_view field) {
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), idChar)) {
    return fail(Errc::InvalidArgument, std::string(field) + " must be 1-64 of [A-Za-z0-9_.-]",
                std::string(field));
  }
  return {};
}

Result<std::string> requiredString(const nlohmann::json& body, const char* name,
                                   std::size_t max_len) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    return fail(Errc::InvalidArgument, std::string(name) + " is required and must be a string",
                name);
  }
  auto value = it->get<std::string>();
  if (value.empty()) return fail(Errc::InvalidArgument, std::string(name) + " is empty", name);
  if (value.size() > max_len) {
    return fail(Errc::InvalidArgument,
                std::string(name) + " is longer than " + std::to_string(max_len), name);
  }
  return value;
}

Result<std::string> optionalString(const nlohmann::json& body, const char* name,
                                   std::string fallback, std::size_t max_len) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string()) return fail(Errc::InvalidArgument, std::string(name) + " must be a string", name);
  auto value = it->get<std::string>();
  if (value.size() > max_len) {
    return fail(Errc::InvalidArgument,
                std::string(name) + " is longer than " + std::to_string(max_len), name);
  }
  return value;
}

Status validateFlowDocument(const nlohmann::json& document) {
  if (!document.is_object()) {
    return fail(Errc::InvalidArgument, "document must be a JSON object", "document");
  }
  for (const char* member : {"steps", "nodes"}) {
    auto it = document.find(member);
    if (it == document.end()) continue;
    if (!it->is_array() && !it->is_object()) {
      return fail(Errc::InvalidArgument,
                  std::string("document.") + member + " must be an array or an object",
                  std::string("document.") + member);
    }
    return {};
  }
  return fail(Errc::InvalidArgument, "document needs a \"steps\" or \"nodes\" member",
              "document");
}

Status validateTimezone(std::string_view tz) {
  auto bad = [] { return fail(Errc::InvalidArgument, "timezone must be an IANA name such as Europe/Paris", "timezone"); };
  if (tz.empty() || tz.size() > 64 || tz.front() == '/' || tz.back() == '/') return bad();
  std::size_t start = 0;
  while (start <= tz.size()) {
    auto slash = tz.find('/', start);
    auto part = tz.substr(start, slash == std::string_view::npos ? tz.npos : slash - start);
    if (part.empty() || part == "." || part == "..") return bad();
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '+';
      if (!ok) return bad();
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  // Where the system has a time zone database, the name must be in it (the path is safe: no
  // "..", no leading '/').
  std::error_code ec;
  const std::filesystem::path db("/usr/share/zoneinfo");
  if (std::filesystem::is_directory(db, ec) &&
      !std::filesystem::is_regular_file(db / std::string(tz), ec)) {
    return fail(Errc::InvalidArgument, "unknown timezone '" + std::string(tz) + "'", "timezone");
  }
  return {};
}

Result<int> parseClock(std::string_view text, bool allow_24) {
  if (text.size() != 5 || text[2] != ':' || !digits(text.substr(0, 2)) ||
      !digits(text.substr(3, 2))) {
    return fail(Errc::InvalidArgument, "expected HH:MM");
  }
  int h = number(text.substr(0, 2));
  int m = number(text.substr(3, 2));
  if (allow_24 && h == 24 && m == 0) return 24 * 60;
  if (h > 23 || m > 59) return fail(Errc::InvalidArgument, "time of day out of range");
  return h * 60 + m;
}

Status validateCalendarDefinition(const nlohmann::json& definition) {
  const std::string root = "definition";
  if (!definition.is_object()) {
    return fail(Errc::InvalidArgument, "definition must be a JSON object", root);
  }
  for (const auto& [key, value] : definition.items()) {
    if (key != "weekly" && key != "holidays") {
      return fail(Errc::InvalidArgument, "unknown member '" + key + "' (weekly, holidays)",
                  root + "." + key);
    }
  }
  auto weekly = definition.find("weekly");
  if (weekly == definition.end() || !weekly->is_object()) {
    return fail(Errc::InvalidArgument, "definition.weekly must be an object of days",
                root + ".weekly");
  }
  for (const auto& [day, ranges] : weekly->items()) {
    const std::string path = root + ".weekly." + day;
    if (std::find(std::begin(kDays), std::end(kDays), day) == std::end(kDays)) {
      return fail(Errc::InvalidArgument, "unknown day '" + day + "' (mon..sun)", path);
    }
    if (!ranges.is_array()) {
      return fail(Errc::InvalidArgument, path + " must be an array of {start, end}", path);
    }
    std::vector<std::pair<int, int>> spans;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const std::string at = path + "[" + std::to_string(i) + "]";
      const auto& r = ranges[i];
      if (!r.is_object()) {
        return fail(Errc::InvalidArgument, at + " must be {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}", at);
      }
      int bounds[2] = {0, 0};
      const char* names[2] = {"start", "end"};
      for (int b = 0; b < 2; ++b) {
        auto it = r.find(names[b]);
        if (it == r.end() || !it->is_string()) {
          return fail(Errc::InvalidArgument, at + "." + names[b] + " must be \"HH:MM\"",
                      at + "." + names[b]);
        }
        auto minutes = parseClock(it->get<std::string>(), b == 1);
        if (!minutes) {
          return fail(Errc::InvalidArgument, at + "." + names[b] + ": " + minutes.error().message,
                      at + "." + names[b]);
        }
        bounds[b] = *minutes;
      }
      if (bounds[0] >= bounds[1]) {
        return fail(Errc::InvalidArgument, at + ": start must be before end", at + ".end");
      }
      spans.emplace_back(bounds[0], bounds[1]);
    }
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) {
      if (spans[i].first < spans[i - 1].second) {
        return fail(Errc::InvalidArgument, path + ": ranges overlap", path);
      }
    }
  }
  if (auto holidays = definition.find("holidays"); holidays != definition.end()) {
    const std::string path = root + ".holidays";
    if (!holidays->is_array()) {
      return fail(Errc::InvalidArgument, path + " must be an array of YYYY-MM-DD", path);
    }
    for (std::size_t i = 0; i < holidays->size(); ++i) {
      const auto& h = (*holidays)[i];
      if (!h.is_string() || !parseDate(h.get<std::string>())) {
        const std::string at = path + "[" + std::to_string(i) + "]";
        return fail(Errc::InvalidArgument, at + " must be a date YYYY-MM-DD", at);
      }
    }
  }
  return {};
}

Result<WallTime> parseIsoTime(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return fail(Errc::InvalidArgument,
                std::string(field) + " must be an ISO-8601 time like 2025-01-31T09:00:00Z",
                std::string(field));
  };
  auto days = parseDate(text.substr(0, 10));
  // WallTime counts nanoseconds in 64 bits: years past 2262 would overflow.
  if (!days || text.substr(0, 4) < "1900" || text.substr(0, 4) > "2200") return bad();
  std::int64_t micros = *days * 86400LL * 1000000LL;
  if (text.size() == 10) return WallTime(std::chrono::microseconds(micros));
  std::string_view rest = text.substr(10);
  if (rest.size() < 9 || (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') ||
      rest[3] != ':' || rest[6] != ':' || !digits(rest.substr(1, 2)) ||
      !digits(rest.substr(4, 2)) || !digits(rest.substr(7, 2))) {
    return bad();
  }
  int h = number(rest.substr(1, 2)), m = number(rest.substr(4, 2)), s = number(rest.substr(7, 2));
  if (h > 23 || m > 59 || s > 60) return bad();  // 60: a leap second, folded into the next
  micros += ((h * 60LL + m) * 60LL + s) * 1000000LL;
  rest = rest.substr(9);
  if (!rest.empty() && rest[0] == '.') {
    std::size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1 || n > 10) return bad();  // 1..9 fraction digits
    std::string_view frac = rest.substr(1, n - 1);
    std::int64_t f = 0;
    for (std::size_t i = 0; i < 6; ++i) f = f * 10 + (i < frac.size() ? frac[i] - '0' : 0);
    micros += f;
    rest = rest.substr(n);
  }
  if (rest == "Z" || rest == "z") return WallTime(std::chrono::microseconds(micros));
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
      digits(rest.substr(1, 2)) && digits(rest.substr(4, 2))) {
    int oh = number(rest.substr(1, 2)), om = number(rest.substr(4, 2));
    if (oh > 23 || om > 59) return bad();
    std::int64_t offset = (oh * 60LL + om) * 60LL * 1000000LL;
    micros += rest[0] == '+' ? -offset : offset;  // local = UTC + offset
    return WallTime(std::chrono::microseconds(micros));
  }
  return bad();
}

namespace {

// One store-backed collection under /api/v1/tenants/{tenantId}/<collection>.
template <typename R, typename Id>
struct Resource {
  std::string entity;      // audit entity type and event "entity": "skill"
  std::string collection;  // path segment: "skills"
  std::string id_param;    // "skillId"
  std::string schema;      // OpenAPI component name: "Skill"
  std::string title;       // "skill" in summaries
  api::Permission read = api::Permission::TenantConfigRead;
  api::Permission write = api::Permission::TenantConfigWrite;
  nlohmann::json json_schema;
  std::function<store::TenantScopedRepository<R, Id>&(store::Store&)> repo;
  std::function<nlohmann::json(const R&)> to_json;
  // A record from a create (before == nullptr) or PUT body; tenant_id and id are set after.
  std::function<Result<R>(const nlohmann::json& body, const R* before, WallTime now)> from_body;
  std::function<std::string(const R&)> sort_key;
};

void audit(store::Store& st, const api::RequestContext& rc, const std::string& tenant,
           std::string action, const std::string& entity, const std::string& id,
           const nlohmann::json* before, const nlohmann::json* after, WallTime now) {
  store::AuditEntry e;
  e.tenant_id = store::TenantId(tenant);
  e.at = now;
  e.actor = rc.principal ? rc.principal->subject : "anonymous";
  e.action = std::move(action);
  e.entity_type = entity;
  e.entity_id = id;
  if (before) e.before_json = before->dump();
  if (after) e.after_json = after->dump();
  if (auto ok = st.audit().append(std::move(e)); !ok) {
    // The change itself is committed; losing its audit line is logged, not hidden.
    SB_LOG_ERROR("audit append failed for {} {}/{}: {}", entity, tenant, id,
                 ok.error().toString());
  }
}

void announce(ApiContext& ctx, const std::string& tenant, const std::string& entity,
              const std::string& id, const std::string& action) {
  if (ctx.hub != nullptr) {
    ctx.hub->publish({"config.changed", tenant,
                      {{"entity", entity}, {"id", id}, {"action", action}},
                      api::Permission::TenantConfigRead, ""});
  }
  if (ctx.config_changed) ctx.config_changed(tenant);
}

Result<nlohmann::json> objectBody(const api::RequestContext& rc) {
  auto body = rc.jsonBody();
  if (!body) return body;
  if (!body->is_object()) return fail(Errc::InvalidArgument, "body must be a JSON object", "body");
  return body;
}

template <typename R, typename Id>
Status registerResource(ApiContext& ctx, std::shared_ptr<const Resource<R, Id>> res) {
  const std::string base = "/api/v1/tenants/{tenantId}/" + res->collection;
  const std::string item = base + "/{" + res->id_param + "}";
  const std::string list_schema = res->schema + "List";
  ctx.router.addSchema(res->schema, res->json_schema);
  ctx.router.addSchema(list_schema,
                       {{"type", "object"},
                        {"properties",
                         {{"items", {{"type", "array"},
                                     {"items", {{"$ref", "#/components/schemas/" + res->schema}}}}},
                          {"next", {{"type", "string"}}}}}});

  SB_TRY(ctx.router.addAsync(
      {"GET", base, "List " + res->title + "s (limit, cursor; answer has next)", res->read, "",
       list_schema, res->collection},
      [&ctx, res](api::RequestContext rc, api::Responder respond) {
        auto page = api::pageRequestOf(rc.request);
        if (!page) return respond(rc.error(page.error()));
        ctx.onStore(std::move(respond), [res, rc = std::move(rc), page = *page](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto rows = res->repo(st).list(store::TenantId(tenant));
          if (!rows) return rc.error(rows.error());
          std::vector<std::pair<std::pair<std::string, std::string>, const R*>> keyed;
          for (const auto& r : *rows) keyed.push_back({{res->sort_key(r), r.id.value()}, &r});
          std::sort(keyed.begin(), keyed.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
          std::pair<std::string, std::string> after;
          bool has_after = false;
          if (page.position) {
            const auto& p = *page.position;
            if (!p.is_object() || !p.contains("k") || !p.contains("id") || !p["k"].is_string() ||
                !p["id"].is_string()) {
              return rc.error(Error(Errc::InvalidArgument, "not a valid cursor", "cursor"));
            }
            after = {p["k"].get<std::string>(), p["id"].get<std::string>()};
            has_after = true;
          }
          nlohmann::json items = nlohmann::json::array();
          std::optional<nlohmann::json> next;
          const std::pair<std::string, std::string>* last = nullptr;
          for (const auto& [key, r] : keyed) {
            if (has_after && !(after < key)) continue;
            if (items.size() == page.limit) {
              next = nlohmann::json{{"k", last->first}, {"id", last->second}};
              break;
            }
            items.push_back(res->to_json(*r));
            last = &key;
          }
          return api::HttpResponse::json(200, api::pageBody(rc.request, std::move(items), next));
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"GET", item, "Get one " + res->title, res->read, "", res->schema, res->collection},
      [&ctx, res](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [res, rc = std::move(rc)](store::Store& st) {
          auto row = res->repo(st).get(store::TenantId(std::string(rc.param("tenantId"))),
                                       Id(std::string(rc.param(res->id_param))));
          if (!row) {
            Error e = row.error();
            if (e.code == Errc::NotFound) e = Error(Errc::NotFound, "no such " + res->title, res->id_param);
            return rc.error(e);
          }
          return api::HttpResponse::json(200, res->to_json(*row));
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"POST", base, "Create a " + res->title + " (audited; emits config.changed)", res->write,
       res->schema, res->schema, res->collection, 201},
      [&ctx, res](api::RequestContext rc, api::Responder respond) {
        auto body = objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        const WallTime now = ctx.clock.wallNow();
        auto record = res->from_body(*body, nullptr, now);
        if (!record) return respond(rc.error(record.error()));
        record->tenant_id = store::TenantId(std::string(rc.param("tenantId")));
        if (auto id = body->find("id"); id != body->end()) {
          if (!id->is_string()) return respond(rc.error(Error(Errc::InvalidArgument, "id must be a string", "id")));
          if (auto ok = validateId(id->template get<std::string>(), "id"); !ok) {
            return respond(rc.error(ok.error()));
          }
          record->id = Id(id->template get<std::string>());
        }
        ctx.onStore(std::move(respond), [&ctx, res, rc = std::move(rc), record = std::move(*record),
                                         now](store::Store& st) {
          auto created = res->repo(st).create(record);
          if (!created) return rc.error(created.error());
          const std::string tenant = created->tenant_id.value();
          const std::string id = created->id.value();
          auto after = res->to_json(*created);
          audit(st, rc, tenant, "create", res->entity, id, nullptr, &after, now);
          announce(ctx, tenant, res->entity, id, "create");
          return api::HttpResponse::json(201, after)
              .withHeader("Location", "/api/v1/tenants/" + tenant + "/" + res->collection + "/" + id);
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"PUT", item, "Replace a " + res->title + " (audited; emits config.changed)", res->write,
       res->schema, res->schema, res->collection},
      [&ctx, res](api::RequestContext rc, api::Responder respond) {
        auto body = objectBody(rc);
        if (!body) return respond(rc.error(body.error()));
        const std::string id(rc.param(res->id_param));
        if (auto given = body->find("id");
            given != body->end() && (!given->is_string() || given->template get<std::string>() != id)) {
          return respond(rc.error(Error(Errc::InvalidArgument, "id does not match the path", "id")));
        }
        ctx.onStore(std::move(respond), [&ctx, res, rc = std::move(rc), body = std::move(*body),
                                         id](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          auto existing = res->repo(st).get(store::TenantId(tenant), Id(id));
          if (!existing) {
            Error e = existing.error();
            if (e.code == Errc::NotFound) e = Error(Errc::NotFound, "no such " + res->title, res->id_param);
            return rc.error(e);
          }
          const WallTime now = ctx.clock.wallNow();
          auto record = res->from_body(body, &*existing, now);
          if (!record) return rc.error(record.error());
          record->tenant_id = existing->tenant_id;
          record->id = existing->id;
          if (auto ok = res->repo(st).update(*record); !ok) return rc.error(ok.error());
          auto before = res->to_json(*existing);
          auto after = res->to_json(*record);
          audit(st, rc, tenant, "update", res->entity, id, &before, &after, now);
          announce(ctx, tenant, res->entity, id, "update");
          return api::HttpResponse::json(200, after);
        });
      }));

  SB_TRY(ctx.router.addAsync(
      {"DELETE", item, "Delete a " + res->title + " (audited; emits config.changed)", res->write,
       "", "", res->collection, 204},
      [&ctx, res](api::RequestContext rc, api::Responder respond) {
        ctx.onStore(std::move(respond), [&ctx, res, rc = std::move(rc)](store::Store& st) {
          const std::string tenant(rc.param("tenantId"));
          const std::string id(rc.param(res->id_param));
          auto existing = res->repo(st).get(store::TenantId(tenant), Id(id));
          if (!existing) {
            Error e = existing.error();
            if (e.code == Errc::NotFound) e = Error(Errc::NotFound, "no such " + res->title, res->id_param);
            return rc.error(e);
          }
          if (auto ok = res->repo(st).remove(store::TenantId(tenant), Id(id)); !ok) {
            return rc.error(ok.error());
          }
          auto before = res->to_json(*existing);
          audit(st, rc, tenant, "delete", res->entity, id, &before, nullptr, ctx.clock.wallNow());
          announce(ctx, tenant, res->entity, id, "delete");
          return api::HttpResponse::text(204, "", "application/json");
        });
      }));
  return {};
}

nlohmann::json parsedOr(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

Result<bool> optionalBool(const nlohmann::json& body, const char* name, bool fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return fail(Errc::InvalidArgument, std::string(name) + " must be a boolean", name);
  return it->get<bool>();
}

nlohmann::json stringProp() { return {{"type", "string"}}; }

}  // namespace

Status registerResourceRoutes(ApiContext& ctx) {
  {
    auto r = std::make_shared<Resource<store::Skill, store::SkillId>>();
    r->entity = "skill";
    r->collection = "skills";
    r->id_param = "skillId";
    r->schema = "Skill";
    r->title = "skill";
    r->write = api::Permission::AgentsManage;
    r->json_schema = {{"type", "object"},
                      {"required", {"name"}},
                      {"properties",
                       {{"id", stringProp()}, {"name", stringProp()}, {"description", stringProp()}}}};
    r->repo = [](store::Store& st) -> store::SkillRepository& { return st.skills(); };
    r->to_json = [](const store::Skill& k) {
      return nlohmann::json{{"id", k.id.value()}, {"name", k.name}, {"description", k.description}};
    };
    r->from_body = [](const nlohmann::json& body, const store::Skill*, WallTime) -> Result<store::Skill> {
      store::Skill k;
      auto name = requiredString(body, "name", 64);
      if (!name) return std::unexpected(name.error());
      auto description = optionalString(body, "description", "", 500);
      if (!description) return std::unexpected(description.error());
      k.name = std::move(*name);
      k.description = std::move(*description);
      return k;
    };
    r->sort_key = [](const store::Skill& k) { return k.name; };
    SB_TRY((registerResource<store::Skill, store::SkillId>(ctx, r)));
  }
  {
    auto r = std::make_shared<Resource<store::Flow, store::FlowId>>();
    r->entity = "flow";
    r->collection = "flows";
    r->id_param = "flowId";
    r->schema = "Flow";
    r->title = "flow";
    r->json_schema = {
        {"type", "object"},
        {"required", {"name", "document"}},
        {"properties",
         {{"id", stringProp()},
          {"name", stringProp()},
          {"version", {{"type", "integer"}, {"readOnly", true},
                       {"description", "1 on create, +1 on every update"}}},
          {"document", {{"type", "object"},
                        {"description", "must have a \"steps\" or \"nodes\" member (array or object)"}}},
          {"updatedAt", {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}}}}}};
    r->repo = [](store::Store& st) -> store::FlowRepository& { return st.flows(); };
    r->to_json = [](const store::Flow& f) {
      return nlohmann::json{{"id", f.id.value()},
                            {"name", f.name},
                            {"version", f.version},
                            {"document", parsedOr(f.document_json)},
                            {"updatedAt", store::formatUtc(f.updated_at)}};
    };
    r->from_body = [](const nlohmann::json& body, const store::Flow* before,
                      WallTime now) -> Result<store::Flow> {
      store::Flow f;
      auto name = requiredString(body, "name", 100);
      if (!name) return std::unexpected(name.error());
      auto doc = body.find("document");
      if (doc == body.end()) return fail(Errc::InvalidArgument, "document is required", "document");
      SB_TRY(validateFlowDocument(*doc));
      f.name = std::move(*name);
      f.document_json = doc->dump();
      f.version = before == nullptr ? 1 : before->version + 1;
      f.updated_at = now;
      return f;
    };
    r->sort_key = [](const store::Flow& f) { return f.name; };
    SB_TRY((registerResource<store::Flow, store::FlowId>(ctx, r)));
  }
  {
    auto r = std::make_shared<Resource<store::WrapUpCode, store::WrapUpCodeId>>();
    r->entity = "wrap_up_code";
    r->collection = "wrap-up-codes";
    r->id_param = "codeId";
    r->schema = "WrapUpCode";
    r->title = "wrap-up code";
    // Agents pick wrap-up codes after a call, so any principal of the tenant may read them.
    r->read = api::Permission::Authenticated;
    r->json_schema = {{"type", "object"},
                      {"required", {"code"}},
                      {"properties",
                       {{"id", stringProp()},
                        {"code", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]{1,64}$"}}},
                        {"label", stringProp()},
                        {"active", {{"type", "boolean"}}}}}};
    r->repo = [](store::Store& st) -> store::WrapUpCodeRepository& { return st.wrapUpCodes(); };
    r->to_json = [](const store::WrapUpCode& w) {
      return nlohmann::json{
          {"id", w.id.value()}, {"code", w.code}, {"label", w.label}, {"active", w.active}};
    };
    r->from_body = [](const nlohmann::json& body, const store::WrapUpCode*,
                      WallTime) -> Result<store::WrapUpCode> {
      store::WrapUpCode w;
      auto code = requiredString(body, "code", 64);
      if (!code) return std::unexpected(code.error());
      SB_TRY(validateId(*code, "code"));
      auto label = optionalString(body, "label", *code, 200);
      if (!label) return std::unexpected(label.error());
      auto active = optionalBool(body, "active", true);
      if (!active) return std::unexpected(active.error());
      w.code = std::move(*code);
      w.label = std::move(*label);
      w.active = *active;
      return w;
    };
    r->sort_key = [](const store::WrapUpCode& w) { return w.code; };
    SB_TRY((registerResource<store::WrapUpCode, store::WrapUpCodeId>(ctx, r)));
  }
  {
    auto r = std::make_shared<Resource<store::Calendar, store::CalendarId>>();
    r->entity = "calendar";
    r->collection = "calendars";
    r->id_param = "calendarId";
    r->schema = "Calendar";
    r->title = "calendar";
    nlohmann::json range = {{"type", "object"},
                            {"required", {"start", "end"}},
                            {"properties",
                             {{"start", {{"type", "string"}, {"pattern", "^[0-2][0-9]:[0-5][0-9]$"}}},
                              {"end", {{"type", "string"}, {"pattern", "^[0-2][0-9]:[0-5][0-9]$"}}}}}};
    nlohmann::json weekly = {{"type", "object"}, {"additionalProperties", false},
                             {"properties", nlohmann::json::object()}};
    for (auto day : kDays) weekly["properties"][std::string(day)] = {{"type", "array"}, {"items", range}};
    r->json_schema = {
        {"type", "object"},
        {"required", {"name", "timezone", "definition"}},
        {"properties",
         {{"id", stringProp()},
          {"name", stringProp()},
          {"timezone", {{"type", "string"}, {"description", "IANA name, e.g. Europe/Paris"}}},
          {"definition",
           {{"type", "object"},
            {"required", {"weekly"}},
            {"additionalProperties", false},
            {"properties",
             {{"weekly", weekly},
              {"holidays", {{"type", "array"}, {"items", {{"type", "string"}, {"format", "date"}}}}}}}}}}}};
    r->repo = [](store::Store& st) -> store::CalendarRepository& { return st.calendars(); };
    r->to_json = [](const store::Calendar& c) {
      return nlohmann::json{{"id", c.id.value()},
                            {"name", c.name},
                            {"timezone", c.timezone},
                            {"definition", parsedOr(c.definition_json)}};
    };
    r->from_body = [](const nlohmann::json& body, const store::Calendar*,
                      WallTime) -> Result<store::Calendar> {
      store::Calendar c;
      auto name = requiredString(body, "name", 100);
      if (!name) return std::unexpected(name.error());
      auto tz = requiredString(body, "timezone", 64);
      if (!tz) return std::unexpected(tz.error());
      SB_TRY(validateTimezone(*tz));
      auto def = body.find("definition");
      if (def == body.end()) {
        return fail(Errc::InvalidArgument, "definition is required", "definition");
      }
      SB_TRY(validateCalendarDefinition(*def));
      c.name = std::move(*name);
      c.timezone = std::move(*tz);
      c.definition_json = def->dump();
      return c;
    };
    r->sort_key = [](const store::Calendar& c) { return c.name; };
    SB_TRY((registerResource<store::Calendar, store::CalendarId>(ctx, r)));
  }

  ctx.router.addSchema("AuditEntry",
                       {{"type", "object"},
                        {"properties",
                         {{"seq", {{"type", "integer"}}},
                          {"at", {{"type", "string"}, {"format", "date-time"}}},
                          {"actor", stringProp()},
                          {"action", stringProp()},
                          {"entityType", stringProp()},
                          {"entityId", stringProp()},
                          {"before", {{"description", "the record before the change, or null"}}},
                          {"after", {{"description", "the record after the change, or null"}}}}}});
  ctx.router.addSchema("AuditPage",
                       {{"type", "object"},
                        {"properties",
                         {{"items", {{"type", "array"},
                                     {"items", {{"$ref", "#/components/schemas/AuditEntry"}}}}},
                          {"next", stringProp()}}}});
  SB_TRY(ctx.router.addAsync(
      {"GET", "/api/v1/tenants/{tenantId}/audit",
       "The tenant's audit log, oldest first (limit, cursor; answer has next)",
       api::Permission::TenantConfigWrite, "", "AuditPage", "audit"},
      [&ctx](api::RequestContext rc, api::Responder respond) {
        auto page = api::pageRequestOf(rc.request, 100, 1000);
        if (!page) return respond(rc.error(page.error()));
        std::int64_t after = 0;
        if (page->position) {
          if (!page->position->is_number_integer()) {
            return respond(rc.error(Error(Errc::InvalidArgument, "not a valid cursor", "cursor")));
          }
          after = page->position->get<std::int64_t>();
        }
        ctx.onStore(std::move(respond), [rc = std::move(rc), limit = page->limit,
                                         after](store::Store& st) {
          // One extra row tells whether a next page exists.
          auto rows = st.audit().list(store::TenantId(std::string(rc.param("tenantId"))), after,
                                      limit + 1);
          if (!rows) return rc.error(rows.error());
          nlohmann::json items = nlohmann::json::array();
          std::optional<nlohmann::json> next;
          for (const auto& e : *rows) {
            if (items.size() == limit) {
              next = items.back()["seq"];
              break;
            }
            items.push_back({{"seq", e.seq},
                             {"at", store::formatUtc(e.at)},
                             {"actor", e.actor},
                             {"action", e.action},
                             {"entityType", e.entity_type},
                             {"entityId", e.entity_id},
                             {"before", e.before_json.empty() ? nlohmann::json() : parsedOr(e.before_json)},
                             {"after", e.after_json.empty() ? nlohmann::json() : parsedOr(e.after_json)}});
          }
          return api::HttpResponse::json(200, api::pageBody(rc.request, std::move(items), next));
        });
      }));
  return {};
}

}  // namespace sb::app
