// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the SDP parser: parse arbitrary bytes; on success serialize and check
// that the output parses again to the same description (the serializer's round-trip promise).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sdp/session_description.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sd = sb::sdp::SessionDescription::parse(text);
  if (!sd) return 0;
  std::string out = sd->serialize();
  auto again = sb::sdp::SessionDescription::parse(out);
  if (!again || again->serialize() != out) std::abort();
  for (size_t i = 0; i < sd->media.size(); ++i) {
    (void)sd->effectiveDirection(i);
    (void)sd->effectiveConnection(i);
    (void)sd->media[i].rtpMaps();
    (void)sd->media[i].cryptos();
    (void)sd->media[i].rtcp();
  }
  (void)sd->isHold();
  return 0;
}
