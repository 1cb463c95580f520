// SPDX-License-Identifier: Apache-2.0
// Clock: the one seam through which code above `common` reads time (STYLE.md §7).
// Monotonic time drives timers; wall time stamps records. SteadyClock reads the OS;
// ManualClock (tests) only moves when told. A Clock is read by its owner's thread;
// ManualClock is not thread-safe.
#pragma once

#include <chrono>

namespace sb {

using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::nanoseconds;

// An instant carried to the other clock through one pair of readings (`now`, `wall`) taken
// together: how a deadline is stored across restarts, since monotonic time starts anew with
// each process. Read the pair once for a batch so that its instants keep their order.
inline WallTime wallOf(MonoTime t, MonoTime now, WallTime wall) {
  return wall + std::chrono::duration_cast<WallTime::duration>(t - now);
}
inline MonoTime monoOf(WallTime t, MonoTime now, WallTime wall) {
  return now + std::chrono::duration_cast<Duration>(t - wall);
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
  virtual WallTime wallNow() const = 0;
};

class SteadyClock final : public Clock {
 public:
  MonoTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonoTime start = MonoTime{} + std::chrono::hours(1),
                       WallTime wall_start = WallTime{} + std::chrono::hours(24 * 365 * 56))
      : now_(start), wall_(wall_start) {}
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  MonoTime now() const override { return now_; }
  WallTime wallNow() const override { return wall_; }
  void advance(Duration d) {
    now_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }

 private:
  MonoTime now_;
  WallTime wall_;
};

}  // namespace sb
