// SPDX-License-Identifier: Apache-2.0
#include "center/directory.h"

#include <algorithm>

#include "sip/auth/digest.h"
#include "sip/uri.h"

namespace sb::center {

namespace {

// Numbers compare without formatting: "+1 (555) 0100" == "+15550100".
std::string normalizeNumber(std::string_view n) {
  std::string out;
  for (char c : n) {
    if ((c >= '0' && c <= '9') || (c == '+' && out.empty())) out.push_back(c);
  }
  return out;
}

bool isLoopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1";
}

}  // namespace

routing::AgentId agentIdFor(std::string_view tenant, std::string_view user) {
  return routing::AgentId(std::string(tenant) + "/" + std::string(user));
}

routing::QueueId queueIdFor(std::string_view tenant, std::string_view queue) {
  return routing::QueueId(std::string(tenant) + "/" + std::string(queue));
}

std::optional<std::pair<std::string, std::string>> splitQualified(std::string_view id) {
  const auto slash = id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == id.size()) return std::nullopt;
  return std::pair{std::string(id.substr(0, slash)), std::string(id.substr(slash + 1))};
}

void setPassword(UserSpec& user, std::string_view domain, std::string_view password) {
  user.ha1_md5 = sip::digestHa1(sip::DigestAlgorithm::Md5, user.id, domain, password);
  user.ha1_sha256 = sip::digestHa1(sip::DigestAlgorithm::Sha256, user.id, domain, password);
}

Directory::Directory(std::vector<TenantSpec> tenants, std::vector<TrunkSpec> trunks)
    : tenants_(std::move(tenants)), trunks_(std::move(trunks)) {}

const TenantSpec* Directory::tenant(std::string_view id) const {
  for (const auto& t : tenants_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const TenantSpec* Directory::tenantByDomain(std::string_view domain) const {
  for (const auto& t : tenants_) {
    if (sip::iequals(t.domain, domain)) return &t;
  }
  return nullptr;
}

const UserSpec* Directory::user(std::string_view tenant, std::string_view id) const {
  const TenantSpec* t = this->tenant(tenant);
  if (t == nullptr) return nullptr;
  for (const auto& u : t->users) {
    if (u.id == id) return &u;
  }
  return nullptr;
}

const UserSpec* Directory::userByIdOrExtension(std::string_view tenant,
                                               std::string_view who) const {
  const TenantSpec* t = this->tenant(tenant);
  if (t == nullptr || who.empty()) return nullptr;
  for (const auto& u : t->users) {
    if (u.id == who || (!u.extension.empty() && u.extension == who)) return &u;
  }
  return nullptr;
}

const QueueSpecLite* Directory::queue(std::string_view tenant, std::string_view id) const {
  const TenantSpec* t = this->tenant(tenant);
  if (t == nullptr) return nullptr;
  for (const auto& q : t->queues) {
    if (q.id == id) return &q;
  }
  return nullptr;
}

const TrunkSpec* Directory::trunk(std::string_view id) const {
  for (const auto& t : trunks_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const TrunkSpec* Directory::matchTrunk(std::string_view address, uint16_t port,
                                       TrunkTransport transport) const {
  for (const auto& t : trunks_) {
    if (t.transport != transport) continue;
    for (const auto& s : t.sources) {
      if (s.address == address && (s.port == 0 || s.port == port)) return &t;
    }
    if (t.open_loopback && isLoopback(address)) return &t;
  }
  return nullptr;
}

std::optional<Directory::NumberMatch> Directory::matchNumber(const TrunkSpec* trunk,
                                                             std::string_view number) const {
  const std::string wanted = normalizeNumber(sip::unescape(number));
  if (wanted.empty()) return std::nullopt;
  for (const auto& t : tenants_) {
    if (trunk != nullptr &&
        std::find(trunk->tenants.begin(), trunk->tenants.end(), t.id) == trunk->tenants.end()) {
      continue;
    }
    for (const auto& n : t.numbers) {
      if (normalizeNumber(n.number) == wanted) return NumberMatch{&t, &n};
    }
  }
  return std::nullopt;
}

std::optional<std::string> Directory::tenantForDomain(std::string_view domain) const {
  const TenantSpec* t = tenantByDomain(domain);
  if (t == nullptr) return std::nullopt;
  return t->id;
}

std::optional<registrar::UserCredentials> Directory::findUser(std::string_view tenant,
                                                              std::string_view user) const {
  const UserSpec* u = this->user(tenant, user);
  // Only users with SIP credentials (agents and SMEs) may register.
  if (u == nullptr || (u->ha1_md5.empty() && u->ha1_sha256.empty())) return std::nullopt;
  return registrar::UserCredentials{std::string(tenant), u->id, u->ha1_md5, u->ha1_sha256};
}

}  // namespace sb::center
