// SPDX-License-Identifier: Apache-2.0
// Typed SDP attribute values used by offer/answer: direction, rtpmap, fmtp, crypto (RFC 4568)
// and rtcp (RFC 3605), each with a never-throwing parser of the attribute value (the text
// after "a=name:") and a formatter producing that value back. Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sb::sdp {

enum class Direction : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };

// "sendrecv", "sendonly", "recvonly", "inactive".
std::string_view directionName(Direction d) noexcept;
std::optional<Direction> directionFromName(std::string_view name) noexcept;
// The direction the peer sees: sendonly <-> recvonly (RFC 3264 §6.1).
Direction reverse(Direction d) noexcept;

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
struct RtpMap {
  uint8_t payload_type = 0;  // 0..127
  std::string encoding;      // "PCMU", "opus", "telephone-event"
  uint32_t clock_rate = 0;
  uint32_t channels = 0;  // 0 when the encoding parameters are absent

  bool operator==(const RtpMap&) const = default;
};
[[nodiscard]] Result<RtpMap> parseRtpMap(std::string_view value) noexcept;
std::string formatRtpMap(const RtpMap& m);

// a=fmtp:<format> <format specific parameters>
struct Fmtp {
  std::string format;
  std::string parameters;

  bool operator==(const Fmtp&) const = default;
};
[[nodiscard]] Result<Fmtp> parseFmtp(std::string_view value) noexcept;
std::string formatFmtp(const Fmtp& f);

// a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568 §9.1).
// key_params is kept whole ("inline:<key||salt>[|lifetime][|MKI:length]", possibly several
// separated by ';'); session_params is the raw rest of the line (may be empty).
struct Crypto {
  uint32_t tag = 0;  // 1*9DIGIT
  std::string suite;
  std::string key_params;
  std::string session_params;

  bool operator==(const Crypto&) const = default;
  // The base64 "key||salt" of the first inline key-param, or "" when not inline.
  std::string_view inlineKey() const noexcept;
};
[[nodiscard]] Result<Crypto> parseCrypto(std::string_view value) noexcept;
std::string formatCrypto(const Crypto& c);

// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605).
struct Rtcp {
  uint16_t port = 0;
  std::string nettype;  // all three empty when only the port is given
  std::string addrtype;
  std::string address;

  bool operator==(const Rtcp&) const = default;
};
[[nodiscard]] Result<Rtcp> parseRtcp(std::string_view value) noexcept;
std::string formatRtcp(const Rtcp& r);

// Parses a decimal integer that must fit in uint32_t (no sign, no spaces).
std::optional<uint32_t> parseU32(std::string_view s) noexcept;
std::optional<uint64_t> parseU64(std::string_view s) noexcept;

}  // namespace sb::sdp
