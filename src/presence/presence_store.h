// SPDX-License-Identifier: Apache-2.0
// PresenceStore: every user's presence sessions, preferred presence and status message, and
// the aggregated presence published from them (teams_integration.md §B.2). Pure: time is an
// argument, nothing is read from a clock. Owned by the routing+presence executor and used
// only from it (not thread-safe). Each mutating call returns the change to fan out (WebSocket,
// webhooks, SIP NOTIFY), or nullopt when the aggregated presence did not change.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "presence/graph_json.h"
#include "presence/presence.h"

namespace sb::presence {

// The session id under which Switchboard publishes its own view of a user (its app id).
inline constexpr std::string_view kDefaultSwitchboardSessionId =
    "5b0a7d1e-0c5a-4f7e-9a51-5357b0a4d000";

// A change event: the user's new aggregated presence with its new sequence number.
using PresenceChange = Presence;

class PresenceStore final {
 public:
  struct Options {
    std::string switchboard_session_id = std::string(kDefaultSwitchboardSessionId);
    // Sequence numbers continue from here; pass a value above any number published before a
    // restart (e.g. wall-clock microseconds) to keep them growing across restarts.
    uint64_t first_sequence = 1;
  };

  PresenceStore() : PresenceStore(Options{}) {}
  explicit PresenceStore(Options options);
  PresenceStore(const PresenceStore&) = delete;
  PresenceStore& operator=(const PresenceStore&) = delete;

  // Creates or refreshes the Graph session (expiry and fading restart at `now`). `req` comes
  // from parseSetPresence(), which has validated the pair, duration and session id.
  std::optional<PresenceChange> setPresence(const std::string& user_id,
                                            const SetPresenceRequest& req, MonoTime now);
  // Removes a session. Error NotFound (field "sessionId") when the user has no live session
  // with that id (Graph answers 404).
  [[nodiscard]] Result<std::optional<PresenceChange>> clearPresence(const std::string& user_id,
                                                                    std::string_view session_id,
                                                                    MonoTime now);
  // Preferred presence beats all sessions while at least one session exists, until it expires.
  std::optional<PresenceChange> setUserPreferredPresence(const std::string& user_id,
                                                         const SetPreferredRequest& req,
                                                         MonoTime now);
  // Idempotent: clearing an absent preference is not an error.
  std::optional<PresenceChange> clearUserPreferredPresence(const std::string& user_id,
                                                           MonoTime now);
  // Sets, or clears when switchboardPair() gives nullopt, Switchboard's own internal session.
  std::optional<PresenceChange> setSwitchboardState(const std::string& user_id,
                                                    const SwitchboardSignals& signals,
                                                    MonoTime now);
  // An internal session (e.g. one SIP PUBLISH source keyed by "sip:<aor>;<etag>"): pair
  // nullopt clears it; `expires` nullopt keeps it until cleared. Error InvalidArgument when
  // the pair is not isInternalPair() or expires <= 0.
  [[nodiscard]] Result<std::optional<PresenceChange>> setInternalSession(
      const std::string& user_id, const std::string& key, std::optional<PresencePair> pair,
      std::optional<Duration> expires, MonoTime now);
  // Sets the status message, or clears it (nullopt or empty content). `expires_at` is the
  // message's expiry on this clock (its wall-clock expiry is in the message); tick() clears it
  // then.
  std::optional<PresenceChange> setStatusMessage(const std::string& user_id,
                                                 std::optional<StatusMessage> message,
                                                 std::optional<MonoTime> expires_at, MonoTime now);

  // The presence shown at `now`. Unknown users are Offline/Offline with sequence 0. The
  // sequence is the last published one: the owner runs tick() at nextDeadline(), so a
  // time-driven change (expiry, fading) is published at most one timer latency late.
  Presence aggregate(const std::string& user_id, MonoTime now) const;
  bool isRoutable(const std::string& user_id, MonoTime now) const {
    return presence::isRoutable(aggregate(user_id, now).pair);
  }
  // Live sessions of a user at `now`, sorted by id.
  std::vector<PresenceSession> sessions(const std::string& user_id, MonoTime now) const;

  // Applies every expiry and fading step due at or before `now`; returns the changes in
  // deadline order.
  std::vector<PresenceChange> tick(MonoTime now);
  // The earliest instant tick() has work to do; nullopt when nothing is pending.
  std::optional<MonoTime> nextDeadline() const;

  size_t userCount() const { return users_.size(); }

  // What a restart keeps of a user (the owner stores it after each change it makes): the Graph
  // sessions and the preferred presence. Switchboard's own session is recomputed after a
  // restart, and SIP PUBLISH sessions are kept by their owner (center::PresenceSip, with
  // their entity-tags). The status message is kept too.
  struct Kept {
    std::vector<PresenceSession> sessions;  // Graph sessions live at `now`
    std::optional<PresencePair> preferred;
    MonoTime preferred_expires_at{};
    std::optional<StatusMessage> status_message;
    std::optional<MonoTime> status_expires_at;
    bool empty() const { return sessions.empty() && !preferred && !status_message; }
  };
  Kept kept(const std::string& user_id, MonoTime now) const;
  // Puts back what kept() gave before a restart, its times moved to this process's clock;
  // what has expired by `now` is dropped, and only Graph sessions are taken.
  std::optional<PresenceChange> restore(const std::string& user_id, const Kept& kept, MonoTime now);

 private:
  struct Preferred {
    PresencePair pair;
    MonoTime expires_at{};
  };
  struct UserState {
    std::map<std::string, PresenceSession, std::less<>> sessions;
    std::optional<Preferred> preferred;
    std::optional<StatusMessage> status_message;
    std::optional<MonoTime> status_expires_at;
    Presence published;
    std::optional<MonoTime> deadline;
  };

  UserState& user(const std::string& user_id);
  static void purge(UserState& u, MonoTime now);
  static PresencePair compute(const UserState& u, MonoTime now);
  static std::optional<MonoTime> computeDeadline(const UserState& u, MonoTime now);
  // Purges, recomputes, publishes on change and reschedules the user's deadline.
  std::optional<PresenceChange> settle(const std::string& user_id, UserState& u, MonoTime now);

  Options options_;
  uint64_t next_sequence_;
  std::unordered_map<std::string, UserState> users_;
  std::set<std::pair<MonoTime, std::string>> deadlines_;
};

}  // namespace sb::presence
