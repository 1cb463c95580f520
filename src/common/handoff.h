// SPDX-License-Identifier: Apache-2.0
// Handoff<T>: moves items from any thread to one consumer executor in batches. push() appends
// under a short mutex; only the push that finds the queue empty posts a drain, so a burst of
// items from a busy producer costs the consumer one wake-up instead of one per item (a post is
// a mutex, a queue node and often a futex wake). Items reach the consumer in push order.
// The consumer callback runs on the executor given to the constructor; the Handoff must outlive
// every drain it posted (own it next to the executor's owner and stop the executor first).
#pragma once

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
  Handoff(Executor executor, Consume consume)
      : executor_(std::move(executor)), consume_(std::move(consume)) {}
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  // Any thread.
  void push(T item) {
    bool first;
    {
      std::lock_guard lock(mutex_);
      first = pending_.empty();
      pending_.push_back(std::move(item));
    }
    if (first) boost::asio::post(executor_, [this] { drain(); });
  }

 private:
  void drain() {
    {
      std::lock_guard lock(mutex_);
      draining_.swap(pending_);
    }
    for (auto& item : draining_) consume_(std::move(item));
    draining_.clear();  // keeps its capacity for the next batch
  }

  boost::asio::any_io_executor executor_;
  std::function<void(T&&)> consume_;
  std::mutex mutex_;
  std::vector<T> pending_;   // guarded by mutex_
  std::vector<T> draining_;  // consumer executor only
};

}  // namespace sb
