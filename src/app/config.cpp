// SPDX-License-Identifier: Apache-2.0
#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string_view>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "routing/expression.h"
#include "routing/model.h"

namespace sb::app {

std::string ConfigError::toString() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": " << reason;
  return out.str();
}

namespace {

// Walks YAML nodes and collects errors with their position; never throws.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Node& node, std::string reason) {
    const auto& mark = node.Mark();
    errors_.push_back({file_, mark.line + 1, mark.column + 1, std::move(reason)});
  }

  // A mapping whose keys must all be in `allowed`; unknown keys are reported.
  bool expectMap(const YAML::Node& node, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      error(node, std::string(where) + " must be a mapping");
      return false;
    }
    for (const auto& kv : node) {
      const auto key = kv.first.Scalar();
      bool known = false;
      for (auto a : allowed) known = known || a == key;
      if (!known) error(kv.first, "unknown key '" + key + "' in " + std::string(where));
    }
    return true;
  }

  void readString(const YAML::Node& map, const char* key, std::string& out) {
    const auto node = map[key];
    if (!node) return;
    if (!node.IsScalar()) return error(node, std::string(key) + " must be a string");
    out = node.Scalar();
  }

  void readBool(const YAML::Node& map, const char* key, bool& out) {
    const auto node = map[key];
    if (!node) return;
    const auto& s = node.IsScalar() ? node.Scalar() : std::string();
    if (s == "true" || s == "yes") {
      out = true;
    } else if (s == "false" || s == "no") {
      out = false;
    } else {
      error(node, std::string(key) + " must be true or false");
    }
  }

  template <typename Int>
  void readInt(const YAML::Node& map, const char* key, Int& out, long long min, long long max) {
    const auto node = map[key];
    if (!node) return;
    long long v = 0;
    const auto& s = node.IsScalar() ? node.Scalar() : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      return error(node, std::string(key) + " must be an integer");
    }
    if (v < min || v > max) {
      return error(node, std::string(key) + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max));
    }
    out = static_cast<Int>(v);
  }

  void readStringList(const YAML::Node& map, const char* key, std::vector<std::string>& out) {
    const auto node = map[key];
    if (!node) return;
    if (!node.IsSequence()) return error(node, std::string(key) + " must be a list");
    out.clear();
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        error(item, std::string(key) + " entries must be strings");
        continue;
      }
      out.push_back(item.Scalar());
    }
  }

  // A mapping of name -> integer in [min, max], e.g. skills: {support: 8}.
  void readLevels(const YAML::Node& map, const char* key,
                  std::vector<std::pair<std::string, int>>& out, int min, int max) {
    const auto node = map[key];
    if (!node) return;
    if (!node.IsMap()) return error(node, std::string(key) + " must be a mapping of name: number");
    out.clear();
    for (const auto& kv : node) {
      if (!kv.second.IsScalar()) {
        error(kv.second, std::string(key) + "." + kv.first.Scalar() + " must be a number");
        continue;
      }
      long long parsed = 0;
      const auto& s = kv.second.Scalar();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
      if (ec != std::errc() || end != s.data() + s.size() || parsed < min || parsed > max) {
        error(kv.second, std::string(key) + "." + kv.first.Scalar() +
                             " must be an integer between " + std::to_string(min) + " and " +
                             std::to_string(max));
        continue;
      }
      out.emplace_back(kv.first.Scalar(), static_cast<int>(parsed));
    }
  }

  std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

void readSip(Reader& r, const YAML::Node& node, SipConfig& sip) {
  if (!r.expectMap(node, "sip",
                   {"listen", "tls_certificate", "tls_private_key", "workers", "server_name",
                    "max_udp_message", "digest_algorithms", "min_expires", "max_expires",
                    "auth_failures"})) {
    return;
  }
  r.readString(node, "tls_certificate", sip.tls_certificate);
  r.readString(node, "tls_private_key", sip.tls_private_key);
  r.readString(node, "server_name", sip.server_name);
  r.readInt(node, "workers", sip.workers, 1, 64);
  r.readInt(node, "max_udp_message", sip.max_udp_message, 500, 65000);
  r.readStringList(node, "digest_algorithms", sip.digest_algorithms);
  r.readInt(node, "min_expires", sip.min_expires, 1, 86400);
  r.readInt(node, "max_expires", sip.max_expires, 1, 604800);
  if (sip.min_expires > sip.max_expires) r.error(node, "min_expires is above max_expires");
  if (const auto af = node["auth_failures"]) {
    if (r.expectMap(af, "sip.auth_failures",
                    {"window_s", "delay_after", "delay_ms", "block_after", "block_s"})) {
      auto& a = sip.auth_failures;
      r.readInt(af, "window_s", a.window_s, 1, 86400);
      r.readInt(af, "delay_after", a.delay_after, 1, 1000000);
      r.readInt(af, "delay_ms", a.delay_ms, 0, 30000);
      r.readInt(af, "block_after", a.block_after, 1, 1000000);
      r.readInt(af, "block_s", a.block_s, 1, 604800);
    }
  }
  for (const auto& a : sip.digest_algorithms) {
    if (a != "sha256" && a != "md5") {
      r.error(node["digest_algorithms"],
              "digest_algorithms entries must be sha256 or md5, not '" + a + "'");
    }
  }
  if (sip.digest_algorithms.empty()) r.error(node, "digest_algorithms must not be empty");
  const auto listen = node["listen"];
  if (!listen) return;
  if (!listen.IsSequence()) return r.error(listen, "sip.listen must be a list");
  bool has_tls = false;
  for (const auto& item : listen) {
    if (!r.expectMap(item, "sip.listen[]", {"transport", "address", "port"})) continue;
    SipListen l;
    std::string transport = "udp";
    r.readString(item, "transport", transport);
    if (transport == "udp") {
      l.transport = SipTransportKind::Udp;
    } else if (transport == "tcp") {
      l.transport = SipTransportKind::Tcp;
    } else if (transport == "tls") {
      l.transport = SipTransportKind::Tls;
      has_tls = true;
    } else {
      r.error(item["transport"], "transport must be udp, tcp or tls, not '" + transport + "'");
    }
    r.readString(item, "address", l.address);
    r.readInt(item, "port", l.port, 0, 65535);
    sip.listen.push_back(l);
  }
  if (has_tls && (sip.tls_certificate.empty() || sip.tls_private_key.empty())) {
    r.error(node, "a tls listener needs sip.tls_certificate and sip.tls_private_key");
  }
}

void readQueue(Reader& r, const YAML::Node& node, QueueConfig& q) {
  if (!r.expectMap(node, "queues[]",
                   {"id", "name", "strategy", "channels", "skills", "expression", "priority",
                    "max_wait_s", "max_size", "sl_threshold_s", "short_abandon_s", "wrap_up_s",
                    "reservation_timeout_s", "timeout_response", "overflow_queue"})) {
    return;
  }
  r.readString(node, "id", q.id);
  if (q.id.empty()) r.error(node, "a queue needs an id");
  r.readString(node, "name", q.name);
  r.readString(node, "strategy", q.strategy);
  if (!routing::strategyFromName(q.strategy) && node["strategy"]) {
    r.error(node["strategy"], "unknown strategy '" + q.strategy + "'");
  }
  r.readStringList(node, "channels", q.channels);
  r.readLevels(node, "skills", q.skills, 1, 10);
  r.readString(node, "expression", q.expression);
  if (!q.expression.empty()) {
    // The engine compiles it again when the queue is loaded; checking here puts the line in
    // the error.
    routing::NameTable names;
    if (auto e = routing::Expression::parse(q.expression, names); !e) {
      r.error(node["expression"], "expression: " + e.error().message);
    }
  }
  r.readInt(node, "priority", q.priority, -1000, 1000);
  r.readInt(node, "max_wait_s", q.max_wait_s, 1, 86400);
  r.readInt(node, "max_size", q.max_size, 1, 1000000);
  r.readInt(node, "sl_threshold_s", q.sl_threshold_s, 1, 3600);
  r.readInt(node, "short_abandon_s", q.short_abandon_s, 0, 3600);
  r.readInt(node, "wrap_up_s", q.wrap_up_s, 0, 3600);
  r.readInt(node, "reservation_timeout_s", q.reservation_timeout_s, 1, 600);
  r.readInt(node, "timeout_response", q.timeout_response, 400, 699);
  r.readString(node, "overflow_queue", q.overflow_queue);
}

void readUser(Reader& r, const YAML::Node& node, UserConfig& u) {
  if (!r.expectMap(node, "users[]",
                   {"id", "name", "role", "extension", "sip_password", "sip_ha1_md5",
                    "sip_ha1_sha256", "password", "skills", "capacity", "queues"})) {
    return;
  }
  r.readString(node, "id", u.id);
  if (u.id.empty()) r.error(node, "a user needs an id");
  r.readString(node, "name", u.name);
  std::string role = "agent";
  r.readString(node, "role", role);
  if (role == "agent") {
    u.role = UserRole::Agent;
  } else if (role == "sme") {
    u.role = UserRole::Sme;
  } else if (role == "supervisor") {
    u.role = UserRole::Supervisor;
  } else if (role == "admin") {
    u.role = UserRole::Admin;
  } else {
    r.error(node["role"], "role must be agent, sme, supervisor or admin, not '" + role + "'");
  }
  r.readString(node, "extension", u.extension);
  r.readString(node, "sip_password", u.sip_password);
  r.readString(node, "sip_ha1_md5", u.sip_ha1_md5);
  r.readString(node, "sip_ha1_sha256", u.sip_ha1_sha256);
  r.readString(node, "password", u.password);
  r.readLevels(node, "skills", u.skills, 1, 10);
  r.readLevels(node, "capacity", u.capacity, 0, 100);
  r.readStringList(node, "queues", u.queues);
}

// An `oidc:` section (global when `global`, else inside a tenant). See docs/oidc.md.
void readOidc(Reader& r, const YAML::Node& node, OidcConfig& o, bool global) {
  if (!r.expectMap(node, global ? "oidc" : "tenants[].oidc",
                   {"issuer", "client_id", "client_secret", "client_auth", "redirect_uri", "scopes",
                    "tenant_claim", "user_claim", "subjects", "post_login_redirect", "clock_skew_s",
                    "jwks_min_refresh_s", "ca_file"})) {
    return;
  }
  o.enabled = true;
  r.readString(node, "issuer", o.issuer);
  r.readString(node, "client_id", o.client_id);
  r.readString(node, "client_secret", o.client_secret);
  r.readString(node, "client_auth", o.client_auth);
  r.readString(node, "redirect_uri", o.redirect_uri);
  r.readStringList(node, "scopes", o.scopes);
  r.readString(node, "tenant_claim", o.tenant_claim);
  r.readString(node, "user_claim", o.user_claim);
  r.readString(node, "post_login_redirect", o.post_login_redirect);
  r.readInt(node, "clock_skew_s", o.clock_skew_s, 0, 600);
  r.readInt(node, "jwks_min_refresh_s", o.jwks_min_refresh_s, 0, 86400);
  r.readString(node, "ca_file", o.ca_file);
  auto url_ok = [](const std::string& u) {
    return u.starts_with("https://") || u.starts_with("http://");
  };
  if (o.issuer.empty() || !url_ok(o.issuer)) r.error(node, "oidc needs an http(s) issuer URL");
  if (o.client_id.empty()) r.error(node, "oidc needs a client_id");
  if (o.redirect_uri.empty() || !url_ok(o.redirect_uri)) {
    r.error(node, "oidc needs an absolute redirect_uri (.../api/v1/auth/oidc/callback)");
  }
  if (o.client_auth != "client_secret_basic" && o.client_auth != "client_secret_post" &&
      o.client_auth != "none") {
    r.error(node["client_auth"],
            "client_auth must be client_secret_basic, client_secret_post or none, not '" +
                o.client_auth + "'");
  } else if (o.client_auth != "none" && o.client_secret.empty()) {
    r.error(node, "oidc needs a client_secret unless client_auth is none");
  }
  if (o.user_claim != "preferred_username" && o.user_claim != "email" && o.user_claim != "sub") {
    r.error(node["user_claim"],
            "user_claim must be preferred_username, email or sub, not '" + o.user_claim + "'");
  }
  if (!o.post_login_redirect.empty() && !url_ok(o.post_login_redirect)) {
    r.error(node["post_login_redirect"], "post_login_redirect must be an http(s) URL");
  }
  const auto subjects = node["subjects"];
  if (!subjects) return;
  if (!subjects.IsSequence()) return r.error(subjects, "subjects must be a list");
  for (const auto& item : subjects) {
    if (!r.expectMap(item, "oidc.subjects[]", {"issuer", "subject", "tenant", "user"})) continue;
    OidcSubjectMapping m;
    r.readString(item, "issuer", m.issuer);
    r.readString(item, "subject", m.subject);
    r.readString(item, "tenant", m.tenant);
    r.readString(item, "user", m.user);
    if (m.subject.empty() || m.user.empty())
      r.error(item, "a subject mapping needs subject and user");
    if (global && m.tenant.empty()) r.error(item, "a global subject mapping needs a tenant");
    if (!global && !m.tenant.empty()) {
      r.error(item["tenant"], "a tenant's subject mapping maps into that tenant: drop tenant");
    }
    o.subjects.push_back(std::move(m));
  }
}

void readTenant(Reader& r, const YAML::Node& node, TenantConfig& t) {
  if (!r.expectMap(node, "tenants[]",
                   {"id", "name", "domain", "users", "queues", "numbers", "outbound_trunk",
                    "copy_headers", "demo_admin_key", "oidc"})) {
    return;
  }
  r.readString(node, "id", t.id);
  if (t.id.empty()) r.error(node, "a tenant needs an id");
  r.readString(node, "name", t.name);
  r.readString(node, "domain", t.domain);
  if (t.domain.empty()) r.error(node, "tenant '" + t.id + "' needs a SIP domain");
  r.readString(node, "outbound_trunk", t.outbound_trunk);
  r.readStringList(node, "copy_headers", t.copy_headers);
  r.readString(node, "demo_admin_key", t.demo_admin_key);
  if (node["oidc"]) readOidc(r, node["oidc"], t.oidc, /*global=*/false);
  auto list = [&](const char* key, auto& out, auto read) {
    const auto items = node[key];
    if (!items) return;
    if (!items.IsSequence()) return r.error(items, std::string(key) + " must be a list");
    for (const auto& item : items) {
      out.emplace_back();
      read(r, item, out.back());
    }
  };
  list("queues", t.queues, readQueue);
  list("users", t.users, readUser);
  list("numbers", t.numbers, [](Reader& rr, const YAML::Node& n, NumberConfig& num) {
    if (!rr.expectMap(n, "numbers[]", {"number", "queue", "user"})) return;
    rr.readString(n, "number", num.number);
    rr.readString(n, "queue", num.queue);
    rr.readString(n, "user", num.user);
    if (num.number.empty() || num.queue.empty() == num.user.empty()) {
      rr.error(n, "a number needs number and exactly one of queue or user");
    }
  });
}

void readTrunk(Reader& r, const YAML::Node& node, TrunkConfig& t) {
  if (!r.expectMap(
          node, "trunks[]",
          {"id", "tenants", "sources", "transport", "outbound_address", "outbound_port"})) {
    return;
  }
  r.readString(node, "id", t.id);
  if (t.id.empty()) r.error(node, "a trunk needs an id");
  r.readStringList(node, "tenants", t.tenants);
  if (t.tenants.empty()) r.error(node, "trunk '" + t.id + "' needs at least one tenant");
  std::string transport = "udp";
  r.readString(node, "transport", transport);
  if (transport == "udp") {
    t.transport = SipTransportKind::Udp;
  } else if (transport == "tcp") {
    t.transport = SipTransportKind::Tcp;
  } else if (transport == "tls") {
    t.transport = SipTransportKind::Tls;
  } else {
    r.error(node["transport"], "transport must be udp, tcp or tls");
  }
  r.readString(node, "outbound_address", t.outbound_address);
  r.readInt(node, "outbound_port", t.outbound_port, 1, 65535);
  const auto sources = node["sources"];
  if (!sources) return;
  if (!sources.IsSequence()) return r.error(sources, "sources must be a list");
  for (const auto& s : sources) {
    if (!r.expectMap(s, "sources[]", {"address", "port"})) continue;
    TrunkSource src;
    r.readString(s, "address", src.address);
    r.readInt(s, "port", src.port, 0, 65535);
    if (src.address.empty()) r.error(s, "a trunk source needs an address");
    t.sources.push_back(src);
  }
}

// Cross-references and rules that span sections. `root` gives positions for the errors.
void validateReferences(Reader& r, const YAML::Node& root, const Config& c) {
  const auto tenants_node = root["tenants"];
  for (size_t i = 0; i < c.tenants.size(); ++i) {
    const auto& t = c.tenants[i];
    const auto tnode = tenants_node[i];
    for (size_t j = 0; j < i; ++j) {
      if (c.tenants[j].id == t.id) r.error(tnode, "duplicate tenant id '" + t.id + "'");
      if (c.tenants[j].domain == t.domain) r.error(tnode, "duplicate domain '" + t.domain + "'");
    }
    auto has_queue = [&](const std::string& id) {
      for (const auto& q : t.queues) {
        if (q.id == id) return true;
      }
      return false;
    };
    auto has_user = [&](const std::string& id) {
      for (const auto& u : t.users) {
        if (u.id == id) return true;
      }
      return false;
    };
    for (size_t k = 0; k < t.numbers.size(); ++k) {
      const auto& n = t.numbers[k];
      if (!n.queue.empty() && !has_queue(n.queue)) {
        r.error(tnode["numbers"][k],
                "number " + n.number + " points at unknown queue '" + n.queue + "'");
      }
      if (!n.user.empty() && !has_user(n.user)) {
        r.error(tnode["numbers"][k],
                "number " + n.number + " points at unknown user '" + n.user + "'");
      }
    }
    for (size_t k = 0; k < t.queues.size(); ++k) {
      const auto& q = t.queues[k];
      if (!q.overflow_queue.empty() && !has_queue(q.overflow_queue)) {
        r.error(tnode["queues"][k],
                "overflow_queue '" + q.overflow_queue + "' is not a queue of " + t.id);
      }
    }
    for (size_t k = 0; k < t.users.size(); ++k) {
      const auto& u = t.users[k];
      const auto unode = tnode["users"][k];
      for (const auto& q : u.queues) {
        if (!has_queue(q)) r.error(unode, "user '" + u.id + "' is in unknown queue '" + q + "'");
      }
      if (!c.demo && (!u.sip_password.empty() || !u.password.empty())) {
        r.error(unode, "user '" + u.id +
                           "': plain-text passwords are demo-only (set `demo: true`, or give "
                           "sip_ha1_md5/sip_ha1_sha256 and create sign-in users with "
                           "`switchboard admin create-user`)");
      }
      for (size_t m = 0; m < k; ++m) {
        if (t.users[m].id == u.id) r.error(unode, "duplicate user id '" + u.id + "'");
      }
    }
    if (!t.demo_admin_key.empty() && !c.demo) {
      r.error(tnode, "tenant '" + t.id + "': demo_admin_key is demo-only (set `demo: true`)");
    }
    if (!t.outbound_trunk.empty()) {
      bool found = false;
      for (const auto& tr : c.trunks) found = found || tr.id == t.outbound_trunk;
      if (!found) r.error(tnode, "outbound_trunk '" + t.outbound_trunk + "' is not a trunk");
    }
  }
  const auto trunks_node = root["trunks"];
  for (size_t i = 0; i < c.trunks.size(); ++i) {
    for (const auto& tid : c.trunks[i].tenants) {
      bool found = false;
      for (const auto& t : c.tenants) found = found || t.id == tid;
      if (!found)
        r.error(trunks_node[i],
                "trunk '" + c.trunks[i].id + "' names unknown tenant '" + tid + "'");
    }
  }
}

// A global oidc section's subject mappings must name configured tenants.
void validateOidcReferences(Reader& r, const YAML::Node& root, const Config& c) {
  for (size_t i = 0; i < c.oidc.subjects.size(); ++i) {
    const auto& m = c.oidc.subjects[i];
    bool found = false;
    for (const auto& t : c.tenants) found = found || t.id == m.tenant;
    if (!found && !m.tenant.empty()) {
      r.error(root["oidc"]["subjects"][i],
              "subject mapping names unknown tenant '" + m.tenant + "'");
    }
  }
}

void readHttp(Reader& r, const YAML::Node& node, HttpConfig& http) {
  if (!r.expectMap(node, "http",
                   {"address", "port", "tls_certificate", "tls_private_key", "workers"})) {
    return;
  }
  http.enabled = true;
  r.readString(node, "address", http.address);
  r.readInt(node, "port", http.port, 0, 65535);
  r.readString(node, "tls_certificate", http.tls_certificate);
  r.readString(node, "tls_private_key", http.tls_private_key);
  r.readInt(node, "workers", http.workers, 1, 64);
  if (http.tls_certificate.empty() != http.tls_private_key.empty()) {
    r.error(node, "http TLS needs both tls_certificate and tls_private_key");
  }
}

}  // namespace

namespace {

void readWebhooks(Reader& r, const YAML::Node& node, WebhooksConfig& w) {
  if (!r.expectMap(
          node, "webhooks",
          {"answer_timeout_ms", "validation_timeout_ms", "retry_initial_ms", "retry_max_ms",
           "give_up_after_ms", "batch_size", "max_queue", "allow_http_loopback", "keep_alive",
           "keep_alive_idle_s", "keep_alive_max_idle"})) {
    return;
  }
  r.readInt(node, "answer_timeout_ms", w.answer_timeout_ms, 100, 60000);
  r.readInt(node, "validation_timeout_ms", w.validation_timeout_ms, 100, 60000);
  r.readInt(node, "retry_initial_ms", w.retry_initial_ms, 100, 3600000);
  r.readInt(node, "retry_max_ms", w.retry_max_ms, 100, 86400000);
  r.readInt(node, "give_up_after_ms", w.give_up_after_ms, 1000, 604800000);
  r.readInt(node, "batch_size", w.batch_size, 1, 1000);
  r.readInt(node, "max_queue", w.max_queue, 1, 1000000);
  r.readBool(node, "allow_http_loopback", w.allow_http_loopback);
  r.readBool(node, "keep_alive", w.keep_alive);
  r.readInt(node, "keep_alive_idle_s", w.keep_alive_idle_s, 1, 3600);
  r.readInt(node, "keep_alive_max_idle", w.keep_alive_max_idle, 1, 64);
  if (w.retry_max_ms < w.retry_initial_ms) {
    r.error(node["retry_max_ms"] ? node["retry_max_ms"] : node,
            "retry_max_ms must not be below retry_initial_ms");
  }
}

}  // namespace

unsigned httpWorkerCount(const HttpConfig& http) {
  if (http.workers > 0) return http.workers;
  // Beyond 4 loops the API is not the limit (the voice shard and the store are).
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

ConfigResult loadConfigText(const std::string& text, const std::string& name) {
  Reader r(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return std::unexpected(std::vector<ConfigError>{
        {name, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg}});
  }
  Config config;
  config.path = name;
  if (root.IsNull()) {
    return std::unexpected(std::vector<ConfigError>{{name, 1, 1, "the file is empty"}});
  }
  if (r.expectMap(root, "the top level",
                  {"demo", "log_level", "data_dir", "sip", "http", "tenants", "trunks", "oidc",
                   "webhooks"})) {
    r.readBool(root, "demo", config.demo);
    r.readString(root, "log_level", config.log_level);
    r.readString(root, "data_dir", config.data_dir);
    if (root["sip"]) readSip(r, root["sip"], config.sip);
    if (root["http"]) readHttp(r, root["http"], config.http);
    if (root["oidc"]) readOidc(r, root["oidc"], config.oidc, /*global=*/true);
    if (root["webhooks"]) readWebhooks(r, root["webhooks"], config.webhooks);
    for (const char* key : {"tenants", "trunks"}) {
      const auto items = root[key];
      if (!items) continue;
      if (!items.IsSequence()) {
        r.error(items, std::string(key) + " must be a list");
        continue;
      }
      for (const auto& item : items) {
        if (key == std::string_view("tenants")) {
          config.tenants.emplace_back();
          readTenant(r, item, config.tenants.back());
        } else {
          config.trunks.emplace_back();
          readTrunk(r, item, config.trunks.back());
        }
      }
    }
    validateReferences(r, root, config);
    validateOidcReferences(r, root, config);
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (auto l : kLevels) level_ok = level_ok || l == config.log_level;
  if (!level_ok)
    r.error(root["log_level"], "log_level must be trace, debug, info, warn, error or off");
  if (!r.errors().empty()) return std::unexpected(std::move(r.errors()));
  return config;
}

ConfigResult loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::vector<ConfigError>{{path, 0, 0, "cannot read the file"}});
  std::ostringstream text;
  text << in.rdbuf();
  return loadConfigText(text.str(), path);
}

}  // namespace sb::app
