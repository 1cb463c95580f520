// SPDX-License-Identifier: Apache-2.0
#include "presence/presence_store.h"

#include "common/assert.h"

namespace sb::presence {

PresenceStore::PresenceStore(Options options)
    : options_(std::move(options)), next_sequence_(options_.first_sequence) {}

PresenceStore::UserState& PresenceStore::user(const std::string& user_id) {
  auto [it, inserted] = users_.try_emplace(user_id);
  if (inserted) {
    it->second.published.user_id = user_id;
    it->second.published.pair = {Availability::Offline, Activity::Offline};
  }
  return it->second;
}

void PresenceStore::purge(UserState& u, MonoTime now) {
  std::erase_if(u.sessions, [&](const auto& kv) {
    return kv.second.expires_at && *kv.second.expires_at <= now;
  });
  if (u.preferred && u.preferred->expires_at <= now) u.preferred.reset();
  if (u.status_expires_at && *u.status_expires_at <= now) {
    u.status_message.reset();
    u.status_expires_at.reset();
  }
}

PresencePair PresenceStore::compute(const UserState& u, MonoTime now) {
  std::optional<PresencePair> best;
  const PresenceSession* best_session = nullptr;
  for (const auto& [id, s] : u.sessions) {
    auto p = effectivePair(s, now);
    if (!p) continue;
    bool better = false;
    if (!best) {
      better = true;
    } else {
      int ra = availabilityRank(p->availability), rb = availabilityRank(best->availability);
      int ta = activityRank(p->activity), tb = activityRank(best->activity);
      // Equal pairs: the most recently refreshed session wins (keeps the choice stable).
      better = ra != rb ? ra > rb
                        : (ta != tb ? ta > tb : s.updated_at > best_session->updated_at);
    }
    if (better) {
      best = p;
      best_session = &s;
    }
  }
  // §B.2: with no session the user is Offline; preferred presence needs >= 1 session.
  if (!best) return {Availability::Offline, Activity::Offline};
  if (u.preferred && u.preferred->expires_at > now) return u.preferred->pair;
  return *best;
}

std::optional<MonoTime> PresenceStore::computeDeadline(const UserState& u, MonoTime now) {
  std::optional<MonoTime> next;
  auto consider = [&](std::optional<MonoTime> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [id, s] : u.sessions) consider(nextChange(s, now));
  if (u.preferred && u.preferred->expires_at > now) consider(u.preferred->expires_at);
  consider(u.status_expires_at);
  return next;
}

std::optional<PresenceChange> PresenceStore::settle(const std::string& user_id, UserState& u,
                                                    MonoTime now) {
  purge(u, now);
  if (u.deadline) deadlines_.erase({*u.deadline, user_id});
  u.deadline = computeDeadline(u, now);
  if (u.deadline) deadlines_.insert({*u.deadline, user_id});

  PresencePair pair = compute(u, now);
  if (pair == u.published.pair && u.status_message == u.published.status_message) {
    return std::nullopt;
  }
  u.published.pair = pair;
  u.published.status_message = u.status_message;
  u.published.sequence = next_sequence_++;
  return u.published;
}

std::optional<PresenceChange> PresenceStore::setPresence(const std::string& user_id,
                                                         const SetPresenceRequest& req,
                                                         MonoTime now) {
  UserState& u = user(user_id);
  PresenceSession& s = u.sessions[req.session_id];
  s.id = req.session_id;
  s.pair = req.pair;
  s.kind = SessionKind::Graph;
  s.updated_at = now;
  s.expires_at = now + req.expiration;
  return settle(user_id, u, now);
}

Result<std::optional<PresenceChange>> PresenceStore::clearPresence(const std::string& user_id,
                                                                   std::string_view session_id,
                                                                   MonoTime now) {
  auto uit = users_.find(user_id);
  if (uit == users_.end()) {
    return fail(Errc::NotFound, "no presence session with this id", "sessionId");
  }
  UserState& u = uit->second;
  auto it = u.sessions.find(session_id);
  // An expired session is already gone for Graph even if tick() has not run yet.
  if (it == u.sessions.end() || (it->second.expires_at && *it->second.expires_at <= now)) {
    return fail(Errc::NotFound, "no presence session with this id", "sessionId");
  }
  u.sessions.erase(it);
  return settle(user_id, u, now);
}

std::optional<PresenceChange> PresenceStore::setUserPreferredPresence(
    const std::string& user_id, const SetPreferredRequest& req, MonoTime now) {
  UserState& u = user(user_id);
  u.preferred = Preferred{req.pair, now + req.expiration};
  return settle(user_id, u, now);
}

std::optional<PresenceChange> PresenceStore::clearUserPreferredPresence(
    const std::string& user_id, MonoTime now) {
  UserState& u = user(user_id);
  u.preferred.reset();
  return settle(user_id, u, now);
}

std::optional<PresenceChange> PresenceStore::setSwitchboardState(
    const std::string& user_id, const SwitchboardSignals& signals, MonoTime now) {
  auto pair = switchboardPair(signals);
  auto r = setInternalSession(user_id, options_.switchboard_session_id, pair, std::nullopt, now);
  // switchboardPair() only yields internal pairs and no expiry is given, so this can't fail.
  SB_ASSERT(r.has_value(), "switchboardPair() produced a pair outside isInternalPair()");
  return r ? *r : std::nullopt;
}

Result<std::optional<PresenceChange>> PresenceStore::setInternalSession(
    const std::string& user_id, const std::string& key, std::optional<PresencePair> pair,
    std::optional<Duration> expires, MonoTime now) {
  if (pair && !isInternalPair(*pair)) {
    return fail(Errc::InvalidArgument,
                std::string("the pair ") + std::string(toString(pair->availability)) + "/" +
                    std::string(toString(pair->activity)) + " is not allowed for a session",
                "activity");
  }
  if (expires && *expires <= Duration::zero()) {
    return fail(Errc::InvalidArgument, "session expiry must be positive", "expires");
  }
  UserState& u = user(user_id);
  if (!pair) {
    u.sessions.erase(key);
    return settle(user_id, u, now);
  }
  PresenceSession& s = u.sessions[key];
  s.id = key;
  s.pair = *pair;
  s.kind = SessionKind::Internal;
  s.updated_at = now;
  s.expires_at = expires ? std::optional<MonoTime>(now + *expires) : std::nullopt;
  return settle(user_id, u, now);
}

std::optional<PresenceChange> PresenceStore::setStatusMessage(const std::string& user_id,
                                                              std::optional<StatusMessage> message,
                                                              std::optional<MonoTime> expires_at,
                                                              MonoTime now) {
  UserState& u = user(user_id);
  if (message && message->content.empty()) message.reset();
  u.status_expires_at = message ? expires_at : std::nullopt;
  u.status_message = std::move(message);
  return settle(user_id, u, now);
}

PresenceStore::Kept PresenceStore::kept(const std::string& user_id, MonoTime now) const {
  Kept out;
  auto it = users_.find(user_id);
  if (it == users_.end()) return out;
  const UserState& u = it->second;
  for (const auto& [id, session] : u.sessions) {
    if (session.kind != SessionKind::Graph) continue;
    if (session.expires_at && *session.expires_at <= now) continue;
    out.sessions.push_back(session);
  }
  if (u.preferred && u.preferred->expires_at > now) {
    out.preferred = u.preferred->pair;
    out.preferred_expires_at = u.preferred->expires_at;
  }
  if (u.status_message && (!u.status_expires_at || *u.status_expires_at > now)) {
    out.status_message = u.status_message;
    out.status_expires_at = u.status_expires_at;
  }
  return out;
}

std::optional<PresenceChange> PresenceStore::restore(const std::string& user_id, const Kept& kept,
                                                     MonoTime now) {
  UserState& u = user(user_id);
  for (const auto& session : kept.sessions) {
    if (session.kind != SessionKind::Graph || session.id.empty()) continue;
    if (session.expires_at && *session.expires_at <= now) continue;
    u.sessions[session.id] = session;
  }
  if (kept.preferred && kept.preferred_expires_at > now) {
    u.preferred = Preferred{*kept.preferred, kept.preferred_expires_at};
  }
  if (kept.status_message && (!kept.status_expires_at || *kept.status_expires_at > now)) {
    u.status_message = kept.status_message;
    u.status_expires_at = kept.status_expires_at;
  }
  return settle(user_id, u, now);
}

Presence PresenceStore::aggregate(const std::string& user_id, MonoTime now) const {
  auto it = users_.find(user_id);
  if (it == users_.end()) {
    Presence p;
    p.user_id = user_id;
    p.pair = {Availability::Offline, Activity::Offline};
    return p;
  }
  Presence p = it->second.published;
  p.pair = compute(it->second, now);
  const UserState& u = it->second;
  const bool expired = u.status_expires_at && *u.status_expires_at <= now;
  p.status_message = expired ? std::nullopt : u.status_message;
  return p;
}

std::vector<PresenceSession> PresenceStore::sessions(const std::string& user_id,
                                                     MonoTime now) const {
  std::vector<PresenceSession> out;
  auto it = users_.find(user_id);
  if (it == users_.end()) return out;
  for (const auto& [id, s] : it->second.sessions) {
    if (!s.expires_at || *s.expires_at > now) out.push_back(s);
  }
  return out;
}

std::vector<PresenceChange> PresenceStore::tick(MonoTime now) {
  std::vector<PresenceChange> changes;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    std::string user_id = deadlines_.begin()->second;
    auto it = users_.find(user_id);
    if (it == users_.end()) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    if (auto change = settle(user_id, it->second, now)) changes.push_back(std::move(*change));
  }
  return changes;
}

std::optional<MonoTime> PresenceStore::nextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace sb::presence
