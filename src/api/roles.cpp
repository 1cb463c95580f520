// SPDX-License-Identifier: Apache-2.0
#include "api/roles.h"

#include <algorithm>

namespace sb::api {

std::string_view roleName(Role r) noexcept {
  switch (r) {
    case Role::Admin: return "admin";
    case Role::Supervisor: return "supervisor";
    case Role::Agent: return "agent";
    case Role::SystemOperator: return "system_operator";
  }
  return "unknown";
}

Result<Role> parseRole(std::string_view name) {
  for (Role r : allRoles()) {
    if (roleName(r) == name) return r;
  }
  return fail(Errc::InvalidArgument, "unknown role '" + std::string(name) + "'", "roles");
}

std::string_view permissionName(Permission p) noexcept {
  switch (p) {
    case Permission::Public: return "public";
    case Permission::Authenticated: return "authenticated";
    case Permission::TenantConfigRead: return "tenant.config.read";
    case Permission::TenantConfigWrite: return "tenant.config.write";
    case Permission::UsersManage: return "users.manage";
    case Permission::ApiKeysManage: return "apikeys.manage";
    case Permission::QueuesRead: return "queues.read";
    case Permission::QueuesManage: return "queues.manage";
    case Permission::AgentsManage: return "agents.manage";
    case Permission::AgentState: return "agent.state";
    case Permission::Interactions: return "interactions";
    case Permission::Monitor: return "monitor";
    case Permission::EventsSubscribe: return "events.subscribe";
    case Permission::TenantsManage: return "tenants.manage";
    case Permission::MetricsRead: return "metrics.read";
  }
  return "unknown";
}

const std::vector<Permission>& allPermissions() {
  static const std::vector<Permission> kAll = {
      Permission::Public,        Permission::Authenticated,   Permission::TenantConfigRead,
      Permission::TenantConfigWrite, Permission::UsersManage, Permission::ApiKeysManage,
      Permission::QueuesRead,    Permission::QueuesManage,    Permission::AgentsManage,
      Permission::AgentState,    Permission::Interactions,    Permission::Monitor,
      Permission::EventsSubscribe, Permission::TenantsManage, Permission::MetricsRead};
  return kAll;
}

const std::vector<Role>& allRoles() {
  static const std::vector<Role> kAll = {Role::Admin, Role::Supervisor, Role::Agent,
                                         Role::SystemOperator};
  return kAll;
}

std::optional<Scope> grantOf(Role role, Permission p) noexcept {
  using P = Permission;
  constexpr auto T = Scope::Tenant;
  if (p == P::Public || p == P::Authenticated) {
    return role == Role::SystemOperator ? Scope::AllTenants : T;
  }
  switch (role) {
    case Role::SystemOperator:
      // Operates the platform across tenants; every permission, everywhere.
      return Scope::AllTenants;
    case Role::Admin:
      switch (p) {
        case P::TenantsManage:
        case P::MetricsRead: return std::nullopt;
        default: return T;
      }
    case Role::Supervisor:
      switch (p) {
        case P::TenantConfigRead:
        case P::QueuesRead:
        case P::QueuesManage:
        case P::AgentsManage:
        case P::AgentState:
        case P::Interactions:
        case P::Monitor:
        case P::EventsSubscribe: return T;
        default: return std::nullopt;
      }
    case Role::Agent:
      switch (p) {
        case P::QueuesRead:
        case P::EventsSubscribe: return T;
        case P::AgentState:
        case P::Interactions: return Scope::Own;
        default: return std::nullopt;
      }
  }
  return std::nullopt;
}

std::optional<Scope> Principal::scopeFor(Permission p) const {
  std::optional<Scope> best;
  for (Role r : roles) {
    auto s = grantOf(r, p);
    if (s && (!best || *s > *best)) best = s;
  }
  return best;
}

bool Principal::hasRole(Role r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

AccessDecision decideAccess(const Principal* principal, Permission p, std::string_view tenant,
                            std::string_view owner) {
  if (p == Permission::Public) return AccessDecision::Allow;
  if (principal == nullptr) return AccessDecision::Unauthenticated;
  auto scope = principal->scopeFor(p);
  bool cross_tenant = principal->hasRole(Role::SystemOperator);
  if (!tenant.empty() && !cross_tenant && tenant != principal->tenant_id) {
    return AccessDecision::NotFound;
  }
  if (!scope) return AccessDecision::Forbidden;
  if (!tenant.empty() && *scope != Scope::AllTenants && tenant != principal->tenant_id) {
    return AccessDecision::NotFound;
  }
  if (*scope == Scope::Own && !owner.empty() && owner != principal->user_id) {
    return AccessDecision::Forbidden;
  }
  return AccessDecision::Allow;
}

bool canSee(const Principal& principal, Permission p, std::string_view tenant,
            std::string_view owner) {
  auto scope = principal.scopeFor(p);
  if (!scope) return false;
  if (*scope == Scope::AllTenants) return true;
  if (tenant != principal.tenant_id) return false;
  if (*scope == Scope::Own) return !owner.empty() && owner == principal.user_id;
  return true;
}

}  // namespace sb::api
