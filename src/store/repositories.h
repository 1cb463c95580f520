// SPDX-License-Identifier: Apache-2.0
// Repository interfaces of the store, one per record kind (records.h); the Store facade
// (store.h) owns one of each. Every tenant-owned call takes the tenant id and never reads or
// writes another tenant's rows. Calls are blocking and thread-safe: run them on the store
// thread pool and post results back to the caller's executor (STYLE.md §7). Errors: NotFound,
// AlreadyExists (a unique key is taken), InvalidArgument (bad input or unknown tenant),
// Unavailable (database down or busy); nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace sb::store {

class TenantRepository {
 public:
  virtual ~TenantRepository() = default;
  // Generates the id when empty; stamps nothing (created_at is the caller's).
  [[nodiscard]] virtual Result<Tenant> create(Tenant tenant) = 0;
  [[nodiscard]] virtual Result<Tenant> get(const TenantId& id) = 0;
  [[nodiscard]] virtual Status update(const Tenant& tenant) = 0;
  // Deletes the tenant and every row it owns.
  [[nodiscard]] virtual Status remove(const TenantId& id) = 0;
  [[nodiscard]] virtual Result<std::vector<Tenant>> list() = 0;  // ordered by name
};

// Generic CRUD for a tenant-owned record R with id type Id, listed ordered by name/code.
template <typename R, typename Id>
class TenantScopedRepository {
 public:
  virtual ~TenantScopedRepository() = default;
  // Generates record.id when empty. AlreadyExists if the id or the unique name is taken.
  [[nodiscard]] virtual Result<R> create(R record) = 0;
  [[nodiscard]] virtual Result<R> get(const TenantId& tenant, const Id& id) = 0;
  // Replaces the row (tenant_id, id); NotFound if absent.
  [[nodiscard]] virtual Status update(const R& record) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const Id& id) = 0;
  [[nodiscard]] virtual Result<std::vector<R>> list(const TenantId& tenant) = 0;
};

class UserRepository : public TenantScopedRepository<User, UserId> {
 public:
  [[nodiscard]] virtual Result<User> findByUsername(const TenantId& tenant,
                                                    const std::string& username) = 0;
  // Users having `skill` at level >= min_level.
  [[nodiscard]] virtual Result<std::vector<User>> findBySkill(const TenantId& tenant,
                                                              const std::string& skill,
                                                              int min_level) = 0;
};

using QueueRepository = TenantScopedRepository<Queue, QueueId>;
using SkillRepository = TenantScopedRepository<Skill, SkillId>;
using TrunkRepository = TenantScopedRepository<Trunk, TrunkId>;
using FlowRepository = TenantScopedRepository<Flow, FlowId>;
using WrapUpCodeRepository = TenantScopedRepository<WrapUpCode, WrapUpCodeId>;
using CalendarRepository = TenantScopedRepository<Calendar, CalendarId>;

class NumberRepository {
 public:
  virtual ~NumberRepository() = default;
  // AlreadyExists if the number is taken by any tenant.
  [[nodiscard]] virtual Status create(const PhoneNumber& number) = 0;
  [[nodiscard]] virtual Result<PhoneNumber> get(const TenantId& tenant,
                                                const std::string& number) = 0;
  [[nodiscard]] virtual Status update(const PhoneNumber& number) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const std::string& number) = 0;
  [[nodiscard]] virtual Result<std::vector<PhoneNumber>> list(const TenantId& tenant) = 0;
  // Inbound routing: the dialed number decides the tenant, so this lookup is not scoped.
  [[nodiscard]] virtual Result<PhoneNumber> resolve(const std::string& number) = 0;
};

class ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  // Generates the id when empty. AlreadyExists if the prefix is taken.
  [[nodiscard]] virtual Result<ApiKey> create(ApiKey key) = 0;
  [[nodiscard]] virtual Result<ApiKey> get(const TenantId& tenant, const ApiKeyId& id) = 0;
  [[nodiscard]] virtual Status revoke(const TenantId& tenant, const ApiKeyId& id) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const ApiKeyId& id) = 0;
  [[nodiscard]] virtual Result<std::vector<ApiKey>> list(const TenantId& tenant) = 0;
  // Authentication: a presented key names its prefix before its tenant is known, so this
  // lookup is not scoped. The caller verifies the secret against secret_hash.
  [[nodiscard]] virtual Result<ApiKey> findByPrefix(const std::string& prefix) = 0;
};

struct InteractionQuery {
  WallTime from{};  // arrived_at >= from
  WallTime to = WallTime::max();  // arrived_at < to
  std::optional<QueueId> queue_id;
  std::optional<UserId> agent_id;
  std::optional<Disposition> disposition;
  std::size_t limit = 100;  // page size, 1..1000
  std::string cursor;  // empty for the first page, else InteractionPage::next of the previous
};

struct InteractionPage {
  std::vector<InteractionRecord> items;  // ordered by (arrived_at, id)
  std::string next;  // opaque; empty when this is the last page
};

class InteractionRecordRepository {
 public:
  virtual ~InteractionRecordRepository() = default;
  // Generates the id when empty; AlreadyExists if the id is taken.
  [[nodiscard]] virtual Result<InteractionRecord> create(InteractionRecord record) = 0;
  // Creates every record in one transaction (one disk sync): all or none. Ids must be set.
  [[nodiscard]] virtual Status createMany(const std::vector<InteractionRecord>& records) = 0;
  // Replaces the record (progress, end, disposition); NotFound if absent.
  [[nodiscard]] virtual Status update(const InteractionRecord& record) = 0;
  [[nodiscard]] virtual Result<InteractionRecord> get(const TenantId& tenant,
                                                      const InteractionId& id) = 0;
  // Stable order (arrived_at, id): rows inserted later with an earlier arrived_at than the
  // cursor are not returned by later pages. InvalidArgument for a malformed cursor or limit.
  [[nodiscard]] virtual Result<InteractionPage> search(const TenantId& tenant,
                                                       const InteractionQuery& query) = 0;
};

class AgentStateHistoryRepository {
 public:
  virtual ~AgentStateHistoryRepository() = default;
  // Returns the change with its seq assigned.
  [[nodiscard]] virtual Result<AgentStateChange> append(AgentStateChange change) = 0;
  // Appends every change in one transaction (one disk sync), in order: all or none.
  [[nodiscard]] virtual Status appendMany(const std::vector<AgentStateChange>& changes) = 0;
  // Changes of one agent with from <= at < to, oldest first, at most `limit`.
  [[nodiscard]] virtual Result<std::vector<AgentStateChange>> list(const TenantId& tenant,
                                                                   const UserId& agent,
                                                                   WallTime from, WallTime to,
                                                                   std::size_t limit) = 0;
  // The agent's newest change to one of `states` (by time, then seq); nullopt when none.
  [[nodiscard]] virtual Result<std::optional<AgentStateChange>> latest(
      const TenantId& tenant, const UserId& agent, const std::vector<std::string>& states) = 0;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  [[nodiscard]] virtual Result<AuditEntry> append(AuditEntry entry) = 0;
  // Entries with seq > after_seq, oldest first, at most `limit`: page by passing the last
  // seq seen.
  [[nodiscard]] virtual Result<std::vector<AuditEntry>> list(const TenantId& tenant,
                                                             std::int64_t after_seq,
                                                             std::size_t limit) = 0;
};

class BindingRepository {
 public:
  virtual ~BindingRepository() = default;
  // Inserts or replaces the binding keyed (tenant_id, aor, contact_uri).
  [[nodiscard]] virtual Status upsert(const Binding& binding) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const std::string& aor,
                                      const std::string& contact_uri) = 0;
  [[nodiscard]] virtual Status removeAll(const TenantId& tenant, const std::string& aor) = 0;
  // Bindings of one AOR with expires_at > now, highest q first.
  [[nodiscard]] virtual Result<std::vector<Binding>> lookup(const TenantId& tenant,
                                                            const std::string& aor,
                                                            WallTime now) = 0;
  // Every unexpired binding of every tenant: the registrar reloads these at start-up.
  [[nodiscard]] virtual Result<std::vector<Binding>> listActive(WallTime now) = 0;
  // Deletes bindings with expires_at <= now; returns how many.
  [[nodiscard]] virtual Result<std::size_t> purgeExpired(WallTime now) = 0;
};

// SIP presence watchers (records.h SipWatcher), kept by the voice path's store writer.
class SipWatcherRepository {
 public:
  virtual ~SipWatcherRepository() = default;
  // Inserts or replaces the watcher keyed (tenant_id, call_id, local_tag).
  [[nodiscard]] virtual Status upsert(const SipWatcher& watcher) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const std::string& call_id,
                                      const std::string& local_tag) = 0;
  // Every watcher with expires_at > now, of every tenant: reloaded at start-up.
  [[nodiscard]] virtual Result<std::vector<SipWatcher>> listActive(WallTime now) = 0;
  // Deletes watchers with expires_at <= now; returns how many.
  [[nodiscard]] virtual Result<std::size_t> purgeExpired(WallTime now) = 0;
};

// SIP PUBLISH state kept across restarts (records.h SipPublication).
class SipPublicationRepository {
 public:
  virtual ~SipPublicationRepository() = default;
  // Inserts or replaces the row keyed (tenant_id, session_key).
  [[nodiscard]] virtual Status upsert(const SipPublication& publication) = 0;
  // Removes the row if there is one (no error when there is none).
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const std::string& session_key) = 0;
  // Every row with expires_at > now, of every tenant: reloaded at start-up.
  [[nodiscard]] virtual Result<std::vector<SipPublication>> listActive(WallTime now) = 0;
  // Deletes rows with expires_at <= now; returns how many.
  [[nodiscard]] virtual Result<std::size_t> purgeExpired(WallTime now) = 0;
};

// Presence kept across restarts (records.h PresenceState), written by the voice path's store
// writer.
class PresenceStateRepository {
 public:
  virtual ~PresenceStateRepository() = default;
  // Inserts or replaces the row keyed (tenant_id, user_id).
  [[nodiscard]] virtual Status upsert(const PresenceState& state) = 0;
  // Removes the row if there is one (no error when there is none).
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const std::string& user_id) = 0;
  // Every row of every tenant, ordered by (tenant_id, user_id): reloaded at start-up.
  [[nodiscard]] virtual Result<std::vector<PresenceState>> listAll() = 0;
};

// Agents' last chosen states (records.h AgentChoice), written by the voice path's store writer.
class AgentChoiceRepository {
 public:
  virtual ~AgentChoiceRepository() = default;
  // Inserts or replaces the row keyed (tenant_id, agent_id).
  [[nodiscard]] virtual Status upsert(const AgentChoice& choice) = 0;
  // nullopt when the agent never chose a state here.
  [[nodiscard]] virtual Result<std::optional<AgentChoice>> get(const TenantId& tenant,
                                                               const UserId& agent) = 0;
};

// Sign-ins in progress (records.h OidcLogin), written and taken by the OIDC routes.
class OidcLoginRepository {
 public:
  virtual ~OidcLoginRepository() = default;
  [[nodiscard]] virtual Status put(const OidcLogin& login) = 0;
  // Removes and returns the row for state if it has not expired at now (single use); nullopt
  // for an unknown, used or expired state.
  [[nodiscard]] virtual Result<std::optional<OidcLogin>> take(const std::string& state,
                                                              WallTime now) = 0;
  // Deletes rows with expires_at <= now; returns how many.
  [[nodiscard]] virtual Result<std::size_t> purgeExpired(WallTime now) = 0;
};

class SubscriptionRepository {
 public:
  virtual ~SubscriptionRepository() = default;
  // Generates the id when empty. AlreadyExists if (tenant_id, id) is taken.
  [[nodiscard]] virtual Result<Subscription> create(Subscription subscription) = 0;
  [[nodiscard]] virtual Result<Subscription> get(const TenantId& tenant, const std::string& id) = 0;
  // Replaces resource, document and expiry; NotFound if absent.
  [[nodiscard]] virtual Status update(const Subscription& subscription) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::vector<Subscription>> list(const TenantId& tenant) = 0;  // by id
  // Every tenant's subscriptions, ordered by (tenant_id, id): the notifier reloads these at
  // start-up. Not scoped, like NumberRepository::resolve.
  [[nodiscard]] virtual Result<std::vector<Subscription>> listAll() = 0;
};

// Webhook notifications queued for delivery (docs/webhooks.md "Restarts"). Written in batches
// by the webhook service's writer, read back once at start-up. Not scoped by a tenant argument
// (like SubscriptionRepository::listAll): each row carries its tenant, and the rows of a
// deleted tenant go with it.
class PendingDeliveryRepository {
 public:
  virtual ~PendingDeliveryRepository() = default;
  // Applies every write in order in one transaction: all or none. InvalidArgument for an
  // empty tenant or subscription id, or an unknown tenant.
  [[nodiscard]] virtual Status apply(const std::vector<PendingDeliveryWrite>& writes) = 0;
  // Every queued item, ordered by (tenant_id, subscription_id, lifecycle, seq).
  [[nodiscard]] virtual Result<std::vector<PendingNotification>> listItems() = 0;
  // Every batch state, ordered by (tenant_id, subscription_id, lifecycle).
  [[nodiscard]] virtual Result<std::vector<PendingDeliveryState>> listStates() = 0;
};

// Refresh tokens (hashes only), so a restart does not sign everyone out.
class RefreshTokenRepository {
 public:
  virtual ~RefreshTokenRepository() = default;
  // AlreadyExists if the hash is taken; InvalidArgument for an empty hash, family or user.
  [[nodiscard]] virtual Status create(const RefreshToken& token) = 0;
  // Atomically marks the token used and returns it as it was before, so used == true means
  // this call is a reuse (also between concurrent callers: exactly one sees used == false).
  // NotFound when unknown.
  [[nodiscard]] virtual Result<RefreshToken> consume(const std::string& hash_hex) = 0;
  // Marks every token of the family revoked (none: no error).
  [[nodiscard]] virtual Status revokeFamily(const std::string& family_id) = 0;
  // Deletes tokens with expires_at <= now; returns how many.
  [[nodiscard]] virtual Result<std::size_t> purgeExpired(WallTime now) = 0;
};

// App registrations (OAuth clients of a tenant).
class AppRegistrationRepository {
 public:
  virtual ~AppRegistrationRepository() = default;
  // AlreadyExists if the client id is taken (in any tenant); InvalidArgument for an unknown
  // tenant, an empty client id, display name or secret hash, or no roles.
  [[nodiscard]] virtual Result<AppRegistration> create(AppRegistration app) = 0;
  [[nodiscard]] virtual Result<AppRegistration> get(const TenantId& tenant,
                                                    const AppClientId& id) = 0;
  // The token endpoint knows only the client id. NotFound when unknown.
  [[nodiscard]] virtual Result<AppRegistration> findByClientId(const AppClientId& id) = 0;
  [[nodiscard]] virtual Status remove(const TenantId& tenant, const AppClientId& id) = 0;
  // Secret rotation: the new secret's hash replaces the old one. NotFound when unknown (or in
  // another tenant); InvalidArgument for an empty hash.
  [[nodiscard]] virtual Status replaceSecret(const TenantId& tenant, const AppClientId& id,
                                             const std::string& secret_hash) = 0;
  // Renames the app and replaces its roles; the client id, secret and creation fields stay.
  // Returns the updated registration. NotFound when unknown (or in another tenant);
  // InvalidArgument for an empty display name or no roles.
  [[nodiscard]] virtual Result<AppRegistration> update(const TenantId& tenant,
                                                       const AppClientId& id,
                                                       std::string display_name,
                                                       std::vector<Role> roles) = 0;
  // Ordered by client id.
  [[nodiscard]] virtual Result<std::vector<AppRegistration>> list(const TenantId& tenant) = 0;
};

}  // namespace sb::store
