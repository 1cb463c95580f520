// SPDX-License-Identifier: Apache-2.0
// Where a server sends a response (RFC 3261 §18.2.2, RFC 3581 §4) and which Via parameters it
// stamps on a received request (RFC 3261 §18.2.1 "received", RFC 3581 §4 "rport"). Pure
// decisions over plain values, so they are unit-tested without sockets. Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/transport/transport_types.h"

namespace sb::sip {

// The parts of a top Via that routing needs, as written on the wire.
struct ViaRouting {
  std::string_view host;  // sent-by host, without '[' ']' for IPv6
  uint16_t port = 0;      // sent-by port, 0 when absent
  std::optional<std::string_view> received;
  bool has_rport = false;
  uint16_t rport = 0;  // 0 when "rport" has no value
  std::optional<std::string_view> maddr;
};

// Where a request came from.
struct Source {
  TransportKind kind = TransportKind::Udp;
  std::string address;  // IP literal, no brackets
  uint16_t port = 0;
  ConnectionId connection = kNoConnection;
};

struct ViaStamp {
  std::optional<std::string> received;  // value of "received" to set, if any
  std::optional<uint16_t> rport;        // value to fill into a valueless "rport", if any
};

// RFC 3261 §18.2.1: add received=<source IP> when the sent-by host differs from it (always when
// it is a name); RFC 3581 §4: when "rport" is present without value, set it to the source port
// and add received even if the host matches.
ViaStamp stampVia(const ViaRouting& via, const Source& source);

struct ResponseRoute {
  TransportKind kind = TransportKind::Udp;
  std::string host;  // IP literal or a name to resolve (RFC 3263 §5)
  uint16_t port = 0;
  // Reliable transports: try this connection first; if it is gone, connect to host:port.
  ConnectionId connection = kNoConnection;
};

// RFC 3261 §18.2.2 with RFC 3581 §4, for a response to a request received from `source` whose
// top Via (after stampVia) is `via`:
//  - reliable: the connection the request came on, else sent-by (received if present) and
//    the sent-by port or the transport default;
//  - maddr: the maddr address, sent-by port or default (multicast is not used here, but the
//    rule is kept);
//  - unreliable with rport: the source IP and port (the value "rport=" carries);
//  - unreliable with received: the received address, sent-by port or 5060;
//  - otherwise sent-by host and port (default 5060).
ResponseRoute routeResponse(const ViaRouting& via, const Source& source);

// True for IPv4 limited broadcast / subnet-style "all ones" hosts and multicast: addresses a
// response must never be sent to (RFC 4475 §3.3.10).
bool isBroadcastHost(std::string_view host);

}  // namespace sb::sip
