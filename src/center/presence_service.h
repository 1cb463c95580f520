// SPDX-License-Identifier: Apache-2.0
// PresenceService: every user's Graph-style presence (presence::PresenceStore) on the voice
// shard. It derives Switchboard's own session from the voice path (SIP bindings, calls, agent
// readiness), ticks expiry and fading with the shard's timers, applies Graph and SIP PUBLISH
// requests, tells the routing engine who may be offered work, and reports each change to its
// listeners (the API event stream, SIP NOTIFY). Owned by the voice shard with the VoiceCenter
// it reads; not thread-safe: every call on that shard's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "center/directory.h"
#include "center/voice_center.h"
#include "common/clock.h"
#include "common/result.h"
#include "presence/graph_json.h"
#include "presence/presence.h"
#include "presence/presence_store.h"
#include "routing/model.h"

namespace sb::center {

// What the service needs from the voice path; VoiceCenterPresenceBackend adapts a VoiceCenter.
class PresenceBackend {
 public:
  virtual ~PresenceBackend() = default;
  virtual const Directory& directory() const = 0;
  // The inputs of the user's Switchboard session at this moment.
  virtual presence::SwitchboardSignals signals(const std::string& tenant,
                                               const std::string& user) = 0;
  // Tells the routing engine the agent's presence; users that are not agents are ignored.
  virtual void setRoutingPresence(const std::string& tenant, const std::string& user,
                                  routing::Presence presence) = 0;
};

class VoiceCenterPresenceBackend final : public PresenceBackend {
 public:
  VoiceCenterPresenceBackend(VoiceCenter& center, const Clock& clock)
      : center_(center), clock_(clock) {}
  const Directory& directory() const override { return center_.directory(); }
  presence::SwitchboardSignals signals(const std::string& tenant,
                                       const std::string& user) override;
  void setRoutingPresence(const std::string& tenant, const std::string& user,
                          routing::Presence presence) override;

 private:
  VoiceCenter& center_;
  const Clock& clock_;
};

// Receives every change of a user's aggregated presence, on the voice shard.
class PresenceListener {
 public:
  virtual ~PresenceListener() = default;
  // `p.user_id` is the user's id within `tenant` (the Graph id).
  virtual void onPresenceChanged(const std::string& tenant, const presence::Presence& p) = 0;
};

// The routing engine's view of an aggregated presence: Available only when
// presence::isRoutable(), else the closest engine value.
routing::Presence routingPresenceFor(presence::PresencePair pair) noexcept;

class PresenceService final {
 public:
  // `timers` is this service's own key space (keys 1 and 2).
  PresenceService(PresenceBackend& backend, CenterEnvironment& timers, const Clock& clock);
  PresenceService(const PresenceService&) = delete;
  PresenceService& operator=(const PresenceService&) = delete;

  // Where users' presence is kept across restarts (nullptr: not kept). Before start().
  void setStore(CenterStore* store) { store_keeper_ = store; }
  // Takes back the kept presence (with a store), sets every user's own session from the
  // backend and tells the engine each agent's presence.
  void start();
  // Not owned; must outlive the service (or be removed).
  void addListener(PresenceListener* listener);
  void removeListener(PresenceListener* listener);

  // The user's calls, bindings or readiness changed. Re-evaluated on a zero-delay timer, so it
  // is safe to call from inside VoiceCenter callbacks (the engine is not re-entered).
  void userChanged(const std::string& tenant, const std::string& user);
  void onTimer(uint64_t key);

  const Directory& directory() const { return backend_.directory(); }
  // Errc::NotFound (field "id") when `user` is not a user of `tenant`.
  [[nodiscard]] Result<presence::Presence> get(const std::string& tenant,
                                               const std::string& user) const;
  [[nodiscard]] Status setPresence(const std::string& tenant, const std::string& user,
                                   const presence::SetPresenceRequest& req);
  // Errc::NotFound (field "sessionId") when the user has no such session (Graph 404).
  [[nodiscard]] Status clearPresence(const std::string& tenant, const std::string& user,
                                     const std::string& session_id);
  [[nodiscard]] Status setUserPreferredPresence(const std::string& tenant, const std::string& user,
                                                const presence::SetPreferredRequest& req);
  [[nodiscard]] Status clearUserPreferredPresence(const std::string& tenant,
                                                  const std::string& user);
  // Graph setStatusMessage: nullopt clears it. A message with an expiry is cleared then (and
  // the change published). Kept across a restart with the user's other Graph state.
  [[nodiscard]] Status setStatusMessage(const std::string& tenant, const std::string& user,
                                        std::optional<presence::StatusMessage> message);
  // A SIP PUBLISH source's session (see PresenceStore::setInternalSession).
  [[nodiscard]] Status setInternalSession(const std::string& tenant, const std::string& user,
                                          const std::string& key,
                                          std::optional<presence::PresencePair> pair,
                                          std::optional<Duration> expires);
  std::vector<presence::PresenceSession> sessions(const std::string& tenant,
                                                  const std::string& user) const;

 private:
  static std::string keyFor(const std::string& tenant, const std::string& user);
  Status checkUser(const std::string& tenant, const std::string& user) const;
  void refresh(const std::string& tenant, const std::string& user, MonoTime now);
  void dispatch(const presence::PresenceChange& change);
  void dispatch(const std::optional<presence::PresenceChange>& change) {
    if (change) dispatch(*change);
  }
  void armDeadline();
  // Keeps the user's Graph sessions and preferred presence (a no-op without a store).
  void keep(const std::string& tenant, const std::string& user);
  void restoreKept();

  PresenceBackend& backend_;
  CenterEnvironment& timers_;
  const Clock& clock_;
  presence::PresenceStore store_;
  CenterStore* store_keeper_ = nullptr;
  std::vector<PresenceListener*> listeners_;
  std::set<std::pair<std::string, std::string>> dirty_;
  bool flush_armed_ = false;
  std::optional<MonoTime> deadline_armed_;
};

}  // namespace sb::center
