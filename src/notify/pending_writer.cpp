// SPDX-License-Identifier: Apache-2.0
#include "notify/pending_writer.h"

#include "common/log.h"

namespace sb::notify {

PendingWriter::PendingWriter(SubscriptionPersistence& persistence, Duration gather,
                             std::function<void(uint64_t)> committed)
    : persistence_(persistence), gather_(gather), committed_(std::move(committed)) {
  thread_ = std::thread([this] { run(); });
}

PendingWriter::~PendingWriter() { close(); }

void PendingWriter::push(std::vector<PendingWrite> writes, uint64_t last_ticket) {
  if (writes.empty()) return;
  bool wake;
  {
    std::lock_guard lock(mutex_);
    wake = queued_.empty();
    queued_.insert(queued_.end(), std::make_move_iterator(writes.begin()),
                   std::make_move_iterator(writes.end()));
    queued_ticket_ = std::max(queued_ticket_, last_ticket);
  }
  if (wake) wake_.notify_one();
}

void PendingWriter::close() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t PendingWriter::failedTransactions() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void PendingWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return closing_ || !queued_.empty(); });
    if (queued_.empty()) return;  // closing and drained
    if (!closing_) {
      // Group commit: one transaction (one fsync) for every change of the next gather_.
      wake_.wait_for(lock, gather_, [this] { return closing_; });
    }
    std::vector<PendingWrite> batch;
    batch.swap(queued_);
    const uint64_t ticket = queued_ticket_;
    lock.unlock();
    Status s;
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
      s = persistence_.writePending(batch);
      if (s) break;
      SB_LOG_WARN("webhooks: storing {} pending-delivery changes failed (attempt {}/{}): {}",
                  batch.size(), attempt, kAttempts, s.error().toString());
      {
        std::lock_guard count(mutex_);
        ++failed_;
      }
      if (attempt < kAttempts) std::this_thread::sleep_for(kRetryDelay);
    }
    if (!s) {
      // One bad write (say, a tenant deleted meanwhile) must not cost the others: write them
      // one by one. Delivery must not stall while the store is down either: what still fails
      // goes on in memory only and will not survive a restart.
      std::size_t lost = 0;
      for (const auto& w : batch) {
        if (!persistence_.writePending(std::vector<PendingWrite>{w})) ++lost;
      }
      if (lost > 0) {
        SB_LOG_ERROR("webhooks: gave up storing {} of {} pending-delivery changes", lost,
                     batch.size());
      }
    }
    committed_(ticket);
    lock.lock();
  }
}

}  // namespace sb::notify
