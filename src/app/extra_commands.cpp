// SPDX-License-Identifier: Apache-2.0
#include "app/commands.h"

namespace sb::app {

// simulate_command.cpp
void registerSimulateCommand(CLI::App& cli);
bool simulateCommandParsed();
int runSimulateCommand();

void registerExtraCommands(CLI::App& cli) { registerSimulateCommand(cli); }

int runExtraCommand(CLI::App& /*cli*/) {
  if (simulateCommandParsed()) return runSimulateCommand();
  return 2;
}

}  // namespace sb::app
