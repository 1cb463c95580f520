// SPDX-License-Identifier: Apache-2.0
#include "common/assert.h"

#include <atomic>

#include "common/log.h"

namespace sb::detail {

namespace {
std::atomic<unsigned long> g_bug_count{0};
}

void reportBug(const char* why, const char* file, int line) noexcept {
  g_bug_count.fetch_add(1, std::memory_order_relaxed);
  SB_LOG_ERROR("bug at {}:{}: {}", file, line, why);
#ifndef NDEBUG
  std::abort();
#endif
}

}  // namespace sb::detail
