// SPDX-License-Identifier: Apache-2.0
// Roles, permissions and the grant table (docs/security.md mirrors kGrants), plus the
// authenticated Principal and the access decision the Router applies to every route.
// Pure functions over immutable data; callable from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sb::api {

enum class Role { Admin, Supervisor, Agent, SystemOperator };

enum class Permission {
  Public,             // no credentials needed
  Authenticated,      // any signed-in principal
  TenantConfigRead,   // read tenant configuration
  TenantConfigWrite,  // change tenant configuration
  UsersManage,        // local accounts of the tenant
  ApiKeysManage,      // API keys of the tenant
  QueuesRead,         // list queues and their settings
  QueuesManage,       // create/change queues
  AgentsManage,       // agent profiles, skills, queue membership
  AgentState,         // read/change an agent's state (own for agents)
  Interactions,       // handle interactions (own for agents)
  Monitor,            // real-time monitoring, other agents' states, statistics
  EventsSubscribe,    // open the event WebSocket (events are filtered per event permission)
  TenantsManage,      // create/list tenants (system operator)
  MetricsRead,        // Prometheus metrics when not served publicly
};

// How far a grant reaches: the principal's own records, its tenant, or every tenant.
enum class Scope { Own = 0, Tenant = 1, AllTenants = 2 };

enum class AuthMethod { AccessToken, ApiKey };

std::string_view roleName(Role r) noexcept;  // "admin", "supervisor", "agent", "system_operator"
Result<Role> parseRole(std::string_view name);
std::string_view permissionName(Permission p) noexcept;  // e.g. "queues.manage"
const std::vector<Permission>& allPermissions();
const std::vector<Role>& allRoles();

// The grant table: nullopt when role has no grant for p.
std::optional<Scope> grantOf(Role role, Permission p) noexcept;

struct Principal {
  std::string subject;    // user id, or "apikey:<id>"
  std::string user_id;    // the acting user (for API keys: the key id)
  std::string tenant_id;  // empty for a system operator not bound to a tenant
  std::vector<Role> roles;
  AuthMethod method = AuthMethod::AccessToken;
  // The OAuth client id when the principal signed in as a registered app (client-credentials
  // grant); empty for users and API keys.
  std::string client_id;

  // Widest scope over all roles; nullopt when no role grants p.
  std::optional<Scope> scopeFor(Permission p) const;
  bool hasRole(Role r) const;
};

enum class AccessDecision { Allow, Unauthenticated, Forbidden, NotFound };

// principal == nullptr means anonymous. `tenant` is the tenant the request targets (empty when
// the route has none); `owner` the user the request targets (empty when none). A foreign tenant
// gives NotFound before any role check, so callers learn nothing about other tenants.
AccessDecision decideAccess(const Principal* principal, Permission p, std::string_view tenant,
                            std::string_view owner);

// True when principal may see records of `tenant` owned by `owner` under permission p.
bool canSee(const Principal& principal, Permission p, std::string_view tenant,
            std::string_view owner);

}  // namespace sb::api
