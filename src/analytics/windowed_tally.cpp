// SPDX-License-Identifier: Apache-2.0
#include "analytics/windowed_tally.h"

#include <algorithm>
#include <limits>

namespace sb::analytics {
namespace {

constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

WindowedTally::WindowedTally(const WindowOptions& options)
    : options_(options),
      buckets_(std::max<std::size_t>(options.bucket_count, 1)),
      bucket_index_(buckets_.size(), kNone),
      head_(kNone),
      day_(kNone) {}

std::int64_t WindowedTally::bucketIndex(MonoTime t) const {
  return floorDiv(t.time_since_epoch().count(), options_.bucket_width.count());
}

std::int64_t WindowedTally::dayIndex(MonoTime t) const {
  return floorDiv((t - options_.day_origin).count(), options_.day_length.count());
}

MonoTime WindowedTally::bucketStart(std::int64_t index) const {
  return MonoTime{} + index * options_.bucket_width;
}

MonoTime WindowedTally::dayStart(std::int64_t index) const {
  return options_.day_origin + index * options_.day_length;
}

Tally* WindowedTally::bucketFor(std::int64_t index) {
  const auto n = static_cast<std::int64_t>(buckets_.size());
  if (head_ != kNone && index <= head_ - n) return nullptr;  // older than the ring
  if (head_ == kNone || index > head_) head_ = index;
  const auto slot = static_cast<std::size_t>(((index % n) + n) % n);
  if (bucket_index_[slot] != index) {
    buckets_[slot].clear();
    bucket_index_[slot] = index;
  }
  return &buckets_[slot];
}

void WindowedTally::add(MonoTime at, const std::function<void(Tally&)>& fn) {
  if (Tally* b = bucketFor(bucketIndex(at))) fn(*b);
  const std::int64_t day = dayIndex(at);
  if (day_ == kNone || day > day_) {
    today_.clear();
    day_ = day;
  }
  if (day == day_) fn(today_);
}

void WindowedTally::addStateInterval(AgentState state, MonoTime from, MonoTime to) {
  if (to <= from) return;
  // Only the buckets still in the ring can receive time; skip straight to them.
  const auto n = static_cast<std::int64_t>(buckets_.size());
  const std::int64_t last = bucketIndex(to - Duration(1));
  MonoTime t = std::max(from, bucketStart(last - n + 1));
  while (t < to) {
    const std::int64_t idx = bucketIndex(t);
    const MonoTime end = std::min(to, bucketStart(idx + 1));
    if (Tally* b = bucketFor(idx)) b->addStateTime(state, end - t);
    t = end;
  }
  // Today: only the part inside the day that contains the end of the interval.
  const std::int64_t day = dayIndex(to - Duration(1));
  if (day_ == kNone || day > day_) {
    today_.clear();
    day_ = day;
  }
  if (day == day_) {
    const MonoTime start = std::max(from, dayStart(day));
    today_.addStateTime(state, to - start);
  }
}

Tally WindowedTally::window(MonoTime now) const {
  Tally out;
  const std::int64_t now_idx = bucketIndex(now);
  const auto n = static_cast<std::int64_t>(buckets_.size());
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    const std::int64_t idx = bucket_index_[i];
    if (idx != kNone && idx <= now_idx && idx > now_idx - n) out.merge(buckets_[i]);
  }
  return out;
}

Tally WindowedTally::today(MonoTime now) const {
  if (day_ == kNone || dayIndex(now) != day_) return Tally{};
  return today_;
}

}  // namespace sb::analytics
