// SPDX-License-Identifier: Apache-2.0
// Assertion taxonomy after Envoy (STYLE.md §6). Never assert on network, DB or user data.
//   SB_ASSERT(cond, why)          debug-only invariant
//   SB_RELEASE_ASSERT(cond, why)  continuing would corrupt calls: abort in every build
//   SB_BUG(why)                   "shouldn't happen but survivable": logs; aborts in debug
#pragma once

#include <cstdio>
#include <cstdlib>

namespace sb::detail {
[[noreturn]] inline void assertFailed(const char* expr, const char* why, const char* file,
                                      int line) noexcept {
  std::fprintf(stderr, "%s:%d: assertion '%s' failed: %s\n", file, line, expr, why);
  std::abort();
}
void reportBug(const char* why, const char* file, int line) noexcept;
}  // namespace sb::detail

#define SB_RELEASE_ASSERT(cond, why) \
  ((cond) ? void(0) : ::sb::detail::assertFailed(#cond, why, __FILE__, __LINE__))
#ifdef NDEBUG
#define SB_ASSERT(cond, why) ((void)0)
#else
#define SB_ASSERT(cond, why) SB_RELEASE_ASSERT(cond, why)
#endif
#define SB_BUG(why) ::sb::detail::reportBug(why, __FILE__, __LINE__)
