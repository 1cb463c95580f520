// SPDX-License-Identifier: Apache-2.0
// A stateless error response built from the raw bytes of a request that could not be framed or
// parsed (RFC 3261 §8.2.6 copying rules applied line by line, without the full parser), so a
// client still learns why (400 for a bad Content-Length, a missing one on a stream, ...).
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sb::sip {

// Copies the Via, From, To, Call-ID and CSeq lines (full or compact names, folded lines kept)
// of `request`, adds `to_tag` to To when it has no tag, then Server (if not empty) and
// Content-Length: 0. nullopt when `request` is not a request (a response, or no start line)
// or is an ACK (never answered, RFC 3261 §17.2.3).
std::optional<std::string> rawErrorResponse(std::string_view request, int code,
                                            std::string_view reason, std::string_view server,
                                            std::string_view to_tag);

}  // namespace sb::sip
