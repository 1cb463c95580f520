// SPDX-License-Identifier: Apache-2.0
// Value types shared by the SIP transaction layer (RFC 3261 §17): timer names and values,
// transaction handles, where a transaction sends (SendTarget), and the actions a transaction
// state machine emits for its owner to carry out. Plain values; thread-compatible.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace sb::sip {

// RFC 3261 §17 timers (Table 4), plus L (RFC 6026 INVITE server Accepted state).
enum class TransactionTimer : uint8_t { A, B, D, E, F, G, H, I, J, K, L };
inline constexpr size_t kTransactionTimerCount = 11;
// "A", "B", ... for logs.
std::string_view timerName(TransactionTimer t) noexcept;

// T1/T2/T4 of RFC 3261 §17.1.1.1 and Timer D (">32 s for UDP"). Derived: B = F = H = J = L =
// 64*T1; A and E start at T1; G starts at T1 and E/G cap at T2; I = K = T4.
struct TransactionTimers {
  Duration t1 = std::chrono::milliseconds(500);
  Duration t2 = std::chrono::seconds(4);
  Duration t4 = std::chrono::seconds(5);
  Duration timer_d = std::chrono::seconds(32);

  Duration timeout() const noexcept { return t1 * 64; }
};

// Identifies one transaction for its life inside a TransactionLayer; never reused; 0 = none.
using TransactionHandle = uint64_t;
inline constexpr TransactionHandle kNoTransaction = 0;

struct TransactionTimerKey {
  TransactionHandle txn = kNoTransaction;
  TransactionTimer timer = TransactionTimer::A;
  auto operator<=>(const TransactionTimerKey&) const = default;
};

// Where a transaction sends its messages. The transport layer fills it (for a server
// transaction: the RFC 3261 §18.2.2 response route of the request; for a client transaction:
// the resolved next hop), and gets it back unchanged in TransactionSender::send(). The
// transaction layer reads only reliable().
struct SendTarget {
  std::string transport = "UDP";  // Via transport token: "UDP", "TCP", "TLS", "SCTP", "WS", "WSS"
  std::string address;            // IP literal (no brackets) or host name
  uint16_t port = 0;
  uint64_t connection = 0;            // the transport's stream ConnectionId; 0 = none / any
  std::optional<unsigned> listener;   // the transport's listener index to send from, if fixed

  // Everything but UDP is reliable (RFC 3261 §17.1.1.2: no retransmission timers then).
  bool reliable() const noexcept;
  bool operator==(const SendTarget&) const = default;
};

enum class TransactionState : uint8_t {
  Calling, Trying, Proceeding, Completed, Confirmed, Accepted, Terminated
};
std::string_view stateName(TransactionState s) noexcept;

// One step a state machine asks its owner to take, in order.
struct TransactionAction {
  enum class Kind : uint8_t {
    Send,            // send `bytes` to the transaction's target
    StartTimer,      // (re)start `timer` to fire after `delay`
    CancelTimer,     // cancel `timer`
    PassToTu,        // hand the message being processed (response, or ACK in Accepted) to the TU
    Timeout,         // timer B/F/H fired: tell the TU the transaction timed out
    TransportError,  // a send failed: tell the TU
    Terminated,      // the transaction is over; its owner forgets it after the other actions
  };
  Kind kind = Kind::Send;
  TransactionTimer timer = TransactionTimer::A;
  Duration delay{};
  std::string bytes;

  bool operator==(const TransactionAction&) const = default;
};
using TransactionActions = std::vector<TransactionAction>;

}  // namespace sb::sip
