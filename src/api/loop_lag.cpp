// SPDX-License-Identifier: Apache-2.0
#include "api/loop_lag.h"

#include <atomic>

#include "common/metrics.h"

namespace sb::api {

struct LoopLagMonitor::Probe : std::enable_shared_from_this<Probe> {
  Probe(asio::io_context& loop, Duration every, metrics::Gauge& g, metrics::Histogram& h)
      : timer(asio::make_strand(loop)), interval(every), gauge(g), histogram(h) {}

  void arm() {
    if (stopped) return;
    due = std::chrono::steady_clock::now() + interval;
    timer.expires_at(due);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped) return;
      // Lateness of the wake-up = time this loop spent busy with other work.
      double lag = std::chrono::duration<double>(std::chrono::steady_clock::now() - self->due)
                       .count();
      if (lag < 0) lag = 0;
      self->gauge.set(lag);
      self->histogram.observe(lag);
      self->arm();
    });
  }

  asio::steady_timer timer;
  Duration interval;
  metrics::Gauge& gauge;
  metrics::Histogram& histogram;
  std::chrono::steady_clock::time_point due{};
  std::atomic<bool> stopped{false};
};

LoopLagMonitor::LoopLagMonitor(metrics::Registry& metrics) : metrics_(metrics) {}

LoopLagMonitor::~LoopLagMonitor() { stop(); }

void LoopLagMonitor::watch(asio::io_context& loop, std::string name, Duration interval) {
  auto& gauge = metrics_.gauge("sb_event_loop_lag_seconds",
                               "How late the last periodic timer fired on each event loop",
                               {"loop"})
                    .with({name});
  auto& hist = metrics_.histogram("sb_event_loop_lag_histogram_seconds",
                                  "Distribution of event-loop timer lateness", {"loop"})
                   .with({name});
  auto probe = std::make_shared<Probe>(loop, interval, gauge, hist);
  asio::post(probe->timer.get_executor(), [probe] { probe->arm(); });
  probes_.push_back(std::move(probe));
}

void LoopLagMonitor::stop() {
  for (auto& p : probes_) {
    p->stopped = true;
    asio::post(p->timer.get_executor(), [p] { p->timer.cancel(); });
  }
  probes_.clear();
}

}  // namespace sb::api
