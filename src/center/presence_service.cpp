// SPDX-License-Identifier: Apache-2.0
#include "center/presence_service.h"

#include <algorithm>

#include "common/log.h"

namespace sb::center {

namespace {

constexpr uint64_t kTimerFlush = 1;     // deferred re-evaluation of changed users
constexpr uint64_t kTimerDeadline = 2;  // PresenceStore expiry / fading

// Sequence numbers keep growing across restarts: start above any earlier stamp.
uint64_t firstSequence(const Clock& clock) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   clock.wallNow().time_since_epoch())
                                   .count());
}

}  // namespace

routing::Presence routingPresenceFor(presence::PresencePair pair) noexcept {
  using presence::Availability;
  if (presence::isRoutable(pair)) return routing::Presence::Available;
  switch (pair.availability) {
    case Availability::DoNotDisturb: return routing::Presence::DoNotDisturb;
    case Availability::Away:
    case Availability::BeRightBack: return routing::Presence::Away;
    case Availability::Offline:
    case Availability::PresenceUnknown: return routing::Presence::Offline;
    default: return routing::Presence::Busy;  // Busy, BusyIdle, an unroutable activity
  }
}

presence::SwitchboardSignals VoiceCenterPresenceBackend::signals(const std::string& tenant,
                                                                 const std::string& user) {
  presence::SwitchboardSignals s;
  s.sip_bound = center_.registrar().isRegistered(tenant, user, clock_.now());
  s.call_parties = center_.callsOfUser(tenant, user) > 0 ? 2 : 0;
  const UserSpec* u = center_.directory().user(tenant, user);
  if (u != nullptr && u->role == UserRole::Agent) {
    auto a = center_.engine().agent(agentIdFor(tenant, user));
    // A logged-out or not-ready agent who is still registered shows Away.
    s.not_ready = a && a->requested != routing::AgentState::Available;
  }
  return s;
}

void VoiceCenterPresenceBackend::setRoutingPresence(const std::string& tenant,
                                                    const std::string& user,
                                                    routing::Presence presence) {
  const UserSpec* u = center_.directory().user(tenant, user);
  if (u == nullptr || u->role != UserRole::Agent) return;
  if (auto s = center_.setRoutingPresence(tenant, user, presence); !s) {
    SB_LOG_DEBUG("presence of {}/{} not applied to routing: {}", tenant, user,
                 s.error().toString());
  }
}

PresenceService::PresenceService(PresenceBackend& backend, CenterEnvironment& timers,
                                 const Clock& clock)
    : backend_(backend),
      timers_(timers),
      clock_(clock),
      store_(presence::PresenceStore::Options{
          std::string(presence::kDefaultSwitchboardSessionId), firstSequence(clock)}) {}

void PresenceService::start() {
  restoreKept();
  const auto now = clock_.now();
  for (const auto& t : backend_.directory().tenants()) {
    for (const auto& u : t.users) {
      refresh(t.id, u.id, now);
      // Agents the store never changed (Offline from the start) still need the engine told.
      if (u.role == UserRole::Agent) {
        backend_.setRoutingPresence(t.id, u.id,
                                    routingPresenceFor(store_.aggregate(keyFor(t.id, u.id), now).pair));
      }
    }
  }
  armDeadline();
}

void PresenceService::addListener(PresenceListener* listener) {
  if (std::find(listeners_.begin(), listeners_.end(), listener) == listeners_.end()) {
    listeners_.push_back(listener);
  }
}

void PresenceService::removeListener(PresenceListener* listener) {
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
}

void PresenceService::userChanged(const std::string& tenant, const std::string& user) {
  dirty_.emplace(tenant, user);
  if (!flush_armed_) {
    flush_armed_ = true;
    timers_.startTimer(kTimerFlush, Duration{0});
  }
}

void PresenceService::onTimer(uint64_t key) {
  const auto now = clock_.now();
  if (key == kTimerFlush) {
    flush_armed_ = false;
    auto dirty = std::move(dirty_);
    dirty_.clear();
    for (const auto& [tenant, user] : dirty) refresh(tenant, user, now);
  } else if (key == kTimerDeadline) {
    deadline_armed_.reset();
    for (const auto& change : store_.tick(now)) dispatch(change);
  }
  armDeadline();
}

std::string PresenceService::keyFor(const std::string& tenant, const std::string& user) {
  return agentIdFor(tenant, user).value();
}

Status PresenceService::checkUser(const std::string& tenant, const std::string& user) const {
  if (backend_.directory().user(tenant, user) == nullptr) {
    return fail(Errc::NotFound, "no such user: " + user, "id");
  }
  return {};
}

Result<presence::Presence> PresenceService::get(const std::string& tenant,
                                                const std::string& user) const {
  SB_TRY(checkUser(tenant, user));
  presence::Presence p = store_.aggregate(keyFor(tenant, user), clock_.now());
  p.user_id = user;
  return p;
}

Status PresenceService::setPresence(const std::string& tenant, const std::string& user,
                                    const presence::SetPresenceRequest& req) {
  SB_TRY(checkUser(tenant, user));
  dispatch(store_.setPresence(keyFor(tenant, user), req, clock_.now()));
  keep(tenant, user);
  armDeadline();
  return {};
}

Status PresenceService::clearPresence(const std::string& tenant, const std::string& user,
                                      const std::string& session_id) {
  SB_TRY(checkUser(tenant, user));
  auto change = store_.clearPresence(keyFor(tenant, user), session_id, clock_.now());
  if (!change) return std::unexpected(change.error());
  dispatch(*change);
  keep(tenant, user);
  armDeadline();
  return {};
}

Status PresenceService::setUserPreferredPresence(const std::string& tenant,
                                                 const std::string& user,
                                                 const presence::SetPreferredRequest& req) {
  SB_TRY(checkUser(tenant, user));
  dispatch(store_.setUserPreferredPresence(keyFor(tenant, user), req, clock_.now()));
  keep(tenant, user);
  armDeadline();
  return {};
}

Status PresenceService::clearUserPreferredPresence(const std::string& tenant,
                                                   const std::string& user) {
  SB_TRY(checkUser(tenant, user));
  dispatch(store_.clearUserPreferredPresence(keyFor(tenant, user), clock_.now()));
  keep(tenant, user);
  armDeadline();
  return {};
}

Status PresenceService::setStatusMessage(const std::string& tenant, const std::string& user,
                                         std::optional<presence::StatusMessage> message) {
  SB_TRY(checkUser(tenant, user));
  const auto now = clock_.now();
  std::optional<MonoTime> expires_at;
  if (message && message->expiry) expires_at = monoOf(*message->expiry, now, clock_.wallNow());
  dispatch(store_.setStatusMessage(keyFor(tenant, user), std::move(message), expires_at, now));
  keep(tenant, user);
  armDeadline();
  return {};
}

Status PresenceService::setInternalSession(const std::string& tenant, const std::string& user,
                                           const std::string& key,
                                           std::optional<presence::PresencePair> pair,
                                           std::optional<Duration> expires) {
  SB_TRY(checkUser(tenant, user));
  auto change = store_.setInternalSession(keyFor(tenant, user), key, pair, expires, clock_.now());
  if (!change) return std::unexpected(change.error());
  dispatch(*change);
  armDeadline();
  return {};
}

std::vector<presence::PresenceSession> PresenceService::sessions(const std::string& tenant,
                                                                 const std::string& user) const {
  return store_.sessions(keyFor(tenant, user), clock_.now());
}

void PresenceService::keep(const std::string& tenant, const std::string& user) {
  if (store_keeper_ == nullptr) return;
  const auto now = clock_.now();
  const auto wall = clock_.wallNow();
  auto onWall = [&](MonoTime t) { return wallOf(t, now, wall); };
  const auto kept = store_.kept(keyFor(tenant, user), now);
  SavedPresence saved;
  saved.tenant = tenant;
  saved.user = user;
  for (const auto& s : kept.sessions) {
    if (!s.expires_at) continue;  // Graph sessions always expire
    saved.sessions.push_back({s.id, s.pair, onWall(s.updated_at), onWall(*s.expires_at)});
  }
  saved.preferred = kept.preferred;
  if (kept.preferred) saved.preferred_expires_at = onWall(kept.preferred_expires_at);
  saved.status_message = kept.status_message;
  store_keeper_->savePresence(saved);
}

void PresenceService::restoreKept() {
  if (store_keeper_ == nullptr) return;
  const auto now = clock_.now();
  const auto wall = clock_.wallNow();
  auto onMono = [&](WallTime t) { return monoOf(t, now, wall); };
  size_t restored = 0;
  for (const auto& saved : store_keeper_->loadPresence()) {
    if (backend_.directory().user(saved.tenant, saved.user) == nullptr) continue;
    presence::PresenceStore::Kept kept;
    for (const auto& s : saved.sessions) {
      presence::PresenceSession session;
      session.id = s.id;
      session.pair = s.pair;
      session.kind = presence::SessionKind::Graph;
      session.updated_at = onMono(s.updated_at);
      session.expires_at = onMono(s.expires_at);
      kept.sessions.push_back(std::move(session));
    }
    kept.preferred = saved.preferred;
    kept.preferred_expires_at = onMono(saved.preferred_expires_at);
    kept.status_message = saved.status_message;
    if (saved.status_message && saved.status_message->expiry) {
      kept.status_expires_at = onMono(*saved.status_message->expiry);
    }
    dispatch(store_.restore(keyFor(saved.tenant, saved.user), kept, now));
    ++restored;
  }
  if (restored > 0) SB_LOG_INFO("presence: kept presence of {} users restored", restored);
}

void PresenceService::refresh(const std::string& tenant, const std::string& user,
                              MonoTime now) {
  if (backend_.directory().user(tenant, user) == nullptr) return;
  dispatch(store_.setSwitchboardState(keyFor(tenant, user), backend_.signals(tenant, user), now));
}

void PresenceService::dispatch(const presence::PresenceChange& change) {
  auto who = splitQualified(change.user_id);
  if (!who) return;
  presence::Presence p = change;
  p.user_id = who->second;
  // The engine first: a user who just became unroutable must not be offered work by a listener
  // reacting to the event.
  backend_.setRoutingPresence(who->first, who->second, routingPresenceFor(p.pair));
  // A listener may remove itself (or others) while being called: iterate over a copy.
  const auto listeners = listeners_;
  for (auto* l : listeners) l->onPresenceChanged(who->first, p);
}

void PresenceService::armDeadline() {
  const auto next = store_.nextDeadline();
  if (next == deadline_armed_) return;
  deadline_armed_ = next;
  if (next) {
    const auto now = clock_.now();
    timers_.startTimer(kTimerDeadline, *next > now ? *next - now : Duration{0});
  } else {
    timers_.cancelTimer(kTimerDeadline);
  }
}

}  // namespace sb::center
