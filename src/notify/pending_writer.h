// SPDX-License-Identifier: Apache-2.0
// PendingWriter: commits a SubscriptionService's pending-delivery writes (PendingWrite) on a
// thread of its own, so neither the webhook thread nor a producer waits for an fsync. Writes
// are applied in push order; the writer wakes on the first push, gathers for `gather`, and
// commits everything queued in one transaction, then reports the newest ticket it covered.
// push() and close() may be called from any thread; `committed` runs on the writer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "notify/subscription_service.h"

namespace sb::notify {

class PendingWriter final {
 public:
  // A failed transaction is tried this many times, kRetryDelay apart; then its writes are tried
  // one per transaction and those still failing are given up (logged; delivery goes on
  // without them, see docs/webhooks.md).
  static constexpr int kAttempts = 4;
  static constexpr Duration kRetryDelay = std::chrono::milliseconds(250);

  // persistence must outlive the writer.
  PendingWriter(SubscriptionPersistence& persistence, Duration gather,
                std::function<void(uint64_t ticket)> committed);
  ~PendingWriter();  // close()s
  PendingWriter(const PendingWriter&) = delete;
  PendingWriter& operator=(const PendingWriter&) = delete;

  // Queues writes; last_ticket is the ticket of the newest op among them.
  void push(std::vector<PendingWrite> writes, uint64_t last_ticket);
  // Commits everything queued, then stops the thread. Idempotent.
  void close();
  std::size_t failedTransactions() const;

 private:
  void run();

  SubscriptionPersistence& persistence_;
  const Duration gather_;
  std::function<void(uint64_t)> committed_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<PendingWrite> queued_;  // guarded by mutex_
  uint64_t queued_ticket_ = 0;        // guarded by mutex_
  bool closing_ = false;              // guarded by mutex_
  std::size_t failed_ = 0;            // guarded by mutex_
  std::thread thread_;
};

}  // namespace sb::notify
