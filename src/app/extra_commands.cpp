// SPDX-License-Identifier: Apache-2.0
#include "app/commands.h"

namespace sb::app {

// simulate_command.cpp
void registerSimulateCommand(CLI::App& cli);
bool simulateCommandParsed();
int runSimulateCommand();
// admin_command.cpp
void registerAdminCommand(CLI::App& cli);
bool adminCommandParsed();
int runAdminCommand();

void registerExtraCommands(CLI::App& cli) {
  registerSimulateCommand(cli);
  registerAdminCommand(cli);
}

int runExtraCommand(CLI::App& /*cli*/) {
  if (simulateCommandParsed()) return runSimulateCommand();
  if (adminCommandParsed()) return runAdminCommand();
  return 2;
}

}  // namespace sb::app
