// SPDX-License-Identifier: Apache-2.0
// The switchboard YAML configuration: the typed model and its loader.
// loadConfig() never throws: it returns every problem found, each with file, line and reason,
// and treats unknown keys as errors (a typo must not be silently ignored). Value types.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <utility>
#include <vector>

namespace sb::app {

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when the file could not be read at all
  int column = 0;
  std::string reason;
  std::string toString() const;  // "demo.yaml:12:5: unknown key 'lisen'"
};

enum class SipTransportKind { Udp, Tcp, Tls };

struct SipListen {
  SipTransportKind transport = SipTransportKind::Udp;
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 5060;               // 0 = any free port (tests)
};

struct SipConfig {
  std::vector<SipListen> listen;
  std::string tls_certificate;  // PEM files; required when a TLS listener is configured
  std::string tls_private_key;
  unsigned workers = 1;  // transaction/call shards
  std::string server_name = "Switchboard";
  uint32_t max_udp_message = 1300;  // RFC 3261 18.1.1: larger requests go over TCP
  std::vector<std::string> digest_algorithms{"sha256", "md5"};  // offered in this order
  uint32_t min_expires = 60;    // REGISTER: shorter gets 423 Interval Too Brief
  uint32_t max_expires = 7200;  // REGISTER: longer is shortened
  // Failed digest attempts per source and per user within window_s: after delay_after the
  // answers are delayed by delay_ms, after block_after the key is blocked for block_s.
  struct AuthFailures {
    uint32_t window_s = 300;
    uint32_t delay_after = 3;
    uint32_t delay_ms = 2000;
    uint32_t block_after = 10;
    uint32_t block_s = 900;
  } auth_failures;
};

struct HttpConfig {
  bool enabled = false;  // an `http:` section turns the API on
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  // Both set: the API is served over TLS only (HTTPS and WSS). PEM files, read at start-up.
  std::string tls_certificate;
  std::string tls_private_key;
  // Event loops (threads) serving connections; 0 (the default): one per core, at most 4
  // (httpWorkerCount()). Connections are spread round-robin and stay on their loop.
  unsigned workers = 0;
};

// The number of HTTP loops `http` asks for: workers, or when 0 the machine's core count
// clamped to 1..4.
unsigned httpWorkerCount(const HttpConfig& http);

// A queue as configured; the routing engine's QueueSpec is built from it (app/ does the mapping).
struct QueueConfig {
  std::string id;
  std::string name;
  std::string strategy = "leastrecent";
  std::vector<std::string> channels{"voice"};
  std::vector<std::pair<std::string, int>> skills;  // skill -> minimum level (1..10)
  std::string expression;                           // worker expression, optional
  int priority = 0;
  uint32_t max_wait_s = 600;
  uint32_t max_size = 1000;
  uint32_t sl_threshold_s = 20;
  uint32_t short_abandon_s = 5;
  uint32_t wrap_up_s = 0;
  uint32_t reservation_timeout_s = 15;
  int timeout_response = 480;  // SIP final response when max wait is reached...
  std::string overflow_queue;  // ...unless the call overflows to this queue
};

enum class UserRole { Agent, Sme, Supervisor, Admin };

struct UserConfig {
  std::string id;  // also the SIP user part and extension owner
  std::string name;
  UserRole role = UserRole::Agent;
  std::string extension;
  // Digest credentials: plain text is for demos only (refused unless `demo: true`);
  // production configs give the HA1 digests H(user:realm:password).
  std::string sip_password;
  std::string sip_ha1_md5;
  std::string sip_ha1_sha256;
  std::string
      password;  // local sign-in (demo only); production uses `switchboard admin create-user`
  std::vector<std::pair<std::string, int>> skills;    // skill -> proficiency 1..10
  std::vector<std::pair<std::string, int>> capacity;  // channel -> max concurrent
  std::vector<std::string> queues;                    // queue memberships, in member order
};

// Sign-in with an OpenID provider (docs/oidc.md). Global (top-level `oidc:`, the tenant comes
// from tenant_claim or the login's ?tenant=) or per tenant (`tenants[].oidc:`).
struct OidcSubjectMapping {
  std::string issuer;   // empty: the section's issuer
  std::string subject;  // the provider's `sub`
  std::string tenant;   // global section only; a tenant section maps into its own tenant
  std::string user;     // Switchboard user id (username)
};

struct OidcConfig {
  bool enabled = false;  // an `oidc:` section turns it on
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string client_auth = "client_secret_basic";  // or client_secret_post, none (public)
  std::string redirect_uri;  // .../api/v1/auth/oidc/callback as registered at the provider
  std::vector<std::string> scopes{"openid", "profile", "email"};
  std::string tenant_claim;  // claim naming the tenant id (e.g. tid); required to match if set
  std::string user_claim = "preferred_username";  // preferred_username, email or sub
  std::vector<OidcSubjectMapping> subjects;       // explicit issuer+subject -> user, first
  std::string post_login_redirect;  // if set: 302 there with the tokens in the fragment
  uint32_t clock_skew_s = 60;
  uint32_t jwks_min_refresh_s = 10;
  std::string ca_file;  // PEM bundle for the provider's TLS; empty = system store
};

// Where a number's calls go: exactly one of a queue or a user (a direct inward-dialing number
// that rings the user's registered phones, e.g. an expert's or a supervisor's own line).
struct NumberConfig {
  std::string number;  // E.164, e.g. +15550100
  std::string queue;   // target queue id
  std::string user;    // or a target user id
};

struct TenantConfig {
  std::string id;
  std::string name;
  std::string domain;  // SIP domain, e.g. demo.switchboard.test
  std::vector<UserConfig> users;
  std::vector<QueueConfig> queues;
  std::vector<NumberConfig> numbers;
  std::string outbound_trunk;  // trunk for calls to external numbers
  std::vector<std::string> copy_headers{"Diversion", "History-Info"};  // copied across legs
  std::string demo_admin_key;  // demo-only API key (`demo: true` required)
  OidcConfig oidc;
};

struct TrunkSource {
  std::string address;  // IP literal
  uint16_t port = 0;    // 0 = any port
};

struct TrunkConfig {
  std::string id;
  std::vector<std::string> tenants;  // one, or several for a shared (multi-tenant) trunk
  std::vector<TrunkSource> sources;  // where its INVITEs come from
  SipTransportKind transport = SipTransportKind::Udp;
  std::string outbound_address;  // where calls to it go (host or IP)
  uint16_t outbound_port = 5060;
};

// Webhook delivery tuning (a `webhooks:` section; docs/webhooks.md, docs/config.md).
struct WebhooksConfig {
  uint32_t answer_timeout_ms = 3000;       // a receiver must answer 2xx within this
  uint32_t validation_timeout_ms = 10000;  // the validation handshake's deadline
  uint32_t retry_initial_ms = 10000;       // backoff base after the first failure
  uint32_t retry_max_ms = 1800000;         // backoff cap
  uint64_t give_up_after_ms = 14400000;    // retry window from a batch's first attempt
  uint32_t batch_size = 100;               // notifications per POST
  uint32_t max_queue = 10000;              // queued per subscription; beyond: dead letter
  bool allow_http_loopback = false;        // http:// to a loopback host (also with demo)
  bool keep_alive = true;                  // reuse connections to a receiver
  uint32_t keep_alive_idle_s = 30;         // a kept connection idle longer is closed
  uint32_t keep_alive_max_idle = 4;        // kept idle connections per scheme, host and port
};

struct Config {
  std::string path;
  bool demo = false;
  std::string log_level = "info";
  std::string data_dir = "./var";
  SipConfig sip;
  HttpConfig http;
  std::vector<TenantConfig> tenants;
  std::vector<TrunkConfig> trunks;
  OidcConfig oidc;  // global provider; tenants may have their own
  WebhooksConfig webhooks;
};

using ConfigResult = std::expected<Config, std::vector<ConfigError>>;

// Reads and validates FILE.
ConfigResult loadConfigFile(const std::string& path);
// Validates YAML text; `name` is used in error messages.
ConfigResult loadConfigText(const std::string& text, const std::string& name);

}  // namespace sb::app
