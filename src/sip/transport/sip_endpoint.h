// SPDX-License-Identifier: Apache-2.0
// SipEndpoint: the SIP stack of one process, wired together: TransportLayer (sockets) →
// per-shard TransactionLayer + RequestRouter (the TU). Each shard owns one io_context and one
// thread; a message is parsed and handled on the shard chosen by hashing its Call-ID, so a
// transaction, its CANCEL and its ACK always meet on the same thread. With one worker the
// transport and the shard share a single io_context and thread (no hand-off on the hot path).
// Owned by app/; listen() and start() from the owning thread, stop() from that thread too.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "common/asio.h"
#include "common/result.h"
#include "sip/transaction/transaction_layer.h"
#include "sip/transport/request_router.h"
#include "sip/transport/transport_layer.h"

namespace sb::metrics {
class Registry;
}  // namespace sb::metrics

namespace sb::sip {

struct SipEndpointOptions {
  unsigned workers = 1;  // shards; 0 is treated as 1
  TransportOptions transport;
  RequestRouterOptions router;
  TransactionLayerOptions transactions;
  // SIP message and transaction counters go here when set (sip_metrics.h); outlives the endpoint.
  metrics::Registry* metrics = nullptr;
};

// Called once per shard, on the constructing thread, to register request handlers.
using HandlerInstaller = std::function<void(RequestRouter& router, unsigned shard)>;

class SipEndpoint final {
 public:
  explicit SipEndpoint(SipEndpointOptions options, const HandlerInstaller& install = {});
  ~SipEndpoint();  // stop()s
  SipEndpoint(const SipEndpoint&) = delete;
  SipEndpoint& operator=(const SipEndpoint&) = delete;

  // Binds a listener (before start()). Errors as TransportLayer::listen.
  [[nodiscard]] Result<TransportAddress> listen(TransportKind kind, std::string_view address,
                                                uint16_t port);
  const std::vector<TransportAddress>& listeners() const;

  // Starts the transport and shard threads.
  void start();
  // Closes the listeners and connections, stops and joins every thread. Idempotent.
  void stop();

  unsigned shardCount() const noexcept;
  // The io_context of shard `index` (< shardCount()): handlers installed on that shard post
  // their timers and work there. Valid for the endpoint's lifetime.
  boost::asio::io_context& shardIo(unsigned index);

  class Shard;  // public for the .cpp

 private:
  class Sink;
  SipEndpointOptions options_;
  std::unique_ptr<boost::asio::io_context> transport_io_;  // null with one worker
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<TransportLayer> transport_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace sb::sip
