// SPDX-License-Identifier: Apache-2.0
// Transport-level framing of SIP messages (RFC 3261 §7.5, §18.3): where one message ends in a
// datagram or in a stream buffer, judged only from the header block's Content-Length, plus the
// raw Call-ID used to pick a worker shard before the full parse. Pure functions over the caller's
// bytes; no allocation; thread-compatible. The full parser (sip/message.h) runs after this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sb::sip {

enum class ScanStatus : uint8_t {
  Complete,    // one message of `total` bytes starts at the beginning of the buffer
  Incomplete,  // stream only: more bytes are needed
  Error,       // cannot be framed; see ScanError
};

enum class ScanError : uint8_t {
  None,
  MissingContentLength,      // stream message without Content-Length (RFC 3261 §18.3: required)
  BadContentLength,          // not a plain non-negative decimal (e.g. -999, "5, 6")
  ConflictingContentLength,  // several Content-Length values that differ (RFC 4475 §3.3.9)
  BodyTruncated,             // datagram: Content-Length larger than the bytes present (→ 400)
  TooLarge,                  // stream: header block or message above the size limit
  NoHeaderEnd,               // datagram: no empty line ends the header block
};

const char* scanErrorName(ScanError e) noexcept;

struct FrameScan {
  ScanStatus status = ScanStatus::Incomplete;
  ScanError error = ScanError::None;
  size_t head_size = 0;  // start line + headers + the empty line
  size_t body_size = 0;  // Content-Length (datagram without it: the rest of the datagram)
  size_t total = 0;      // head_size + body_size when Complete
  bool has_content_length = false;
  std::string_view call_id;  // raw value of Call-ID / "i", trimmed; empty if absent
};

// Frames the datagram `data` (already stripped of nothing). Bytes after Content-Length are not
// part of the message (RFC 4475 §3.1.1.8); a missing Content-Length means "to the end".
FrameScan scanDatagram(std::string_view data) noexcept;

// Frames the first message of a stream buffer. `data` must not start with CRLF keep-alives
// (see skipKeepAlives). Messages larger than `max_message` bytes are TooLarge.
FrameScan scanStream(std::string_view data, size_t max_message) noexcept;

// RFC 5626 §3.5.1 / RFC 3261 §7.5: CRLFs before a start line. Returns how many leading bytes are
// CRLF/LF noise and, via `pings`, how many double-CRLF keep-alive pings they contain (each is
// answered with one CRLF "pong"). A trailing lone "\r" is left in place (it may be half a CRLF).
size_t skipKeepAlives(std::string_view data, unsigned& pings) noexcept;

// True if the buffer holds only CRLF/LF octets (a keep-alive datagram, ignored).
bool isKeepAliveOnly(std::string_view data) noexcept;

}  // namespace sb::sip
