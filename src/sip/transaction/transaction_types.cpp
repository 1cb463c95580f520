// SPDX-License-Identifier: Apache-2.0
#include "sip/transaction/transaction_types.h"

namespace sb::sip {

std::string_view timerName(TransactionTimer t) noexcept {
  static constexpr std::string_view kNames[] = {"A", "B", "D", "E", "F", "G", "H", "I", "J", "K", "L"};
  auto i = static_cast<size_t>(t);
  return i < kTransactionTimerCount ? kNames[i] : "?";
}

std::string_view stateName(TransactionState s) noexcept {
  switch (s) {
    case TransactionState::Calling: return "Calling";
    case TransactionState::Trying: return "Trying";
    case TransactionState::Proceeding: return "Proceeding";
    case TransactionState::Completed: return "Completed";
    case TransactionState::Confirmed: return "Confirmed";
    case TransactionState::Accepted: return "Accepted";
    case TransactionState::Terminated: return "Terminated";
  }
  return "?";
}

bool SendTarget::reliable() const noexcept {
  if (transport.size() != 3) return true;
  auto up = [](char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); };
  return !(up(transport[0]) == 'U' && up(transport[1]) == 'D' && up(transport[2]) == 'P');
}

}  // namespace sb::sip
