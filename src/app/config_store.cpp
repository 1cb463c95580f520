// SPDX-License-Identifier: Apache-2.0
#include "app/config_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "common/log.h"

namespace sb::app {

namespace {

using nlohmann::json;

// Never throws: invalid UTF-8 is replaced (bodies were parsed by nlohmann already, so this is
// only a guard).
std::string dumpJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json parseJson(const std::string& text) {
  return json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// ---- The probe: a small YAML document run through the real loader ----

// One entity written as a block-sequence item, one key per line, so an error's line tells
// which key it is about. Values are JSON, which is YAML flow syntax.
class Probe {
 public:
  void line(const std::string& s) {
    text_ += s;
    text_ += '\n';
    ++lines_;
  }
  void item(const std::string& indent, const json& obj, bool track) {
    bool first = true;
    for (const auto& [key, value] : obj.items()) {
      line(indent + (first ? "- " : "  ") + dumpJson(json(key)) + ": " + dumpJson(value));
      if (track) keys_[lines_] = key;
      first = false;
    }
    if (first) line(indent + "- {}");
  }
  const std::string& text() const { return text_; }

  // The field an error is about: the loader's reason names it first in most messages; a few
  // cross-reference messages name it by phrase; else the key on the error's line.
  std::string fieldOf(const ConfigError& e, const json& doc,
                      const std::vector<std::pair<std::string_view, std::string_view>>& phrases)
      const {
    const std::string& r = e.reason;
    static constexpr std::string_view kUnknownKey = "unknown key '";
    if (r.starts_with(kUnknownKey)) {
      const auto end = r.find('\'', kUnknownKey.size());
      return r.substr(kUnknownKey.size(), end - kUnknownKey.size());
    }
    const auto stop = r.find_first_of(" :");
    const std::string first = r.substr(0, stop);
    const std::string head = first.substr(0, first.find('.'));
    if (!head.empty() && doc.is_object() && doc.contains(head)) return first;
    for (const auto& [phrase, field] : phrases) {
      if (r.find(phrase) != std::string::npos) return std::string(field);
    }
    if (auto it = keys_.find(e.line); it != keys_.end()) return it->second;
    return "body";
  }

 private:
  std::string text_;
  int lines_ = 0;
  std::map<int, std::string> keys_;  // 1-based line -> key of the probed entity
};

constexpr std::string_view kProbeTenant = "__probe";

Error probeError(const Probe& p, const std::vector<ConfigError>& errors, const json& doc,
                 const std::vector<std::pair<std::string_view, std::string_view>>& phrases) {
  const ConfigError& e = errors.front();
  return Error(Errc::InvalidArgument, e.reason, p.fieldOf(e, doc, phrases));
}

Status requireObject(const json& doc) {
  if (!doc.is_object()) return fail(Errc::InvalidArgument, "body must be a JSON object", "body");
  return {};
}

// ---- Enum mappings ----

store::Role storeRole(UserRole r) {
  switch (r) {
    case UserRole::Agent: return store::Role::Agent;
    case UserRole::Sme: return store::Role::Sme;
    case UserRole::Supervisor: return store::Role::Supervisor;
    case UserRole::Admin: return store::Role::Admin;
  }
  return store::Role::Agent;
}

UserRole configRole(store::Role r) {
  switch (r) {
    case store::Role::Agent: return UserRole::Agent;
    case store::Role::Sme: return UserRole::Sme;
    case store::Role::Supervisor: return UserRole::Supervisor;
    case store::Role::Admin:
    case store::Role::SystemOperator: return UserRole::Admin;  // no voice role of its own
  }
  return UserRole::Agent;
}

const char* transportName(SipTransportKind k) {
  switch (k) {
    case SipTransportKind::Udp: return "udp";
    case SipTransportKind::Tcp: return "tcp";
    case SipTransportKind::Tls: return "tls";
  }
  return "udp";
}

json levelsJson(const std::vector<std::pair<std::string, int>>& levels) {
  json out = json::object();
  for (const auto& [name, level] : levels) out[name] = level;
  return out;
}

std::string stringOr(const json& doc, const char* key, std::string fallback = {}) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

// ---- Validation ----

Result<QueueConfig> validateQueueDocument(const json& queue, const TenantRefs& refs) {
  SB_TRY(requireObject(queue));
  Probe p;
  p.line("tenants:");
  p.line("  - id: " + dumpJson(json(kProbeTenant)));
  p.line("    domain: probe.invalid");
  p.line("    queues:");
  p.item("      ", queue, true);
  const std::string id = stringOr(queue, "id");
  for (const auto& other : refs.queue_ids) {
    if (other != id) p.item("      ", json{{"id", other}}, false);
  }
  auto loaded = loadConfigText(p.text(), "queue");
  if (!loaded) return std::unexpected(probeError(p, loaded.error(), queue, {{"needs an id", "id"}}));
  return loaded->tenants.at(0).queues.at(0);
}

Result<UserConfig> validateUserDocument(const json& user, const TenantRefs& refs) {
  SB_TRY(requireObject(user));
  Probe p;
  p.line("tenants:");
  p.line("  - id: " + dumpJson(json(kProbeTenant)));
  p.line("    domain: probe.invalid");
  p.line("    queues:");
  p.line("      - {id: " + dumpJson(json("__probe_queue")) + "}");
  for (const auto& q : refs.queue_ids) p.item("      ", json{{"id", q}}, false);
  p.line("    users:");
  p.item("      ", user, true);
  auto loaded = loadConfigText(p.text(), "user");
  if (!loaded) {
    return std::unexpected(probeError(p, loaded.error(), user,
                                      {{"unknown queue", "queues"}, {"needs an id", "id"}}));
  }
  return loaded->tenants.at(0).users.at(0);
}

Result<TenantConfig> validateTenantDocument(const json& tenant, const TenantRefs& refs) {
  SB_TRY(requireObject(tenant));
  for (const char* key : {"users", "queues", "numbers", "demo_admin_key"}) {
    if (tenant.contains(key)) {
      return fail(Errc::InvalidArgument,
                  std::string(key) + " are managed through their own resources", key);
    }
  }
  Probe p;
  const std::string id = stringOr(tenant, "id");
  p.line(refs.trunk_ids.empty() ? "trunks: []" : "trunks:");
  for (const auto& t : refs.trunk_ids) p.item("  ", json{{"id", t}, {"tenants", {id}}}, false);
  p.line("tenants:");
  p.item("  ", tenant, true);
  for (const auto& [other, domain] : refs.tenants) {
    if (other != id) p.item("  ", json{{"id", other}, {"domain", domain}}, false);
  }
  auto loaded = loadConfigText(p.text(), "tenant");
  if (!loaded) {
    return std::unexpected(probeError(p, loaded.error(), tenant,
                                      {{"duplicate domain", "domain"},
                                       {"duplicate tenant id", "id"},
                                       {"needs an id", "id"},
                                       {"needs a SIP domain", "domain"}}));
  }
  return loaded->tenants.at(0);
}

Result<TrunkConfig> validateTrunkDocument(const json& trunk,
                                          const std::vector<std::string>& tenant_ids) {
  SB_TRY(requireObject(trunk));
  Probe p;
  p.line("trunks:");
  p.item("  ", trunk, true);
  p.line(tenant_ids.empty() ? "tenants: []" : "tenants:");
  for (const auto& t : tenant_ids) {
    p.item("  ", json{{"id", t}, {"domain", t + ".probe.invalid"}}, false);
  }
  auto loaded = loadConfigText(p.text(), "trunk");
  if (!loaded) {
    return std::unexpected(probeError(p, loaded.error(), trunk,
                                      {{"unknown tenant", "tenants"},
                                       {"needs at least one tenant", "tenants"},
                                       {"needs an id", "id"},
                                       {"source needs an address", "sources"}}));
  }
  return loaded->trunks.at(0);
}

// ---- Records ----

json queueDocument(const QueueConfig& q) {
  return json{{"id", q.id},
              {"name", q.name},
              {"strategy", q.strategy},
              {"channels", q.channels},
              {"skills", levelsJson(q.skills)},
              {"expression", q.expression},
              {"priority", q.priority},
              {"max_wait_s", q.max_wait_s},
              {"max_size", q.max_size},
              {"sl_threshold_s", q.sl_threshold_s},
              {"short_abandon_s", q.short_abandon_s},
              {"wrap_up_s", q.wrap_up_s},
              {"reservation_timeout_s", q.reservation_timeout_s},
              {"timeout_response", q.timeout_response},
              {"overflow_queue", q.overflow_queue}};
}

store::Queue queueRecord(const std::string& tenant, const QueueConfig& q) {
  json settings = queueDocument(q);
  for (const char* column : {"id", "name", "strategy"}) settings.erase(column);
  return store::Queue{store::TenantId(tenant), store::QueueId(q.id), q.name.empty() ? q.id : q.name,
                      q.strategy, dumpJson(settings)};
}

Result<QueueConfig> queueFromRecord(const store::Queue& q, const TenantRefs& refs) {
  json doc = parseJson(q.settings_json);
  if (!doc.is_object()) {
    return fail(Errc::InvalidArgument, "queue " + q.id.value() + ": settings are not an object",
                "settings");
  }
  doc["id"] = q.id.value();
  doc["name"] = q.name;
  doc["strategy"] = q.strategy;
  return validateQueueDocument(doc, refs);
}

store::User userRecord(const std::string& tenant, const std::string& domain,
                       const UserConfig& u) {
  center::UserSpec spec;
  spec.id = u.id;
  if (!u.sip_password.empty()) center::setPassword(spec, domain, u.sip_password);
  if (!u.sip_ha1_md5.empty()) spec.ha1_md5 = u.sip_ha1_md5;
  if (!u.sip_ha1_sha256.empty()) spec.ha1_sha256 = u.sip_ha1_sha256;
  store::User r;
  r.tenant_id = store::TenantId(tenant);
  r.id = store::UserId(u.id);
  r.username = u.id;
  r.display_name = u.name;
  r.role = storeRole(u.role);
  for (const auto& [skill, level] : u.skills) r.profile.skills[skill] = level;
  for (const auto& [channel, n] : u.capacity) r.profile.channel_capacity[channel] = n;
  json settings = json::object();
  if (!u.extension.empty()) settings["extension"] = u.extension;
  if (!spec.ha1_md5.empty()) settings["ha1_md5"] = spec.ha1_md5;
  if (!spec.ha1_sha256.empty()) settings["ha1_sha256"] = spec.ha1_sha256;
  settings["queues"] = u.queues;
  r.settings_json = dumpJson(settings);
  return r;
}

Result<UserConfig> userFromRecord(const store::User& r) {
  const json settings = parseJson(r.settings_json);
  if (!settings.is_object()) {
    return fail(Errc::InvalidArgument, "user " + r.id.value() + ": settings are not an object",
                "settings");
  }
  UserConfig u;
  u.id = r.id.value();
  u.name = r.display_name;
  u.role = configRole(r.role);
  u.extension = stringOr(settings, "extension");
  u.sip_ha1_md5 = stringOr(settings, "ha1_md5");
  u.sip_ha1_sha256 = stringOr(settings, "ha1_sha256");
  for (const auto& [skill, level] : r.profile.skills) u.skills.emplace_back(skill, level);
  for (const auto& [channel, n] : r.profile.channel_capacity) u.capacity.emplace_back(channel, n);
  if (auto q = settings.find("queues"); q != settings.end() && q->is_array()) {
    for (const auto& name : *q) {
      if (name.is_string()) u.queues.push_back(name.get<std::string>());
    }
  }
  return u;
}

store::Tenant tenantRecord(const TenantConfig& t, WallTime created_at) {
  store::Tenant r;
  r.id = store::TenantId(t.id);
  r.name = t.name.empty() ? t.id : t.name;
  r.active = true;
  r.created_at = created_at;
  r.settings_json = dumpJson(json{{"domain", t.domain},
                                  {"outbound_trunk", t.outbound_trunk},
                                  {"copy_headers", t.copy_headers}});
  return r;
}

Result<TenantConfig> tenantFromRecord(const store::Tenant& r) {
  const json settings = parseJson(r.settings_json);
  if (!settings.is_object()) {
    return fail(Errc::InvalidArgument, "tenant " + r.id.value() + ": settings are not an object",
                "settings");
  }
  TenantConfig t;
  t.id = r.id.value();
  t.name = r.name;
  t.domain = stringOr(settings, "domain");
  t.outbound_trunk = stringOr(settings, "outbound_trunk");
  if (auto h = settings.find("copy_headers"); h != settings.end() && h->is_array()) {
    t.copy_headers.clear();
    for (const auto& name : *h) {
      if (name.is_string()) t.copy_headers.push_back(name.get<std::string>());
    }
  }
  if (t.domain.empty()) {
    return fail(Errc::InvalidArgument, "tenant " + t.id + " has no SIP domain", "domain");
  }
  return t;
}

store::Trunk trunkRecord(const TrunkConfig& t) {
  store::Trunk r;
  r.tenant_id = store::TenantId(t.tenants.empty() ? std::string() : t.tenants.front());
  r.id = store::TrunkId(t.id);
  r.name = t.id;
  r.host = t.outbound_address;
  r.port = t.outbound_port;
  r.transport = transportName(t.transport);
  json sources = json::array();
  for (const auto& s : t.sources) sources.push_back({{"address", s.address}, {"port", s.port}});
  r.settings_json = dumpJson(json{{"sources", sources}, {"tenants", t.tenants}});
  return r;
}

Result<TrunkConfig> trunkFromRecord(const store::Trunk& r) {
  json doc = parseJson(r.settings_json);
  if (!doc.is_object()) {
    return fail(Errc::InvalidArgument, "trunk " + r.id.value() + ": settings are not an object",
                "settings");
  }
  TrunkConfig t;
  t.id = r.id.value();
  t.tenants.push_back(r.tenant_id.value());
  if (auto list = doc.find("tenants"); list != doc.end() && list->is_array()) {
    for (const auto& name : *list) {
      if (!name.is_string()) continue;
      auto n = name.get<std::string>();
      if (std::find(t.tenants.begin(), t.tenants.end(), n) == t.tenants.end()) t.tenants.push_back(n);
    }
  }
  t.transport = r.transport == "tcp"   ? SipTransportKind::Tcp
                : r.transport == "tls" ? SipTransportKind::Tls
                                       : SipTransportKind::Udp;
  t.outbound_address = r.host;
  t.outbound_port = static_cast<uint16_t>(r.port);
  if (auto sources = doc.find("sources"); sources != doc.end() && sources->is_array()) {
    for (const auto& s : *sources) {
      if (!s.is_object()) continue;
      TrunkSource src;
      src.address = stringOr(s, "address");
      if (auto port = s.find("port"); port != s.end() && port->is_number_unsigned() &&
                                      port->get<std::uint64_t>() <= 65535) {
        src.port = static_cast<uint16_t>(port->get<std::uint64_t>());
      }
      if (!src.address.empty()) t.sources.push_back(src);
    }
  }
  return t;
}

// ---- Seed ----

namespace {

template <typename T>
bool missing(const Result<T>& r) {
  return !r && r.error().code == Errc::NotFound;
}

Status importTenant(const Config& config, const TenantConfig& tc, store::Store& store,
                    WallTime now) {
  auto existing = store.tenants().get(store::TenantId(tc.id));
  if (existing) {
    // A bare row (API credentials seeding, or a version before settings): complete it.
    store::Tenant row = tenantRecord(tc, existing->created_at);
    row.active = existing->active;
    SB_TRY(store.tenants().update(row));
  } else {
    auto created = store.tenants().create(tenantRecord(tc, now));
    if (!created) return std::unexpected(created.error());
  }
  const store::TenantId tenant(tc.id);
  for (const auto& q : tc.queues) {
    if (!missing(store.queues().get(tenant, store::QueueId(q.id)))) continue;
    auto created = store.queues().create(queueRecord(tc.id, q));
    if (!created) return std::unexpected(created.error());
  }
  for (const auto& u : tc.users) {
    store::User row = userRecord(tc.id, tc.domain, u);
    auto current = store.users().get(tenant, row.id);
    if (current) {
      if (parseJson(current->settings_json) != json::object()) continue;  // already complete
      row.password_hash = current->password_hash;  // keep a sign-in password set elsewhere
      row.email = current->email;
      row.active = current->active;
      SB_TRY(store.users().update(row));
      continue;
    }
    if (!missing(current)) return std::unexpected(current.error());
    auto created = store.users().create(std::move(row));
    if (!created) return std::unexpected(created.error());
  }
  for (const auto& n : tc.numbers) {
    if (!missing(store.numbers().get(tenant, n.number))) continue;
    const bool to_user = !n.user.empty();
    SB_TRY(store.numbers().create(store::PhoneNumber{
        n.number, tenant, to_user ? store::NumberTargetKind::User : store::NumberTargetKind::Queue,
        to_user ? n.user : n.queue, ""}));
  }
  for (const auto& t : config.trunks) {
    if (t.tenants.empty() || t.tenants.front() != tc.id) continue;
    if (!missing(store.trunks().get(tenant, store::TrunkId(t.id)))) continue;
    auto created = store.trunks().create(trunkRecord(t));
    if (!created) return std::unexpected(created.error());
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> importConfig(const Config& config, store::Store& store,
                                              WallTime now) {
  std::vector<std::string> imported;
  // Tenants a trunk names must exist before a trunk row refers to them, so create every tenant
  // row first, then fill them.
  std::vector<const TenantConfig*> todo;
  for (const auto& tc : config.tenants) {
    auto existing = store.tenants().get(store::TenantId(tc.id));
    if (existing && parseJson(existing->settings_json) != json::object()) continue;  // store wins
    if (!existing && existing.error().code != Errc::NotFound) {
      return std::unexpected(existing.error());
    }
    todo.push_back(&tc);
  }
  for (const auto* tc : todo) {
    SB_TRY(importTenant(config, *tc, store, now));
    imported.push_back(tc->id);
  }
  return imported;
}

// ---- Load ----

Result<Config> configFromStore(store::Store& store, const Config& base) {
  Config out = base;
  out.tenants.clear();
  out.trunks.clear();
  auto tenants = store.tenants().list();
  if (!tenants) return std::unexpected(tenants.error());
  std::set<std::string> active;
  for (const auto& row : *tenants) {
    if (!row.active) continue;
    auto tc = tenantFromRecord(row);
    if (!tc) {
      // No domain: not a voice tenant (e.g. created for API keys only).
      SB_LOG_DEBUG("tenant {} left out of the voice directory: {}", row.id.value(),
                   tc.error().toString());
      continue;
    }
    const store::TenantId tenant(tc->id);
    auto queues = store.queues().list(tenant);
    if (!queues) return std::unexpected(queues.error());
    TenantRefs refs;
    for (const auto& q : *queues) refs.queue_ids.push_back(q.id.value());
    for (const auto& q : *queues) {
      auto qc = queueFromRecord(q, refs);
      if (!qc) {
        SB_LOG_WARN("tenant {}: queue {} skipped: {}", tc->id, q.id.value(), qc.error().toString());
        continue;
      }
      tc->queues.push_back(std::move(*qc));
    }
    auto users = store.users().list(tenant);
    if (!users) return std::unexpected(users.error());
    for (const auto& u : *users) {
      if (!u.active) continue;
      auto uc = userFromRecord(u);
      if (!uc) {
        SB_LOG_WARN("tenant {}: user {} skipped: {}", tc->id, u.id.value(), uc.error().toString());
        continue;
      }
      // A deleted queue may still be named by its former members.
      std::erase_if(uc->queues, [&](const std::string& q) {
        return std::find(refs.queue_ids.begin(), refs.queue_ids.end(), q) == refs.queue_ids.end();
      });
      tc->users.push_back(std::move(*uc));
    }
    auto numbers = store.numbers().list(tenant);
    if (!numbers) return std::unexpected(numbers.error());
    for (const auto& n : *numbers) {
      if (n.target_kind == store::NumberTargetKind::Queue) {
        tc->numbers.push_back(NumberConfig{n.number, n.target_id, ""});
      } else if (n.target_kind == store::NumberTargetKind::User) {
        // A deleted (or deactivated) user's number rings nobody: left out, so the directory
        // stays consistent; calls to it get 404 until it points somewhere again.
        const bool known = std::any_of(tc->users.begin(), tc->users.end(),
                                       [&](const UserConfig& u) { return u.id == n.target_id; });
        if (!known) {
          SB_LOG_WARN("tenant {}: number {} skipped: its user '{}' does not exist", tc->id,
                      n.number, n.target_id);
          continue;
        }
        tc->numbers.push_back(NumberConfig{n.number, "", n.target_id});
      }  // flows: not yet
    }
    auto trunks = store.trunks().list(tenant);
    if (!trunks) return std::unexpected(trunks.error());
    for (const auto& t : *trunks) {
      if (!t.enabled) continue;
      auto trunk = trunkFromRecord(t);
      if (!trunk) {
        SB_LOG_WARN("trunk {} skipped: {}", t.id.value(), trunk.error().toString());
        continue;
      }
      out.trunks.push_back(std::move(*trunk));
    }
    active.insert(tc->id);
    out.tenants.push_back(std::move(*tc));
  }
  // A shared trunk only serves tenants that still exist.
  for (auto& t : out.trunks) {
    std::erase_if(t.tenants, [&](const std::string& id) { return !active.contains(id); });
  }
  return out;
}

Result<std::shared_ptr<const center::Directory>> buildDirectoryFromStore(
    store::Store& store, const Config& base, const DirectoryOptions& options) {
  auto config = configFromStore(store, base);
  if (!config) return std::unexpected(config.error());
  return buildDirectory(*config, options);
}

// ---- ConfigService ----

ConfigService::ConfigService(store::Store& store, const Config& base, DirectoryOptions options,
                             Apply apply)
    : store_(store), base_(base), options_(options), apply_(std::move(apply)) {}

Status ConfigService::reload(const std::string& tenant) {
  std::lock_guard lock(mutex_);
  auto directory = buildDirectoryFromStore(store_, base_, options_);
  if (!directory) {
    SB_LOG_ERROR("configuration change of tenant {} not applied: {}", tenant,
                 directory.error().toString());
    return std::unexpected(directory.error());
  }
  apply_(std::move(*directory));
  ++reloads_;
  return {};
}

std::uint64_t ConfigService::reloads() const {
  std::lock_guard lock(mutex_);
  return reloads_;
}

}  // namespace sb::app
