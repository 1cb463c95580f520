// SPDX-License-Identifier: Apache-2.0
// LoopLagMonitor: measures event-loop lag. On each watched io_context a periodic timer notes
// how late it fires; the lateness is exported as the gauge sb_event_loop_lag_seconds{loop} and
// the histogram sb_event_loop_lag_histogram_seconds{loop}. watch()/stop() from any thread; the
// timers live on the watched loops. Call stop() (or destroy) before the loops are destroyed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"

namespace sb::metrics {
class Registry;
}

namespace sb::api {

namespace asio = boost::asio;

class LoopLagMonitor {
 public:
  explicit LoopLagMonitor(metrics::Registry& metrics);
  ~LoopLagMonitor();
  LoopLagMonitor(const LoopLagMonitor&) = delete;
  LoopLagMonitor& operator=(const LoopLagMonitor&) = delete;

  void watch(asio::io_context& loop, std::string name,
             Duration interval = std::chrono::milliseconds(250));
  void stop();

  struct Probe;

 private:
  metrics::Registry& metrics_;
  std::vector<std::shared_ptr<Probe>> probes_;
};

}  // namespace sb::api
