// SPDX-License-Identifier: Apache-2.0
#include "center/presence_sip.h"

#include <cstdio>

#include "common/log.h"
#include "presence/pidf.h"
#include "sip/uri.h"

namespace sb::center {

namespace {

constexpr uint64_t kTimerExpiry = 1;  // (subscription id << 4) | 1

// A restored subscription's NOTIFYs must carry CSeqs above every one sent before the restart
// (RFC 3261 12.2.1.1), but storing the CSeq with every NOTIFY would put a store write on every
// presence change. The stored copy is refreshed instead whenever the CSeq has moved half a step
// past it, and restore() adds a whole step: always above the last CSeq used.
constexpr uint32_t kCseqStep = 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The event package token and its `id` parameter (RFC 6665 §8.2.1).
std::pair<std::string_view, std::string_view> parseEvent(std::string_view value) {
  size_t semi = value.find(';');
  const std::string_view package = trim(value.substr(0, semi));
  std::string_view id;
  while (semi != std::string_view::npos) {
    value = value.substr(semi + 1);
    semi = value.find(';');
    const std::string_view param = trim(value.substr(0, semi));
    if (param.size() > 3 && sip::iequals(param.substr(0, 3), "id=")) id = param.substr(3);
  }
  return {package, id};
}

bool acceptsPidf(const sip::Message& m) {
  if (m.count(sip::HeaderId::Accept) == 0) return true;  // RFC 3856 §6.6: PIDF is the default
  auto accept = m.accept();
  if (!accept) return false;
  for (const auto& mt : *accept) {
    const bool type_ok = mt.type == "*" || sip::iequals(mt.type, "application");
    const bool sub_ok = mt.subtype == "*" || sip::iequals(mt.subtype, "pidf+xml");
    if (type_ok && sub_ok) return true;
  }
  return false;
}

}  // namespace

PresenceSip::PresenceSip(sip::TransactionLayer& layer, b2bua::B2buaEnvironment& addressing,
                         CenterEnvironment& timers, const Clock& clock,
                         sip::TransactionUser* next, PresenceSipOptions options)
    : layer_(layer),
      addressing_(addressing),
      timers_(timers),
      clock_(clock),
      next_(next),
      options_(std::move(options)),
      auth_(options_.digest),
      etag_seed_(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                           clock.wallNow().time_since_epoch())
                                           .count())) {}

PresenceSip::~PresenceSip() {
  if (service_ != nullptr) service_->removeListener(this);
}

void PresenceSip::setService(PresenceService& service) {
  if (service_ != nullptr) service_->removeListener(this);
  service_ = &service;
  service_->addListener(this);
}

void PresenceSip::setStore(CenterStore* store) { store_ = store; }

SavedWatcher PresenceSip::saved(const Subscription& s) const {
  SavedWatcher w;
  w.tenant = s.tenant;
  w.user = s.user;
  w.entity = s.entity;
  w.event_id = s.event_id;
  w.dialog = s.dialog;
  w.flow = s.flow;
  w.flow.connection = 0;
  w.expires_at = wallOf(s.expires_at, clock_.now(), clock_.wallNow());
  return w;
}

void PresenceSip::save(Subscription& s) {
  if (store_ == nullptr || s.terminated) return;
  store_->saveWatcher(saved(s));
  s.stored_cseq = s.dialog.local_cseq;
}

PresenceSip::Subscription& PresenceSip::add(Subscription s) {
  s.id = next_id_++;
  by_dialog_[{s.dialog.call_id, s.dialog.local_tag, s.dialog.remote_tag}] = s.id;
  by_user_[agentIdFor(s.tenant, s.user).value()].insert(s.id);
  const uint64_t id = s.id;
  return subs_.emplace(id, std::move(s)).first->second;
}

void PresenceSip::restore() {
  if (store_ == nullptr || service_ == nullptr) return;
  const auto now = clock_.now();
  const auto wall = clock_.wallNow();
  // PUBLISH state first, so that the watchers' NOTIFYs below already show it.
  for (auto& p : store_->loadPublications()) {
    const auto left = monoOf(p.expires_at, now, wall) - now;
    if (left <= Duration{0}) continue;
    if (auto st = service_->setInternalSession(p.tenant, p.user, p.session_key, p.pair, left);
        !st) {
      continue;  // the user is gone
    }
    publications_[p.etag] = Publication{p.tenant, p.user, p.session_key, p.pair, now + left};
  }
  size_t restored = 0;
  for (auto& w : store_->loadWatchers()) {
    const auto expires_at = monoOf(w.expires_at, now, wall);
    if (expires_at <= now) continue;
    if (by_dialog_.contains({w.dialog.call_id, w.dialog.local_tag, w.dialog.remote_tag})) continue;
    Subscription s;
    s.tenant = std::move(w.tenant);
    s.user = std::move(w.user);
    s.entity = std::move(w.entity);
    s.event_id = std::move(w.event_id);
    s.dialog = std::move(w.dialog);
    s.dialog.local_cseq += kCseqStep;
    s.flow = std::move(w.flow);
    // A stream's connection died with the process, and its source port is the peer's
    // ephemeral one: NOTIFYs go to the remote target (its Contact) instead.
    if (s.flow.reliable()) {
      if (auto target = addressing_.resolve(s.dialog.remote_target)) s.flow = *target;
    }
    s.expires_at = expires_at;
    auto& stored = add(std::move(s));
    save(stored);
    armExpiry(stored);
    // The state may have changed while the server was down (and a user may be gone: the
    // NOTIFY then ends the subscription with reason=noresource).
    sendNotify(stored);
    ++restored;
  }
  if (restored > 0) SB_LOG_INFO("presence: {} SIP subscriptions restored", restored);
}

std::optional<PresenceSip::Authenticated> PresenceSip::admit(const Incoming& req) {
  const sip::Message& m = req.request;
  auto event = m.header(sip::HeaderId::Event);
  if (!event) {
    (void)respond(req, 400, "Missing Event Header");
    return std::nullopt;
  }
  if (!sip::iequals(parseEvent(*event).first, "presence")) {
    // RFC 6665 §8.3.2 / RFC 3903 §6: unknown package.
    (void)respond(req, 489, "Bad Event", {{"Allow-Events", "presence"}});
    return std::nullopt;
  }
  if (service_ == nullptr) {
    (void)respond(req, 503, "Service Unavailable");
    return std::nullopt;
  }
  auto from = m.from();
  const TenantSpec* tenant = from ? service_->directory().tenantByDomain(from->uri.host) : nullptr;
  if (tenant == nullptr) {
    (void)respond(req, 403, "Forbidden");  // reveals no tenant
    return std::nullopt;
  }
  const auto now = clock_.now();
  std::optional<sip::DigestResponse> cred;
  for (auto id : {sip::HeaderId::ProxyAuthorization, sip::HeaderId::Authorization}) {
    for (auto value : m.headers(id)) {
      auto parsed = sip::parseDigestResponse(value);
      if (parsed && sip::iequals(parsed->realm, tenant->domain)) cred = std::move(*parsed);
    }
  }
  auto challenge = [&](bool stale) {
    std::vector<std::pair<std::string, std::string>> h;
    for (auto& v : auth_.challenge(tenant->domain, now, stale)) {
      h.emplace_back("Proxy-Authenticate", std::move(v));
    }
    (void)respond(req, 407, "Proxy Authentication Required", h);
  };
  if (!cred) {
    challenge(false);
    return std::nullopt;
  }
  const UserSpec* caller = service_->directory().user(tenant->id, cred->username);
  const std::string* ha1 = nullptr;
  if (caller != nullptr) {
    ha1 = cred->algorithm == sip::DigestAlgorithm::Sha256 ? &caller->ha1_sha256 : &caller->ha1_md5;
  }
  switch (auth_.verify(*cred, m.methodName(), tenant->domain, ha1 ? *ha1 : "", now)) {
    case sip::DigestVerdict::Ok:
      break;
    case sip::DigestVerdict::Stale:
      challenge(true);
      return std::nullopt;
    case sip::DigestVerdict::BadNonce:
    case sip::DigestVerdict::Replay:
      challenge(false);
      return std::nullopt;
    default:
      (void)respond(req, 403, "Forbidden");
      return std::nullopt;
  }
  if (sip::unescape(from->uri.user) != cred->username) {
    (void)respond(req, 403, "Forbidden");
    return std::nullopt;
  }
  return Authenticated{tenant, cred->username};
}

std::optional<uint32_t> PresenceSip::expiresOf(const Incoming& req) {
  const sip::Message& m = req.request;
  if (m.count(sip::HeaderId::Expires) == 0) return options_.default_expires;
  auto e = m.expires();
  if (!e) {
    (void)respond(req, 400, "Bad Expires");
    return std::nullopt;
  }
  if (*e != 0 && *e < options_.min_expires) {
    // RFC 6665 §4.2.1.1 / RFC 3903 §6 step 5.
    (void)respond(req, 423, "Interval Too Brief",
                             {{"Min-Expires", std::to_string(options_.min_expires)}});
    return std::nullopt;
  }
  return std::min(*e, options_.max_expires);
}

void PresenceSip::respond(const Incoming& req, int code, std::string_view reason,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  // RFC 3261 §8.2.6.2: a To tag on every final response to a request outside a dialog.
  auto to = req.request.to();
  sip::Message r = sip::makeResponse(req.request, code, reason,
                                     to && to->tag.empty() ? newEtag() : std::string());
  for (const auto& [name, value] : headers) r.addHeader(name, value);
  (void)layer_.sendResponse(req.txn, r, clock_.now());
}

void PresenceSip::onSubscribe(sip::TransactionHandle txn, const sip::Message& request,
                              const sip::SendTarget& source) {
  onSubscribe(Incoming{txn, request, source});
}

void PresenceSip::onPublish(sip::TransactionHandle txn, const sip::Message& request,
                            const sip::SendTarget& source) {
  onPublish(Incoming{txn, request, source});
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIBE (RFC 6665 §4.2.1)

void PresenceSip::onSubscribe(const Incoming& req) {
  const sip::Message& m = req.request;
  const auto now = clock_.now();
  auto to = m.to();
  auto from = m.from();
  auto call_id = m.callId();
  if (!to || !from || !call_id) {
    (void)respond(req, 400, "Bad Request");
    return;
  }

  if (!to->tag.empty()) {
    // A refresh or an unsubscribe within an existing dialog.
    auto it = by_dialog_.find({std::string(*call_id), std::string(to->tag), std::string(from->tag)});
    if (it == by_dialog_.end() || subs_.find(it->second) == subs_.end()) {
      (void)respond(req, 481, "Subscription Does Not Exist");
      return;
    }
    Subscription& s = subs_.at(it->second);
    if (s.terminated) {
      (void)respond(req, 481, "Subscription Does Not Exist");
      return;
    }
    auto event = m.header(sip::HeaderId::Event);
    if (!event || !sip::iequals(parseEvent(*event).first, "presence") ||
        parseEvent(*event).second != s.event_id) {
      (void)respond(req, 489, "Bad Event", {{"Allow-Events", "presence"}});
      return;
    }
    if (auto st = s.dialog.acceptRemoteRequest(m); !st) {
      (void)respond(req, 500, "CSeq Out Of Order");
      return;
    }
    auto expires = expiresOf(req);
    if (!expires) return;
    sip::Message ok = sip::makeResponse(m, 200);
    ok.addHeader("Expires", std::to_string(*expires));
    ok.addHeader("Contact", addressing_.contactFor(req.source));
    (void)layer_.sendResponse(req.txn, ok, clock_.now());
    s.flow = req.source;
    if (*expires == 0) {
      s.terminated = true;
      s.reason = "timeout";
      timers_.cancelTimer((s.id << 4) | kTimerExpiry);
    } else {
      s.expires_at = now + std::chrono::seconds(*expires);
      armExpiry(s);
    }
    sendNotify(s);  // RFC 6665 §4.2.1.2: every accepted SUBSCRIBE gets a NOTIFY
    save(s);        // new expiry, remote CSeq and flow (not once terminated)
    return;
  }

  auto who = admit(req);
  if (!who) return;
  auto ruri = m.requestUri();
  const UserSpec* target =
      ruri ? service_->directory().userByIdOrExtension(who->tenant->id, sip::unescape(ruri->user))
           : nullptr;
  if (target == nullptr) {
    (void)respond(req, 404, "Not Found");
    return;
  }
  if (!acceptsPidf(m)) {
    (void)respond(req, 406, "Not Acceptable",
                             {{"Accept", std::string(presence::kPidfContentType)}});
    return;
  }
  auto expires = expiresOf(req);
  if (!expires) return;
  const std::string local_tag = newEtag();
  auto dialog = b2bua::Dialog::fromUas(m, local_tag);
  if (!dialog) {
    (void)respond(req, 400, "Bad Request (" + dialog.error().message + ")");
    return;
  }
  Subscription s;
  s.tenant = who->tenant->id;
  s.user = target->id;
  s.entity = "sip:" + target->id + "@" + who->tenant->domain;
  s.event_id = std::string(parseEvent(*m.header(sip::HeaderId::Event)).second);
  s.dialog = std::move(*dialog);
  s.flow = req.source;
  sip::Message ok = sip::makeResponse(m, 200, {}, local_tag);
  ok.addHeader("Expires", std::to_string(*expires));
  ok.addHeader("Contact", addressing_.contactFor(req.source));
  if (auto st = layer_.sendResponse(req.txn, ok, clock_.now()); !st) return;
  if (*expires == 0) {
    // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, then the subscription is over.
    s.terminated = true;
    s.reason = "timeout";
  } else {
    s.expires_at = now + std::chrono::seconds(*expires);
  }
  auto& stored = add(std::move(s));
  SB_LOG_DEBUG("presence: {} watches {}/{} (subscription {}, {} s)", who->user, stored.tenant,
               stored.user, stored.id, *expires);
  if (!stored.terminated) armExpiry(stored);
  sendNotify(stored);
  save(stored);
}

void PresenceSip::armExpiry(const Subscription& s) {
  const auto now = clock_.now();
  timers_.startTimer((s.id << 4) | kTimerExpiry,
                     s.expires_at > now ? s.expires_at - now : Duration{0});
}

void PresenceSip::onTimer(uint64_t key) {
  if ((key & 0xf) != kTimerExpiry) return;
  auto it = subs_.find(key >> 4);
  if (it == subs_.end() || it->second.terminated) return;
  it->second.terminated = true;
  it->second.reason = "timeout";
  sendNotify(it->second);
}

void PresenceSip::onPresenceChanged(const std::string& tenant, const presence::Presence& p) {
  auto it = by_user_.find(agentIdFor(tenant, p.user_id).value());
  if (it == by_user_.end()) return;
  const std::vector<uint64_t> ids(it->second.begin(), it->second.end());
  for (uint64_t id : ids) {
    auto s = subs_.find(id);
    if (s != subs_.end() && !s->second.terminated) sendNotify(s->second);
  }
}

void PresenceSip::sendNotify(Subscription& s) {
  // RFC 6665 §4.2.2: no new NOTIFY in a dialog until the previous one has a final response;
  // the latest state goes out then.
  if (s.pending) {
    s.dirty = true;
    return;
  }
  s.dirty = false;
  const auto now = clock_.now();
  auto p = service_ != nullptr ? service_->get(s.tenant, s.user)
                               : Result<presence::Presence>(std::unexpected(Error(Errc::Unavailable, "")));
  if (!p && !s.terminated) {
    s.terminated = true;
    s.reason = "noresource";  // the user is gone
  }
  sip::SendTarget hop = s.flow;
  if (!s.dialog.route_set.empty()) {
    if (auto resolved = addressing_.resolve(s.dialog.firstHop())) hop = *resolved;
  }
  sip::Message n = s.dialog.makeRequest("NOTIFY");
  n.pushVia(addressing_.viaFor(hop) + ";branch=" + layer_.newBranch());
  n.addHeader("Contact", addressing_.contactFor(hop));
  n.addHeader("Event", s.event_id.empty() ? std::string("presence") : "presence;id=" + s.event_id);
  if (s.terminated) {
    n.addHeader("Subscription-State", "terminated;reason=" + s.reason);
  } else {
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(s.expires_at - now).count();
    n.addHeader("Subscription-State", "active;expires=" + std::to_string(std::max<int64_t>(left, 0)));
  }
  if (p) {
    n.setBody(presence::toPidf(*p, s.entity), presence::kPidfContentType);
  } else {
    n.setBody("");
  }
  auto txn = layer_.sendRequest(n, hop, now);
  if (!txn) {
    SB_LOG_INFO("presence: NOTIFY for subscription {} not sent: {}", s.id, txn.error().toString());
    if (s.terminated) remove(s.id);
    return;
  }
  s.pending = *txn;
  by_txn_[*txn] = s.id;
  if (s.stored_cseq && s.dialog.local_cseq - *s.stored_cseq >= kCseqStep / 2) save(s);
}

void PresenceSip::finishTransaction(sip::TransactionHandle txn, bool failed) {
  auto t = by_txn_.find(txn);
  if (t == by_txn_.end()) return;
  const uint64_t id = t->second;
  by_txn_.erase(t);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  Subscription& s = it->second;
  s.pending.reset();
  // RFC 6665 §4.2.2: a failure response (481 above all) or a timeout ends the subscription.
  if (failed || s.terminated) {
    remove(id);
    return;
  }
  if (s.dirty) sendNotify(s);
}

void PresenceSip::remove(uint64_t id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  Subscription& s = it->second;
  timers_.cancelTimer((id << 4) | kTimerExpiry);
  if (s.stored_cseq && store_ != nullptr) {
    store_->removeWatcher(s.tenant, s.dialog.call_id, s.dialog.local_tag);
  }
  by_dialog_.erase({s.dialog.call_id, s.dialog.local_tag, s.dialog.remote_tag});
  const std::string key = agentIdFor(s.tenant, s.user).value();
  if (auto u = by_user_.find(key); u != by_user_.end()) {
    u->second.erase(id);
    if (u->second.empty()) by_user_.erase(u);
  }
  if (s.pending) by_txn_.erase(*s.pending);
  subs_.erase(it);
}

void PresenceSip::shutdown() {
  // Stored subscriptions outlive the process: restore() takes them back.
  if (store_ != nullptr) return;
  std::vector<uint64_t> ids;
  for (const auto& [id, s] : subs_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = subs_.find(id);
    if (it == subs_.end() || it->second.terminated) continue;
    it->second.terminated = true;
    it->second.reason = "deactivated";
    it->second.dirty = false;
    if (!it->second.pending) sendNotify(it->second);
  }
}

// ---------------------------------------------------------------------------------------------
// PUBLISH (RFC 3903 §6)

std::string PresenceSip::newEtag() {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%llx.%llx", static_cast<unsigned long long>(etag_seed_),
                static_cast<unsigned long long>(++etag_counter_));
  return buf;
}

void PresenceSip::onPublish(const Incoming& req) {
  const sip::Message& m = req.request;
  auto who = admit(req);
  if (!who) return;
  auto ruri = m.requestUri();
  const UserSpec* target =
      ruri ? service_->directory().userByIdOrExtension(who->tenant->id, sip::unescape(ruri->user))
           : nullptr;
  if (target == nullptr) {
    (void)respond(req, 404, "Not Found");
    return;
  }
  if (target->id != who->user) {
    (void)respond(req, 403, "Forbidden (publish only your own presence)");
    return;
  }
  auto expires = expiresOf(req);
  if (!expires) return;
  const auto now = clock_.now();
  // Forget publications that have expired (their sessions expired in the store already).
  for (auto it = publications_.begin(); it != publications_.end();) {
    it = it->second.expires_at <= now ? publications_.erase(it) : std::next(it);
  }

  const std::string_view body = m.body();
  std::optional<presence::PresencePair> pair;
  if (!body.empty()) {
    auto ct = m.contentType();
    if (!ct || !ct->is("application", "pidf+xml")) {
      (void)respond(req, 415, "Unsupported Media Type",
                               {{"Accept", std::string(presence::kPidfContentType)}});
      return;
    }
    auto doc = presence::parsePidf(body);
    if (!doc) {
      (void)respond(req, 400, "Bad Request (" + doc.error().message + ")");
      return;
    }
    auto wanted = presence::pairFromPidf(*doc);
    if (!wanted) {
      (void)respond(req, 400, "Bad Request (" + wanted.error().message + ")");
      return;
    }
    pair = *wanted;
  }

  Publication entry;
  if (auto if_match = m.header(sip::HeaderId::SipIfMatch)) {
    auto it = publications_.find(std::string(trim(*if_match)));
    if (it == publications_.end() || it->second.tenant != who->tenant->id ||
        it->second.user != target->id) {
      (void)respond(req, 412, "Conditional Request Failed");
      return;
    }
    entry = std::move(it->second);
    publications_.erase(it);
    if (!body.empty()) entry.pair = pair;
  } else if (body.empty()) {
    (void)respond(req, 400, "Bad Request (PUBLISH without body or SIP-If-Match)");
    return;
  } else if (*expires == 0) {
    (void)respond(req, 400, "Bad Request (initial PUBLISH with Expires: 0)");
    return;
  } else {
    entry.tenant = who->tenant->id;
    entry.user = target->id;
    entry.session_key = "sip-publish:" + newEtag();
    entry.pair = pair;
  }

  if (*expires == 0) {
    // Removal (RFC 3903 §4.5): the session goes, the entity-tag is forgotten.
    (void)service_->setInternalSession(entry.tenant, entry.user, entry.session_key, std::nullopt,
                                       std::nullopt);
    if (store_ != nullptr) store_->removePublication(entry.tenant, entry.session_key);
    sip::Message ok = sip::makeResponse(m, 200);
    ok.addHeader("Expires", "0");
    (void)layer_.sendResponse(req.txn, ok, clock_.now());
    return;
  }
  entry.expires_at = now + std::chrono::seconds(*expires);
  if (auto st = service_->setInternalSession(entry.tenant, entry.user, entry.session_key,
                                             entry.pair, std::chrono::seconds(*expires));
      !st) {
    (void)respond(req, 400, "Bad Request (" + st.error().message + ")");
    return;
  }
  const std::string etag = newEtag();
  if (store_ != nullptr && entry.pair) {
    store_->savePublication({entry.tenant, entry.user, entry.session_key, etag, *entry.pair,
                             clock_.wallNow() + std::chrono::seconds(*expires)});
  }
  publications_.emplace(etag, std::move(entry));
  sip::Message ok = sip::makeResponse(m, 200);
  ok.addHeader("SIP-ETag", etag);
  ok.addHeader("Expires", std::to_string(*expires));
  (void)layer_.sendResponse(req.txn, ok, clock_.now());
}

// ---------------------------------------------------------------------------------------------
// Client transaction events: ours are NOTIFYs; everything else belongs to `next_`.

void PresenceSip::onRequest(sip::TransactionHandle txn, const sip::Message& request,
                            const sip::SendTarget& source) {
  if (next_ != nullptr) next_->onRequest(txn, request, source);
}

void PresenceSip::onResponse(sip::TransactionHandle txn, const sip::Message& response) {
  if (by_txn_.count(txn) == 0) {
    if (next_ != nullptr) next_->onResponse(txn, response);
    return;
  }
  if (response.statusCode() < 200) return;
  finishTransaction(txn, response.statusCode() >= 300);
}

void PresenceSip::onStrayResponse(const sip::Message& response, const sip::SendTarget& source) {
  if (next_ != nullptr) next_->onStrayResponse(response, source);
}

void PresenceSip::onTimeout(sip::TransactionHandle txn) {
  if (by_txn_.count(txn) == 0) {
    if (next_ != nullptr) next_->onTimeout(txn);
    return;
  }
  finishTransaction(txn, true);
}

void PresenceSip::onTransportError(sip::TransactionHandle txn, const Error& error) {
  if (by_txn_.count(txn) == 0) {
    if (next_ != nullptr) next_->onTransportError(txn, error);
    return;
  }
  finishTransaction(txn, true);
}

void PresenceSip::onTerminated(sip::TransactionHandle txn) {
  if (by_txn_.count(txn) != 0) {
    finishTransaction(txn, true);  // ended without a final response we saw
    return;
  }
  if (next_ != nullptr) next_->onTerminated(txn);
}

}  // namespace sb::center
