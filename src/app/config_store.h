// SPDX-License-Identifier: Apache-2.0
// Tenant configuration in the store: the YAML config (config.h) is only a seed. At serve start
// importConfig() copies every YAML tenant the store does not hold yet; from then on the store
// wins and buildDirectoryFromStore() builds the voice path's Directory from it. Documents are
// validated by the YAML loader itself (validate*Document), so the API and the YAML file accept
// exactly the same settings. ConfigService re-applies the store to the voice shard after a
// change. Free functions are blocking (store calls) and thread-safe as the store is.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/config.h"
#include "app/voice_config.h"
#include "center/directory.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace sb::app {

// ---- Validation through the YAML loader ----
// Each takes the YAML keys of one entity as JSON (the store's settings documents use the same
// names) and runs loadConfigText() on a small document holding it, plus placeholder entities it may
// refer to. Errors are InvalidArgument with the loader's reason and the offending key as the
// field ("max_wait_s", "skills.spanish", "strategy").

struct TenantRefs {
  std::vector<std::string> queue_ids;                          // the tenant's queues
  std::vector<std::pair<std::string, std::string>> tenants;    // other tenants: (id, domain)
  std::vector<std::string> trunk_ids;                          // trunks the tenant may use
};

// A queue: id, name, strategy, channels, skills, expression, priority, max_wait_s, ...
// overflow_queue must be one of refs.queue_ids.
Result<QueueConfig> validateQueueDocument(const nlohmann::json& queue, const TenantRefs& refs);
// A user's voice keys: id, name, role, extension, skills, capacity, queues (queues must be in
// refs.queue_ids). Passwords are not part of it.
Result<UserConfig> validateUserDocument(const nlohmann::json& user, const TenantRefs& refs);
// A tenant: id, name, domain, outbound_trunk (one of refs.trunk_ids), copy_headers. The domain
// must differ from refs.tenants' domains.
Result<TenantConfig> validateTenantDocument(const nlohmann::json& tenant, const TenantRefs& refs);
// A trunk: id, tenants, sources, transport, outbound_address, outbound_port; every tenant must
// be one of `tenant_ids`.
Result<TrunkConfig> validateTrunkDocument(const nlohmann::json& trunk,
                                          const std::vector<std::string>& tenant_ids);

// ---- Mapping between the config model and store records ----

// The YAML keys of a queue, all of them (defaults included).
nlohmann::json queueDocument(const QueueConfig& queue);
store::Queue queueRecord(const std::string& tenant, const QueueConfig& queue);
// Parses a stored queue back (settings validated again; a bad row is InvalidArgument).
Result<QueueConfig> queueFromRecord(const store::Queue& queue, const TenantRefs& refs);

// HA1s for realm `domain` when `sip_password` is set (demo configs), else the given HA1s.
store::User userRecord(const std::string& tenant, const std::string& domain,
                       const UserConfig& user);
Result<UserConfig> userFromRecord(const store::User& user);

store::Tenant tenantRecord(const TenantConfig& tenant, WallTime created_at);
Result<TenantConfig> tenantFromRecord(const store::Tenant& tenant);

// Stored under its first tenant; the settings keep the sources and the whole tenant list.
store::Trunk trunkRecord(const TrunkConfig& trunk);
Result<TrunkConfig> trunkFromRecord(const store::Trunk& trunk);

// ---- Seed and load ----

// Imports every YAML tenant (users, queues, numbers, and the trunks it owns) that the store
// does not hold yet, or holds only as a bare row without settings (made by an older version).
// Existing records are never overwritten. Returns the imported tenant ids.
Result<std::vector<std::string>> importConfig(const Config& config, store::Store& store,
                                              WallTime now);

// `base` with tenants and trunks replaced by the store's (inactive tenants are left out).
Result<Config> configFromStore(store::Store& store, const Config& base);

// The voice path's Directory built from the store.
Result<std::shared_ptr<const center::Directory>> buildDirectoryFromStore(
    store::Store& store, const Config& base, const DirectoryOptions& options);

// Rebuilds the Directory from the store after a change and hands it to `apply` (which posts
// it to the voice shard). reload() blocks on the store: call it from the blocking pool. Calls
// are serialized, so snapshots reach `apply` in the order of the store's commits.
class ConfigService final {
 public:
  using Apply = std::function<void(std::shared_ptr<const center::Directory>)>;
  ConfigService(store::Store& store, const Config& base, DirectoryOptions options, Apply apply);
  ConfigService(const ConfigService&) = delete;
  ConfigService& operator=(const ConfigService&) = delete;

  // `tenant` is informational (the whole directory is rebuilt: trunks span tenants). On a
  // store error nothing is applied and the error is returned (and logged).
  Status reload(const std::string& tenant);
  std::uint64_t reloads() const;  // successful reloads

 private:
  store::Store& store_;
  const Config& base_;
  DirectoryOptions options_;
  Apply apply_;
  mutable std::mutex mutex_;
  std::uint64_t reloads_ = 0;  // GUARDED_BY(mutex_)
};

}  // namespace sb::app
