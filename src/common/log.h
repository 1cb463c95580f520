// SPDX-License-Identifier: Apache-2.0
// Logging facade over spdlog. Thread-safe (spdlog's default logger is). Configure once at
// start-up from app/ with sb::log::init(); modules only use the macros.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace sb::log {
// level: trace, debug, info, warn, error, off. Unknown names leave the level unchanged.
void init(std::string_view level);
}  // namespace sb::log

#define SB_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define SB_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define SB_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define SB_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define SB_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
