// SPDX-License-Identifier: Apache-2.0
// WindowedTally: a ring of fixed-width time buckets (e.g. 15 × 1 min) for a rolling window,
// plus a "today" tally reset at a day boundary. Owned by the Aggregator; thread-compatible.
// Bucket of an observation = the bucket containing its timestamp; observations older than
// the ring (or than the current day) are dropped from that view.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "analytics/tally.h"
#include "common/clock.h"

namespace sb::analytics {

struct WindowOptions {
  Duration bucket_width = std::chrono::minutes(1);
  std::size_t bucket_count = 15;  // rolling window = current bucket + (count − 1) before it
  MonoTime day_origin{};          // the monotonic instant of one day start (local midnight)
  Duration day_length = std::chrono::hours(24);
};

class WindowedTally {
 public:
  explicit WindowedTally(const WindowOptions& options);

  // Applies `fn` to the rolling bucket and to today's tally that contain `at`.
  void add(MonoTime at, const std::function<void(Tally&)>& fn);
  // Spreads the interval [from, to) over the buckets it overlaps as agent state time.
  void addStateInterval(AgentState state, MonoTime from, MonoTime to);

  // The merge of the buckets in the rolling window ending at `now`.
  Tally window(MonoTime now) const;
  // Today's tally as of `now` (empty once `now` is past the day it holds).
  Tally today(MonoTime now) const;

  std::int64_t bucketIndex(MonoTime t) const;
  std::int64_t dayIndex(MonoTime t) const;
  MonoTime bucketStart(std::int64_t index) const;
  MonoTime dayStart(std::int64_t index) const;

 private:
  Tally* bucketFor(std::int64_t index);

  WindowOptions options_;
  std::vector<Tally> buckets_;
  std::vector<std::int64_t> bucket_index_;  // which bucket each slot holds; INT64_MIN = none
  std::int64_t head_;                       // newest bucket index seen
  Tally today_;
  std::int64_t day_;
};

}  // namespace sb::analytics
