// SPDX-License-Identifier: Apache-2.0
#include "app/commands.h"

namespace sb::app {

void registerExtraCommands(CLI::App& /*cli*/) {}

int runExtraCommand(CLI::App& /*cli*/) { return 2; }

}  // namespace sb::app
