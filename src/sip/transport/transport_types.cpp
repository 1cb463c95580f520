// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/transport_types.h"

namespace sb::sip {

std::string_view transportName(TransportKind kind) noexcept {
  switch (kind) {
    case TransportKind::Udp: return "udp";
    case TransportKind::Tcp: return "tcp";
    case TransportKind::Tls: return "tls";
  }
  return "udp";
}

std::string_view viaTransportToken(TransportKind kind) noexcept {
  switch (kind) {
    case TransportKind::Udp: return "UDP";
    case TransportKind::Tcp: return "TCP";
    case TransportKind::Tls: return "TLS";
  }
  return "UDP";
}

bool isReliable(TransportKind kind) noexcept { return kind != TransportKind::Udp; }

uint16_t defaultPort(TransportKind kind) noexcept {
  return kind == TransportKind::Tls ? 5061 : 5060;
}

std::string TransportAddress::toString() const {
  std::string out(transportName(kind));
  out += ':';
  if (address.find(':') != std::string::npos) {
    out += '[';
    out += address;
    out += ']';
  } else {
    out += address;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace sb::sip
