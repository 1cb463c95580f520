// SPDX-License-Identifier: Apache-2.0
// The four RFC 3261 §17 transaction state machines (Figures 5-8, plus the RFC 6026 Accepted
// state of the INVITE server). They know nothing of message syntax: they hold the serialized
// bytes to (re)send, take events (status codes, timers, ACK, transport errors) and return the
// ordered TransactionActions their owner must carry out. TransactionLayer owns them; tests
// drive them directly. Not thread-safe; plain objects owned by one thread.
#pragma once

#include <bitset>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "sip/transaction/transaction_types.h"

namespace sb::sip {

class TransactionMachine {
 public:
  TransactionMachine(const TransactionMachine&) = delete;
  TransactionMachine& operator=(const TransactionMachine&) = delete;
  virtual ~TransactionMachine() = default;

  TransactionState state() const noexcept { return state_; }
  bool terminated() const noexcept { return state_ == TransactionState::Terminated; }
  bool reliable() const noexcept { return reliable_; }
  bool timerArmed(TransactionTimer t) const noexcept { return armed_[static_cast<size_t>(t)]; }

  // A timer this machine armed fired. Timers not armed (cancelled, stale) are ignored.
  TransactionActions onTimer(TransactionTimer t);
  // A send for this transaction failed: the TU is told and the transaction terminates
  // (RFC 3261 §17.1.4, §17.2.4). Ignored once terminated.
  TransactionActions onTransportError();

 protected:
  TransactionMachine(const TransactionTimers& timers, bool reliable, TransactionState initial)
      : timers_(timers), reliable_(reliable), state_(initial) {}

  // Called with an armed timer, already disarmed.
  virtual void fired(TransactionTimer t, TransactionActions& out) = 0;

  void arm(TransactionActions& out, TransactionTimer t, Duration d);
  void disarm(TransactionActions& out, TransactionTimer t);
  static void send(TransactionActions& out, const std::string& bytes);
  static void emit(TransactionActions& out, TransactionAction::Kind kind);
  // Cancels every armed timer, then reports Terminated.
  void terminate(TransactionActions& out);
  // Arms a "wait" timer (D, I, J, K, L), or terminates at once when it is zero (RFC 3261 §17:
  // those timers are 0 over reliable transports).
  void waitOrTerminate(TransactionActions& out, TransactionTimer t, Duration d);

  TransactionTimers timers_;
  bool reliable_;
  TransactionState state_;

 private:
  std::bitset<kTransactionTimerCount> armed_;
};

// RFC 3261 §17.1.1, Figure 5: Calling -> Proceeding -> Completed -> Terminated.
class InviteClientTransaction final : public TransactionMachine {
 public:
  InviteClientTransaction(const TransactionTimers& timers, bool reliable)
      : TransactionMachine(timers, reliable, TransactionState::Calling) {}

  // Sends the INVITE; arms A (unreliable only) and B.
  TransactionActions start(std::string request);
  // A response matched to this transaction. `build_ack` is called once, for the first non-2xx
  // final response, and must return the ACK bytes (§17.1.1.3); it is re-sent for every
  // retransmission of that response.
  TransactionActions onResponse(int status, const std::function<std::string()>& build_ack);

 private:
  void fired(TransactionTimer t, TransactionActions& out) override;

  std::string request_;
  std::string ack_;
  Duration a_interval_{};
};

// RFC 3261 §17.1.2, Figure 6: Trying -> Proceeding -> Completed -> Terminated.
class NonInviteClientTransaction final : public TransactionMachine {
 public:
  NonInviteClientTransaction(const TransactionTimers& timers, bool reliable)
      : TransactionMachine(timers, reliable, TransactionState::Trying) {}

  // Sends the request; arms E (unreliable only) and F.
  TransactionActions start(std::string request);
  TransactionActions onResponse(int status);

 private:
  void fired(TransactionTimer t, TransactionActions& out) override;

  std::string request_;
  Duration e_interval_{};
};

// RFC 3261 §17.2.1, Figure 7, with RFC 6026 §7.1 (Accepted, timer L) when enabled:
// Proceeding -> Completed -> Confirmed -> Terminated, or Proceeding -> Accepted -> Terminated.
class InviteServerTransaction final : public TransactionMachine {
 public:
  InviteServerTransaction(const TransactionTimers& timers, bool reliable, bool rfc6026)
      : TransactionMachine(timers, reliable, TransactionState::Proceeding), rfc6026_(rfc6026) {}

  // Enters Proceeding; sends `trying` (a 100 response) when given.
  TransactionActions start(std::optional<std::string> trying);
  // A retransmission of the INVITE: re-sends the last provisional (Proceeding) or the final
  // response (Completed); absorbed otherwise.
  TransactionActions onRequestRetransmit();
  // An ACK matched to this transaction: Completed -> Confirmed; PassToTu in Accepted.
  TransactionActions onAck();
  // The TU's response. Errors (Conflict): a final response after a non-2xx final, anything
  // but a 2xx in Accepted, any response in Confirmed/Terminated.
  Result<TransactionActions> sendResponse(int status, std::string bytes);

 private:
  void fired(TransactionTimer t, TransactionActions& out) override;

  bool rfc6026_;
  std::string last_response_;
  Duration g_interval_{};
};

// RFC 3261 §17.2.2, Figure 8: Trying -> Proceeding -> Completed -> Terminated.
class NonInviteServerTransaction final : public TransactionMachine {
 public:
  NonInviteServerTransaction(const TransactionTimers& timers, bool reliable)
      : TransactionMachine(timers, reliable, TransactionState::Trying) {}

  // A retransmission of the request: absorbed in Trying, else re-sends the last response.
  TransactionActions onRequestRetransmit();
  // Errors (Conflict): any response once Completed/Terminated.
  Result<TransactionActions> sendResponse(int status, std::string bytes);

 private:
  void fired(TransactionTimer t, TransactionActions& out) override;

  std::string last_response_;
};

}  // namespace sb::sip
