// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/timer_queue.h"

namespace sb::sip {

void TimerQueue::start(TransactionTimerKey key, Duration delay, MonoTime now) {
  const uint64_t k = encode(key);
  const uint64_t gen = next_generation_++;
  armed_[k] = gen;
  queues_[delay.count()].push_back(Entry{now + delay, k, gen});
}

void TimerQueue::cancel(TransactionTimerKey key) { armed_.erase(encode(key)); }

TimerQueue::Queues::iterator TimerQueue::earliest() {
  auto best = queues_.end();
  for (auto it = queues_.begin(); it != queues_.end(); ++it) {
    if (best == queues_.end() || it->second.front().deadline < best->second.front().deadline) {
      best = it;
    }
  }
  return best;
}

std::optional<MonoTime> TimerQueue::next() const {
  std::optional<MonoTime> out;
  for (const auto& [delay, q] : queues_) {
    if (!out || q.front().deadline < *out) out = q.front().deadline;
  }
  return out;
}

}  // namespace sb::sip
