// SPDX-License-Identifier: Apache-2.0
// Store: the facade owning one repository per record kind (repositories.h). Owned by app/
// (the only module naming a backend: store/sqlite/sqlite_store.h, store/postgres/
// postgres_store.h). All methods are thread-safe and blocking; run them on the store thread
// pool. Repository references live as long as the Store.
#pragma once

#include "store/repositories.h"

namespace sb::store {

class Store {
 public:
  virtual ~Store() = default;

  virtual TenantRepository& tenants() = 0;
  virtual UserRepository& users() = 0;
  virtual QueueRepository& queues() = 0;
  virtual SkillRepository& skills() = 0;
  virtual TrunkRepository& trunks() = 0;
  virtual NumberRepository& numbers() = 0;
  virtual FlowRepository& flows() = 0;
  virtual WrapUpCodeRepository& wrapUpCodes() = 0;
  virtual CalendarRepository& calendars() = 0;
  virtual ApiKeyRepository& apiKeys() = 0;
  virtual InteractionRecordRepository& interactions() = 0;
  virtual AgentStateHistoryRepository& agentStates() = 0;
  virtual AuditLog& audit() = 0;
  virtual BindingRepository& bindings() = 0;
  virtual SipWatcherRepository& sipWatchers() = 0;
  virtual PresenceStateRepository& presenceStates() = 0;
  virtual AgentChoiceRepository& agentChoices() = 0;
  virtual OidcLoginRepository& oidcLogins() = 0;
  virtual SipPublicationRepository& sipPublications() = 0;
  virtual SubscriptionRepository& subscriptions() = 0;
  virtual PendingDeliveryRepository& pendingDeliveries() = 0;
  virtual RefreshTokenRepository& refreshTokens() = 0;
  virtual AppRegistrationRepository& apps() = 0;

  // The schema version the database is at (migrations.h).
  virtual int schemaVersion() const = 0;
};

}  // namespace sb::store
