// SPDX-License-Identifier: Apache-2.0
// VoiceCenter: one voice interaction's life across the registrar, the B2BUA and the routing
// engine. A trunk call is matched to a tenant by trunk and called number, enqueued, offered
// to agents the engine picks (ringing their registered contacts), bridged on answer, put in
// wrap-up after the call, and recorded (CDR). Calls from registered users are authenticated
// (407) and reach colleagues by extension or URI, a queue by number, or the outbound trunk.
// Owned by the SIP call shard thread with the B2BUA, TransactionLayer and Engine it drives;
// not thread-safe. Timers go through CenterEnvironment; persistence through CenterStore.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "b2bua/b2bua.h"
#include "center/directory.h"
#include "common/clock.h"
#include "presence/presence.h"
#include "registrar/registrar.h"
#include "routing/engine.h"
#include "sip/auth/digest.h"

namespace sb::center {

enum class Disposition : uint8_t { Answered, Abandoned, TimedOut, Rejected };
std::string_view dispositionName(Disposition d) noexcept;

// The interaction record (CDR) written when a call ends.
struct InteractionRecord {
  std::string id;
  std::string tenant;
  std::string queue;   // local queue id; empty for direct calls
  std::string caller;  // From URI
  std::string called;  // Request-URI user (number or extension)
  std::string agent;   // user id who answered; empty if nobody
  std::string channel = "voice";
  std::string sip_call_id;
  WallTime arrived{};
  std::optional<WallTime> queued;
  std::optional<WallTime> offered;  // first offer
  std::optional<WallTime> answered;
  WallTime ended{};
  std::string end_reason;
  Disposition disposition = Disposition::Rejected;
};

// Durable side effects of the voice path; implemented over the store by app/.
// A SIP presence subscription as PresenceSip keeps it across restarts: the dialog, where the
// SUBSCRIBE came from (flow.connection is meaningless after a restart) and when it expires.
struct SavedWatcher {
  std::string tenant;
  std::string user;
  std::string entity;
  std::string event_id;
  b2bua::Dialog dialog;
  sip::SendTarget flow;
  WallTime expires_at{};
};

// A SIP PUBLISH source's state as PresenceSip keeps it across restarts.
struct SavedPublication {
  std::string tenant;
  std::string user;
  std::string session_key;
  std::string etag;
  presence::PresencePair pair;
  WallTime expires_at{};
};

// What a restart keeps of one user's presence (PresenceService): the Graph sessions and the
// preferred presence, their times on the wall clock.
struct SavedPresence {
  struct Session {
    std::string id;
    presence::PresencePair pair;
    WallTime updated_at{};  // fading counts from here
    WallTime expires_at{};
  };
  std::string tenant;
  std::string user;
  std::vector<Session> sessions;
  std::optional<presence::PresencePair> preferred;
  WallTime preferred_expires_at{};
  std::optional<presence::StatusMessage> status_message;  // its expiry is a wall time already
};

// An agent's last chosen state (Available, Away or Break, with its reason), as a restart
// takes it back.
struct SavedAgentState {
  routing::AgentState state = routing::AgentState::Offline;
  std::string reason;
};

class CenterStore {
 public:
  virtual ~CenterStore() = default;
  virtual void writeRecord(const InteractionRecord& record) = 0;
  virtual void saveBinding(const registrar::Binding& binding) = 0;
  virtual void removeBinding(const registrar::Binding& binding) = 0;
  virtual std::vector<registrar::Binding> loadBindings() = 0;
  // What the presence side keeps across restarts: SIP presence watchers (PresenceSip) and
  // users' presence (PresenceService). A store that keeps none (tests) ignores them.
  virtual bool keepsPresence() const { return false; }
  // `presence` with no session and no preferred presence: nothing is kept for the user.
  virtual void savePresence(const SavedPresence& presence) { (void)presence; }
  virtual std::vector<SavedPresence> loadPresence() { return {}; }  // blocking, start-up only
  virtual void savePublication(const SavedPublication& publication) { (void)publication; }
  virtual void removePublication(const std::string& tenant, const std::string& session_key) {
    (void)tenant;
    (void)session_key;
  }
  // The unexpired ones (the expired are deleted). Blocking, start-up only.
  virtual std::vector<SavedPublication> loadPublications() { return {}; }
  virtual void saveWatcher(const SavedWatcher& watcher) { (void)watcher; }
  // The watcher's key: its tenant and dialog (Call-ID, our tag).
  virtual void removeWatcher(const std::string& tenant, const std::string& call_id,
                             const std::string& local_tag) {
    (void)tenant;
    (void)call_id;
    (void)local_tag;
  }
  virtual std::vector<SavedWatcher> loadWatchers() { return {}; }  // blocking, start-up only
  // A state the agent (or a supervisor) asked for, in effect now or, during a call, when the
  // call ends: loadAgentState() must see it even if the process ends first.
  virtual void saveAgentChoice(const std::string& tenant, const std::string& user,
                               const SavedAgentState& choice) {
    (void)tenant;
    (void)user;
    (void)choice;
  }
  // The state the agent last chose (saveAgentChoice, or a state the engine moved it to, such
  // as Away after unanswered offers), if it was Available, Away or Break: blocking, start-up
  // only. A store that keeps no history (tests) knows none.
  virtual std::optional<SavedAgentState> loadAgentState(const std::string& tenant,
                                                        const std::string& user) {
    (void)tenant;
    (void)user;
    return std::nullopt;
  }
};

// Timers for the center (routing deadlines, registrar expiry, delayed answers).
class CenterEnvironment {
 public:
  virtual ~CenterEnvironment() = default;
  virtual void startTimer(uint64_t key, Duration delay) = 0;
  virtual void cancelTimer(uint64_t key) = 0;
};

// A call's state as the API shows it (VoiceCenter::callsOf) and reports it (onCall).
struct CallView {
  std::string id;  // interaction id
  std::string tenant;
  std::string queue;  // local queue id; empty for direct calls
  std::string user;   // agent offered / ringing / connected; empty while only queued
  std::string caller;
  std::string called;
  // "queued", "offered" (agent's phone rings for a queue offer), "ringing" (direct call),
  // "answered", "held", "resumed", "ended".
  std::string state;
  std::optional<WallTime> offered;
  std::optional<WallTime> answered;
};

// Optional observers of what happens (the API's event stream, metrics, statistics). Called on
// the center's thread, synchronously: implementations must not block.
class CenterObserver {
 public:
  virtual ~CenterObserver() = default;
  virtual void onSegment(const routing::SegmentEvent& /*event*/) {}
  virtual void onAgentState(const routing::AgentStateChanged& /*change*/) {}
  virtual void onRecord(const InteractionRecord& /*record*/) {}
  virtual void onCall(const CallView& /*call*/) {}
};

struct VoiceCenterOptions {
  registrar::RegistrarConfig registrar;
  sip::DigestConfig invite_digest;
  // A registered agent who is logged out is logged in (Available) when a binding appears.
  bool auto_login_on_register = true;
  // Extra ring time the B2BUA allows beyond the queue's reservation timeout (the engine's
  // timeout normally fires first).
  Duration ring_slack = std::chrono::seconds(2);
  Duration direct_ring_timeout = std::chrono::seconds(45);
};

class VoiceCenter final : public b2bua::CallListener {
 public:
  VoiceCenter(std::shared_ptr<const Directory> directory, b2bua::B2bua& b2bua,
              sip::TransactionLayer& layer, routing::Engine& engine, CenterEnvironment& env,
              CenterStore& store, const Clock& clock, VoiceCenterOptions options = {});
  ~VoiceCenter() override;
  VoiceCenter(const VoiceCenter&) = delete;
  VoiceCenter& operator=(const VoiceCenter&) = delete;

  // Loads queues and agents into the engine and restores persisted bindings.
  Status start();
  // Swaps in a new directory snapshot (a configuration change; app/config_store.h): queues and
  // agents it adds or changes are upserted into the engine, those it drops are removed (a
  // removed queue's waiting calls end with 480, reason "queue_removed"; a removed agent is
  // logged out first). Calls in progress keep going. The registrar and the INVITE paths see
  // the new snapshot at once. Returns the first engine error; the rest is still applied.
  // Center's thread only.
  Status applyDirectory(std::shared_ptr<const Directory> next);
  // Adds an observer (not owned; it must outlive the center or the center's thread). Both
  // names add: observers are called in the order they were added. Before start() or on the
  // center's thread.
  void addObserver(CenterObserver* observer) { observers_.push_back(observer); }
  void setObserver(CenterObserver* observer) { addObserver(observer); }

  // A REGISTER the SIP core received on server transaction `txn`.
  void handleRegister(sip::TransactionHandle txn, const sip::Message& request,
                      const sip::SendTarget& source);
  void onTimer(uint64_t key);

  // An agent (or a supervisor for them) sets the requested state: Available, Away, Break or
  // Offline. The engine's consequences (rescinded offers, new offers) are carried out.
  Status setAgentState(const std::string& tenant, const std::string& user,
                       routing::AgentState state, std::string reason);

  // Calls offered to, ringing at or connected to `user` (queue offers, direct calls, active
  // calls), in no particular order.
  std::vector<CallView> callsOf(const std::string& tenant, const std::string& user) const;
  // The agent declines the queue offer of `interaction`: the ringing leg is cancelled and the
  // engine re-offers the call (the agent is skipped for it for the queue's decline skip time).
  // NotFound when no offer of that interaction is outstanding for this agent.
  Status declineOffer(const std::string& tenant, const std::string& user,
                      const std::string& interaction);
  // Ends the agent's wrap-up now (engine endWrapUp). NotFound for an unknown agent.
  Status endWrapUp(const std::string& tenant, const std::string& user);

  // Presence inputs (center/presence_service.h): `hook` is told, on the center's thread, when a
  // user's bindings, connected calls or agent readiness may have changed. It must not call back
  // into the center synchronously (defer instead).
  void setPresenceHook(std::function<void(const std::string&, const std::string&)> hook) {
    presence_hook_ = std::move(hook);
  }
  // Connected calls `user` takes part in, as answering agent/callee or authenticated caller.
  int callsOfUser(const std::string& tenant, const std::string& user) const;
  // The routing engine's presence of an agent; the engine's decisions are carried out.
  Status setRoutingPresence(const std::string& tenant, const std::string& user,
                            routing::Presence presence);

  const registrar::Registrar& registrar() const { return *registrar_; }
  routing::Engine& engine() { return engine_; }
  const Directory& directory() const { return *directory_; }
  size_t activeInteractions() const { return calls_.size(); }

  // b2bua::CallListener
  void onIncomingCall(b2bua::CallHandle call, const sip::Message& invite,
                      const sip::SendTarget& source) override;
  void onConnectFailed(b2bua::CallHandle call, int code) override;
  void onAnswered(b2bua::CallHandle call, const std::string& answered_uri) override;
  void onEnded(b2bua::CallHandle call, b2bua::EndReason reason) override;
  void onHold(b2bua::CallHandle call, b2bua::Side by, bool on) override;

 private:
  struct Interaction;
  class DirectoryForwarder;

  // A called number of the tenant: its queue, or its user's phones (direct inward dialing).
  void numberCall(Interaction& i, const TenantSpec& tenant, const NumberSpec& number);
  void queueCall(Interaction& i, const TenantSpec& tenant, const std::string& queue);
  void directCall(Interaction& i, const TenantSpec& tenant, const UserSpec& callee);
  void trunkCall(Interaction& i, const TenantSpec& tenant, const TrunkSpec& trunk,
                 const std::string& number);
  std::vector<b2bua::Target> targetsFor(const std::string& tenant, const std::string& user);
  // Applies engine decisions until none are left (decisions may cause more).
  void apply(routing::Output& out);
  void applyOne(const routing::Decision& d, routing::Output& more);
  void bindingsChanged(const std::string& tenant, const std::string& user);
  void armTick();
  void armExpiry();
  void finish(Interaction& i);
  Interaction* byInteraction(const routing::InteractionId& id);
  void presenceChanged(const std::string& tenant, const std::string& user);
  void markInCall(Interaction& i, bool on);

  std::shared_ptr<const Directory> directory_;
  std::unique_ptr<DirectoryForwarder> forwarder_;
  std::unique_ptr<registrar::Registrar> registrar_;
  b2bua::B2bua& b2bua_;
  sip::TransactionLayer& layer_;
  routing::Engine& engine_;
  CenterEnvironment& env_;
  CenterStore& store_;
  const Clock& clock_;
  VoiceCenterOptions options_;
  sip::DigestAuthenticator invite_auth_;
  void notifyCall(const Interaction& i, std::string_view state);
  std::vector<CenterObserver*> observers_;
  // The deadline the routing tick timer is armed for: re-arming on every decision round for
  // the same instant was most of an idle server's work after a burst of calls.
  std::optional<MonoTime> tick_armed_;
  std::string id_prefix_;  // start time: ids stay unique across restarts of the process
  uint64_t next_interaction_ = 1;
  uint64_t next_delayed_ = 1;
  std::unordered_map<b2bua::CallHandle, std::unique_ptr<Interaction>> calls_;
  std::unordered_map<std::string, b2bua::CallHandle> by_interaction_;
  // REGISTER answers held back by failure throttling: timer key -> (txn, response).
  std::map<uint64_t, std::pair<sip::TransactionHandle, sip::Message>> delayed_;
  std::function<void(const std::string&, const std::string&)> presence_hook_;
  std::unordered_map<std::string, int> in_call_;  // "tenant/user" -> connected calls
};

}  // namespace sb::center
