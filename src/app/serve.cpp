// SPDX-License-Identifier: Apache-2.0
#include <csignal>
#include <iostream>

#include "app/commands.h"
#include "common/asio.h"
#include "common/log.h"

namespace sb::app {

int runServe(const Config& config, const ServeOptions& /*options*/) {
  log::init(config.log_level);
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  SB_LOG_INFO("switchboard {} starting", kVersion);
  io.run();
  return 0;
}

}  // namespace sb::app
