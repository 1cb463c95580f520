// SPDX-License-Identifier: Apache-2.0
// TransactionLayer: the RFC 3261 §17 transaction layer. It owns every client and server
// transaction, matches incoming messages to them (§17.1.3, §17.2.3, RFC 2543 fallback), runs
// their state machines and reports to a TransactionUser. Pure: no sockets, threads or clocks;
// bytes leave through a TransactionSender, timers are requests to a TransactionTimerService,
// and time arrives as `now` arguments. Owned by the SIP thread that feeds it (the transport
// thread or a call shard); not thread-safe: every call must come from that one thread.
// Callbacks into the TransactionUser may call back into the layer (re-entrancy is allowed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "common/result.h"
#include "sip/message.h"
#include "sip/transaction/transaction_types.h"

namespace sb::sip {

// Implemented by the transport layer.
class TransactionSender {
 public:
  virtual ~TransactionSender() = default;
  // Sends one serialized message to `to` on behalf of transaction `txn` (kNoTransaction for
  // sendStateless). Return an error when the failure is known at once; a later asynchronous
  // failure is reported with TransactionLayer::onSendError(txn, ...).
  virtual Status send(TransactionHandle txn, const SendTarget& to, std::string_view bytes) = 0;
};

// Implemented by the owner of the layer (e.g. with one asio::steady_timer per key).
class TransactionTimerService {
 public:
  virtual ~TransactionTimerService() = default;
  // Arms `key` to fire once after `delay`; an armed timer with the same key is replaced.
  // When it fires, the owner calls TransactionLayer::onTimer(key, now).
  virtual void startTimer(TransactionTimerKey key, Duration delay) = 0;
  // Disarms `key`; no-op if not armed. A late onTimer() for a cancelled key is ignored anyway.
  virtual void cancelTimer(TransactionTimerKey key) = 0;
};

// The transaction user (UA core, proxy core, B2BUA). Every callback runs on the layer's thread,
// from inside a TransactionLayer call; the Message references are valid for the call only.
class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A request that matched no transaction. `txn` is the server transaction created for it, to
  // answer with sendResponse(); for an ACK (of a 2xx, or in RFC 6026 Accepted state) no
  // transaction is created and `txn` is kNoTransaction, or the INVITE server transaction when
  // passed from its Accepted state. For a CANCEL, cancelTarget(txn) finds the INVITE it cancels
  // (RFC 3261 §9.2: answer 481 when there is none). `source` is the response route.
  virtual void onRequest(TransactionHandle txn, const Message& request, const SendTarget& source) = 0;
  // A response for client transaction `txn` (1xx, the 2xx that ends an INVITE, finals).
  // Retransmissions are absorbed and not reported.
  virtual void onResponse(TransactionHandle txn, const Message& response) = 0;
  // A response that matched no client transaction (e.g. a retransmitted 2xx to an INVITE whose
  // transaction ended: the UAC core re-sends its ACK; a proxy forwards it statelessly).
  virtual void onStrayResponse(const Message& response, const SendTarget& source) = 0;
  // Timer B / F (client: no final response) or H (INVITE server: no ACK) fired.
  virtual void onTimeout(TransactionHandle txn) = 0;
  // A send for `txn` failed (RFC 3261 §17.1.4 / §17.2.4); the transaction terminates.
  virtual void onTransportError(TransactionHandle txn, const Error& error) = 0;
  // `txn` has terminated and its handle is no longer valid. Always the last call for `txn`.
  virtual void onTerminated(TransactionHandle txn) = 0;
};

struct TransactionLayerOptions {
  TransactionTimers timers;
  // RFC 6026: an INVITE server transaction moves to Accepted after a 2xx (timer L) instead of
  // terminating, absorbing INVITE retransmissions and passing ACKs to the TU.
  bool rfc6026 = true;
  // RFC 3261 §17.2.1: send 100 Trying as soon as an INVITE server transaction starts.
  bool auto_100_trying = true;
  // RFC 3261 §8.2.2.2 merged-request detection (answer 482). For UAS / B2BUA cores; a proxy
  // turns it off (it handles spirals and loops by §16.3 instead).
  bool detect_merged_requests = true;
  // Mixed into generated branch ids; give each process a different value.
  uint64_t branch_seed = 0x9e3779b97f4a7c15ULL;
};

class TransactionLayer final {
 public:
  TransactionLayer(TransactionUser& tu, TransactionSender& sender, TransactionTimerService& timers,
                   TransactionLayerOptions options = {});
  ~TransactionLayer();
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // --- driven by the transport ---
  // One parsed message from the network. For a request, `source` is where its responses go
  // (RFC 3261 §18.2.2, decided by the transport; received/rport already stamped on the Via).
  // For a response it is where it came from. Messages without the headers needed to match
  // (Via with branch or RFC 2543 data, CSeq, Call-ID, From, To) are dropped: a request gets no
  // transaction and the call returns InvalidArgument so the transport may answer 400.
  Status onMessage(const Message& message, const SendTarget& source, MonoTime now);
  // A timer armed through TransactionTimerService fired. Stale keys are ignored.
  void onTimer(TransactionTimerKey key, MonoTime now);
  // An asynchronous send failure for `txn` (a stream connection could not be opened or broke).
  void onSendError(TransactionHandle txn, const Error& error, MonoTime now);

  // --- used by the TU ---
  // Starts a client transaction for `request` (not ACK) and sends it to `to`. The request must
  // carry a top Via whose branch is unique (see newBranch()), plus CSeq, Call-ID, From, To.
  // Errors: InvalidArgument (ACK, missing Via/branch/CSeq), AlreadyExists (branch in use),
  // Unavailable (the immediate send failed; no transaction is left behind).
  [[nodiscard]] Result<TransactionHandle> sendRequest(const Message& request, const SendTarget& to,
                                                      MonoTime now);
  // Sends a response through server transaction `txn`. Errors: NotFound (unknown/terminated
  // txn), Conflict (the state allows no such response, e.g. a second final response).
  Status sendResponse(TransactionHandle txn, const Message& response, MonoTime now);
  // Sends without a transaction: ACK for a 2xx, a stateless proxy forward. No retransmission.
  Status sendStateless(const Message& message, const SendTarget& to);
  // For a CANCEL server transaction: the INVITE server transaction it cancels (same branch and
  // sent-by, method INVITE; RFC 2543 rules when the branch has no magic cookie), if still alive.
  std::optional<TransactionHandle> cancelTarget(TransactionHandle cancel_txn) const;
  // Same lookup for a CANCEL message (e.g. one not yet given to the layer).
  std::optional<TransactionHandle> findInviteFor(const Message& cancel) const;

  // A fresh "z9hG4bK..." branch for a new client transaction.
  std::string newBranch();

  // --- introspection ---
  std::optional<TransactionState> state(TransactionHandle txn) const;
  // The request that created a transaction (valid until it terminates), or nullptr.
  const Message* request(TransactionHandle txn) const;
  size_t size() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// RFC 3261 §16.3 step 2 / §8.2 for a B2BUA or proxy that would forward `request`: true when
// its Max-Forwards is 0 (answer 483 Too Many Hops; an OPTIONS may be answered locally instead).
// A missing or unparsable Max-Forwards is not 0.
bool maxForwardsExhausted(const Message& request) noexcept;

// RFC 3261 §17.1.1.3: the ACK an INVITE client transaction sends for a non-2xx final
// `response` to `invite`: same Request-URI, Call-ID, From, CSeq number (method ACK), the To of
// the response, only the top Via of the INVITE, and its Route headers; Max-Forwards 70,
// Content-Length 0. Errors: InvalidArgument when the INVITE lacks Via/CSeq or the response To.
[[nodiscard]] Result<Message> makeNon2xxAck(const Message& invite, const Message& response);

}  // namespace sb::sip
