// SPDX-License-Identifier: Apache-2.0
// LiveQueueBoard: the live figures of every configured queue (routing::QueueSnapshot), taken on
// the voice shard once a second and read by the queue statistics route on any HTTP loop, so a
// statistics request does not hop to the voice shard. The voice shard publishes an immutable
// snapshot; readers share it (shared_ptr<const>). Thread-safe: a mutex guards only the pointer
// swap and copy.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "routing/engine.h"

namespace sb::app {

struct LiveQueues {
  MonoTime taken_at{};
  // (tenant id, local queue id) -> the engine's figures at taken_at.
  std::map<std::pair<std::string, std::string>, routing::QueueSnapshot> queues;
};

class LiveQueueBoard final {
 public:
  // A snapshot older than this is not answered from (the voice shard is late): readers hop.
  static constexpr Duration kMaxAge = std::chrono::milliseconds(1250);

  LiveQueueBoard() = default;
  LiveQueueBoard(const LiveQueueBoard&) = delete;
  LiveQueueBoard& operator=(const LiveQueueBoard&) = delete;

  // Voice shard. Replaces the snapshot.
  void publish(std::shared_ptr<const LiveQueues> snapshot) {
    std::lock_guard lock(mu_);
    current_ = std::move(snapshot);
  }

  // A configuration change is on its way to the voice shard: until resume(), find() answers
  // nothing, so readers hop and see the change in order. suspend() on the thread that posts
  // the change, before posting; resume() on the voice shard, after the change was applied
  // (it also drops the snapshot, which may predate the change). Calls nest.
  void suspend() {
    std::lock_guard lock(mu_);
    ++suspended_;
  }
  void resume() {
    std::lock_guard lock(mu_);
    if (suspended_ > 0) --suspended_;
    current_.reset();
  }

  // Any thread. The figures of tenant/queue from a snapshot taken at most kMaxAge before now,
  // or nullopt (no fresh snapshot, or the queue is not in it: the caller asks the voice shard).
  std::optional<routing::QueueSnapshot> find(const std::string& tenant, const std::string& queue,
                                             MonoTime now) const {
    std::shared_ptr<const LiveQueues> s;
    {
      std::lock_guard lock(mu_);
      if (suspended_ > 0) return std::nullopt;
      s = current_;
    }
    if (!s || now - s->taken_at > kMaxAge) return std::nullopt;
    auto it = s->queues.find({tenant, queue});
    if (it == s->queues.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const LiveQueues> current_;  // GUARDED_BY(mu_)
  unsigned suspended_ = 0;                     // GUARDED_BY(mu_)
};

}  // namespace sb::app
