// SPDX-License-Identifier: Apache-2.0
// ShardMetrics: one SIP shard's Prometheus counters — requests and responses received and
// sent (by method / by status code) and the shard's live transactions. Owned by a shard and
// used only on its thread; the counters it points at live in the shared metrics::Registry
// (atomics, readable from the HTTP thread). Counters are looked up once per method and code,
// so the hot path is an array index and a relaxed atomic add.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "sip/message.h"

namespace sb::sip {

class ShardMetrics final {
 public:
  // registry may be null: then every call does nothing.
  ShardMetrics(metrics::Registry* registry, unsigned shard);

  void received(const Message& message);
  // `bytes` is a serialized message about to be sent.
  void sent(std::string_view bytes);
  void transactions(size_t active);

 private:
  metrics::Counter* requestCounter(int direction, Method method, std::string_view name);
  metrics::Counter* responseCounter(int direction, int code);

  metrics::Registry* registry_;
  metrics::CounterFamily* requests_[2] = {nullptr, nullptr};  // 0 received, 1 sent
  metrics::CounterFamily* responses_[2] = {nullptr, nullptr};
  static constexpr size_t kMethods = 16;
  std::array<metrics::Counter*, kMethods> request_counters_[2]{};
  std::array<metrics::Counter*, 600> response_counters_[2]{};  // codes 100..699
  metrics::Gauge* active_ = nullptr;
};

}  // namespace sb::sip
