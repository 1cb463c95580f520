// SPDX-License-Identifier: Apache-2.0
// AsyncCenterStore: the voice path's durable side effects (CDRs, registrar bindings, SIP
// presence watchers, users' presence) written
// to the store on a thread of their own, so a SIP shard never waits for an fsync. Writes are
// queued in order and drained on close(), so a clean shutdown loses nothing. Callable from
// any thread; the queue is the only shared state (mutex-guarded, snapshot-then-write).
// Records and agent state changes are batched (group commit): the writer wakes on the first
// item, waits kGatherWindow for more, and writes them all in one transaction; producers only
// wake it when it is idle. A record is durable within about kGatherWindow plus one fsync.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "center/voice_center.h"
#include "store/store.h"

namespace sb::app {

class AsyncCenterStore final : public center::CenterStore, public center::CenterObserver {
 public:
  static constexpr Duration kGatherWindow = std::chrono::milliseconds(20);

  explicit AsyncCenterStore(store::Store& store);
  ~AsyncCenterStore() override;  // close()s
  AsyncCenterStore(const AsyncCenterStore&) = delete;
  AsyncCenterStore& operator=(const AsyncCenterStore&) = delete;

  // Creates the config's tenants in the store when missing (records reference them).
  Status seedTenants(const center::Directory& directory);

  void writeRecord(const center::InteractionRecord& record) override;
  void saveBinding(const registrar::Binding& binding) override;
  void removeBinding(const registrar::Binding& binding) override;
  // center::CenterObserver (voice shard): agent state changes go to the state history,
  // batched like records.
  void onAgentState(const routing::AgentStateChanged& change) override;
  std::vector<registrar::Binding> loadBindings() override;  // blocking, start-up only
  bool keepsPresence() const override { return true; }
  void saveWatcher(const center::SavedWatcher& watcher) override;
  void removeWatcher(const std::string& tenant, const std::string& call_id,
                     const std::string& local_tag) override;
  std::vector<center::SavedWatcher> loadWatchers() override;  // blocking, start-up only
  void savePresence(const center::SavedPresence& presence) override;
  std::vector<center::SavedPresence> loadPresence() override;  // blocking, start-up only
  void savePublication(const center::SavedPublication& publication) override;
  void removePublication(const std::string& tenant, const std::string& session_key) override;
  std::vector<center::SavedPublication> loadPublications() override;  // blocking, start-up only
  // From the agent state history: the newest change to available, away, break or offline.
  void saveAgentChoice(const std::string& tenant, const std::string& user,
                       const center::SavedAgentState& choice) override;
  std::optional<center::SavedAgentState> loadAgentState(const std::string& tenant,
                                                        const std::string& user) override;

  // Writes everything queued, then stops the writer thread. Idempotent.
  void close();
  uint64_t failedWrites() const;

 private:
  void post(std::function<void()> job);
  // Queues one write; a failure is logged as "<what> not saved" (nobody waits for it).
  void postWrite(std::string what, std::function<Status()> write);
  void run();
  void flushRecords(std::vector<store::InteractionRecord>& batch);
  void flushStates(std::vector<store::AgentStateChange>& batch);

  store::Store& store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  // Records wait here and are written together, one transaction per batch, so one fsync
  // covers many calls (a per-record fsync caps the call rate at a few hundred per second).
  std::vector<store::InteractionRecord> records_;  // guarded by mutex_
  std::vector<store::AgentStateChange> states_;    // guarded by mutex_
  SteadyClock clock_;                              // stamps agent state changes (wall time)
  bool closing_ = false;                           // guarded by mutex_
  bool idle_ = false;    // the writer waits for work (producers must wake it); guarded by mutex_
  uint64_t failed_ = 0;  // guarded by mutex_
  std::thread thread_;
};

// Conversions between the voice path's records and the store's.
store::InteractionRecord toStore(const center::InteractionRecord& r);
store::Binding toStore(const registrar::Binding& b);
registrar::Binding fromStore(const store::Binding& b);
store::SipWatcher toStore(const center::SavedWatcher& w);
center::SavedWatcher fromStore(const store::SipWatcher& w);
// A user's kept presence as the JSON document the store keeps, and back (nullopt: not one).
std::string presenceDocument(const center::SavedPresence& p);
std::optional<center::SavedPresence> presenceFromDocument(const store::PresenceState& row);

}  // namespace sb::app
