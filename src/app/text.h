// SPDX-License-Identifier: Apache-2.0
// Small text helpers the app's route groups share. Pure; any thread.
#pragma once

#include <cctype>
#include <string>

namespace sb::app {

// ASCII lower case (state and enum names on the wire are lower case).
inline std::string lowerAscii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace sb::app
