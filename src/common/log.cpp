// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

#include <string>

namespace sb::log {

void init(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") return;
  spdlog::set_level(lvl);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
}

}  // namespace sb::log
