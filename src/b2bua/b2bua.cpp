// SPDX-License-Identifier: Apache-2.0
#include "b2bua/b2bua.h"

#include <algorithm>
#include <cstdio>

#include "common/log.h"
#include "sdp/session_description.h"

namespace sb::b2bua {

namespace {

constexpr uint8_t kTimerRetransmitCaller = 1;  // our 2xx to the caller's INVITE / re-INVITE
constexpr uint8_t kTimerRetransmitCallee = 2;  // our 2xx to the callee's re-INVITE
constexpr uint8_t kTimerRing = 3;              // ring timeout of the current attempt

constexpr const char* kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, MESSAGE, NOTIFY";

Side other(Side s) { return s == Side::Caller ? Side::Callee : Side::Caller; }

void copyBody(const sip::Message& from, sip::Message& to) {
  if (from.body().empty()) return;
  auto type = from.header(sip::HeaderId::ContentType);
  to.setBody(from.body(), type ? *type : std::string_view("application/sdp"));
}

std::optional<bool> holdOf(const sip::Message& m) {
  auto type = m.contentType();
  if (m.body().empty() || !type || !type->is("application", "sdp")) return std::nullopt;
  auto sdp = sdp::SessionDescription::parse(m.body());
  if (!sdp) return std::nullopt;
  return sdp->isHold();
}

// The better of two final responses for the caller (RFC 3261 §16.7 step 6, simplified):
// 6xx beats all; then a busy/decline from a person; 408 (nobody answered) last.
int betterCode(int a, int b) {
  auto rank = [](int c) {
    if (c >= 600) return 4;
    if (c == 486 || c == 480 || c == 603) return 3;
    if (c == 408 || c == 0) return 1;
    return 2;
  };
  return rank(b) > rank(a) ? b : a;
}

}  // namespace

std::string_view endReasonName(EndReason r) noexcept {
  switch (r) {
    case EndReason::CallerHangup: return "caller_hangup";
    case EndReason::CalleeHangup: return "callee_hangup";
    case EndReason::CallerCancel: return "caller_cancel";
    case EndReason::Rejected: return "rejected";
    case EndReason::Hangup: return "hangup";
    case EndReason::AckTimeout: return "ack_timeout";
    case EndReason::TransportError: return "transport_error";
  }
  return "unknown";
}

struct B2bua::Call {
  enum class State : uint8_t { Incoming, Answering, Bridged, Ended };
  struct Fork {
    Target target;
    sip::Message invite;
    sip::TransactionHandle txn = sip::kNoTransaction;
    bool provisional = false;  // a 1xx came: CANCEL may be sent (RFC 3261 §9.1)
    bool abandoned = false;    // we gave up on it: a late 2xx is ACKed and hung up
    bool cancel_sent = false;
    bool done = false;
    int code = 0;
  };
  // A request relayed from one leg to the other, waiting for the other leg's answer.
  struct Relay {
    sip::TransactionHandle origin = sip::kNoTransaction;  // server txn on the origin leg
    Side origin_side = Side::Caller;
    sip::Method method = sip::Method::Other;
    uint32_t cseq = 0;  // of the relayed request on the other leg (for the ACK)
  };

  CallHandle id = 0;
  State state = State::Incoming;
  sip::Message invite;  // the caller's INVITE
  sip::SendTarget caller_flow;
  sip::TransactionHandle inbound_txn = sip::kNoTransaction;
  std::string local_tag;  // our To tag towards the caller
  Dialog leg[2];          // Caller, Callee (valid once answered)
  sip::SendTarget callee_flow;
  std::vector<Fork> forks;
  size_t attempt_start = 0;  // forks[attempt_start..] belong to the current connect()
  bool connecting = false;
  ConnectOptions options;
  std::string out_call_id;
  std::string out_from_tag;
  std::map<sip::TransactionHandle, Relay> relays;  // keyed by the client txn on the other leg
  bool hold[2] = {false, false};
  // Our last 2xx towards a side, retransmitted until its ACK (RFC 3261 §13.3.1.4).
  std::optional<sip::Message> unacked[2];
  Duration retransmit_interval[2]{};
  Duration retransmit_total[2]{};
};

B2bua::B2bua(CallListener& listener, B2buaEnvironment& env, const Clock& clock,
             sip::TransactionTimers timers)
    : listener_(listener), env_(env), timers_(timers), clock_(clock) {}

B2bua::~B2bua() = default;

B2bua::Call* B2bua::find(CallHandle call) {
  auto it = calls_.find(call);
  if (it == calls_.end() || it->second->state == Call::State::Ended) return nullptr;
  return it->second.get();
}

std::string B2bua::newTag() {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "sb%llx%04llx", static_cast<unsigned long long>(next_id_++),
                static_cast<unsigned long long>(clock_.now().time_since_epoch().count() & 0xffff));
  return buf;
}

std::string B2bua::newCallId() {
  return newTag() + "-" + layer_->newBranch().substr(7) + "@switchboard";
}

std::vector<CallHandle> B2bua::activeCalls() const {
  std::vector<CallHandle> out;
  for (const auto& [id, c] : calls_) {
    if (c->state != Call::State::Ended) out.push_back(id);
  }
  return out;
}

bool B2bua::ownsDialog(const sip::Message& request) const {
  auto to = request.to();
  auto call_id = request.callId();
  if (!to || !call_id || to->tag.empty()) return false;
  return dialogs_.contains({std::string(*call_id), std::string(to->tag)});
}

void B2bua::reap() {
  for (auto id : dead_) calls_.erase(id);
  dead_.clear();
}

// ---------------------------------------------------------------------------------------------
// Requests from the network

void B2bua::onRequest(sip::TransactionHandle txn, const sip::Message& request,
                      const sip::SendTarget& source) {
  switch (request.method()) {
    case sip::Method::Cancel:
      handleCancel(txn, request);
      break;
    case sip::Method::Invite: {
      auto to = request.to();
      if (to && to->tag.empty()) {
        handleInitialInvite(txn, request, source);
      } else {
        handleInDialog(txn, request, source);
      }
      break;
    }
    default:
      handleInDialog(txn, request, source);
  }
  reap();
}

void B2bua::handleInitialInvite(sip::TransactionHandle txn, const sip::Message& invite,
                                const sip::SendTarget& source) {
  if (sip::maxForwardsExhausted(invite)) {
    (void)layer_->sendResponse(txn, sip::makeResponse(invite, 483, "Too Many Hops", newTag()),
                               clock_.now());
    return;
  }
  auto call = std::make_unique<Call>();
  call->id = next_call_++;
  call->invite = invite;
  call->caller_flow = source;
  call->inbound_txn = txn;
  call->local_tag = newTag();
  const CallHandle id = call->id;
  trackTxn(txn, {id, TxnRef::Kind::InboundInvite, 0});
  calls_.emplace(id, std::move(call));
  ++stats_.calls_total;
  stats_.calls_active = calls_.size();
  listener_.onIncomingCall(id, invite, source);
}

void B2bua::handleCancel(sip::TransactionHandle txn, const sip::Message& cancel) {
  const auto now = clock_.now();
  auto target = layer_->cancelTarget(txn);
  if (!target) {
    (void)layer_->sendResponse(txn, sip::makeResponse(cancel, 481), now);
    return;
  }
  (void)layer_->sendResponse(txn, sip::makeResponse(cancel, 200), now);
  onCancelled(*target);
}

void B2bua::onCancelled(sip::TransactionHandle invite_txn) {
  auto ref = txn_owner_.find(invite_txn);
  if (ref == txn_owner_.end() || ref->second.kind != TxnRef::Kind::InboundInvite) return;
  Call* c = find(ref->second.call);
  // RFC 3261 §9.2: a CANCEL after the final response has no effect.
  if (c == nullptr || c->state != Call::State::Incoming) return;
  (void)layer_->sendResponse(c->inbound_txn,
                             sip::makeResponse(c->invite, 487, "Request Terminated", c->local_tag),
                             clock_.now());
  cancelForks(*c, SIZE_MAX);
  endCall(*c, EndReason::CallerCancel);
  reap();
}

void B2bua::handleInDialog(sip::TransactionHandle txn, const sip::Message& request,
                           const sip::SendTarget& /*source*/) {
  const auto now = clock_.now();
  const bool is_ack = request.method() == sip::Method::Ack;
  auto to = request.to();
  auto call_id = request.callId();
  auto it = (to && call_id) ? dialogs_.find({std::string(*call_id), std::string(to->tag)})
                            : dialogs_.end();
  Call* c = it == dialogs_.end() ? nullptr : find(it->second.first);
  if (c == nullptr) {
    if (!is_ack) {
      (void)layer_->sendResponse(
          txn, sip::makeResponse(request, 481, "Call/Transaction Does Not Exist"), now);
    }
    return;
  }
  const Side side = it->second.second;
  const Side peer = other(side);
  Dialog& dlg = c->leg[static_cast<int>(side)];

  if (is_ack) {
    // The ACK for our last 2xx on this leg (initial answer or a relayed re-INVITE).
    const int s = static_cast<int>(side);
    if (c->unacked[s]) {
      c->unacked[s].reset();
      env_.cancelTimer(timerKey(c->id, side == Side::Caller ? kTimerRetransmitCaller
                                                            : kTimerRetransmitCallee));
    }
    if (c->state == Call::State::Answering && side == Side::Caller) c->state = Call::State::Bridged;
    return;
  }
  if (auto ok = dlg.acceptRemoteRequest(request); !ok) {
    (void)layer_->sendResponse(txn, sip::makeResponse(request, 500, "CSeq Out of Order"), now);
    return;
  }

  switch (request.method()) {
    case sip::Method::Bye: {
      (void)layer_->sendResponse(txn, sip::makeResponse(request, 200), now);
      byeLeg(*c, peer);
      endCall(*c, side == Side::Caller ? EndReason::CallerHangup : EndReason::CalleeHangup);
      return;
    }
    case sip::Method::Options: {
      sip::Message ok = sip::makeResponse(request, 200);
      ok.addHeader("Allow", kAllow);
      ok.addHeader("Accept", "application/sdp");
      (void)layer_->sendResponse(txn, ok, now);
      return;
    }
    case sip::Method::Refer:
    case sip::Method::Prack:
    case sip::Method::Subscribe:
    case sip::Method::Publish:
    case sip::Method::Register:
    case sip::Method::Other: {
      sip::Message nope = sip::makeResponse(request, 501);  // default reason phrase
      nope.addHeader("Allow", kAllow);
      (void)layer_->sendResponse(txn, nope, now);
      return;
    }
    default:
      break;
  }

  // Relayed: re-INVITE, UPDATE, INFO, MESSAGE, NOTIFY.
  const bool reinvite = request.method() == sip::Method::Invite;
  if (reinvite || request.method() == sip::Method::Update) {
    const bool pending = std::any_of(c->relays.begin(), c->relays.end(), [](const auto& kv) {
      return kv.second.method == sip::Method::Invite || kv.second.method == sip::Method::Update;
    });
    // RFC 3261 §14.2 / RFC 3311 §5.2: one offer/answer at a time; a 2xx not yet ACKed counts.
    if (pending || c->state != Call::State::Bridged || c->unacked[0] || c->unacked[1]) {
      sip::Message busy = sip::makeResponse(request, 491, "Request Pending");
      (void)layer_->sendResponse(txn, busy, now);
      return;
    }
    if (auto hold = holdOf(request); hold && *hold != c->hold[static_cast<int>(side)]) {
      c->hold[static_cast<int>(side)] = *hold;
      listener_.onHold(c->id, side, *hold);
    }
  }
  Dialog& out = c->leg[static_cast<int>(peer)];
  sip::Message relayed = out.makeRequest(request.methodName());
  if (reinvite || request.method() == sip::Method::Update) {
    relayed.addHeader("Contact", env_.contactFor(hopFor(*c, peer)));
  }
  if (auto event = request.header(sip::HeaderId::Event)) relayed.addHeader("Event", *event);
  if (auto state = request.header(sip::HeaderId::SubscriptionState)) {
    relayed.addHeader("Subscription-State", *state);
  }
  copyBody(request, relayed);
  const uint32_t cseq = out.local_cseq;
  sip::TransactionHandle client = sip::kNoTransaction;
  if (auto sent = sendInDialog(*c, peer, std::move(relayed), reinvite ? TxnRef::Kind::ReInvite
                                                                      : TxnRef::Kind::Relay,
                               &client);
      !sent) {
    (void)layer_->sendResponse(txn, sip::makeResponse(request, 503, "Service Unavailable"), now);
    return;
  }
  c->relays[client] = Call::Relay{txn, side, request.method(), cseq};
}

// ---------------------------------------------------------------------------------------------
// Responses

void B2bua::onResponse(sip::TransactionHandle txn, const sip::Message& response) {
  auto it = txn_owner_.find(txn);
  if (it == txn_owner_.end()) return;
  const TxnRef ref = it->second;
  Call* c = find(ref.call);
  switch (ref.kind) {
    case TxnRef::Kind::Fork:
      if (c != nullptr) {
        handleForkResponse(*c, ref.fork, txn, response);
      } else if (response.statusCode() / 100 == 2) {
        // A callee answered a call that has ended meanwhile: ACK and hang up at once.
        const sip::Message* invite = layer_->request(txn);
        auto hop = fork_hops_.find(txn);
        if (invite != nullptr && hop != fork_hops_.end()) ackAndBye(*invite, response, hop->second);
      }
      break;
    case TxnRef::Kind::ReInvite:
    case TxnRef::Kind::Relay:
      if (c != nullptr) handleRelayResponse(*c, ref, txn, response);
      break;
    case TxnRef::Kind::Bye:
    case TxnRef::Kind::ForkCancel:
    case TxnRef::Kind::InboundInvite:
      break;
  }
  reap();
}

void B2bua::handleForkResponse(Call& c, size_t index, sip::TransactionHandle /*txn*/,
                               const sip::Message& r) {
  Call::Fork& f = c.forks[index];
  const int code = r.statusCode();
  if (code < 200) {
    if (code == 100) return;
    f.provisional = true;
    if (f.abandoned && !f.cancel_sent) {
      sendCancel(c, index);
      return;
    }
    if (!f.abandoned && c.options.relay_provisional && c.state == Call::State::Incoming) {
      sip::Message ringing =
          sip::makeResponse(c.invite, code == 183 ? 183 : 180, {}, c.local_tag);
      ringing.addHeader("Contact", env_.contactFor(c.caller_flow));
      for (auto rr : c.invite.headers(sip::HeaderId::RecordRoute)) ringing.addHeader("Record-Route", rr);
      if (code == 183) copyBody(r, ringing);
      (void)layer_->sendResponse(c.inbound_txn, ringing, clock_.now());
    }
    return;
  }
  if (code < 300) {
    if (f.abandoned || c.state != Call::State::Incoming || f.done) {
      ackAndBye(f.invite, r, f.target.next_hop);
      f.done = true;
      return;
    }
    f.done = true;
    f.code = code;
    auto dialog = Dialog::fromUac(f.invite, r);
    if (!dialog) {
      SB_LOG_WARN("call {}: callee 2xx unusable: {}", c.id, dialog.error().toString());
      ackAndBye(f.invite, r, f.target.next_hop);
      return;
    }
    c.leg[static_cast<int>(Side::Callee)] = std::move(*dialog);
    c.callee_flow = f.target.next_hop;
    // ACK the callee's 2xx (RFC 3261 §13.2.2.4), then stop the other forks.
    auto cseq = f.invite.cseq();
    sip::Message ack = c.leg[1].makeAck(cseq ? cseq->number : 1);
    const auto hop = hopFor(c, Side::Callee);
    ack.pushVia(env_.viaFor(hop) + ";branch=" + layer_->newBranch());
    (void)layer_->sendStateless(ack, hop);
    c.connecting = false;
    env_.cancelTimer(timerKey(c.id, kTimerRing));
    cancelForks(c, index);
    dialogs_[{c.leg[1].call_id, c.leg[1].local_tag}] = {c.id, Side::Callee};
    answerCaller(c, r);
    ++stats_.calls_answered;
    listener_.onAnswered(c.id, f.target.request_uri);
    return;
  }
  // 3xx-6xx: the transaction layer has ACKed it.
  f.done = true;
  f.code = code;
  if (!f.abandoned) attemptFinished(c);
}

void B2bua::attemptFinished(Call& c) {
  if (!c.connecting || c.state != Call::State::Incoming) return;
  int best = 0;
  for (size_t i = c.attempt_start; i < c.forks.size(); ++i) {
    if (!c.forks[i].done) return;  // still ringing somewhere
    best = betterCode(best, c.forks[i].code);
  }
  c.connecting = false;
  env_.cancelTimer(timerKey(c.id, kTimerRing));
  listener_.onConnectFailed(c.id, best == 0 ? 408 : best);
}

void B2bua::handleRelayResponse(Call& c, TxnRef ref, sip::TransactionHandle txn,
                                const sip::Message& r) {
  auto it = c.relays.find(txn);
  if (it == c.relays.end()) return;
  const int code = r.statusCode();
  if (code < 200) return;  // provisional responses end here
  const Call::Relay relay = it->second;
  c.relays.erase(it);
  const sip::Message* origin = layer_->request(relay.origin);
  if (origin == nullptr) return;
  const Side peer = other(relay.origin_side);
  sip::Message out = sip::makeResponse(*origin, code, r.reasonPhrase());
  copyBody(r, out);
  if (code / 100 == 2 && (relay.method == sip::Method::Invite || relay.method == sip::Method::Update)) {
    c.leg[static_cast<int>(peer)].refreshFromResponse(r);
    out.addHeader("Contact", env_.contactFor(hopFor(c, relay.origin_side)));
  }
  if (ref.kind == TxnRef::Kind::ReInvite && code / 100 == 2) {
    sip::Message ack = c.leg[static_cast<int>(peer)].makeAck(relay.cseq);
    const auto hop = hopFor(c, peer);
    ack.pushVia(env_.viaFor(hop) + ";branch=" + layer_->newBranch());
    (void)layer_->sendStateless(ack, hop);
    if (auto hold = holdOf(r); hold && *hold != c.hold[static_cast<int>(peer)]) {
      c.hold[static_cast<int>(peer)] = *hold;
      listener_.onHold(c.id, peer, *hold);
    }
    c.unacked[static_cast<int>(relay.origin_side)] = out;
  }
  (void)layer_->sendResponse(relay.origin, out, clock_.now());
  if (ref.kind == TxnRef::Kind::ReInvite && code / 100 == 2) startRetransmit(c, relay.origin_side);
}

void B2bua::onStrayResponse(const sip::Message& response, const sip::SendTarget& source) {
  // A retransmitted 2xx whose INVITE transaction is over: re-send the ACK (RFC 3261
  // §13.2.2.4). For our own dialogs the ACK is rebuilt from the dialog.
  if (response.statusCode() / 100 != 2) return;
  auto cseq = response.cseq();
  auto from = response.from();
  auto call_id = response.callId();
  if (!cseq || cseq->method != sip::Method::Invite || !from || !call_id) return;
  auto it = dialogs_.find({std::string(*call_id), std::string(from->tag)});
  if (it == dialogs_.end()) return;
  Call* c = find(it->second.first);
  if (c == nullptr) return;
  sip::Message ack = c->leg[static_cast<int>(it->second.second)].makeAck(cseq->number);
  const auto hop = hopFor(*c, it->second.second);
  ack.pushVia(env_.viaFor(hop) + ";branch=" + layer_->newBranch());
  (void)layer_->sendStateless(ack, hop);
  (void)source;
}

void B2bua::onTimeout(sip::TransactionHandle txn) {
  auto it = txn_owner_.find(txn);
  if (it == txn_owner_.end()) return;
  const TxnRef ref = it->second;
  Call* c = find(ref.call);
  if (c == nullptr) return;
  switch (ref.kind) {
    case TxnRef::Kind::Fork: {
      auto& f = c->forks[ref.fork];
      if (!f.done) {
        f.done = true;
        f.code = 408;
        if (!f.abandoned) attemptFinished(*c);
      }
      break;
    }
    case TxnRef::Kind::ReInvite:
    case TxnRef::Kind::Relay:
      if (auto r = c->relays.find(txn); r != c->relays.end()) {
        const Call::Relay relay = r->second;
        c->relays.erase(r);
        if (const sip::Message* origin = layer_->request(relay.origin)) {
          (void)layer_->sendResponse(relay.origin, sip::makeResponse(*origin, 408), clock_.now());
        }
      }
      break;
    case TxnRef::Kind::InboundInvite:
      // Timer H: no ACK for a non-2xx final response; the call is already over.
      break;
    case TxnRef::Kind::Bye:
    case TxnRef::Kind::ForkCancel:
      break;
  }
  reap();
}

void B2bua::onTransportError(sip::TransactionHandle txn, const Error& error) {
  auto it = txn_owner_.find(txn);
  if (it == txn_owner_.end()) return;
  Call* c = find(it->second.call);
  if (c != nullptr && it->second.kind == TxnRef::Kind::Fork) {
    SB_LOG_INFO("call {}: fork unreachable: {}", c->id, error.toString());
    auto& f = c->forks[it->second.fork];
    if (!f.done) {
      f.done = true;
      f.code = 408;
      if (!f.abandoned) attemptFinished(*c);
    }
  } else if (c != nullptr && it->second.kind == TxnRef::Kind::InboundInvite &&
             c->state == Call::State::Incoming) {
    cancelForks(*c, SIZE_MAX);
    endCall(*c, EndReason::TransportError);
  }
  reap();
}

void B2bua::onTerminated(sip::TransactionHandle txn) {
  txn_owner_.erase(txn);
  fork_hops_.erase(txn);
}

// ---------------------------------------------------------------------------------------------
// Commands

Status B2bua::ring(CallHandle call) {
  Call* c = find(call);
  if (c == nullptr) return fail(Errc::NotFound, "no such call");
  if (c->state != Call::State::Incoming) return fail(Errc::Conflict, "call already answered");
  sip::Message ringing = sip::makeResponse(c->invite, 180, "Ringing", c->local_tag);
  ringing.addHeader("Contact", env_.contactFor(c->caller_flow));
  for (auto rr : c->invite.headers(sip::HeaderId::RecordRoute)) ringing.addHeader("Record-Route", rr);
  return layer_->sendResponse(c->inbound_txn, ringing, clock_.now());
}

Status B2bua::connect(CallHandle call, const std::vector<Target>& targets,
                      const ConnectOptions& opt) {
  Call* c = find(call);
  if (c == nullptr) return fail(Errc::NotFound, "no such call");
  if (c->state != Call::State::Incoming) return fail(Errc::Conflict, "call already answered");
  if (c->connecting) return fail(Errc::Conflict, "an attempt is in progress");
  if (targets.empty()) return fail(Errc::InvalidArgument, "no target", "targets");
  const auto now = clock_.now();
  c->options = opt;
  c->attempt_start = c->forks.size();
  c->connecting = true;
  // One Call-ID and From tag per attempt: the forks are one outbound call (RFC 3261 §16.6).
  c->out_call_id = newCallId();
  c->out_from_tag = newTag();
  auto from = c->invite.from();
  uint32_t max_forwards = 70;
  if (auto mf = c->invite.maxForwards(); mf && *mf > 0) max_forwards = std::min<uint32_t>(*mf - 1, 70);
  std::string from_value = "<sip:anonymous@anonymous.invalid>";
  if (from) {
    from_value.clear();
    if (!from->display.empty()) from_value += "\"" + std::string(from->display) + "\" ";
    from_value += "<" + std::string(from->uri.raw) + ">";
  }
  for (const auto& t : targets) {
    sip::Message inv = sip::Message::request("INVITE", t.request_uri);
    inv.addHeader("Via", env_.viaFor(t.next_hop) + ";branch=" + layer_->newBranch());
    inv.addHeader("Max-Forwards", std::to_string(max_forwards));
    inv.addHeader("From", from_value + ";tag=" + c->out_from_tag);
    inv.addHeader("To", opt.to.empty() ? "<" + t.request_uri + ">" : opt.to);
    inv.addHeader("Call-ID", c->out_call_id);
    inv.addHeader("CSeq", "1 INVITE");
    inv.addHeader("Contact", env_.contactFor(t.next_hop));
    for (const auto& r : t.route) inv.addHeader("Route", r);
    for (const auto& name : opt.copy_headers) {
      for (size_t i = 0; i < c->invite.headerCount(); ++i) {
        const auto h = c->invite.headerAt(i);
        if (sip::iequals(h.name, name)) inv.addHeader(name, h.value);
      }
    }
    for (const auto& [name, value] : opt.extra_headers) inv.addHeader(name, value);
    inv.addHeader("Allow", kAllow);
    copyBody(c->invite, inv);
    Call::Fork f;
    f.target = t;
    f.invite = inv;
    c->forks.push_back(std::move(f));
    const size_t index = c->forks.size() - 1;
    auto txn = layer_->sendRequest(c->forks[index].invite, t.next_hop, now);
    if (!txn) {
      c->forks[index].done = true;
      c->forks[index].code = 408;
      continue;
    }
    c->forks[index].txn = *txn;
    trackTxn(*txn, {c->id, TxnRef::Kind::Fork, index});
    fork_hops_[*txn] = t.next_hop;
  }
  env_.startTimer(timerKey(c->id, kTimerRing), opt.ring_timeout);
  attemptFinished(*c);  // every send may have failed at once
  reap();
  return {};
}

void B2bua::sendCancel(Call& c, size_t index) {
  Call::Fork& f = c.forks[index];
  if (f.cancel_sent || f.done) return;
  f.cancel_sent = true;
  // RFC 3261 §9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via as the INVITE.
  sip::Message cancel = sip::Message::request("CANCEL", f.invite.requestUriText());
  if (auto via = f.invite.headers(sip::HeaderId::Via); !via.empty()) cancel.addHeader("Via", via[0]);
  cancel.addHeader("Max-Forwards", "70");
  for (auto id : {sip::HeaderId::From, sip::HeaderId::To, sip::HeaderId::CallId}) {
    if (auto v = f.invite.header(id)) cancel.addHeader(sip::headerName(id), *v);
  }
  auto cseq = f.invite.cseq();
  cancel.addHeader("CSeq", std::to_string(cseq ? cseq->number : 1) + " CANCEL");
  for (auto r : f.invite.headers(sip::HeaderId::Route)) cancel.addHeader("Route", r);
  cancel.setBody("");
  if (auto txn = layer_->sendRequest(cancel, f.target.next_hop, clock_.now())) {
    trackTxn(*txn, {c.id, TxnRef::Kind::ForkCancel, index});
  }
}

void B2bua::cancelForks(Call& c, size_t except) {
  for (size_t i = c.attempt_start; i < c.forks.size(); ++i) {
    if (i == except) continue;
    Call::Fork& f = c.forks[i];
    if (f.done || f.abandoned) continue;
    f.abandoned = true;
    if (f.provisional) sendCancel(c, i);  // else sent when a 1xx arrives (RFC 3261 §9.1)
  }
}

Status B2bua::cancelConnect(CallHandle call) {
  Call* c = find(call);
  if (c == nullptr) return fail(Errc::NotFound, "no such call");
  if (!c->connecting) return fail(Errc::Conflict, "no attempt in progress");
  cancelForks(*c, SIZE_MAX);
  c->connecting = false;
  env_.cancelTimer(timerKey(c->id, kTimerRing));
  listener_.onConnectFailed(c->id, 487);
  reap();
  return {};
}

Status B2bua::reject(CallHandle call, int code, std::string_view reason,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  Call* c = find(call);
  if (c == nullptr) return fail(Errc::NotFound, "no such call");
  if (c->state != Call::State::Incoming) return fail(Errc::Conflict, "call already answered");
  if (code < 300 || code > 699) return fail(Errc::InvalidArgument, "not a final error code", "code");
  cancelForks(*c, SIZE_MAX);
  sip::Message response = sip::makeResponse(c->invite, code, reason, c->local_tag);
  for (const auto& [name, value] : headers) response.addHeader(name, value);
  (void)layer_->sendResponse(c->inbound_txn, response, clock_.now());
  endCall(*c, EndReason::Rejected);
  reap();
  return {};
}

Status B2bua::hangup(CallHandle call) {
  Call* c = find(call);
  if (c == nullptr) return fail(Errc::NotFound, "no such call");
  if (c->state == Call::State::Incoming) {
    cancelForks(*c, SIZE_MAX);
    (void)layer_->sendResponse(
        c->inbound_txn, sip::makeResponse(c->invite, 480, "Temporarily Unavailable", c->local_tag),
        clock_.now());
  } else {
    byeLeg(*c, Side::Caller);
    byeLeg(*c, Side::Callee);
  }
  endCall(*c, EndReason::Hangup);
  reap();
  return {};
}

// ---------------------------------------------------------------------------------------------
// Helpers

void B2bua::answerCaller(Call& c, const sip::Message& callee_ok) {
  sip::Message ok = sip::makeResponse(c.invite, 200, "OK", c.local_tag);
  ok.addHeader("Contact", env_.contactFor(c.caller_flow));
  for (auto rr : c.invite.headers(sip::HeaderId::RecordRoute)) ok.addHeader("Record-Route", rr);
  ok.addHeader("Allow", kAllow);
  copyBody(callee_ok, ok);
  auto dialog = Dialog::fromUas(c.invite, c.local_tag);
  if (dialog) {
    c.leg[static_cast<int>(Side::Caller)] = std::move(*dialog);
  } else {
    // No Contact in the caller's INVITE: answer anyway, reach it through its flow.
    Dialog& d = c.leg[0];
    d.call_id = std::string(c.invite.callId().value_or(""));
    d.local_tag = c.local_tag;
    d.remote_target = std::string(c.invite.requestUriText());
  }
  dialogs_[{c.leg[0].call_id, c.leg[0].local_tag}] = {c.id, Side::Caller};
  c.state = Call::State::Answering;
  c.unacked[0] = ok;
  (void)layer_->sendResponse(c.inbound_txn, ok, clock_.now());
  startRetransmit(c, Side::Caller);
}

void B2bua::startRetransmit(Call& c, Side side) {
  const int s = static_cast<int>(side);
  c.retransmit_interval[s] = timers_.t1;
  c.retransmit_total[s] = Duration{0};
  // Over a reliable transport the 2xx is not retransmitted, but the ACK is still awaited.
  const auto& flow = side == Side::Caller ? c.caller_flow : c.callee_flow;
  env_.startTimer(timerKey(c.id, s == 0 ? kTimerRetransmitCaller : kTimerRetransmitCallee),
                  flow.reliable() ? timers_.timeout() : timers_.t1);
  if (flow.reliable()) c.retransmit_total[s] = timers_.timeout() - timers_.t1;
}

void B2bua::onTimer(uint64_t key) {
  const CallHandle id = key >> 4;
  const uint8_t kind = key & 0xf;
  Call* c = find(id);
  if (c == nullptr) return;
  if (kind == kTimerRing) {
    if (c->connecting) {
      cancelForks(*c, SIZE_MAX);
      c->connecting = false;
      listener_.onConnectFailed(c->id, 408);
    }
  } else {
    const int s = kind == kTimerRetransmitCaller ? 0 : 1;
    if (!c->unacked[s]) return;
    c->retransmit_total[s] += c->retransmit_interval[s];
    if (c->retransmit_total[s] >= timers_.timeout()) {
      // RFC 3261 §13.3.1.4: no ACK within 64*T1: confirm and end the session.
      c->unacked[s].reset();
      byeLeg(*c, Side::Caller);
      byeLeg(*c, Side::Callee);
      endCall(*c, EndReason::AckTimeout);
    } else {
      const auto& flow = s == 0 ? c->caller_flow : c->callee_flow;
      (void)layer_->sendStateless(*c->unacked[s], flow);
      c->retransmit_interval[s] = std::min(c->retransmit_interval[s] * 2, timers_.t2);
      env_.startTimer(key, c->retransmit_interval[s]);
    }
  }
  reap();
}

void B2bua::ackAndBye(const sip::Message& invite, const sip::Message& ok,
                      const sip::SendTarget& hop) {
  auto dialog = Dialog::fromUac(invite, ok);
  if (!dialog) return;
  auto cseq = invite.cseq();
  sip::Message ack = dialog->makeAck(cseq ? cseq->number : 1);
  ack.pushVia(env_.viaFor(hop) + ";branch=" + layer_->newBranch());
  (void)layer_->sendStateless(ack, hop);
  sip::Message bye = dialog->makeRequest("BYE");
  bye.pushVia(env_.viaFor(hop) + ";branch=" + layer_->newBranch());
  bye.setBody("");
  if (auto txn = layer_->sendRequest(bye, hop, clock_.now())) {
    trackTxn(*txn, {0, TxnRef::Kind::Bye, 0});
  }
}

sip::SendTarget B2bua::hopFor(const Call& c, Side side) {
  const Dialog& d = c.leg[static_cast<int>(side)];
  const sip::SendTarget& flow = side == Side::Caller ? c.caller_flow : c.callee_flow;
  // Registered agents are reached on the flow they registered from (they may sit behind NAT);
  // callers by their Contact, unless a route set says otherwise.
  if (!d.route_set.empty() || side == Side::Caller) {
    if (auto resolved = env_.resolve(d.firstHop())) return *resolved;
  }
  return flow;
}

Status B2bua::sendInDialog(Call& c, Side side, sip::Message request, TxnRef::Kind kind,
                           sip::TransactionHandle* out_txn) {
  const auto hop = hopFor(c, side);
  request.pushVia(env_.viaFor(hop) + ";branch=" + layer_->newBranch());
  if (request.body().empty()) request.setBody("");
  auto txn = layer_->sendRequest(request, hop, clock_.now());
  if (!txn) return std::unexpected(txn.error());
  trackTxn(*txn, {c.id, kind, 0});
  if (out_txn != nullptr) *out_txn = *txn;
  return {};
}

void B2bua::byeLeg(Call& c, Side side) {
  if (c.state == Call::State::Incoming || c.state == Call::State::Ended) return;
  sip::Message bye = c.leg[static_cast<int>(side)].makeRequest("BYE");
  (void)sendInDialog(c, side, std::move(bye), TxnRef::Kind::Bye);
}

void B2bua::endCall(Call& c, EndReason reason) {
  if (c.state == Call::State::Ended) return;
  c.state = Call::State::Ended;
  for (uint8_t k : {kTimerRetransmitCaller, kTimerRetransmitCallee, kTimerRing}) {
    env_.cancelTimer(timerKey(c.id, k));
  }
  for (const auto& d : c.leg) dialogs_.erase({d.call_id, d.local_tag});
  // Relayed requests still waiting get a final answer so their transactions end cleanly.
  for (const auto& [client, relay] : c.relays) {
    if (const sip::Message* origin = layer_->request(relay.origin)) {
      (void)layer_->sendResponse(relay.origin, sip::makeResponse(*origin, 481), clock_.now());
    }
  }
  c.relays.clear();
  dead_.push_back(c.id);
  stats_.calls_active = calls_.size() - dead_.size();
  listener_.onEnded(c.id, reason);
}

}  // namespace sb::b2bua
