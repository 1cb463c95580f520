// SPDX-License-Identifier: Apache-2.0
#include "center/voice_center.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "common/log.h"

namespace sb::center {

namespace {

constexpr uint8_t kTimerTick = 1;     // routing engine deadline
constexpr uint8_t kTimerExpiry = 2;   // registrar binding expiry
constexpr uint8_t kTimerDelayed = 3;  // throttled REGISTER answer: (id << 4) | 3

TrunkTransport transportOf(const sip::SendTarget& t) {
  if (sip::iequals(t.transport, "TCP")) return TrunkTransport::Tcp;
  if (sip::iequals(t.transport, "TLS")) return TrunkTransport::Tls;
  return TrunkTransport::Udp;
}

bool isPrivateV4(std::string_view ip) {
  if (ip.starts_with("10.") || ip.starts_with("192.168.")) return true;
  if (ip.starts_with("172.")) {
    int second = 0;
    for (size_t i = 4; i < ip.size() && ip[i] != '.'; ++i) second = second * 10 + (ip[i] - '0');
    return second >= 16 && second <= 31;
  }
  return ip.starts_with("100.64.");
}

bool isIpLiteral(const sip::Uri& u) {
  if (u.ipv6) return true;
  for (char c : u.host) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  return !u.host.empty();
}

// Where to send an INVITE for a binding. Over a stream the UA is reached on the connection it
// registered on (RFC 3261 §18 / RFC 5626 style); over UDP its Contact is used when it names a
// usable address, and the source flow when the Contact is a private address other than the one
// the REGISTER came from (a UA behind NAT) or not an IP literal.
sip::SendTarget nextHopFor(const registrar::Binding& b) {
  std::string transport = b.source.transport;
  for (auto& c : transport) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (transport.empty()) transport = "UDP";
  sip::SendTarget flow{transport, b.source.address, b.source.port};
  if (transport != "UDP") return flow;
  auto uri = sip::parseUri(b.contact);
  if (!uri || !isIpLiteral(*uri)) return flow;
  if (isPrivateV4(uri->host) && uri->host != b.source.address) return flow;
  if (auto t = uri->params.get("transport"); t && !sip::iequals(*t, "udp")) return flow;
  return sip::SendTarget{"UDP", std::string(uri->host), uri->port ? uri->port : uint16_t{5060}};
}

bool looksLikeNumber(std::string_view s) {
  if (s.empty()) return false;
  size_t digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (!(i == 0 && s[i] == '+') && s[i] != '-' && s[i] != '.') {
      return false;
    }
  }
  return digits >= 3;
}

}  // namespace

std::string_view dispositionName(Disposition d) noexcept {
  switch (d) {
    case Disposition::Answered: return "answered";
    case Disposition::Abandoned: return "abandoned";
    case Disposition::TimedOut: return "timed_out";
    case Disposition::Rejected: return "rejected";
  }
  return "rejected";
}

// Lets the registrar keep one reference while the directory snapshot is swapped.
class VoiceCenter::DirectoryForwarder final : public registrar::Directory {
 public:
  explicit DirectoryForwarder(const std::shared_ptr<const center::Directory>& d) : d_(d) {}
  std::optional<std::string> tenantForDomain(std::string_view domain) const override {
    return d_->tenantForDomain(domain);
  }
  std::optional<registrar::UserCredentials> findUser(std::string_view tenant,
                                                     std::string_view user) const override {
    return d_->findUser(tenant, user);
  }

 private:
  const std::shared_ptr<const center::Directory>& d_;
};

struct VoiceCenter::Interaction {
  enum class Kind : uint8_t { Pending, Queue, Direct };
  std::string id;
  b2bua::CallHandle call = 0;
  Kind kind = Kind::Pending;
  std::string tenant;
  std::string queue;
  std::optional<routing::ReservationId> reservation;
  std::string ringing_user;
  bool in_engine = false;
  std::string overflow_to;  // set by a QueueTimeout that overflows
  std::optional<MonoTime> enqueued_mono;
  InteractionRecord record;
  bool timed_out = false;
  std::string caller_user;  // authenticated calling user; empty for trunk calls
  bool in_call = false;     // counted in in_call_ (connected)
};

VoiceCenter::VoiceCenter(std::shared_ptr<const Directory> directory, b2bua::B2bua& b2bua,
                         sip::TransactionLayer& layer, routing::Engine& engine,
                         CenterEnvironment& env, CenterStore& store, const Clock& clock,
                         VoiceCenterOptions options)
    : directory_(std::move(directory)),
      forwarder_(std::make_unique<DirectoryForwarder>(directory_)),
      registrar_(std::make_unique<registrar::Registrar>(options.registrar, *forwarder_)),
      b2bua_(b2bua),
      layer_(layer),
      engine_(engine),
      env_(env),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      invite_auth_(options_.invite_digest) {
  char prefix[24];
  std::snprintf(prefix, sizeof(prefix), "%llx",
                static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                    clock_.wallNow().time_since_epoch())
                                                    .count()));
  id_prefix_ = prefix;
}

VoiceCenter::~VoiceCenter() = default;

Status VoiceCenter::start() {
  const auto now = clock_.now();
  routing::Output out;
  for (const auto& t : directory_->tenants()) {
    for (const auto& q : t.queues) SB_TRY(engine_.upsertQueue(q.routing, now, out));
    for (const auto& u : t.users) {
      if (u.role != UserRole::Agent) continue;
      routing::AgentSpec a;
      a.id = agentIdFor(t.id, u.id);
      a.tenant = routing::TenantId(t.id);
      a.skills = u.skills;
      for (const auto& [channel, max] : u.capacity) {
        if (auto c = routing::channelFromName(channel)) {
          a.capacity.max_per_channel[static_cast<size_t>(*c)] = max;
        }
      }
      SB_TRY(engine_.upsertAgent(a, now, out));
      SB_TRY(engine_.setReachable(a.id, false, now, out));
      // An agent on a break before a restart is still on it after (and is not logged in by
      // the restored registration below, which only logs in an Offline agent).
      if (auto saved = store_.loadAgentState(t.id, u.id)) {
        (void)engine_.setAgentState(a.id, saved->state, saved->reason, now, out);
      }
    }
  }
  registrar_->restore(store_.loadBindings(), now, clock_.wallNow());
  for (const auto& t : directory_->tenants()) {
    for (const auto& u : t.users) {
      if (u.role == UserRole::Agent && registrar_->isRegistered(t.id, u.id, now)) {
        bindingsChanged(t.id, u.id);
      }
    }
  }
  apply(out);
  armExpiry();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Registration

void VoiceCenter::handleRegister(sip::TransactionHandle txn, const sip::Message& request,
                                 const sip::SendTarget& source) {
  const auto now = clock_.now();
  registrar::Source src{source.transport, source.address, source.port};
  for (auto& c : src.transport) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto result = registrar_->handleRegister(request, src, now, clock_.wallNow());
  for (const auto& b : result.removed) store_.removeBinding(b);
  for (const auto& b : result.upserted) store_.saveBinding(b);
  if (!result.tenant.empty() && (!result.removed.empty() || !result.upserted.empty())) {
    bindingsChanged(result.tenant, result.user);
  }
  armExpiry();
  if (!result.response) return;
  if (result.delay > Duration{0}) {
    const uint64_t key = (next_delayed_++ << 4) | kTimerDelayed;
    delayed_.emplace(key, std::pair{txn, std::move(*result.response)});
    env_.startTimer(key, result.delay);
    return;
  }
  (void)layer_.sendResponse(txn, *result.response, now);
}

void VoiceCenter::bindingsChanged(const std::string& tenant, const std::string& user) {
  presenceChanged(tenant, user);
  const UserSpec* u = directory_->user(tenant, user);
  if (u == nullptr || u->role != UserRole::Agent) return;
  const auto now = clock_.now();
  const auto agent = agentIdFor(tenant, user);
  const bool registered = registrar_->isRegistered(tenant, user, now);
  routing::Output out;
  (void)engine_.setReachable(agent, registered, now, out);
  if (registered && options_.auto_login_on_register) {
    auto snap = engine_.agent(agent);
    if (snap && snap->requested == routing::AgentState::Offline) {
      (void)engine_.setAgentState(agent, routing::AgentState::Available, "registered", now, out);
    }
  }
  apply(out);
}

Status VoiceCenter::setAgentState(const std::string& tenant, const std::string& user,
                                  routing::AgentState state, std::string reason) {
  routing::Output out;
  // The choice is kept even when it cannot take effect yet: during a call it waits for the
  // call's end, and a restart before then must not lose it.
  SavedAgentState choice{state, reason};
  auto s = engine_.setAgentState(agentIdFor(tenant, user), state, std::move(reason), clock_.now(),
                                 out);
  if (s) store_.saveAgentChoice(tenant, user, choice);
  apply(out);
  return s;
}

std::vector<CallView> VoiceCenter::callsOf(const std::string& tenant,
                                           const std::string& user) const {
  std::vector<CallView> out;
  for (const auto& [handle, owned] : calls_) {
    const Interaction& i = *owned;
    if (i.tenant != tenant || i.ringing_user != user) continue;
    const char* state = i.record.answered ? "answered"
                        : i.reservation   ? "offered"
                                          : "ringing";
    // A queue call between offers (declined, requeued) no longer belongs to this agent.
    if (i.kind == Interaction::Kind::Queue && !i.record.answered && !i.reservation) continue;
    out.push_back(CallView{i.id, i.tenant, i.queue, i.ringing_user, i.record.caller,
                           i.record.called, state, i.record.offered, i.record.answered});
  }
  return out;
}

Status VoiceCenter::declineOffer(const std::string& tenant, const std::string& user,
                                 const std::string& interaction) {
  Interaction* i = byInteraction(routing::InteractionId(interaction));
  if (i == nullptr || i->tenant != tenant || i->ringing_user != user || !i->reservation) {
    return fail(Errc::NotFound, "no outstanding offer of this interaction for this agent",
                "interactionId");
  }
  const auto reservation = *i->reservation;
  // Reset first: cancelConnect() reports onConnectFailed(487) at once, which must not decline
  // a second time.
  i->reservation.reset();
  (void)b2bua_.cancelConnect(i->call);
  routing::Output out;
  auto s = engine_.decline(reservation, clock_.now(), out);
  apply(out);
  return s;
}

Status VoiceCenter::endWrapUp(const std::string& tenant, const std::string& user) {
  routing::Output out;
  auto s = engine_.endWrapUp(agentIdFor(tenant, user), clock_.now(), out);
  apply(out);
  return s;
}

void VoiceCenter::notifyCall(const Interaction& i, std::string_view state) {
  const std::string& tenant = i.tenant.empty() ? i.record.tenant : i.tenant;
  if (observers_.empty() || tenant.empty()) return;
  CallView v{i.id, tenant, i.queue, i.ringing_user, i.record.caller, i.record.called,
             std::string(state), i.record.offered, i.record.answered};
  if (state == "queued") v.user.clear();
  for (auto* o : observers_) o->onCall(v);
}

int VoiceCenter::callsOfUser(const std::string& tenant, const std::string& user) const {
  auto it = in_call_.find(agentIdFor(tenant, user).value());
  return it == in_call_.end() ? 0 : it->second;
}

Status VoiceCenter::setRoutingPresence(const std::string& tenant, const std::string& user,
                                       routing::Presence presence) {
  routing::Output out;
  auto s = engine_.setPresence(agentIdFor(tenant, user), presence, clock_.now(), out);
  apply(out);
  return s;
}

void VoiceCenter::presenceChanged(const std::string& tenant, const std::string& user) {
  if (presence_hook_ && !tenant.empty() && !user.empty()) presence_hook_(tenant, user);
}

void VoiceCenter::markInCall(Interaction& i, bool on) {
  if (i.in_call == on || i.tenant.empty()) return;
  i.in_call = on;
  for (const std::string* u : {&i.ringing_user, &i.caller_user}) {
    if (u->empty()) continue;
    const std::string key = agentIdFor(i.tenant, *u).value();
    if (on) {
      ++in_call_[key];
    } else if (auto it = in_call_.find(key); it != in_call_.end() && --it->second <= 0) {
      in_call_.erase(it);
    }
    presenceChanged(i.tenant, *u);
  }
}

void VoiceCenter::armExpiry() {
  if (auto next = registrar_->nextExpiry()) {
    const auto now = clock_.now();
    env_.startTimer(kTimerExpiry, *next > now ? *next - now : Duration{0});
  } else {
    env_.cancelTimer(kTimerExpiry);
  }
}

void VoiceCenter::armTick() {
  const auto next = engine_.nextDeadline();
  if (next == tick_armed_) return;
  tick_armed_ = next;
  if (next) {
    const auto now = clock_.now();
    env_.startTimer(kTimerTick, *next > now ? *next - now : Duration{0});
  } else {
    env_.cancelTimer(kTimerTick);
  }
}

void VoiceCenter::onTimer(uint64_t key) {
  const auto now = clock_.now();
  if (key == kTimerTick) {
    tick_armed_.reset();  // fired: apply() below arms the next one
    routing::Output out;
    engine_.tick(now, out);
    apply(out);
  } else if (key == kTimerExpiry) {
    auto gone = registrar_->expire(now);
    for (const auto& b : gone) {
      store_.removeBinding(b);
      bindingsChanged(b.tenant, b.user);
    }
    armExpiry();
  } else if ((key & 0xf) == kTimerDelayed) {
    auto it = delayed_.find(key);
    if (it != delayed_.end()) {
      (void)layer_.sendResponse(it->second.first, it->second.second, now);
      delayed_.erase(it);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Calls

void VoiceCenter::onIncomingCall(b2bua::CallHandle call, const sip::Message& invite,
                                 const sip::SendTarget& source) {
  auto owned = std::make_unique<Interaction>();
  Interaction& i = *owned;
  i.id = id_prefix_ + "-" + std::to_string(next_interaction_++);
  i.call = call;
  i.record.id = i.id;
  i.record.arrived = clock_.wallNow();
  i.record.sip_call_id = std::string(invite.callId().value_or(""));
  if (auto from = invite.from()) i.record.caller = std::string(from->uri.raw);
  auto ruri = invite.requestUri();
  const std::string called = ruri ? sip::unescape(ruri->user) : std::string();
  i.record.called = called;
  calls_.emplace(call, std::move(owned));
  by_interaction_[i.id] = call;

  auto rejectWith = [&](int code, std::string_view reason,
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    i.record.end_reason = std::to_string(code);
    (void)b2bua_.reject(call, code, reason, headers);  // onEnded() writes the record
  };

  if (const TrunkSpec* trunk = directory_->matchTrunk(source.address, source.port,
                                                      transportOf(source))) {
    auto match = directory_->matchNumber(trunk, called);
    if (!match && invite.to()) match = directory_->matchNumber(trunk, invite.to()->uri.user);
    if (!match) {
      // A single-tenant trunk's calls are that tenant's, even to a number it does not own.
      if (trunk->tenants.size() == 1) i.record.tenant = trunk->tenants.front();
      return rejectWith(404, "Not Found");
    }
    i.record.tenant = match->tenant->id;
    return numberCall(i, *match->tenant, *match->number);
  }

  // Not a trunk: a user of a tenant, who must authenticate (RFC 3261 §22.3, 407).
  auto from = invite.from();
  const TenantSpec* tenant = from ? directory_->tenantByDomain(from->uri.host) : nullptr;
  if (tenant == nullptr) return rejectWith(403, "Forbidden");  // reveals no tenant
  i.record.tenant = tenant->id;
  const auto now = clock_.now();
  std::optional<sip::DigestResponse> cred;
  for (auto value : invite.headers(sip::HeaderId::ProxyAuthorization)) {
    auto parsed = sip::parseDigestResponse(value);
    if (parsed && sip::iequals(parsed->realm, tenant->domain)) cred = std::move(*parsed);
  }
  auto challenge = [&](bool stale) {
    std::vector<std::pair<std::string, std::string>> h;
    for (auto& v : invite_auth_.challenge(tenant->domain, now, stale)) {
      h.emplace_back("Proxy-Authenticate", std::move(v));
    }
    rejectWith(407, "Proxy Authentication Required", std::move(h));
  };
  if (!cred) return challenge(false);
  const UserSpec* caller = directory_->user(tenant->id, cred->username);
  const std::string* ha1 = nullptr;
  if (caller != nullptr) {
    ha1 = cred->algorithm == sip::DigestAlgorithm::Sha256 ? &caller->ha1_sha256 : &caller->ha1_md5;
  }
  switch (invite_auth_.verify(*cred, "INVITE", tenant->domain, ha1 ? *ha1 : "", now)) {
    case sip::DigestVerdict::Ok:
      break;
    case sip::DigestVerdict::Stale:
      return challenge(true);
    case sip::DigestVerdict::BadNonce:
    case sip::DigestVerdict::Replay:
      return challenge(false);
    default:
      return rejectWith(403, "Forbidden");
  }
  if (sip::unescape(from->uri.user) != cred->username) return rejectWith(403, "Forbidden");
  i.caller_user = cred->username;

  // A colleague, a queue number of the tenant, or an external number via the outbound trunk.
  if (auto match = directory_->matchNumber(nullptr, called); match && match->tenant == tenant) {
    return numberCall(i, *tenant, *match->number);
  }
  if (const UserSpec* callee = directory_->userByIdOrExtension(tenant->id, called)) {
    return directCall(i, *tenant, *callee);
  }
  if (looksLikeNumber(called) && !tenant->outbound_trunk.empty()) {
    if (const TrunkSpec* trunk = directory_->trunk(tenant->outbound_trunk)) {
      return trunkCall(i, *tenant, *trunk, called);
    }
  }
  rejectWith(404, "Not Found");
}

void VoiceCenter::numberCall(Interaction& i, const TenantSpec& tenant, const NumberSpec& number) {
  if (number.user.empty()) return queueCall(i, tenant, number.queue);
  const UserSpec* callee = directory_->user(tenant.id, number.user);
  if (callee == nullptr) {
    i.record.end_reason = "404";
    (void)b2bua_.reject(i.call, 404, "Not Found");
    return;
  }
  directCall(i, tenant, *callee);
}

void VoiceCenter::queueCall(Interaction& i, const TenantSpec& tenant, const std::string& queue) {
  const QueueSpecLite* q = directory_->queue(tenant.id, queue);
  if (q == nullptr) {
    (void)b2bua_.reject(i.call, 404, "Not Found");
    return;
  }
  i.kind = Interaction::Kind::Queue;
  i.tenant = tenant.id;
  i.queue = queue;
  i.record.queue = queue;
  (void)b2bua_.ring(i.call);
  const auto now = clock_.now();
  routing::InteractionSpec spec;
  spec.id = routing::InteractionId(i.id);
  spec.tenant = routing::TenantId(tenant.id);
  spec.queue = q->routing.id;
  spec.attributes = {{"caller", i.record.caller}, {"called", i.record.called}};
  if (i.enqueued_mono) spec.enqueued_at = i.enqueued_mono;
  routing::Output out;
  auto r = engine_.enqueue(spec, now, out);
  if (!r) {
    SB_LOG_INFO("interaction {}: not queued in {}: {}", i.id, queue, r.error().toString());
    i.record.end_reason = "queue_full";
    i.timed_out = true;
    (void)b2bua_.reject(i.call, q->timeout_response, "Queue Full");
    return;
  }
  i.in_engine = true;
  if (!i.enqueued_mono) {
    i.enqueued_mono = now;
    i.record.queued = clock_.wallNow();
  }
  notifyCall(i, "queued");
  apply(out);
}

std::vector<b2bua::Target> VoiceCenter::targetsFor(const std::string& tenant,
                                                   const std::string& user) {
  std::vector<b2bua::Target> targets;
  for (const auto& b : registrar_->lookup(tenant, user, clock_.now())) {
    b2bua::Target t;
    t.request_uri = b.contact;
    t.next_hop = nextHopFor(b);
    t.route = b.path;
    targets.push_back(std::move(t));
  }
  return targets;
}

void VoiceCenter::directCall(Interaction& i, const TenantSpec& tenant, const UserSpec& callee) {
  i.kind = Interaction::Kind::Direct;
  i.tenant = tenant.id;
  auto targets = targetsFor(tenant.id, callee.id);
  if (targets.empty()) {
    i.record.end_reason = "not_registered";
    (void)b2bua_.reject(i.call, 480, "Temporarily Unavailable");
    return;
  }
  b2bua::ConnectOptions opt;
  opt.to = "<sip:" + callee.id + "@" + tenant.domain + ">";
  opt.copy_headers = tenant.copy_headers;
  opt.relay_provisional = true;
  opt.ring_timeout = options_.direct_ring_timeout;
  i.ringing_user = callee.id;
  i.record.offered = clock_.wallNow();
  if (b2bua_.connect(i.call, targets, opt)) notifyCall(i, "ringing");
}

void VoiceCenter::trunkCall(Interaction& i, const TenantSpec& tenant, const TrunkSpec& trunk,
                            const std::string& number) {
  i.kind = Interaction::Kind::Direct;
  i.tenant = tenant.id;
  b2bua::Target t;
  t.request_uri = "sip:" + number + "@" + trunk.outbound_address + ":" +
                  std::to_string(trunk.outbound_port);
  t.next_hop.transport = trunk.transport == TrunkTransport::Tcp   ? "TCP"
                         : trunk.transport == TrunkTransport::Tls ? "TLS"
                                                                  : "UDP";
  t.next_hop.address = trunk.outbound_address;
  t.next_hop.port = trunk.outbound_port;
  b2bua::ConnectOptions opt;
  opt.to = "<" + t.request_uri + ">";
  opt.copy_headers = tenant.copy_headers;
  opt.relay_provisional = true;
  opt.ring_timeout = options_.direct_ring_timeout;
  i.record.offered = clock_.wallNow();
  if (b2bua_.connect(i.call, {t}, opt)) notifyCall(i, "ringing");
}

VoiceCenter::Interaction* VoiceCenter::byInteraction(const routing::InteractionId& id) {
  auto it = by_interaction_.find(id.value());
  if (it == by_interaction_.end()) return nullptr;
  auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : c->second.get();
}

void VoiceCenter::apply(routing::Output& out) {
  // Decisions can cause more decisions (a decline re-offers at once): drain breadth-first.
  std::deque<routing::Decision> pending(out.decisions.begin(), out.decisions.end());
  std::vector<routing::SegmentEvent> events = std::move(out.events);
  out.clear();
  while (!pending.empty()) {
    routing::Output more;
    applyOne(pending.front(), more);
    pending.pop_front();
    pending.insert(pending.end(), more.decisions.begin(), more.decisions.end());
    events.insert(events.end(), more.events.begin(), more.events.end());
  }
  for (auto* o : observers_) {
    for (const auto& e : events) o->onSegment(e);
  }
  armTick();
}

void VoiceCenter::applyOne(const routing::Decision& d, routing::Output& more) {
  const auto now = clock_.now();
  if (const auto* offer = std::get_if<routing::Offer>(&d)) {
    Interaction* i = byInteraction(offer->interaction);
    auto who = splitQualified(offer->agent.value());
    if (i == nullptr || !who) {
      (void)engine_.decline(offer->reservation, now, more);
      return;
    }
    auto targets = targetsFor(who->first, who->second);
    if (targets.empty()) {
      // The engine thought the agent reachable: correct it; it re-offers elsewhere.
      (void)engine_.setReachable(offer->agent, false, now, more);
      return;
    }
    const TenantSpec* tenant = directory_->tenant(i->tenant);
    b2bua::ConnectOptions opt;
    opt.to = "<sip:" + who->second + "@" + (tenant ? tenant->domain : "invalid") + ">";
    if (tenant != nullptr) opt.copy_headers = tenant->copy_headers;
    opt.ring_timeout = (offer->deadline > now ? offer->deadline - now : Duration{0}) +
                       options_.ring_slack;
    i->reservation = offer->reservation;
    i->ringing_user = who->second;
    if (!i->record.offered) i->record.offered = clock_.wallNow();
    if (auto s = b2bua_.connect(i->call, targets, opt); !s) {
      i->reservation.reset();
      (void)engine_.decline(offer->reservation, now, more);
    } else {
      notifyCall(*i, "offered");
    }
  } else if (const auto* r = std::get_if<routing::Rescind>(&d)) {
    Interaction* i = byInteraction(r->interaction);
    if (i != nullptr && i->reservation == r->reservation) {
      i->reservation.reset();
      (void)b2bua_.cancelConnect(i->call);
    }
  } else if (const auto* t = std::get_if<routing::OfferTimedOut>(&d)) {
    Interaction* i = byInteraction(t->interaction);
    if (i != nullptr && i->reservation == t->reservation) {
      i->reservation.reset();
      (void)b2bua_.cancelConnect(i->call);
    }
  } else if (const auto* qt = std::get_if<routing::QueueTimeout>(&d)) {
    Interaction* i = byInteraction(qt->interaction);
    if (i == nullptr) return;
    const QueueSpecLite* q = directory_->queue(i->tenant, i->queue);
    if (q != nullptr && !q->overflow_queue.empty()) {
      i->overflow_to = q->overflow_queue;  // re-queued when the engine finishes it
    } else {
      i->timed_out = true;
      i->in_engine = false;  // the engine has already finished it
      i->record.end_reason = "max_wait";
      (void)b2bua_.reject(i->call, q ? q->timeout_response : 480, "Queue Timeout");
    }
  } else if (const auto* ret = std::get_if<routing::InteractionReturned>(&d)) {
    Interaction* i = byInteraction(ret->interaction);
    if (i != nullptr) {
      i->in_engine = false;
      i->record.end_reason = "queue_removed";
      (void)b2bua_.reject(i->call, 480, "Temporarily Unavailable");
    }
  } else if (const auto* fin = std::get_if<routing::InteractionFinished>(&d)) {
    Interaction* i = byInteraction(fin->interaction);
    if (i == nullptr) return;
    i->in_engine = false;
    if (!i->overflow_to.empty()) {
      const TenantSpec* tenant = directory_->tenant(i->tenant);
      const std::string target = std::exchange(i->overflow_to, {});
      if (tenant != nullptr) queueCall(*i, *tenant, target);
    }
  } else if (const auto* s = std::get_if<routing::AgentStateChanged>(&d)) {
    SB_LOG_DEBUG("agent {}: {} -> {} ({})", s->agent.value(), routing::agentStateName(s->from),
                 routing::agentStateName(s->to), s->reason);
    if (auto who = splitQualified(s->agent.value())) presenceChanged(who->first, who->second);
    for (auto* o : observers_) o->onAgentState(*s);
  }
}

void VoiceCenter::onConnectFailed(b2bua::CallHandle call, int code) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  Interaction& i = *it->second;
  if (i.kind == Interaction::Kind::Direct) {
    i.record.end_reason = std::to_string(code);
    (void)b2bua_.reject(call, code == 487 || code == 408 ? 480 : code);
    return;
  }
  if (!i.reservation) return;  // we cancelled it ourselves (rescind / offer timeout)
  const auto reservation = *i.reservation;
  i.reservation.reset();
  routing::Output out;
  // 486/480/603 and "nobody answered or reachable" all decline: the engine skips this agent
  // for this interaction for a while and offers it to the next one.
  (void)engine_.decline(reservation, clock_.now(), out);
  apply(out);
}

void VoiceCenter::onAnswered(b2bua::CallHandle call, const std::string& /*uri*/) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  Interaction& i = *it->second;
  i.record.answered = clock_.wallNow();
  i.record.agent = i.ringing_user;
  markInCall(i, true);
  notifyCall(i, "answered");
  if (i.kind != Interaction::Kind::Queue || !i.reservation) return;
  routing::Output out;
  if (auto s = engine_.accept(*i.reservation, clock_.now(), out); !s) {
    SB_LOG_WARN("interaction {}: accept failed after answer: {}", i.id, s.error().toString());
  }
  i.reservation.reset();
  apply(out);
}

void VoiceCenter::onEnded(b2bua::CallHandle call, b2bua::EndReason reason) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  Interaction& i = *it->second;
  if (i.record.end_reason.empty()) i.record.end_reason = std::string(b2bua::endReasonName(reason));
  if (i.record.answered) {
    i.record.disposition = Disposition::Answered;
  } else if (i.timed_out) {
    i.record.disposition = Disposition::TimedOut;
  } else if (reason == b2bua::EndReason::CallerCancel ||
             reason == b2bua::EndReason::CallerHangup) {
    i.record.disposition = Disposition::Abandoned;
  } else {
    i.record.disposition = Disposition::Rejected;
  }
  if (i.in_engine) {
    routing::Output out;
    const routing::InteractionId id(i.id);
    if (i.record.answered) {
      (void)engine_.complete(id, clock_.now(), out);
    } else {
      (void)engine_.abandon(id, clock_.now(), out);
    }
    i.in_engine = false;
    apply(out);
  }
  finish(i);
}

void VoiceCenter::onHold(b2bua::CallHandle call, b2bua::Side /*by*/, bool on) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return;
  notifyCall(*it->second, on ? "held" : "resumed");
  if (!it->second->in_engine) return;
  routing::Output out;
  (void)engine_.hold(routing::InteractionId(it->second->id), on, clock_.now(), out);
  apply(out);
}

void VoiceCenter::finish(Interaction& i) {
  if (i.in_call) markInCall(i, false);
  i.record.ended = clock_.wallNow();
  // A request attributable to no tenant (unknown source and domain) is nobody's record.
  if (!i.record.tenant.empty()) {
    store_.writeRecord(i.record);
    notifyCall(i, "ended");
    for (auto* o : observers_) o->onRecord(i.record);
  }
  by_interaction_.erase(i.id);
  calls_.erase(i.call);  // `i` is gone after this line
}

// ---------------------------------------------------------------------------------------------
// Live configuration

Status VoiceCenter::applyDirectory(std::shared_ptr<const Directory> next) {
  if (next == nullptr) return fail(Errc::InvalidArgument, "no directory", "directory");
  const auto now = clock_.now();
  // forwarder_ reads the directory_ member, so the registrar sees the swap at once.
  const std::shared_ptr<const Directory> previous = std::exchange(directory_, std::move(next));
  Status result;
  auto keep = [&result](Status s) {
    if (!s && result) result = std::move(s);
  };
  auto isAgent = [](const Directory& d, const std::string& tenant, const std::string& user) {
    const UserSpec* u = d.user(tenant, user);
    return u != nullptr && u->role == UserRole::Agent;
  };
  routing::Output out;
  // Dropped queues first: the engine hands their waiting calls back (InteractionReturned).
  for (const auto& t : previous->tenants()) {
    for (const auto& q : t.queues) {
      if (directory_->queue(t.id, q.id) == nullptr) keep(engine_.removeQueue(q.routing.id, now, out));
    }
  }
  // Upserting a queue keeps its waiting calls in place and may offer them at once.
  for (const auto& t : directory_->tenants()) {
    for (const auto& q : t.queues) keep(engine_.upsertQueue(q.routing, now, out));
  }
  std::vector<std::pair<std::string, std::string>> added;
  for (const auto& t : directory_->tenants()) {
    for (const auto& u : t.users) {
      if (u.role != UserRole::Agent) continue;
      routing::AgentSpec a;
      a.id = agentIdFor(t.id, u.id);
      a.tenant = routing::TenantId(t.id);
      a.skills = u.skills;
      for (const auto& [channel, max] : u.capacity) {
        if (auto c = routing::channelFromName(channel)) {
          a.capacity.max_per_channel[static_cast<size_t>(*c)] = max;
        }
      }
      const bool known = engine_.agent(a.id).has_value();
      keep(engine_.upsertAgent(a, now, out));
      if (!known) {
        // As in start(): unreachable until a binding says otherwise (below).
        (void)engine_.setReachable(a.id, false, now, out);
        added.emplace_back(t.id, u.id);
      }
    }
  }
  for (const auto& t : previous->tenants()) {
    for (const auto& u : t.users) {
      if (u.role == UserRole::Agent && !isAgent(*directory_, t.id, u.id)) {
        keep(engine_.removeAgent(agentIdFor(t.id, u.id), now, out));
      }
    }
  }
  apply(out);
  // A new agent who registered before being added (or was re-added) is reachable now.
  for (const auto& [tenant, user] : added) {
    if (registrar_->isRegistered(tenant, user, now)) bindingsChanged(tenant, user);
  }
  return result;
}

}  // namespace sb::center
