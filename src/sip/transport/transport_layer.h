// SPDX-License-Identifier: Apache-2.0
// TransportLayer: the SIP transports on Boost.Asio (RFC 3261 §18): UDP, TCP and TLS listeners,
// outgoing stream connections, framing and keep-alives. Bytes in, bytes out: it hands framed
// messages to a TransportSink and sends serialized messages where it is told.
// Owned by the composition root; every member runs on the io_context given at construction (the
// "transport thread"), except send(), which may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/result.h"
#include "sip/transport/wire_scan.h"
#include "sip/transport/transport_types.h"

namespace sb::sip {

// Receives what the transports read. Called on the transport thread only.
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // One framed message (not yet parsed).
  virtual void onMessage(InboundMessage&& message) = 0;
  // Bytes that cannot be framed. For a datagram `message.bytes` is the whole datagram; for a
  // stream it is what was buffered. The sink may answer (e.g. 400) with send() to
  // message.connection from inside this call; the stream connection is then closed once the
  // queued writes are flushed. Datagrams are simply dropped after the call.
  virtual void onScanError(InboundMessage&& message, ScanError error) = 0;
};

struct TransportOptions {
  std::string tls_certificate;  // PEM; needed for TLS listeners
  std::string tls_private_key;  // PEM
  std::string tls_ca_file;      // PEM bundle to verify servers we connect to; empty = system
  bool tls_verify_peer = true;  // outgoing TLS: verify the server certificate
  size_t max_udp_message = 1300;       // RFC 3261 §18.1.1: larger requests go over TCP
  size_t max_stream_message = 65535;   // a bigger message closes the connection
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};  // streams without traffic
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  int udp_buffer_bytes = 4 * 1024 * 1024;  // SO_RCVBUF/SO_SNDBUF request (kernel may cap it)
};

// Where to send one message.
struct Destination {
  TransportKind kind = TransportKind::Udp;
  std::string address;  // IP literal (no brackets)
  uint16_t port = 0;
  // Streams: send on this connection if it is still open; otherwise connect to address:port.
  ConnectionId connection = kNoConnection;
  // UDP: the listener to send from (a response leaves from where the request arrived);
  // nullopt picks the first UDP listener of the destination's address family.
  std::optional<unsigned> listener;
  // RFC 3261 §18.1.1: a request above max_udp_message goes over TCP instead of UDP. The caller
  // must have written the Via for the transport selectTransport() returns.
  bool allow_tcp_fallback = false;
};

// Completion of one send: ok, or the transport error (RFC 3261 §17.1.4 "transport error").
// Called on the transport thread, or inline on the caller's thread for UDP.
using SendCallback = std::function<void(const Status&)>;

class TransportLayer final {
 public:
  TransportLayer(boost::asio::io_context& io, TransportOptions options, TransportSink& sink);
  ~TransportLayer();
  TransportLayer(const TransportLayer&) = delete;
  TransportLayer& operator=(const TransportLayer&) = delete;

  // Binds and starts one listener; port 0 binds a free port. Returns the bound address (with the
  // real port). Errors: InvalidArgument (bad address, unreadable TLS certificate or key),
  // Unavailable (bind/listen failed, e.g. address in use). Transport thread, or before run().
  [[nodiscard]] Result<TransportAddress> listen(TransportKind kind, std::string_view address,
                                                uint16_t port);

  // The bound listeners, in listen() order (index = InboundMessage::listener).
  const std::vector<TransportAddress>& listeners() const noexcept { return bound_; }

  // The transport a message of `size` bytes will use when sent to `to`.
  TransportKind selectTransport(const Destination& to, size_t size) const noexcept;

  // Sends `bytes`. Thread-safe: UDP goes out at once from the calling thread (sendto on the
  // listener's socket); stream sends are posted to the transport thread, which reuses
  // `to.connection` or an open connection to the same address, or connects. `done` may be empty.
  void send(std::string bytes, const Destination& to, SendCallback done = {});

  // Sends one datagram at once from the calling thread (any thread). Errors: InvalidArgument
  // (not an IP literal), Unavailable (no UDP listener of that family, sendto failed).
  Status sendDatagram(std::string_view bytes, const Destination& to);

  // Closes a stream connection after flushing its queued writes. Transport thread.
  void closeConnection(ConnectionId id);

  // Closes listeners and connections; pending handlers complete with errors. Transport thread.
  void shutdown();

  // Open stream connections. Transport thread.
  size_t connectionCount() const noexcept;

  const TransportOptions& options() const noexcept { return options_; }

  class Impl;  // public so the .cpp's connection classes can reach it

 private:
  std::shared_ptr<Impl> impl_;
  std::vector<TransportAddress> bound_;
  TransportOptions options_;
};

}  // namespace sb::sip
