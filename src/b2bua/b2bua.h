// SPDX-License-Identifier: Apache-2.0
// B2bua: back-to-back user agent calls. A call is an inbound leg (the caller, answered by us)
// and outbound legs (agent candidates, forked in parallel, first 2xx wins, the rest are
// cancelled); once answered the two dialogs are bridged: BYE, re-INVITE, UPDATE, INFO are
// relayed, in-dialog OPTIONS answered, SDP passed through unchanged (media bypass). Headers
// are not copied across legs except those the owner names.
// The B2bua is a sip::TransactionUser driven by a sip::TransactionLayer; it decides nothing
// about routing: a CallListener (center/) is told what happens and commands ring / connect /
// reject / hangup. Pure: no sockets or clock reads; timers through B2buaEnvironment. One owner
// thread (the call shard that owns its TransactionLayer); not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "b2bua/dialog.h"
#include "common/clock.h"
#include "sip/message.h"
#include "sip/transaction/transaction_layer.h"

namespace sb::b2bua {

using CallHandle = uint64_t;

enum class Side : uint8_t { Caller, Callee };

enum class EndReason : uint8_t {
  CallerHangup,    // BYE from the caller
  CalleeHangup,    // BYE from the callee
  CallerCancel,    // CANCEL before answer
  Rejected,        // the owner rejected the call
  Hangup,          // the owner hung up
  AckTimeout,      // no ACK for our 2xx (RFC 3261 §13.3.1.4)
  TransportError,  // a leg became unreachable
};
std::string_view endReasonName(EndReason r) noexcept;

// One place to ring: a registered contact of an agent, or a trunk.
struct Target {
  std::string request_uri;  // where the INVITE is addressed (the binding's Contact URI)
  sip::SendTarget next_hop; // the flow to send it on (binding source, or resolved host)
  std::vector<std::string> route;  // Route values (a binding's Path), top first
};

struct ConnectOptions {
  std::string to;  // To header value (the AOR dialled), e.g. "<sip:alice@demo.switchboard.test>"
  // Headers copied from the inbound INVITE to the outbound legs, by name (Diversion,
  // History-Info, X-...): explicit, never everything.
  std::vector<std::string> copy_headers;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // added as-is
  // Relay 180/183 (with early-media SDP) to the caller: for direct calls. A queued caller
  // already hears ringing from ring().
  bool relay_provisional = false;
  Duration ring_timeout = std::chrono::seconds(60);  // no answer → CANCEL, onConnectFailed(408)
};

class CallListener {
 public:
  virtual ~CallListener() = default;
  // A new INVITE (no To tag). The listener answers with ring()/connect()/reject() now or later.
  virtual void onIncomingCall(CallHandle call, const sip::Message& invite,
                              const sip::SendTarget& source) = 0;
  // Every leg of the latest connect() failed (`code` is the best final response: 486, 480,
  // 603, 408 for no answer or unreachable, 487 when cancelled by cancelConnect()). The caller
  // is still waiting; the owner may connect() again or reject().
  virtual void onConnectFailed(CallHandle call, int code) = 0;
  // A callee answered: the caller got 200, the legs are bridged.
  virtual void onAnswered(CallHandle call, const std::string& answered_uri) = 0;
  // The call is over (before or after answer). Always the last call for `call`.
  virtual void onEnded(CallHandle call, EndReason reason) = 0;
  // A re-INVITE put the call on hold (true) or took it off (false); `by` says who.
  virtual void onHold(CallHandle /*call*/, Side /*by*/, bool /*on*/) {}
};

// What the B2BUA needs from its surroundings: local addresses and timers.
class B2buaEnvironment {
 public:
  virtual ~B2buaEnvironment() = default;
  // Via sent-by for a request sent to `to`: "SIP/2.0/UDP 127.0.0.1:5060" (no branch).
  virtual std::string viaFor(const sip::SendTarget& to) = 0;
  // Our Contact for a dialog whose peer is reached at `to`: "<sip:127.0.0.1:5060>".
  virtual std::string contactFor(const sip::SendTarget& to) = 0;
  // The next hop for a URI (an in-dialog Request-URI or Route). nullopt: unresolvable; the
  // B2BUA then uses the flow the dialog was created on.
  virtual std::optional<sip::SendTarget> resolve(std::string_view uri) = 0;
  // One-shot timers; when one fires the owner calls B2bua::onTimer(key, now).
  virtual void startTimer(uint64_t key, Duration delay) = 0;
  virtual void cancelTimer(uint64_t key) = 0;
};

struct B2buaStats {
  uint64_t calls_total = 0;
  uint64_t calls_answered = 0;
  size_t calls_active = 0;
};

class B2bua final : public sip::TransactionUser {
 public:
  B2bua(CallListener& listener, B2buaEnvironment& env, const Clock& clock,
        sip::TransactionTimers timers = {});
  ~B2bua() override;
  B2bua(const B2bua&) = delete;
  B2bua& operator=(const B2bua&) = delete;

  // Must be called once before any traffic: the layer this B2BUA sends through.
  void attach(sip::TransactionLayer& layer) { layer_ = &layer; }

  // --- commands from the owner (all on the owner thread) ---
  // Sends 180 Ringing to the caller (queued callers; later replaced by early media).
  Status ring(CallHandle call);
  // Forks the call to `targets` (in parallel). Replaces nothing: call after the previous
  // attempt failed or was cancelled.
  Status connect(CallHandle call, const std::vector<Target>& targets, const ConnectOptions& opt);
  // Abandons the current attempt (e.g. the reservation timed out): forks that rang get a
  // CANCEL, a late 2xx is ACKed and hung up; onConnectFailed(487) follows at once.
  Status cancelConnect(CallHandle call);
  // Rejects an unanswered call with `code`; onEnded(Rejected) follows.
  // `headers` are added to the response (e.g. Proxy-Authenticate for a 407).
  Status reject(CallHandle call, int code, std::string_view reason = {},
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Tears an answered call down (BYE both legs) or rejects an unanswered one with 480.
  Status hangup(CallHandle call);
  bool exists(CallHandle call) const { return calls_.contains(call); }
  // Handles of every call that still exists (for the routing engine's reconcile()).
  std::vector<CallHandle> activeCalls() const;
  const B2buaStats& stats() const { return stats_; }
  // True for transactions this B2BUA started or answers (the SIP core routes by it).
  bool ownsTransaction(sip::TransactionHandle txn) const { return txn_owner_.contains(txn); }
  // True when `request` (with a To tag) belongs to one of our dialogs.
  bool ownsDialog(const sip::Message& request) const;

  void onTimer(uint64_t key);
  // The caller's INVITE `invite_txn` was cancelled and the CANCEL already answered 200 (by a
  // server core that matches CANCELs itself): answer 487 and end the call if unanswered.
  void onCancelled(sip::TransactionHandle invite_txn);

  // --- sip::TransactionUser (the layer calls these) ---
  void onRequest(sip::TransactionHandle txn, const sip::Message& request,
                 const sip::SendTarget& source) override;
  void onResponse(sip::TransactionHandle txn, const sip::Message& response) override;
  void onStrayResponse(const sip::Message& response, const sip::SendTarget& source) override;
  void onTimeout(sip::TransactionHandle txn) override;
  void onTransportError(sip::TransactionHandle txn, const Error& error) override;
  void onTerminated(sip::TransactionHandle txn) override;

  struct Call;  // opaque; defined in b2bua.cpp

 private:
  struct TxnRef {
    CallHandle call = 0;
    enum class Kind : uint8_t { InboundInvite, Fork, ForkCancel, Bye, Relay, ReInvite } kind;
    size_t fork = 0;  // fork index (Fork, ForkCancel)
  };

  Call* find(CallHandle call);
  void handleInitialInvite(sip::TransactionHandle txn, const sip::Message& invite,
                           const sip::SendTarget& source);
  void handleCancel(sip::TransactionHandle txn, const sip::Message& cancel);
  void handleInDialog(sip::TransactionHandle txn, const sip::Message& request,
                      const sip::SendTarget& source);
  void handleForkResponse(Call& c, size_t fork, sip::TransactionHandle txn, const sip::Message& r);
  void handleRelayResponse(Call& c, TxnRef ref, sip::TransactionHandle txn, const sip::Message& r);
  void attemptFinished(Call& c);
  // Abandons every live fork of the current attempt except `except` (CANCEL where a 1xx came).
  void cancelForks(Call& c, size_t except);
  void sendCancel(Call& c, size_t fork);
  void answerCaller(Call& c, const sip::Message& callee_ok);
  void ackAndBye(const sip::Message& invite, const sip::Message& ok, const sip::SendTarget& hop);
  void byeLeg(Call& c, Side side);
  void endCall(Call& c, EndReason reason);
  void reap();
  Status sendInDialog(Call& c, Side side, sip::Message request, TxnRef::Kind kind,
                      sip::TransactionHandle* out_txn = nullptr);
  void startRetransmit(Call& c, Side side);
  sip::SendTarget hopFor(const Call& c, Side side);
  void trackTxn(sip::TransactionHandle txn, TxnRef ref) { txn_owner_[txn] = ref; }
  uint64_t timerKey(CallHandle call, uint8_t kind) const { return (call << 4) | kind; }
  std::string newTag();
  std::string newCallId();

  CallListener& listener_;
  B2buaEnvironment& env_;
  sip::TransactionTimers timers_;
  sip::TransactionLayer* layer_ = nullptr;
  const Clock& clock_;
  uint64_t next_call_ = 1;
  uint64_t next_id_ = 1;
  std::map<CallHandle, std::unique_ptr<Call>> calls_;
  std::map<sip::TransactionHandle, TxnRef> txn_owner_;
  // Next hop of each fork INVITE, kept while its transaction lives: a 2xx may arrive after
  // the call is gone and must still be ACKed and hung up.
  std::map<sip::TransactionHandle, sip::SendTarget> fork_hops_;
  // (Call-ID, our tag) -> (call, side) for in-dialog request matching.
  std::map<std::pair<std::string, std::string>, std::pair<CallHandle, Side>> dialogs_;
  std::vector<CallHandle> dead_;  // ended calls, erased when the current entry point returns
  B2buaStats stats_;
};

}  // namespace sb::b2bua
