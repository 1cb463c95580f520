// SPDX-License-Identifier: Apache-2.0
// Test fakes for code that drives a TransactionLayer: a ManualClock-driven timer service that
// fires due timers into the layer, a recording (optionally failing) sender, and a recording
// TransactionUser with hooks. Header-only; single-threaded, like the layer itself.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "sip/message.h"
#include "sip/transaction/transaction_layer.h"

namespace sb::sip::testing {

class FakeTimerService final : public TransactionTimerService {
 public:
  explicit FakeTimerService(ManualClock& clock) : clock_(clock) {}

  void startTimer(TransactionTimerKey key, Duration delay) override { armed_[key] = clock_.now() + delay; }
  void cancelTimer(TransactionTimerKey key) override { armed_.erase(key); }

  // Moves the clock forward by `d`, firing every timer that falls due, in deadline order.
  void advance(TransactionLayer& layer, Duration d) {
    const MonoTime end = clock_.now() + d;
    while (true) {
      auto next = armed_.end();
      for (auto it = armed_.begin(); it != armed_.end(); ++it) {
        if (next == armed_.end() || it->second < next->second) next = it;
      }
      if (next == armed_.end() || next->second > end) break;
      const TransactionTimerKey key = next->first;
      clock_.advance(next->second - clock_.now());
      armed_.erase(next);
      layer.onTimer(key, clock_.now());
    }
    clock_.advance(end - clock_.now());
  }
  bool armed(TransactionHandle txn, TransactionTimer t) const { return armed_.count({txn, t}) != 0; }
  size_t armedCount() const { return armed_.size(); }

 private:
  ManualClock& clock_;
  std::map<TransactionTimerKey, MonoTime> armed_;
};

class RecordingSender final : public TransactionSender {
 public:
  struct Sent {
    TransactionHandle txn;
    SendTarget to;
    std::string bytes;
  };
  Status send(TransactionHandle txn, const SendTarget& to, std::string_view bytes) override {
    if (fail_next_) {
      Error e = *fail_next_;
      fail_next_.reset();
      return std::unexpected(e);
    }
    sent.push_back(Sent{txn, to, std::string(bytes)});
    return {};
  }
  // The next send fails with `e`.
  void failNext(Error e) { fail_next_ = std::move(e); }
  // The parsed message of sent[i].
  Message message(size_t i) const { return *Message::parse(sent.at(i).bytes); }

  std::vector<Sent> sent;

 private:
  std::optional<Error> fail_next_;
};

class RecordingUser final : public TransactionUser {
 public:
  struct Event {
    std::string what;  // "request", "response", "stray", "timeout", "transport-error", "terminated"
    TransactionHandle txn = kNoTransaction;
    int status = 0;          // responses
    std::string method;      // requests
  };

  void onRequest(TransactionHandle txn, const Message& request, const SendTarget&) override {
    events.push_back({"request", txn, 0, std::string(request.methodName())});
    if (on_request) on_request(txn, request);
  }
  void onResponse(TransactionHandle txn, const Message& response) override {
    events.push_back({"response", txn, response.statusCode(), {}});
  }
  void onStrayResponse(const Message& response, const SendTarget&) override {
    events.push_back({"stray", kNoTransaction, response.statusCode(), {}});
  }
  void onTimeout(TransactionHandle txn) override { events.push_back({"timeout", txn, 0, {}}); }
  void onTransportError(TransactionHandle txn, const Error&) override {
    events.push_back({"transport-error", txn, 0, {}});
  }
  void onTerminated(TransactionHandle txn) override { events.push_back({"terminated", txn, 0, {}}); }

  size_t count(std::string_view what) const {
    size_t n = 0;
    for (const auto& e : events) n += e.what == what ? 1 : 0;
    return n;
  }

  std::vector<Event> events;
  std::function<void(TransactionHandle, const Message&)> on_request;
};

}  // namespace sb::sip::testing
