// SPDX-License-Identifier: Apache-2.0
#include "app/center_store.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "app/text.h"
#include "common/log.h"
#include "presence/graph_json.h"
#include "presence/iso8601.h"

namespace sb::app {

namespace {

store::Disposition toStore(center::Disposition d) {
  switch (d) {
    case center::Disposition::Answered:
      return store::Disposition::Answered;
    case center::Disposition::Abandoned:
      return store::Disposition::Abandoned;
    case center::Disposition::TimedOut:
      return store::Disposition::TimedOut;
    case center::Disposition::Rejected:
      return store::Disposition::Rejected;
  }
  return store::Disposition::Rejected;
}

std::string aorOf(const registrar::Binding& b) { return b.tenant + "/" + b.user; }

}  // namespace

store::InteractionRecord toStore(const center::InteractionRecord& r) {
  store::InteractionRecord s;
  s.tenant_id = store::TenantId(r.tenant);
  s.id = store::InteractionId(r.id);
  s.channel = r.channel;
  s.direction = "inbound";
  if (!r.queue.empty()) s.queue_id = store::QueueId(r.queue);
  s.caller = r.caller;
  s.callee = r.called;
  if (!r.agent.empty()) s.agent_id = store::UserId(r.agent);
  s.arrived_at = r.arrived;
  s.queued_at = r.queued;
  s.offered_at = r.offered;
  s.answered_at = r.answered;
  s.ended_at = r.ended;
  s.end_reason = r.end_reason;
  s.disposition = toStore(r.disposition);
  return s;
}

store::Binding toStore(const registrar::Binding& b) {
  store::Binding s;
  s.tenant_id = store::TenantId(b.tenant);
  s.aor = aorOf(b);
  s.contact_uri = b.contact;
  s.expires_at = b.expires_wall;
  s.q_milli = b.q;
  s.call_id = b.call_id;
  s.cseq = b.cseq;
  s.path = b.path;
  s.source = b.source.address + "|" + std::to_string(b.source.port);
  s.transport = b.source.transport;
  s.instance = b.instance;
  return s;
}

registrar::Binding fromStore(const store::Binding& s) {
  registrar::Binding b;
  b.tenant = s.tenant_id.value();
  const auto slash = s.aor.find('/');
  b.user = slash == std::string::npos ? s.aor : s.aor.substr(slash + 1);
  b.contact = s.contact_uri;
  b.expires_wall = s.expires_at;
  b.q = static_cast<uint16_t>(s.q_milli);
  b.call_id = s.call_id;
  b.cseq = s.cseq;
  b.path = s.path;
  b.instance = s.instance;
  b.source.transport = s.transport;
  // "address|port": '|' because IPv6 addresses contain ':'.
  const auto bar = s.source.rfind('|');
  b.source.address = s.source.substr(0, bar);
  if (bar != std::string::npos) {
    const std::string_view port(s.source.data() + bar + 1, s.source.size() - bar - 1);
    std::from_chars(port.data(), port.data() + port.size(), b.source.port);
  }
  return b;
}

AsyncCenterStore::AsyncCenterStore(store::Store& store)
    : store_(store), thread_([this] { run(); }) {}

AsyncCenterStore::~AsyncCenterStore() { close(); }

Status AsyncCenterStore::seedTenants(const center::Directory& directory) {
  for (const auto& t : directory.tenants()) {
    if (store_.tenants().get(store::TenantId(t.id))) continue;
    store::Tenant tenant;
    tenant.id = store::TenantId(t.id);
    tenant.name = t.name.empty() ? t.id : t.name;
    auto created = store_.tenants().create(tenant);
    if (!created) return std::unexpected(created.error());
  }
  return {};
}

void AsyncCenterStore::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (closing_) {
      // After close() the writer is gone: write synchronously rather than lose it.
      job();
      return;
    }
    jobs_.push_back(std::move(job));
    if (!idle_) return;  // the writer is busy or gathering: it will see the job
  }
  wake_.notify_one();
}

void AsyncCenterStore::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    idle_ = true;
    wake_.wait(lock, [this] {
      return closing_ || !jobs_.empty() || !records_.empty() || !states_.empty();
    });
    idle_ = false;
    if (jobs_.empty() && records_.empty() && states_.empty() && closing_) return;
    // Group commit: let the work of the next few milliseconds join this batch (one fsync for
    // all of it; producers do not wake this thread meanwhile). close() cuts the wait short.
    wake_.wait_for(lock, kGatherWindow, [this] { return closing_; });
    // Bindings and other jobs keep their order; records go in one batch after them.
    std::deque<std::function<void()>> jobs;
    jobs.swap(jobs_);
    std::vector<store::InteractionRecord> batch;
    batch.swap(records_);
    std::vector<store::AgentStateChange> states;
    states.swap(states_);
    lock.unlock();
    for (auto& job : jobs) job();
    flushRecords(batch);
    flushStates(states);
    lock.lock();
  }
}

void AsyncCenterStore::flushRecords(std::vector<store::InteractionRecord>& batch) {
  if (batch.empty()) return;
  if (store_.interactions().createMany(batch)) return;
  // One bad record (e.g. a duplicate id) must not lose the others: retry one by one.
  for (const auto& r : batch) {
    if (auto s = store_.interactions().create(r); !s) {
      SB_LOG_ERROR("interaction record {} not written: {}", r.id.value(), s.error().toString());
      std::lock_guard lock(mutex_);
      ++failed_;
    }
  }
}

void AsyncCenterStore::flushStates(std::vector<store::AgentStateChange>& batch) {
  if (batch.empty()) return;
  if (auto s = store_.agentStates().appendMany(batch); !s) {
    SB_LOG_ERROR("{} agent state changes not written: {}", batch.size(), s.error().toString());
    std::lock_guard lock(mutex_);
    failed_ += batch.size();
  }
}

void AsyncCenterStore::onAgentState(const routing::AgentStateChanged& change) {
  auto who = center::splitQualified(change.agent.value());
  if (!who) return;
  std::string state = lowerAscii(std::string(routing::agentStateName(change.to)));
  store::AgentStateChange row{store::TenantId(who->first), store::UserId(who->second),
                              std::move(state), change.reason, clock_.wallNow()};
  std::vector<store::AgentStateChange> one;
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      states_.push_back(std::move(row));
      if (idle_) wake_.notify_one();
      return;
    }
    one.push_back(std::move(row));
  }
  // After close() the writer is gone: write synchronously rather than lose it.
  flushStates(one);
}

void AsyncCenterStore::writeRecord(const center::InteractionRecord& record) {
  {
    std::lock_guard lock(mutex_);
    if (!closing_) {
      records_.push_back(toStore(record));
      if (idle_) wake_.notify_one();
      return;
    }
  }
  // After close() the writer is gone: write synchronously rather than lose it.
  std::vector<store::InteractionRecord> one{toStore(record)};
  flushRecords(one);
}

void AsyncCenterStore::postWrite(std::string what, std::function<Status()> write) {
  post([what = std::move(what), write = std::move(write)] {
    if (auto s = write(); !s) SB_LOG_ERROR("{} not saved: {}", what, s.error().toString());
  });
}

void AsyncCenterStore::saveBinding(const registrar::Binding& binding) {
  postWrite("binding " + binding.user,
            [this, b = toStore(binding)] { return store_.bindings().upsert(b); });
}

void AsyncCenterStore::removeBinding(const registrar::Binding& binding) {
  post([this, b = toStore(binding)] {
    (void)store_.bindings().remove(b.tenant_id, b.aor, b.contact_uri);
  });
}

std::vector<registrar::Binding> AsyncCenterStore::loadBindings() {
  std::vector<registrar::Binding> out;
  auto active = store_.bindings().listActive(std::chrono::system_clock::now());
  if (!active) {
    SB_LOG_WARN("bindings not restored: {}", active.error().toString());
    return out;
  }
  for (const auto& b : *active) out.push_back(fromStore(b));
  return out;
}

void AsyncCenterStore::saveWatcher(const center::SavedWatcher& watcher) {
  postWrite("SIP watcher of " + watcher.user,
            [this, w = toStore(watcher)] { return store_.sipWatchers().upsert(w); });
}

void AsyncCenterStore::removeWatcher(const std::string& tenant, const std::string& call_id,
                                     const std::string& local_tag) {
  post([this, tenant = store::TenantId(tenant), call_id, local_tag] {
    (void)store_.sipWatchers().remove(tenant, call_id, local_tag);
  });
}

std::vector<center::SavedWatcher> AsyncCenterStore::loadWatchers() {
  std::vector<center::SavedWatcher> out;
  const auto now = std::chrono::system_clock::now();
  auto active = store_.sipWatchers().listActive(now);
  if (!active) {
    SB_LOG_WARN("SIP watchers not restored: {}", active.error().toString());
    return out;
  }
  for (const auto& w : *active) out.push_back(fromStore(w));
  // What has expired is of no use any more.
  (void)store_.sipWatchers().purgeExpired(now);
  return out;
}

void AsyncCenterStore::saveAgentChoice(const std::string& tenant, const std::string& user,
                                       const center::SavedAgentState& choice) {
  store::AgentChoice row{store::TenantId(tenant), store::UserId(user),
                         routing::agentStateName(choice.state), choice.reason, clock_.wallNow()};
  postWrite("chosen state of " + user,
            [this, row = std::move(row)] { return store_.agentChoices().upsert(row); });
}

std::optional<center::SavedAgentState> AsyncCenterStore::loadAgentState(const std::string& tenant,
                                                                        const std::string& user) {
  // The states an agent chooses; the others (reserved, busy, wrap-up) follow from work, which
  // a restart does not keep. The newer of the last one in the history (which includes the
  // engine's own moves, e.g. Away after unanswered offers) and the last choice (which includes
  // one made during a call, not in effect yet) is what holds.
  const store::TenantId t(tenant);
  const store::UserId u(user);
  std::vector<std::string> names;
  for (auto state : routing::kRequestedStates) names.emplace_back(routing::agentStateName(state));
  auto last = store_.agentStates().latest(t, u, names);
  auto chosen = store_.agentChoices().get(t, u);
  if (!last || !chosen) {
    const Error& e = !last ? last.error() : chosen.error();
    SB_LOG_WARN("state of agent {}/{} not restored: {}", tenant, user, e.toString());
    return std::nullopt;
  }
  std::string name, reason;
  if (last->has_value()) {
    name = (*last)->state;
    reason = (*last)->reason;
  }
  if (chosen->has_value() && (!last->has_value() || (*chosen)->chosen_at > (*last)->at)) {
    name = (*chosen)->state;
    reason = (*chosen)->reason;
  }
  auto state = routing::requestedStateFromName(name);
  // Offline is the start-up default.
  if (!state || *state == routing::AgentState::Offline) return std::nullopt;
  return center::SavedAgentState{*state, reason};
}

void AsyncCenterStore::savePresence(const center::SavedPresence& presence) {
  const bool empty = presence.sessions.empty() && !presence.preferred && !presence.status_message;
  store::PresenceState row{store::TenantId(presence.tenant), presence.user,
                           empty ? std::string() : presenceDocument(presence), clock_.wallNow()};
  postWrite("presence of " + presence.user, [this, row = std::move(row)] {
    return row.document_json.empty() ? store_.presenceStates().remove(row.tenant_id, row.user_id)
                                     : store_.presenceStates().upsert(row);
  });
}

std::vector<center::SavedPresence> AsyncCenterStore::loadPresence() {
  std::vector<center::SavedPresence> out;
  auto rows = store_.presenceStates().listAll();
  if (!rows) {
    SB_LOG_WARN("presence not restored: {}", rows.error().toString());
    return out;
  }
  for (const auto& row : *rows) {
    if (auto p = presenceFromDocument(row)) {
      out.push_back(std::move(*p));
    } else {
      SB_LOG_WARN("kept presence of {}/{} is unreadable; dropped", row.tenant_id.value(),
                  row.user_id);
    }
  }
  return out;
}

void AsyncCenterStore::savePublication(const center::SavedPublication& p) {
  store::SipPublication row{store::TenantId(p.tenant),
                            p.session_key,
                            p.etag,
                            p.user,
                            std::string(presence::toString(p.pair.availability)),
                            std::string(presence::toString(p.pair.activity)),
                            p.expires_at};
  postWrite("PUBLISH state of " + p.user,
            [this, row = std::move(row)] { return store_.sipPublications().upsert(row); });
}

void AsyncCenterStore::removePublication(const std::string& tenant,
                                         const std::string& session_key) {
  post([this, tenant = store::TenantId(tenant), session_key] {
    (void)store_.sipPublications().remove(tenant, session_key);
  });
}

std::vector<center::SavedPublication> AsyncCenterStore::loadPublications() {
  std::vector<center::SavedPublication> out;
  const auto now = std::chrono::system_clock::now();
  auto rows = store_.sipPublications().listActive(now);
  if (!rows) {
    SB_LOG_WARN("PUBLISH state not restored: {}", rows.error().toString());
    return out;
  }
  (void)store_.sipPublications().purgeExpired(now);
  for (const auto& r : *rows) {
    auto a = presence::parseAvailability(r.availability);
    auto t = presence::parseActivity(r.activity);
    if (!a || !t) continue;
    out.push_back({r.tenant_id.value(), r.user_id, r.session_key, r.etag, {*a, *t}, r.expires_at});
  }
  return out;
}

// {"sessions": [{"id", "availability", "activity", "updatedAt", "expiresAt"}],
//  "preferred": {"availability", "activity", "expiresAt"},
//  "statusMessage": Graph's presenceStatusMessage}, times in ISO 8601 (UTC).
std::string presenceDocument(const center::SavedPresence& p) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& s : p.sessions) {
    nlohmann::json j = presence::toJson(s.pair);
    j["id"] = s.id;
    j["updatedAt"] = presence::formatIsoDateTime(s.updated_at);
    j["expiresAt"] = presence::formatIsoDateTime(s.expires_at);
    sessions.push_back(std::move(j));
  }
  nlohmann::json doc = {{"sessions", std::move(sessions)}};
  if (p.preferred) {
    doc["preferred"] = presence::toJson(*p.preferred);
    doc["preferred"]["expiresAt"] = presence::formatIsoDateTime(p.preferred_expires_at);
  }
  if (p.status_message) doc["statusMessage"] = presence::toJson(*p.status_message);
  return doc.dump();
}

namespace {

// The date-time member `key` of object j (presenceDocument's format); nullopt if it is not one.
std::optional<WallTime> timeIn(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  auto t = presence::parseIsoDateTime(it->get<std::string>());
  return t ? std::optional<WallTime>(*t) : std::nullopt;
}

}  // namespace

std::optional<center::SavedPresence> presenceFromDocument(const store::PresenceState& row) {
  auto doc = nlohmann::json::parse(row.document_json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("sessions") || !doc["sessions"].is_array()) {
    return std::nullopt;
  }
  center::SavedPresence out;
  out.tenant = row.tenant_id.value();
  out.user = row.user_id;
  for (const auto& j : doc["sessions"]) {
    auto pair = presence::parsePair(j);
    auto updated = timeIn(j, "updatedAt");
    auto expires = timeIn(j, "expiresAt");
    if (!pair || !updated || !expires || !j.contains("id") || !j["id"].is_string()) {
      return std::nullopt;
    }
    out.sessions.push_back({j["id"].get<std::string>(), *pair, *updated, *expires});
  }
  if (doc.contains("preferred")) {
    const auto& j = doc["preferred"];
    auto pair = presence::parsePair(j);
    auto expires = timeIn(j, "expiresAt");
    if (!pair || !expires) return std::nullopt;
    out.preferred = *pair;
    out.preferred_expires_at = *expires;
  }
  if (doc.contains("statusMessage")) {
    out.status_message = presence::parseStatusMessage(doc["statusMessage"]);
    if (!out.status_message) return std::nullopt;
  }
  return out;
}

store::SipWatcher toStore(const center::SavedWatcher& w) {
  store::SipWatcher out;
  out.tenant_id = store::TenantId(w.tenant);
  out.call_id = w.dialog.call_id;
  out.local_tag = w.dialog.local_tag;
  out.remote_tag = w.dialog.remote_tag;
  out.user = w.user;
  out.entity = w.entity;
  out.event_id = w.event_id;
  out.local_uri = w.dialog.local_uri;
  out.remote_uri = w.dialog.remote_uri;
  out.remote_target = w.dialog.remote_target;
  out.route_set = w.dialog.route_set;
  out.local_cseq = w.dialog.local_cseq;
  out.remote_cseq = w.dialog.remote_cseq;
  out.transport = w.flow.transport;
  out.address = w.flow.address;
  out.port = w.flow.port;
  out.listener = w.flow.listener ? static_cast<int>(*w.flow.listener) : -1;
  out.expires_at = w.expires_at;
  return out;
}

center::SavedWatcher fromStore(const store::SipWatcher& w) {
  center::SavedWatcher out;
  out.tenant = w.tenant_id.value();
  out.user = w.user;
  out.entity = w.entity;
  out.event_id = w.event_id;
  out.dialog.call_id = w.call_id;
  out.dialog.local_tag = w.local_tag;
  out.dialog.remote_tag = w.remote_tag;
  out.dialog.local_uri = w.local_uri;
  out.dialog.remote_uri = w.remote_uri;
  out.dialog.remote_target = w.remote_target;
  out.dialog.route_set = w.route_set;
  out.dialog.local_cseq = w.local_cseq;
  out.dialog.remote_cseq = w.remote_cseq;
  out.flow.transport = w.transport;
  out.flow.address = w.address;
  out.flow.port = static_cast<uint16_t>(w.port);
  if (w.listener >= 0) out.flow.listener = static_cast<unsigned>(w.listener);
  out.expires_at = w.expires_at;
  return out;
}

void AsyncCenterStore::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_) return;
    closing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t AsyncCenterStore::failedWrites() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

}  // namespace sb::app
