// SPDX-License-Identifier: Apache-2.0
// The SIP registrar (RFC 3261 §10.3, RFC 3327 Path, no GRUU): turns a REGISTER into the
// response to send and the binding changes to persist, authenticating with digest (RFC 8760)
// and throttling repeated failures. Bindings live in memory here; the owner persists the
// changes it is handed and restores them at start-up. Pure (time passed in); one owner thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "sip/auth/digest.h"
#include "sip/message.h"

namespace sb::registrar {

// What the registrar must know about tenants and users; implemented over the config or store.
struct UserCredentials {
  std::string tenant;  // tenant id
  std::string user;    // user id = SIP user part
  std::string ha1_md5;
  std::string ha1_sha256;
};

class Directory {
 public:
  virtual ~Directory() = default;
  // The tenant whose SIP domain is `domain` (case-insensitive), if any.
  virtual std::optional<std::string> tenantForDomain(std::string_view domain) const = 0;
  // Credentials of `user` in tenant `tenant`, if such a user may register.
  virtual std::optional<UserCredentials> findUser(std::string_view tenant,
                                                  std::string_view user) const = 0;
};

// Where a REGISTER came from: the flow that reaches the UA behind NAT.
struct Source {
  std::string transport;  // "udp", "tcp", "tls"
  std::string address;
  uint16_t port = 0;
};

struct Binding {
  std::string tenant;
  std::string user;
  std::string contact;  // the Contact URI as registered (params and escaped headers kept)
  MonoTime expires_at{};
  WallTime expires_wall{};  // for persistence across restarts
  uint16_t q = 1000;        // q-value x 1000
  std::string call_id;
  uint32_t cseq = 0;
  std::vector<std::string> path;  // RFC 3327 Path values, top first
  std::string instance;           // +sip.instance, if given
  std::string user_agent;
  Source source;
};

struct RegistrarConfig {
  uint32_t min_expires = 60;        // shorter requests get 423 with Min-Expires
  uint32_t max_expires = 7200;      // longer requests are shortened
  uint32_t default_expires = 3600;  // when neither the contact nor Expires says
  size_t max_contacts_per_aor = 10;
  sip::DigestConfig digest;
  sip::AuthLimiterConfig limiter;
};

struct RegisterResult {
  std::optional<sip::Message> response;  // always set
  Duration delay{0};                     // send the response after this long (throttling)
  std::vector<Binding> upserted;         // new or refreshed bindings, to persist
  std::vector<Binding> removed;          // bindings gone, to delete from the store
  std::string tenant;                    // who it was, when known (logs)
  std::string user;
};

class Registrar {
 public:
  Registrar(RegistrarConfig config, const Directory& directory);
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // Handles one REGISTER (req.method() == Register) received from `source`.
  RegisterResult handleRegister(const sip::Message& req, const Source& source, MonoTime now,
                                WallTime wall_now);

  // Live bindings of an AOR, highest q first, then the most recently refreshed.
  std::vector<Binding> lookup(std::string_view tenant, std::string_view user, MonoTime now) const;
  bool isRegistered(std::string_view tenant, std::string_view user, MonoTime now) const;

  // Removes expired bindings and returns them (to delete from the store, to mark the agent
  // unreachable).
  std::vector<Binding> expire(MonoTime now);
  std::optional<MonoTime> nextExpiry() const;

  // Start-up: re-inserts persisted bindings that have not expired (their expires_wall is
  // mapped onto the monotonic clock through now/wall_now).
  void restore(std::vector<Binding> bindings, MonoTime now, WallTime wall_now);
  size_t bindingCount() const;

 private:
  using AorKey = std::pair<std::string, std::string>;  // tenant, user

  RegisterResult reject(const sip::Message& req, int code, std::string_view reason);
  std::string toTag(const sip::Message& req) const;

  RegistrarConfig config_;
  const Directory& directory_;
  sip::DigestAuthenticator auth_;
  sip::AuthFailureLimiter limiter_;
  std::map<AorKey, std::vector<Binding>> bindings_;
};

}  // namespace sb::registrar
