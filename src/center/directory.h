// SPDX-License-Identifier: Apache-2.0
// Directory: the tenants, users, queues, phone numbers and trunks the voice path consults —
// who may register, which trunk an INVITE came from, which tenant and queue a called number
// belongs to. Built from the YAML config today and from the store later (both map onto these
// plain specs). Immutable once built; replaced as a whole on change (snapshot semantics), so
// it may be shared read-only between threads as shared_ptr<const Directory>.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registrar/registrar.h"
#include "routing/model.h"

namespace sb::center {

enum class UserRole : uint8_t { Agent, Sme, Supervisor, Admin };

struct UserSpec {
  std::string id;
  std::string name;
  UserRole role = UserRole::Agent;
  std::string extension;
  std::string ha1_md5;  // digest HA1 for the tenant's realm (its domain)
  std::string ha1_sha256;
  std::vector<std::pair<std::string, int>> skills;
  std::vector<std::pair<std::string, int>> capacity;  // channel name -> max concurrent
  std::vector<std::string> queues;
};

struct QueueSpecLite {
  std::string id;
  routing::QueueSpec routing;   // ids inside are already the engine's (tenant-qualified)
  int timeout_response = 480;   // SIP answer when max wait is reached
  std::string overflow_queue;   // local queue id to move to instead
};

struct NumberSpec {
  std::string number;
  std::string queue;  // local queue id, or
  std::string user;   // a user whose phones ring (direct inward dialing)
};

struct TenantSpec {
  std::string id;
  std::string name;
  std::string domain;
  std::vector<UserSpec> users;
  std::vector<QueueSpecLite> queues;
  std::vector<NumberSpec> numbers;
  std::string outbound_trunk;
  std::vector<std::string> copy_headers;
};

enum class TrunkTransport : uint8_t { Udp, Tcp, Tls };

struct TrunkSpec {
  std::string id;
  std::vector<std::string> tenants;
  struct Source {
    std::string address;
    uint16_t port = 0;  // 0 = any
  };
  std::vector<Source> sources;
  TrunkTransport transport = TrunkTransport::Udp;
  std::string outbound_address;
  uint16_t outbound_port = 5060;
  bool open_loopback = false;  // demo --open-trunk: any loopback source port
};

// Engine ids are tenant-qualified so that tenants never collide: "demo/alice".
routing::AgentId agentIdFor(std::string_view tenant, std::string_view user);
routing::QueueId queueIdFor(std::string_view tenant, std::string_view queue);
// Splits "demo/alice" back; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> splitQualified(std::string_view id);

// Builds a user's digest HA1s from a plain password (demo configs) for realm `domain`.
void setPassword(UserSpec& user, std::string_view domain, std::string_view password);

class Directory final : public registrar::Directory {
 public:
  Directory(std::vector<TenantSpec> tenants, std::vector<TrunkSpec> trunks);

  const std::vector<TenantSpec>& tenants() const { return tenants_; }
  const std::vector<TrunkSpec>& trunks() const { return trunks_; }
  const TenantSpec* tenant(std::string_view id) const;
  const TenantSpec* tenantByDomain(std::string_view domain) const;
  const UserSpec* user(std::string_view tenant, std::string_view id) const;
  // By user id or extension.
  const UserSpec* userByIdOrExtension(std::string_view tenant, std::string_view who) const;
  const QueueSpecLite* queue(std::string_view tenant, std::string_view id) const;
  const TrunkSpec* trunk(std::string_view id) const;

  // The trunk an INVITE from `address`:`port` over `transport` belongs to, if any.
  const TrunkSpec* matchTrunk(std::string_view address, uint16_t port,
                              TrunkTransport transport) const;
  // Which of the trunk's tenants owns `number` (digits, optional leading '+'), and its queue.
  struct NumberMatch {
    const TenantSpec* tenant = nullptr;
    const NumberSpec* number = nullptr;
  };
  std::optional<NumberMatch> matchNumber(const TrunkSpec* trunk, std::string_view number) const;

  // registrar::Directory
  std::optional<std::string> tenantForDomain(std::string_view domain) const override;
  std::optional<registrar::UserCredentials> findUser(std::string_view tenant,
                                                     std::string_view user) const override;

 private:
  std::vector<TenantSpec> tenants_;
  std::vector<TrunkSpec> trunks_;
};

}  // namespace sb::center
