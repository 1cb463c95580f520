// SPDX-License-Identifier: Apache-2.0
// Whitespace helpers shared by the SDP parser files (module-private). Pure functions.
#pragma once

#include <string_view>
#include <vector>

namespace sb::sdp::detail {

inline bool isSpace(char c) { return c == ' ' || c == '\t'; }

// Splits on runs of SP/HTAB; no empty pieces.
inline std::vector<std::string_view> splitWs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !isSpace(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace sb::sdp::detail
