// SPDX-License-Identifier: Apache-2.0
#include "sip/transaction/transaction_machines.h"

#include <algorithm>

namespace sb::sip {

using Kind = TransactionAction::Kind;
using T = TransactionTimer;
using S = TransactionState;

// --- TransactionMachine ---

TransactionActions TransactionMachine::onTimer(TransactionTimer t) {
  TransactionActions out;
  if (terminated() || !timerArmed(t)) return out;
  armed_[static_cast<size_t>(t)] = false;
  fired(t, out);
  return out;
}

TransactionActions TransactionMachine::onTransportError() {
  TransactionActions out;
  if (terminated()) return out;
  emit(out, Kind::TransportError);
  terminate(out);
  return out;
}

void TransactionMachine::arm(TransactionActions& out, TransactionTimer t, Duration d) {
  armed_[static_cast<size_t>(t)] = true;
  TransactionAction a;
  a.kind = Kind::StartTimer;
  a.timer = t;
  a.delay = d;
  out.push_back(std::move(a));
}

void TransactionMachine::disarm(TransactionActions& out, TransactionTimer t) {
  if (!timerArmed(t)) return;
  armed_[static_cast<size_t>(t)] = false;
  TransactionAction a;
  a.kind = Kind::CancelTimer;
  a.timer = t;
  out.push_back(std::move(a));
}

void TransactionMachine::send(TransactionActions& out, const std::string& bytes) {
  TransactionAction a;
  a.kind = Kind::Send;
  a.bytes = bytes;
  out.push_back(std::move(a));
}

void TransactionMachine::emit(TransactionActions& out, TransactionAction::Kind kind) {
  TransactionAction a;
  a.kind = kind;
  out.push_back(std::move(a));
}

void TransactionMachine::terminate(TransactionActions& out) {
  for (size_t i = 0; i < kTransactionTimerCount; ++i) disarm(out, static_cast<T>(i));
  state_ = S::Terminated;
  emit(out, Kind::Terminated);
}

void TransactionMachine::waitOrTerminate(TransactionActions& out, TransactionTimer t, Duration d) {
  if (d <= Duration::zero()) {
    terminate(out);
  } else {
    arm(out, t, d);
  }
}

// --- INVITE client (RFC 3261 §17.1.1.2) ---

TransactionActions InviteClientTransaction::start(std::string request) {
  TransactionActions out;
  request_ = std::move(request);
  send(out, request_);
  if (!reliable_) {
    a_interval_ = timers_.t1;
    arm(out, T::A, a_interval_);
  }
  arm(out, T::B, timers_.timeout());
  return out;
}

TransactionActions InviteClientTransaction::onResponse(int status,
                                                       const std::function<std::string()>& build_ack) {
  TransactionActions out;
  switch (state_) {
    case S::Calling:
    case S::Proceeding:
      if (status < 200) {
        // Figure 5: any 1xx stops retransmissions; Timer B only guards Calling.
        disarm(out, T::A);
        disarm(out, T::B);
        state_ = S::Proceeding;
        emit(out, Kind::PassToTu);
      } else if (status < 300) {
        // §17.1.1.2: the 2xx goes to the TU, which ACKs it end-to-end; the transaction ends.
        emit(out, Kind::PassToTu);
        terminate(out);
      } else {
        disarm(out, T::A);
        disarm(out, T::B);
        ack_ = build_ack ? build_ack() : std::string();
        if (!ack_.empty()) send(out, ack_);
        emit(out, Kind::PassToTu);
        state_ = S::Completed;
        waitOrTerminate(out, T::D, reliable_ ? Duration::zero() : timers_.timer_d);
      }
      break;
    case S::Completed:
      // §17.1.1.2: retransmitted finals are answered with the same ACK, not passed up.
      if (status >= 300 && !ack_.empty()) send(out, ack_);
      break;
    default:
      break;
  }
  return out;
}

void InviteClientTransaction::fired(TransactionTimer t, TransactionActions& out) {
  switch (t) {
    case T::A:
      if (state_ == S::Calling) {
        // §17.1.1.2: Timer A doubles each time (no T2 cap for INVITE).
        send(out, request_);
        a_interval_ *= 2;
        arm(out, T::A, a_interval_);
      }
      break;
    case T::B:
      if (state_ == S::Calling) {
        emit(out, Kind::Timeout);
        terminate(out);
      }
      break;
    case T::D:
      if (state_ == S::Completed) terminate(out);
      break;
    default:
      break;
  }
}

// --- non-INVITE client (RFC 3261 §17.1.2.2) ---

TransactionActions NonInviteClientTransaction::start(std::string request) {
  TransactionActions out;
  request_ = std::move(request);
  send(out, request_);
  if (!reliable_) {
    e_interval_ = timers_.t1;
    arm(out, T::E, e_interval_);
  }
  arm(out, T::F, timers_.timeout());
  return out;
}

TransactionActions NonInviteClientTransaction::onResponse(int status) {
  TransactionActions out;
  if (state_ != S::Trying && state_ != S::Proceeding) return out;  // Completed absorbs
  if (status < 200) {
    state_ = S::Proceeding;
    emit(out, Kind::PassToTu);
    return out;
  }
  disarm(out, T::E);
  disarm(out, T::F);
  emit(out, Kind::PassToTu);
  state_ = S::Completed;
  waitOrTerminate(out, T::K, reliable_ ? Duration::zero() : timers_.t4);
  return out;
}

void NonInviteClientTransaction::fired(TransactionTimer t, TransactionActions& out) {
  switch (t) {
    case T::E:
      if (state_ == S::Trying || state_ == S::Proceeding) {
        send(out, request_);
        // §17.1.2.2: doubling capped at T2 in Trying; a flat T2 once Proceeding.
        e_interval_ = state_ == S::Trying ? std::min(e_interval_ * 2, timers_.t2) : timers_.t2;
        arm(out, T::E, e_interval_);
      }
      break;
    case T::F:
      if (state_ == S::Trying || state_ == S::Proceeding) {
        emit(out, Kind::Timeout);
        terminate(out);
      }
      break;
    case T::K:
      if (state_ == S::Completed) terminate(out);
      break;
    default:
      break;
  }
}

// --- INVITE server (RFC 3261 §17.2.1, RFC 6026 §7.1) ---

TransactionActions InviteServerTransaction::start(std::optional<std::string> trying) {
  TransactionActions out;
  if (trying) {
    last_response_ = std::move(*trying);
    send(out, last_response_);
  }
  return out;
}

TransactionActions InviteServerTransaction::onRequestRetransmit() {
  TransactionActions out;
  if ((state_ == S::Proceeding || state_ == S::Completed) && !last_response_.empty()) {
    send(out, last_response_);
  }
  return out;
}

TransactionActions InviteServerTransaction::onAck() {
  TransactionActions out;
  if (state_ == S::Completed) {
    disarm(out, T::G);
    disarm(out, T::H);
    state_ = S::Confirmed;
    // Timer I absorbs further ACK retransmissions.
    waitOrTerminate(out, T::I, reliable_ ? Duration::zero() : timers_.t4);
  } else if (state_ == S::Accepted) {
    // RFC 6026 §7.1: the ACK for the 2xx goes to the TU.
    emit(out, Kind::PassToTu);
  }
  return out;
}

Result<TransactionActions> InviteServerTransaction::sendResponse(int status, std::string bytes) {
  TransactionActions out;
  if (state_ == S::Proceeding) {
    last_response_ = std::move(bytes);
    send(out, last_response_);
    if (status < 200) return out;
    if (status < 300) {
      if (rfc6026_) {
        state_ = S::Accepted;
        arm(out, T::L, timers_.timeout());
      } else {
        terminate(out);  // RFC 3261: the TU retransmits the 2xx itself
      }
      return out;
    }
    state_ = S::Completed;
    if (!reliable_) {
      g_interval_ = timers_.t1;
      arm(out, T::G, g_interval_);
    }
    arm(out, T::H, timers_.timeout());
    return out;
  }
  if (state_ == S::Accepted && status >= 200 && status < 300) {
    // RFC 6026 §7.1: 2xx retransmissions from the TU are sent in Accepted.
    last_response_ = std::move(bytes);
    send(out, last_response_);
    return out;
  }
  return fail(Errc::Conflict, std::string("INVITE server transaction in state ") +
                                  std::string(stateName(state_)) + " cannot send " +
                                  std::to_string(status));
}

void InviteServerTransaction::fired(TransactionTimer t, TransactionActions& out) {
  switch (t) {
    case T::G:
      if (state_ == S::Completed) {
        send(out, last_response_);
        g_interval_ = std::min(g_interval_ * 2, timers_.t2);
        arm(out, T::G, g_interval_);
      }
      break;
    case T::H:
      if (state_ == S::Completed) {
        // §17.2.1: no ACK ever came; the TU treats this as a failure of the dialog.
        emit(out, Kind::Timeout);
        terminate(out);
      }
      break;
    case T::I:
      if (state_ == S::Confirmed) terminate(out);
      break;
    case T::L:
      if (state_ == S::Accepted) terminate(out);
      break;
    default:
      break;
  }
}

// --- non-INVITE server (RFC 3261 §17.2.2) ---

TransactionActions NonInviteServerTransaction::onRequestRetransmit() {
  TransactionActions out;
  if ((state_ == S::Proceeding || state_ == S::Completed) && !last_response_.empty()) {
    send(out, last_response_);
  }
  return out;
}

Result<TransactionActions> NonInviteServerTransaction::sendResponse(int status, std::string bytes) {
  if (state_ != S::Trying && state_ != S::Proceeding) {
    return fail(Errc::Conflict, std::string("non-INVITE server transaction in state ") +
                                    std::string(stateName(state_)) + " cannot send " +
                                    std::to_string(status));
  }
  TransactionActions out;
  last_response_ = std::move(bytes);
  send(out, last_response_);
  if (status < 200) {
    state_ = S::Proceeding;
    return out;
  }
  state_ = S::Completed;
  // Timer J keeps the final response for request retransmissions.
  waitOrTerminate(out, T::J, reliable_ ? Duration::zero() : timers_.timeout());
  return out;
}

void NonInviteServerTransaction::fired(TransactionTimer t, TransactionActions& out) {
  if (t == T::J && state_ == S::Completed) terminate(out);
}

}  // namespace sb::sip
