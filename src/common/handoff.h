// SPDX-License-Identifier: Apache-2.0
// Handoff<T>: moves items from any thread to one consumer executor in batches. push() appends
// under a short mutex; only the push that finds no drain scheduled posts one, so a burst of
// items from a busy producer costs the consumer one wake-up instead of one per item (a post is
// a mutex, a queue node and an epoll_ctl + futex wake of the consumer's thread). Items reach
// the consumer in push order.
// With a gather window the consumer drains at once when woken, then polls every `gather` while
// items keep coming and stops after one empty window: under steady traffic producers never
// wake the consumer at all, at the price of up to `gather` of added latency for the items that
// follow the first (for events and webhooks, not for calls).
// The consumer callback runs on the executor given to the constructor; the Handoff must outlive
// every drain it posted (own it next to the executor's owner and stop the executor first).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "common/asio.h"

namespace sb {

template <class T>
class Handoff {
 public:
  template <class Executor, class Consume>
  Handoff(Executor executor, Consume consume,
          std::chrono::nanoseconds gather = std::chrono::nanoseconds::zero())
      : executor_(std::move(executor)),
        consume_(std::move(consume)),
        gather_(gather),
        timer_(executor_) {}
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // Any thread.
  void push(T item) {
    bool kick;
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(std::move(item));
      kick = !scheduled_;
      scheduled_ = true;
    }
    if (!kick) return;
    if (gather_ > std::chrono::nanoseconds::zero()) {
      // The first item after a quiet spell goes at once; polling gathers what follows.
      boost::asio::post(executor_, [this] {
        drain();
        arm();
      });
    } else {
      boost::asio::post(executor_, [this] { drain(); });
    }
  }

 private:
  // Consumer executor. Returns whether there was anything to consume.
  bool drain() {
    {
      std::lock_guard lock(mutex_);
      draining_.swap(pending_);
      // Without a gather window the next push posts a drain; with one, only when polling stops.
      if (gather_ == std::chrono::nanoseconds::zero() || draining_.empty()) scheduled_ = false;
    }
    const bool any = !draining_.empty();
    for (auto& item : draining_) consume_(std::move(item));
    draining_.clear();  // keeps its capacity for the next batch
    return any;
  }

  // Consumer executor: poll again after the window while items keep coming.
  void arm() {
    timer_.expires_after(gather_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the Handoff is going away
      if (drain()) arm();
    });
  }

  boost::asio::any_io_executor executor_;
  std::function<void(T&&)> consume_;
  const std::chrono::nanoseconds gather_;
  boost::asio::steady_timer timer_;  // consumer executor only
  std::mutex mutex_;
  std::vector<T> pending_;   // guarded by mutex_
  bool scheduled_ = false;   // a drain is posted or polling is on; guarded by mutex_
  std::vector<T> draining_;  // consumer executor only
};

}  // namespace sb
