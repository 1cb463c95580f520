// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/response_route.h"

#include <arpa/inet.h>

#include <cstring>

namespace sb::sip {
namespace {

// Compares two IP literals by value (so "::1" equals "0:0::1"); names compare as text.
bool sameHost(std::string_view a, std::string_view b) {
  std::string sa(a), sb_(b);
  unsigned char x[16], y[16];
  if (inet_pton(AF_INET, sa.c_str(), x) == 1 && inet_pton(AF_INET, sb_.c_str(), y) == 1) {
    return std::memcmp(x, y, 4) == 0;
  }
  if (inet_pton(AF_INET6, sa.c_str(), x) == 1 && inet_pton(AF_INET6, sb_.c_str(), y) == 1) {
    return std::memcmp(x, y, 16) == 0;
  }
  return sa == sb_;
}

}  // namespace

ViaStamp stampVia(const ViaRouting& via, const Source& source) {
  ViaStamp stamp;
  if (via.has_rport && via.rport == 0) {
    stamp.rport = source.port;
    stamp.received = source.address;  // RFC 3581 §4: always, even when the host matches
  } else if (!sameHost(via.host, source.address)) {
    stamp.received = source.address;
  }
  return stamp;
}

ResponseRoute routeResponse(const ViaRouting& via, const Source& source) {
  ResponseRoute r;
  r.kind = source.kind;
  const uint16_t via_port = via.port != 0 ? via.port : defaultPort(source.kind);
  if (isReliable(source.kind)) {
    // RFC 3261 §18.2.2: reuse the connection; if it is closed, open one to the received address
    // (falling back to sent-by) and the sent-by port. With rport the source port is the one to
    // reach (RFC 3581 §4 applies the same logic to reliable transports).
    r.connection = source.connection;
    r.host = via.received ? std::string(*via.received) : std::string(via.host);
    r.port = via.has_rport && via.rport != 0 ? via.rport : via_port;
    return r;
  }
  if (via.maddr) {
    r.host = std::string(*via.maddr);
    r.port = via_port;
    return r;
  }
  if (via.has_rport) {
    // RFC 3581 §4: to the source IP and port the request came from.
    r.host = via.received ? std::string(*via.received) : source.address;
    r.port = via.rport != 0 ? via.rport : source.port;
    return r;
  }
  if (via.received) {
    r.host = std::string(*via.received);
    r.port = via_port;
    return r;
  }
  r.host = std::string(via.host);
  r.port = via_port;
  return r;
}

bool isBroadcastHost(std::string_view host) {
  std::string h(host);
  unsigned char a[16];
  if (inet_pton(AF_INET, h.c_str(), a) == 1) {
    if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) return true;
    if (a[0] >= 224 && a[0] <= 239) return true;  // multicast
    return false;
  }
  if (inet_pton(AF_INET6, h.c_str(), a) == 1) return a[0] == 0xff;  // multicast
  return false;
}

}  // namespace sb::sip
