// SPDX-License-Identifier: Apache-2.0
// Value types shared by the SIP transports: the transport kind, connection ids, and one received
// message with its source. Plain values; thread-compatible; copied or moved across threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::sip {

enum class TransportKind : uint8_t { Udp, Tcp, Tls };

// Identifies one stream connection for the life of the process; never reused.
using ConnectionId = uint64_t;
inline constexpr ConnectionId kNoConnection = 0;

// "udp" / "tcp" / "tls" (config and log spelling).
std::string_view transportName(TransportKind kind) noexcept;
// "UDP" / "TCP" / "TLS" (the Via transport token, RFC 3261 §20.42).
std::string_view viaTransportToken(TransportKind kind) noexcept;
bool isReliable(TransportKind kind) noexcept;
// 5060, or 5061 for TLS (RFC 3261 §19.1.2).
uint16_t defaultPort(TransportKind kind) noexcept;

// An address:port with its transport; address is an IP literal without brackets.
struct TransportAddress {
  TransportKind kind = TransportKind::Udp;
  std::string address;
  uint16_t port = 0;
  // "udp:127.0.0.1:5060", "tcp:[::1]:5060"
  std::string toString() const;
};

// One framed SIP message as received, before parsing.
struct InboundMessage {
  std::string bytes;  // exactly one message (start line to end of body)
  TransportKind kind = TransportKind::Udp;
  std::string source_address;  // IP literal
  uint16_t source_port = 0;
  ConnectionId connection = kNoConnection;  // stream transports only
  unsigned listener = 0;                    // index of the listener that received it
  uint64_t call_id_hash = 0;  // hash of the raw Call-ID (0 if none): picks the worker shard
};

}  // namespace sb::sip
