// SPDX-License-Identifier: Apache-2.0
// Message framing for stream transports (TCP/TLS, RFC 3261 §18.3): where does the next message
// end in a receive buffer. Datagram framing is Message::parse itself (one datagram = one
// message; body = Content-Length bytes, the rest ignored; no Content-Length: body runs to the
// end; Content-Length beyond the datagram is an error -> 400). Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace sb::sip {

struct FramingLimits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;
};

enum class FrameStatus {
  NeedMore,   // read more bytes and call again with the grown buffer
  Complete,   // the first `size` bytes are one message: Message::parse them, then consume
  KeepAlive,  // the first `size` bytes are CRLFs (RFC 5626 §4.4.1 ping "\r\n\r\n" when 4)
  Error,      // framing is lost: close the connection (error says why)
};

struct Frame {
  FrameStatus status = FrameStatus::NeedMore;
  size_t size = 0;
  Error error;
};

// Errors: no Content-Length (mandatory on streams), non-numeric / negative / conflicting
// Content-Length, headers longer than max_header_bytes, body above max_body_bytes.
Frame frameStream(std::string_view buffer, const FramingLimits& limits = {}) noexcept;

}  // namespace sb::sip
