// SPDX-License-Identifier: Apache-2.0
// Wire: a TransactionSender for tests that keeps every message a TransactionLayer sends and
// lets the test take those addressed to one port, as the peer listening there would receive
// them. Header-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sip/message.h"
#include "sip/transaction/transaction_layer.h"

namespace sb::b2bua::testing {

class Wire final : public sip::TransactionSender {
 public:
  Status send(sip::TransactionHandle, const sip::SendTarget& to, std::string_view bytes) override {
    auto m = sip::Message::parse(bytes);
    EXPECT_TRUE(m) << m.error().toString() << "\n" << bytes;
    if (m) sent_.push_back({to, std::move(*m)});
    return {};
  }

  // Removes and returns, in order, every message sent to `port`.
  std::vector<sip::Message> take(uint16_t port) {
    std::vector<sip::Message> out;
    for (auto it = sent_.begin(); it != sent_.end();) {
      if (it->to.port == port) {
        out.push_back(std::move(it->msg));
        it = sent_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  // Removes and returns the first message to `port` that is the request `what` ("INVITE") or
  // the response with that code ("200"); other messages stay.
  std::optional<sip::Message> takeOne(uint16_t port, std::string_view what) {
    for (auto it = sent_.begin(); it != sent_.end(); ++it) {
      if (it->to.port != port) continue;
      const std::string label = it->msg.isRequest() ? std::string(it->msg.methodName())
                                                    : std::to_string(it->msg.statusCode());
      if (label == what) {
        auto m = std::move(it->msg);
        sent_.erase(it);
        return m;
      }
    }
    return std::nullopt;
  }

 private:
  struct Sent {
    sip::SendTarget to;
    sip::Message msg;
  };
  std::deque<Sent> sent_;
};

}  // namespace sb::b2bua::testing
