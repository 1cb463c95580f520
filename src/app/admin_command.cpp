// SPDX-License-Identifier: Apache-2.0
// `switchboard admin create-user`: creates a local sign-in account directly in the store, for
// the first admin of a tenant or a platform operator, before any API credential exists. The
// password is read from standard input (never from the command line, where `ps` shows it).
// System operators live in the reserved tenant "system", created on demand; it has no voice
// domain, so it never appears in the voice directory.
#include <cctype>
#include <filesystem>
#include <iostream>
#include <string>

#include "api/crypto.h"
#include "app/commands.h"
#include "app/config.h"
#include "common/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace sb::app {
namespace {

constexpr const char* kSystemTenant = "system";

struct CreateUserFlags {
  std::string config;
  std::string tenant;
  std::string username;
  std::string role = "admin";
  std::string display_name;
};

CreateUserFlags g_flags;
CLI::App* g_create_user = nullptr;

int createUser(const CreateUserFlags& f) {
  auto config = loadConfigFile(f.config);
  if (!config) {
    for (const auto& e : config.error()) std::cerr << e.toString() << "\n";
    return 1;
  }
  auto role = store::parseRole(f.role);
  if (!role || *role == store::Role::Sme) {
    std::cerr << "switchboard: --role must be admin, supervisor, agent or system_operator\n";
    return 1;
  }
  const bool operator_role = *role == store::Role::SystemOperator;
  std::string tenant = f.tenant.empty() && operator_role ? kSystemTenant : f.tenant;
  if (tenant.empty()) {
    std::cerr << "switchboard: --tenant is required (except for --role system_operator)\n";
    return 1;
  }
  if (operator_role != (tenant == kSystemTenant)) {
    std::cerr << "switchboard: system operators, and only they, belong to tenant \""
              << kSystemTenant << "\"\n";
    return 1;
  }
  std::string password;
  if (!std::getline(std::cin, password)) password.clear();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 8 || password.size() > 256) {
    std::cerr << "switchboard: the password (one line on standard input) must be 8 to 256 "
                 "characters\n";
    return 1;
  }

  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  const auto path = (std::filesystem::path(config->data_dir) / "switchboard.db").string();
  auto db = store::openSqliteStore(path);
  if (!db) {
    std::cerr << "switchboard: cannot open the store " << path << ": " << db.error().toString()
              << "\n";
    return 1;
  }
  store::Store& st = **db;
  const store::TenantId tenant_id(tenant);
  if (!st.tenants().get(tenant_id)) {
    if (!operator_role) {
      std::cerr << "switchboard: no tenant \"" << tenant
                << "\" in the store (start `serve` once to import the config's tenants)\n";
      return 1;
    }
    store::Tenant t;
    t.id = tenant_id;
    t.name = kSystemTenant;
    t.created_at = SteadyClock().wallNow();
    if (auto created = st.tenants().create(t); !created) {
      std::cerr << "switchboard: cannot create tenant \"" << tenant
                << "\": " << created.error().toString() << "\n";
      return 1;
    }
  }
  auto hash = api::hashPassword(password);
  if (!hash) {
    std::cerr << "switchboard: cannot hash the password: " << hash.error().toString() << "\n";
    return 1;
  }
  store::User u;
  u.tenant_id = tenant_id;
  u.id = store::UserId(f.username);
  u.username = f.username;
  u.display_name = f.display_name.empty() ? f.username : f.display_name;
  u.role = *role;
  u.password_hash = std::move(*hash);
  if (auto created = st.users().create(u); !created) {
    std::cerr << "switchboard: cannot create user \"" << f.username << "\" in tenant \"" << tenant
              << "\": " << created.error().toString() << "\n";
    return 1;
  }
  std::cout << "created " << f.role << " \"" << f.username << "\" in tenant \"" << tenant
            << "\"; sign in as " << f.username << "@" << tenant << "\n";
  return 0;
}

}  // namespace

void registerAdminCommand(CLI::App& cli) {
  auto* admin = cli.add_subcommand("admin", "Administration from the command line");
  auto* create = admin->add_subcommand(
      "create-user", "Create a local account in the store (password: one line on stdin)");
  auto& f = g_flags;
  create->add_option("--config", f.config, "YAML configuration file (for data_dir)")->required();
  create->add_option("--tenant", f.tenant, "Tenant id (default for system_operator: system)");
  create->add_option("--username", f.username, "Account name, unique in the tenant")
      ->required()
      ->check([](const std::string& s) {
        if (s.empty() || s.size() > 64) return std::string("1 to 64 characters");
        for (unsigned char c : s) {
          if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') {
            return std::string("letters, digits, '.', '_' and '-' only");
          }
        }
        return std::string();
      });
  create->add_option("--role", f.role, "admin, supervisor, agent or system_operator");
  create->add_option("--name", f.display_name, "Display name");
  admin->require_subcommand(1);
  g_create_user = create;
}

bool adminCommandParsed() { return g_create_user != nullptr && g_create_user->parsed(); }

int runAdminCommand() { return createUser(g_flags); }

}  // namespace sb::app
