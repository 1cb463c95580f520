// SPDX-License-Identifier: Apache-2.0
// Subcommands of the switchboard binary beyond serve/check-config/version. Each lives in its
// own file and registers here, so main.cpp stays a table of contents.
#pragma once

#include <CLI/CLI.hpp>

#include "app/config.h"

namespace sb::app {

inline constexpr const char* kVersion = "0.1.0";

struct ServeOptions {
  bool open_trunk = false;
};

// Runs the server in the foreground until SIGINT/SIGTERM. Returns the process exit code.
int runServe(const Config& config, const ServeOptions& options);

// Adds subcommands such as `simulate` and `admin` to the parser.
void registerExtraCommands(CLI::App& cli);
// Runs whichever extra subcommand was parsed; returns the exit code.
int runExtraCommand(CLI::App& cli);

}  // namespace sb::app
