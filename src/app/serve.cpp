// SPDX-License-Identifier: Apache-2.0
// `switchboard serve`: binds the SIP listeners from config, prints where it listens, runs the
// SIP endpoint on its worker threads and stops cleanly on SIGINT/SIGTERM.
#include <csignal>
#include <iostream>
#include <memory>

#include "app/commands.h"
#include "common/asio.h"
#include "common/log.h"
#include "sip/transport/sip_endpoint.h"

namespace sb::app {
namespace {

sip::TransportKind toKind(SipTransportKind k) {
  switch (k) {
    case SipTransportKind::Udp: return sip::TransportKind::Udp;
    case SipTransportKind::Tcp: return sip::TransportKind::Tcp;
    case SipTransportKind::Tls: return sip::TransportKind::Tls;
  }
  return sip::TransportKind::Udp;
}

// Handlers until the B2BUA and registrar plug in: INVITE is a method a contact center accepts,
// but no call handling exists yet (480); BYE can match no dialog (481, RFC 3261 §15.1.2).
void installHandlers(sip::RequestRouter& router, unsigned /*shard*/) {
  router.setHandler(sip::Method::Invite, std::make_unique<sip::StaticResponseHandler>(
                                             480, "Temporarily Unavailable"));
  router.setHandler(sip::Method::Bye, std::make_unique<sip::StaticResponseHandler>(
                                          481, "Call/Transaction Does Not Exist"));
}

}  // namespace

int runServe(const Config& config, const ServeOptions& /*options*/) {
  log::init(config.log_level);
  SB_LOG_INFO("switchboard {} starting", kVersion);

  // Before any thread starts, so every thread inherits the handler set up here.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signo) {
    SB_LOG_INFO("signal {}: stopping", signo);
    io.stop();
  });

  sip::SipEndpointOptions so;
  so.workers = config.sip.workers;
  so.router.server = config.sip.server_name.empty()
                         ? std::string()
                         : config.sip.server_name + "/" + kVersion;
  so.transport.tls_certificate = config.sip.tls_certificate;
  so.transport.tls_private_key = config.sip.tls_private_key;
  so.transport.max_udp_message = config.sip.max_udp_message;
  sip::SipEndpoint endpoint(so, installHandlers);
  for (const auto& l : config.sip.listen) {
    auto bound = endpoint.listen(toKind(l.transport), l.address, l.port);
    if (!bound) {
      std::cerr << "switchboard: cannot listen on "
                << sip::TransportAddress{toKind(l.transport), l.address, l.port}.toString() << ": "
                << bound.error().message << "\n";
      return 1;
    }
    std::cout << "SIP listening on " << bound->toString() << std::endl;
  }
  endpoint.start();

  io.run();
  endpoint.stop();
  SB_LOG_INFO("switchboard stopped");
  return 0;
}

}  // namespace sb::app
