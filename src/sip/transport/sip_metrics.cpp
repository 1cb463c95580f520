// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/sip_metrics.h"

#include <charconv>

namespace sb::sip {

namespace {

constexpr const char* kDirection[2] = {"received", "sent"};

// "SIP/2.0 200 OK" -> 200; 0 when `bytes` is a request line, -1 for a malformed status line.
int statusOf(std::string_view bytes) {
  constexpr std::string_view kPrefix = "SIP/2.0 ";
  if (bytes.substr(0, kPrefix.size()) != kPrefix) return 0;
  if (bytes.size() < kPrefix.size() + 3) return -1;
  int code = 0;
  const char* first = bytes.data() + kPrefix.size();
  auto [ptr, ec] = std::from_chars(first, first + 3, code);
  return ec == std::errc() && ptr == first + 3 ? code : -1;
}

}  // namespace

ShardMetrics::ShardMetrics(metrics::Registry* registry, unsigned shard) : registry_(registry) {
  if (registry_ == nullptr) return;
  for (int d = 0; d < 2; ++d) {
    requests_[d] = &registry_->counter(std::string("sb_sip_requests_") + kDirection[d] + "_total",
                                       std::string("SIP requests ") + kDirection[d] + " by method",
                                       {"method"});
    responses_[d] = &registry_->counter(
        std::string("sb_sip_responses_") + kDirection[d] + "_total",
        std::string("SIP responses ") + kDirection[d] + " by status code", {"code"});
  }
  active_ =
      &registry_->gauge("sb_sip_transactions_active", "Live SIP transactions per shard", {"shard"})
           .with({std::to_string(shard)});
}

metrics::Counter* ShardMetrics::requestCounter(int direction, Method method,
                                               std::string_view name) {
  const auto index = static_cast<size_t>(method);
  if (method == Method::Other || index >= kMethods) {
    // Extension methods share one label: a peer must not grow the label set at will.
    (void)name;
    auto& slot = request_counters_[direction][kMethods - 1];
    if (slot == nullptr) slot = &requests_[direction]->with({"other"});
    return slot;
  }
  auto& slot = request_counters_[direction][index];
  if (slot == nullptr) slot = &requests_[direction]->with({std::string(methodName(method))});
  return slot;
}

metrics::Counter* ShardMetrics::responseCounter(int direction, int code) {
  if (code < 100 || code > 699) return nullptr;
  auto& slot = response_counters_[direction][static_cast<size_t>(code - 100)];
  if (slot == nullptr) slot = &responses_[direction]->with({std::to_string(code)});
  return slot;
}

void ShardMetrics::received(const Message& message) {
  if (registry_ == nullptr) return;
  metrics::Counter* c = message.isRequest()
                            ? requestCounter(0, message.method(), message.methodName())
                            : responseCounter(0, message.statusCode());
  if (c != nullptr) c->inc();
}

void ShardMetrics::sent(std::string_view bytes) {
  if (registry_ == nullptr) return;
  metrics::Counter* c = nullptr;
  if (int code = statusOf(bytes); code != 0) {
    c = code > 0 ? responseCounter(1, code) : nullptr;
  } else {
    const auto space = bytes.find(' ');
    if (space == std::string_view::npos) return;
    const auto name = bytes.substr(0, space);
    const Method m = methodFromName(name);
    c = requestCounter(1, m, name);
  }
  if (c != nullptr) c->inc();
}

void ShardMetrics::transactions(size_t active) {
  if (active_ != nullptr) active_->set(static_cast<double>(active));
}

}  // namespace sb::sip
