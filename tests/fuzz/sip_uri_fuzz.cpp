// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes through the URI parser, comparison and unescaping. The input is
// split at its first NUL into two URIs to exercise uriEquals on related inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  size_t nul = bytes.find('\0');
  std::string_view a = bytes.substr(0, nul);
  std::string_view b = nul == std::string_view::npos ? a : bytes.substr(nul + 1);
  auto ua = sb::sip::parseUri(a);
  auto ub = sb::sip::parseUri(b);
  if (ua) {
    (void)ua->hostPort();
    (void)sb::sip::unescape(ua->user);
    ua->params.forEach([](std::string_view, std::string_view, bool) {});
    // Equivalence is reflexive.
    if (!sb::sip::uriEquals(*ua, *ua)) __builtin_trap();
  }
  if (ua && ub) {
    // ...and symmetric.
    if (sb::sip::uriEquals(*ua, *ub) != sb::sip::uriEquals(*ub, *ua)) __builtin_trap();
  }
  return 0;
}
