// SPDX-License-Identifier: Apache-2.0
#include "app/voice_config.h"

#include "routing/model.h"

namespace sb::app {

namespace {

center::UserRole roleOf(UserRole r) {
  switch (r) {
    case UserRole::Agent: return center::UserRole::Agent;
    case UserRole::Sme: return center::UserRole::Sme;
    case UserRole::Supervisor: return center::UserRole::Supervisor;
    case UserRole::Admin: return center::UserRole::Admin;
  }
  return center::UserRole::Agent;
}

center::TrunkTransport transportOf(SipTransportKind k) {
  switch (k) {
    case SipTransportKind::Udp: return center::TrunkTransport::Udp;
    case SipTransportKind::Tcp: return center::TrunkTransport::Tcp;
    case SipTransportKind::Tls: return center::TrunkTransport::Tls;
  }
  return center::TrunkTransport::Udp;
}

}  // namespace

std::shared_ptr<const center::Directory> buildDirectory(const Config& config,
                                                        const DirectoryOptions& options) {
  std::vector<center::TenantSpec> tenants;
  for (const auto& tc : config.tenants) {
    center::TenantSpec t;
    t.id = tc.id;
    t.name = tc.name;
    t.domain = tc.domain;
    t.outbound_trunk = tc.outbound_trunk;
    t.copy_headers = tc.copy_headers;
    for (const auto& qc : tc.queues) {
      center::QueueSpecLite q;
      q.id = qc.id;
      q.timeout_response = qc.timeout_response;
      q.overflow_queue = qc.overflow_queue;
      auto& r = q.routing;
      r.id = center::queueIdFor(tc.id, qc.id);
      r.tenant = routing::TenantId(tc.id);
      r.channels.clear();
      for (const auto& c : qc.channels) {
        if (auto ch = routing::channelFromName(c)) r.channels.push_back(*ch);
      }
      for (const auto& [skill, min] : qc.skills) r.skills.push_back({skill, min});
      r.expression = qc.expression;
      r.priority = qc.priority;
      // config.cpp accepted only names the engine knows.
      r.strategy = routing::strategyFromName(qc.strategy).value_or(routing::Strategy::LongestIdle);
      r.max_wait = std::chrono::seconds(qc.max_wait_s);
      r.max_size = qc.max_size;
      r.service_level_threshold = std::chrono::seconds(qc.sl_threshold_s);
      r.short_abandon_threshold = std::chrono::seconds(qc.short_abandon_s);
      r.wrap_up_time = std::chrono::seconds(qc.wrap_up_s);
      r.reservation_timeout = std::chrono::seconds(qc.reservation_timeout_s);
      // Members in the order users list them, so linear strategies follow the config.
      int position = 0;
      for (const auto& u : tc.users) {
        for (const auto& uq : u.queues) {
          if (uq == qc.id) {
            r.members.push_back({center::agentIdFor(tc.id, u.id), 0, position++, 1.0});
          }
        }
      }
      t.queues.push_back(std::move(q));
    }
    for (const auto& uc : tc.users) {
      center::UserSpec u;
      u.id = uc.id;
      u.name = uc.name;
      u.role = roleOf(uc.role);
      u.extension = uc.extension;
      u.skills = uc.skills;
      u.capacity = uc.capacity;
      u.queues = uc.queues;
      if (!uc.sip_password.empty()) {
        center::setPassword(u, tc.domain, uc.sip_password);  // demo configs only (config.cpp)
      }
      if (!uc.sip_ha1_md5.empty()) u.ha1_md5 = uc.sip_ha1_md5;
      if (!uc.sip_ha1_sha256.empty()) u.ha1_sha256 = uc.sip_ha1_sha256;
      t.users.push_back(std::move(u));
    }
    for (const auto& n : tc.numbers) t.numbers.push_back({n.number, n.queue, n.user});
    tenants.push_back(std::move(t));
  }
  std::vector<center::TrunkSpec> trunks;
  for (const auto& tc : config.trunks) {
    center::TrunkSpec t;
    t.id = tc.id;
    t.tenants = tc.tenants;
    for (const auto& s : tc.sources) t.sources.push_back({s.address, s.port});
    t.transport = transportOf(tc.transport);
    t.outbound_address = tc.outbound_address;
    t.outbound_port = tc.outbound_port;
    t.open_loopback = options.open_trunk;
    trunks.push_back(std::move(t));
  }
  return std::make_shared<const center::Directory>(std::move(tenants), std::move(trunks));
}

}  // namespace sb::app
