// SPDX-License-Identifier: Apache-2.0
// The RFC 6455 §5 framing the event stream needs once Beast has done the opening handshake:
// server frames (unmasked, so one event's bytes are the same for every subscriber and are
// built once) and a parser for what a client may send us (masked frames; the event stream
// only acts on ping and close). No extensions are negotiated, so every RSV bit must be zero.
// Why we frame ourselves: docs/adr/0002-event-stream-framing.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::api::ws {

enum Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes (RFC 6455 §7.4.1) the server sends.
enum CloseCode : std::uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kTooBig = 1009,
  kTryAgainLater = 1013,
};

// The longest server frame header: 2 bytes and a 64-bit length.
inline constexpr std::size_t kMaxServerHeader = 10;
// The header of a final, unmasked frame of `length` payload bytes.
std::string serverFrameHeader(Opcode opcode, std::uint64_t length);
// One final, unmasked frame carrying payload.
std::string serverFrame(Opcode opcode, std::string_view payload);
// A close frame with code and reason (reason cut to fit a control frame's 125 bytes).
std::string closeFrame(std::uint16_t code, std::string_view reason);

struct ClientFrame {
  enum class Status : std::uint8_t { NeedMore, Ok, Error };
  Status status = Status::NeedMore;
  std::size_t consumed = 0;  // Ok: bytes of this frame at the front of the input
  Opcode opcode = kContinuation;
  bool fin = false;
  std::string payload;           // Ok: unmasked
  std::uint16_t close_code = 0;  // Error: the code to close with
  const char* reason = "";       // Error: why, for the close frame and the log
};

// Parses the frame at the front of in. max_payload bounds a data frame (above: kTooBig);
// control frames are bounded by the RFC at 125 bytes. Never throws.
ClientFrame parseClientFrame(std::string_view in, std::size_t max_payload);

}  // namespace sb::api::ws
