// SPDX-License-Identifier: Apache-2.0
#include "store/sql/migrations.h"

#include <chrono>
#include <string_view>

namespace sb::store::sql {
namespace {

// Migrations are append-only: never edit a released one, add a new version instead.
// From version 4 on, new tables and indexes say IF NOT EXISTS, so a database whose
// schema_version was rolled back (by hand, or by a test recreating an older layout) can apply
// them again without failing on what is already there.
// Portable types only: TEXT, INTEGER, BIGINT (times are microseconds since the Unix epoch,
// booleans 0/1). "{SERIAL_PK}" is the one dialect-specific token.
struct Source {
  int version;
  const char* description;
  std::vector<const char*> statements;
};

const std::vector<Source>& sources() {
  static const std::vector<Source> kSources = {
      {1,
       "tenants, users, configuration",
       {
           R"(CREATE TABLE tenants (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                active INTEGER NOT NULL, created_at BIGINT NOT NULL))",
           R"(CREATE TABLE users (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, username TEXT NOT NULL, display_name TEXT NOT NULL,
                email TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                active INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, username)))",
           R"(CREATE TABLE user_skills (
                tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, skill TEXT NOT NULL,
                level INTEGER NOT NULL, PRIMARY KEY (tenant_id, user_id, skill),
                FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE))",
           R"(CREATE INDEX user_skills_by_skill ON user_skills (tenant_id, skill, level))",
           R"(CREATE TABLE user_channels (
                tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, channel TEXT NOT NULL,
                capacity INTEGER NOT NULL, PRIMARY KEY (tenant_id, user_id, channel),
                FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE))",
           R"(CREATE TABLE queues (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, name TEXT NOT NULL, strategy TEXT NOT NULL,
                settings TEXT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name)))",
           R"(CREATE TABLE skills (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
                PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name)))",
           R"(CREATE TABLE trunks (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, name TEXT NOT NULL, host TEXT NOT NULL, port INTEGER NOT NULL,
                transport TEXT NOT NULL, username TEXT NOT NULL, secret TEXT NOT NULL,
                enabled INTEGER NOT NULL, settings TEXT NOT NULL,
                PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name)))",
           R"(CREATE TABLE phone_numbers (
                number TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                target_kind TEXT NOT NULL, target_id TEXT NOT NULL, label TEXT NOT NULL))",
           R"(CREATE INDEX phone_numbers_by_tenant ON phone_numbers (tenant_id, number))",
           R"(CREATE TABLE flows (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, name TEXT NOT NULL, version BIGINT NOT NULL,
                document TEXT NOT NULL, updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name)))",
           R"(CREATE TABLE wrap_up_codes (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, code TEXT NOT NULL, label TEXT NOT NULL,
                active INTEGER NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code)))",
           R"(CREATE TABLE calendars (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, name TEXT NOT NULL, timezone TEXT NOT NULL,
                definition TEXT NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, name)))",
           R"(CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                name TEXT NOT NULL, prefix TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL,
                role TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT,
                revoked INTEGER NOT NULL))",
           R"(CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, name))",
       }},
      {2,
       "interaction records, agent state history, audit log, registrar bindings",
       {
           R"(CREATE TABLE interactions (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, channel TEXT NOT NULL, direction TEXT NOT NULL,
                queue_id TEXT, caller TEXT NOT NULL, callee TEXT NOT NULL, agent_id TEXT,
                arrived_at BIGINT NOT NULL, queued_at BIGINT, offered_at BIGINT,
                answered_at BIGINT, ended_at BIGINT, end_reason TEXT NOT NULL,
                disposition TEXT, wrap_up_code TEXT NOT NULL,
                PRIMARY KEY (tenant_id, id)))",
           R"(CREATE INDEX interactions_by_time ON interactions (tenant_id, arrived_at, id))",
           R"(CREATE TABLE agent_state_history (
                seq {SERIAL_PK},
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                agent_id TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
                at BIGINT NOT NULL))",
           R"(CREATE INDEX agent_state_by_agent ON agent_state_history (tenant_id, agent_id, at))",
           R"(CREATE TABLE audit_log (
                seq {SERIAL_PK},
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,
                before_json TEXT NOT NULL, after_json TEXT NOT NULL))",
           R"(CREATE INDEX audit_by_tenant ON audit_log (tenant_id, seq))",
           R"(CREATE TABLE bindings (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                aor TEXT NOT NULL, contact_uri TEXT NOT NULL, expires_at BIGINT NOT NULL,
                q_milli INTEGER NOT NULL, call_id TEXT NOT NULL, cseq BIGINT NOT NULL,
                path TEXT NOT NULL, source TEXT NOT NULL, transport TEXT NOT NULL,
                instance TEXT NOT NULL, reg_id INTEGER NOT NULL,
                PRIMARY KEY (tenant_id, aor, contact_uri)))",
           R"(CREATE INDEX bindings_by_expiry ON bindings (expires_at))",
       }},
      {3,
       "tenant and user settings documents, webhook subscriptions",
       {
           R"(ALTER TABLE tenants ADD COLUMN settings_json TEXT NOT NULL DEFAULT '{}')",
           R"(ALTER TABLE users ADD COLUMN settings_json TEXT NOT NULL DEFAULT '{}')",
           R"(CREATE TABLE subscriptions (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                id TEXT NOT NULL, resource TEXT NOT NULL, document_json TEXT NOT NULL,
                expires_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id)))",
       }},
      {4,
       "webhook notifications pending delivery",
       {
           R"(CREATE TABLE IF NOT EXISTS webhook_pending (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                subscription_id TEXT NOT NULL, lifecycle INTEGER NOT NULL, seq BIGINT NOT NULL,
                item_json TEXT NOT NULL,
                PRIMARY KEY (tenant_id, subscription_id, lifecycle, seq)))",
           R"(CREATE TABLE IF NOT EXISTS webhook_delivery_state (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                subscription_id TEXT NOT NULL, lifecycle INTEGER NOT NULL,
                batch_end BIGINT NOT NULL, attempts INTEGER NOT NULL,
                first_attempt_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL,
                last_error TEXT NOT NULL,
                PRIMARY KEY (tenant_id, subscription_id, lifecycle)))",
       }},
      {5,
       "API refresh tokens (hashes)",
       {
           R"(CREATE TABLE IF NOT EXISTS refresh_tokens (
                hash_hex TEXT PRIMARY KEY, family_id TEXT NOT NULL, user_id TEXT NOT NULL,
                expires_at BIGINT NOT NULL, used INTEGER NOT NULL, revoked INTEGER NOT NULL))",
           R"(CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family_id))",
           R"(CREATE INDEX IF NOT EXISTS refresh_tokens_by_expiry ON refresh_tokens (expires_at))",
       }},
      {6,
       "app registrations (OAuth clients, secret hashes)",
       {
           R"(CREATE TABLE IF NOT EXISTS app_registrations (
                client_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                display_name TEXT NOT NULL, secret_hash TEXT NOT NULL, roles TEXT NOT NULL,
                created_by TEXT NOT NULL, created_at BIGINT NOT NULL))",
           R"(CREATE INDEX IF NOT EXISTS app_registrations_by_tenant
                ON app_registrations (tenant_id, client_id))",
       }},
      {7,
       "SIP presence watchers (subscriptions kept across restarts)",
       {
           R"(CREATE TABLE IF NOT EXISTS sip_watchers (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                call_id TEXT NOT NULL, local_tag TEXT NOT NULL, remote_tag TEXT NOT NULL,
                user_id TEXT NOT NULL, entity TEXT NOT NULL, event_id TEXT NOT NULL,
                local_uri TEXT NOT NULL, remote_uri TEXT NOT NULL, remote_target TEXT NOT NULL,
                route_set TEXT NOT NULL, local_cseq BIGINT NOT NULL, remote_cseq BIGINT NOT NULL,
                transport TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL,
                listener INTEGER NOT NULL, expires_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, call_id, local_tag)))",
           R"(CREATE INDEX IF NOT EXISTS sip_watchers_by_expiry ON sip_watchers (expires_at))",
       }},
      {8,
       "presence kept across restarts (Graph sessions, preferred presence)",
       {
           R"(CREATE TABLE IF NOT EXISTS presence_states (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL, document_json TEXT NOT NULL, updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, user_id)))",
       }},
      {9,
       "SIP PUBLISH state kept across restarts",
       {
           R"(CREATE TABLE IF NOT EXISTS sip_publications (
                tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                session_key TEXT NOT NULL, etag TEXT NOT NULL, user_id TEXT NOT NULL,
                availability TEXT NOT NULL, activity TEXT NOT NULL, expires_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, session_key)))",
       }},
      {10,
       "agents' chosen states (a choice made during a call is not in the history yet)",
       {
           R"(CREATE TABLE IF NOT EXISTS agent_choices (
                tenant_id TEXT NOT NULL, agent_id TEXT NOT NULL, state TEXT NOT NULL,
                reason TEXT NOT NULL, chosen_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, agent_id),
                FOREIGN KEY (tenant_id, agent_id) REFERENCES users(tenant_id, id)
                  ON DELETE CASCADE))",
       }},
      {11,
       "OIDC sign-ins in progress (a restart between login and callback keeps them)",
       {
           R"(CREATE TABLE IF NOT EXISTS oidc_logins (
                state TEXT PRIMARY KEY, nonce TEXT NOT NULL, code_verifier TEXT NOT NULL,
                provider TEXT NOT NULL, tenant TEXT NOT NULL, expires_at BIGINT NOT NULL))",
           R"(CREATE INDEX IF NOT EXISTS oidc_logins_by_expiry ON oidc_logins (expires_at))",
       }},
  };
  return kSources;
}

std::string render(std::string_view sql, Dialect dialect) {
  static constexpr std::string_view kToken = "{SERIAL_PK}";
  std::string out(sql);
  const std::string_view replacement = dialect == Dialect::Sqlite
                                           ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                           : "BIGSERIAL PRIMARY KEY";
  for (auto pos = out.find(kToken); pos != std::string::npos; pos = out.find(kToken)) {
    out.replace(pos, kToken.size(), replacement);
  }
  return out;
}

}  // namespace

std::vector<Migration> migrations(Dialect dialect) {
  std::vector<Migration> out;
  for (const auto& source : sources()) {
    Migration m{source.version, source.description, {}};
    for (const char* statement : source.statements) {
      m.statements.push_back(render(statement, dialect));
    }
    out.push_back(std::move(m));
  }
  return out;
}

int latestSchemaVersion() { return sources().back().version; }

Result<int> migrate(Database& db) {
  const auto all = migrations(db.dialect());
  int version = 0;
  auto status = db.write([&](Session& s) -> Status {
    if (db.dialect() == Dialect::Postgres) {
      // Serializes concurrent openers (several processes starting at once) on one lock;
      // SQLite's single writer already does.
      SB_TRY(s.exec("SELECT pg_advisory_xact_lock(5870302)"));
    }
    SB_TRY(s.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "description TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
    auto current = s.exec("SELECT MAX(version) FROM schema_version");
    if (!current) return std::unexpected(current.error());
    version = current->rows.empty() ? 0 : static_cast<int>(current->rows[0].int64(0));
    if (version > latestSchemaVersion()) {
      return fail(Errc::Unsupported,
                  "database schema version " + std::to_string(version) +
                      " is newer than this build supports (" +
                      std::to_string(latestSchemaVersion()) + "); upgrade Switchboard");
    }
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const auto& m : all) {
      if (m.version <= version) continue;
      for (const auto& statement : m.statements) SB_TRY(s.exec(statement));
      const Value params[] = {std::int64_t{m.version}, m.description, std::int64_t{now_us}};
      SB_TRY(s.exec(
          "INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)",
          params));
      version = m.version;
    }
    return {};
  });
  if (!status) return std::unexpected(status.error());
  return version;
}

}  // namespace sb::store::sql
