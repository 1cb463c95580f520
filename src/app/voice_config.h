// SPDX-License-Identifier: Apache-2.0
// Maps the YAML configuration onto the voice path's directory (tenants, users, queues as
// routing specs, numbers, trunks). Pure; used by serve at start-up.
#pragma once

#include <memory>

#include "app/config.h"
#include "center/directory.h"

namespace sb::app {

struct DirectoryOptions {
  bool open_trunk = false;  // demo --open-trunk: trunks accept any loopback source port
};

std::shared_ptr<const center::Directory> buildDirectory(const Config& config,
                                                        const DirectoryOptions& options);

}  // namespace sb::app
