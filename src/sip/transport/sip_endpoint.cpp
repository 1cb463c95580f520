// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/sip_endpoint.h"

#include <future>
#include <optional>
#include <random>

#include "common/log.h"
#include "sip/transport/raw_response.h"
#include "sip/transport/response_route.h"
#include "sip/transport/sip_metrics.h"
#include "sip/transport/timer_queue.h"

namespace sb::sip {

namespace asio = boost::asio;

namespace {

TransportKind kindFromToken(std::string_view token) {
  if (token == "TCP" || token == "tcp") return TransportKind::Tcp;
  if (token == "TLS" || token == "tls") return TransportKind::Tls;
  return TransportKind::Udp;
}

// Rewrites the top Via's raw text with the RFC 3261 §18.2.1 / RFC 3581 §4 stamp: fills a
// valueless rport and sets received (replacing an existing one).
std::string stampedVia(std::string_view raw, const ViaStamp& stamp) {
  std::string out;
  out.reserve(raw.size() + 40);
  // Copy params except received and a valueless rport, which are re-added below.
  size_t semi = raw.find(';');
  out.append(raw.substr(0, semi));
  while (semi != std::string_view::npos) {
    size_t next = raw.find(';', semi + 1);
    std::string_view param = raw.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1);
    std::string_view name = param.substr(0, param.find('='));
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
    auto ieq = [](std::string_view a, std::string_view b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
      }
      return true;
    };
    bool drop = (stamp.received && ieq(name, "received")) || (stamp.rport && ieq(name, "rport"));
    if (!drop) {
      out += ';';
      out += param;
    }
    semi = next;
  }
  if (stamp.rport) out += ";rport=" + std::to_string(*stamp.rport);
  if (stamp.received) {
    out += ";received=";
    out += *stamp.received;  // RFC 5118 §4.5: an IPv6 received value is written without brackets
  }
  return out;
}

}  // namespace

class SipEndpoint::Shard final : public TransactionSender, public TransactionTimerService {
 public:
  Shard(asio::io_context* shared_io, const SipEndpointOptions& options, unsigned index,
        const HandlerInstaller& install)
      : own_io_(shared_io ? nullptr : std::make_unique<asio::io_context>(1)),
        io_(shared_io ? *shared_io : *own_io_),
        router_(options.router, clock_),
        layer_(router_, *this, *this, withSeed(options.transactions, index)),
        wake_(io_),
        server_(options.router.server),
        metrics_(options.metrics, index) {
    router_.attach(layer_);
    if (install) install(router_, index);
  }

  asio::io_context& io() { return io_; }
  void setTransport(TransportLayer* t) { transport_ = t; }

  // A framed message from the transport; runs on this shard's thread.
  void handle(InboundMessage&& m);

  Status send(TransactionHandle txn, const SendTarget& to, std::string_view bytes) override;
  void startTimer(TransactionTimerKey key, Duration delay) override {
    MonoTime now = clock_.now();
    timers_.start(key, delay, now);
    MonoTime deadline = now + delay;
    if (!armed_at_ || deadline < *armed_at_) arm(deadline);
  }
  void cancelTimer(TransactionTimerKey key) override { timers_.cancel(key); }

  void stopTimers() {
    stopping_ = true;
    wake_.cancel();
  }

 private:
  static TransactionLayerOptions withSeed(TransactionLayerOptions o, unsigned index) {
    std::random_device rd;
    o.branch_seed ^= (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ index;
    return o;
  }

  void arm(MonoTime deadline) {
    armed_at_ = deadline;
    wake_.expires_at(deadline);
    wake_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      armed_at_.reset();
      MonoTime now = clock_.now();
      timers_.expire(now, [&](TransactionTimerKey key) { layer_.onTimer(key, now); });
      metrics_.transactions(layer_.size());
      if (auto next = timers_.next(); next && (!armed_at_ || *next < *armed_at_)) arm(*next);
    });
  }

  void sendRaw(const InboundMessage& m, std::string bytes) {
    metrics_.sent(bytes);
    Destination d{.kind = m.kind, .address = m.source_address, .port = m.source_port,
                  .connection = m.connection, .listener = m.listener};
    transport_->send(std::move(bytes), d);
  }

  SteadyClock clock_;
  std::unique_ptr<asio::io_context> own_io_;
  asio::io_context& io_;
  RequestRouter router_;
  TransactionLayer layer_;
  TimerQueue timers_;
  asio::steady_timer wake_;
  std::optional<MonoTime> armed_at_;
  bool stopping_ = false;
  TransportLayer* transport_ = nullptr;
  std::string server_;
  ShardMetrics metrics_;
};

void SipEndpoint::Shard::handle(InboundMessage&& m) {
  const MonoTime now = clock_.now();
  auto parsed = Message::parse(std::string_view(m.bytes));
  if (!parsed) {
    // Unparseable: a request still learns why (RFC 3261 §21.4.1); responses are dropped.
    SB_LOG_DEBUG("sip {}:{}: unparseable message: {}", m.source_address, m.source_port,
                 parsed.error().toString());
    if (auto r = rawErrorResponse(m.bytes, 400, "Bad Request", server_, router_.newTag())) {
      sendRaw(m, std::move(*r));
    }
    return;
  }
  Message& msg = *parsed;
  metrics_.received(msg);
  Source src{m.kind, m.source_address, m.source_port, m.connection};
  SendTarget target;
  target.transport = std::string(viaTransportToken(m.kind));
  target.listener = m.listener;
  if (!msg.isRequest()) {
    if (auto why = checkResponse(msg)) {  // RFC 4475 §3.1.2.5, §3.3.10: drop silently
      SB_LOG_DEBUG("sip {}:{}: response dropped: {}", m.source_address, m.source_port, *why);
      return;
    }
    target.address = m.source_address;
    target.port = m.source_port;
    target.connection = m.connection;
    (void)layer_.onMessage(msg, target, now);
    metrics_.transactions(layer_.size());
    return;
  }
  bool routed = false;
  if (auto via = msg.topVia()) {
    ViaRouting vr;
    vr.host = via->host;
    vr.port = via->port;
    if (!via->received.empty()) vr.received = via->received;
    vr.has_rport = via->rport;
    vr.rport = via->rport_value;
    if (!via->maddr.empty()) vr.maddr = via->maddr;
    ViaStamp stamp = stampVia(vr, src);
    std::string received_storage;
    if (stamp.received || stamp.rport) {
      std::string raw = stampedVia(via->raw, stamp);
      if (stamp.received) {
        received_storage = *stamp.received;
        vr.received = received_storage;
      }
      if (stamp.rport) vr.rport = *stamp.rport;
      ResponseRoute r = routeResponse(vr, src);  // vr views stay valid until the Via edit
      target.address = std::move(r.host);
      target.port = r.port;
      target.connection = r.connection;
      (void)msg.popVia();
      msg.pushVia(raw);
    } else {
      ResponseRoute r = routeResponse(vr, src);
      target.address = std::move(r.host);
      target.port = r.port;
      target.connection = r.connection;
    }
    routed = !isBroadcastHost(target.address);
  }
  if (!routed) {  // no usable Via: answer where it came from
    target.address = m.source_address;
    target.port = m.source_port;
    target.connection = m.connection;
  }
  Status st = layer_.onMessage(msg, target, now);
  if (!st && msg.method() != Method::Ack) {
    // The layer could not make a transaction (missing Via/CSeq/Call-ID/From/To, bad branch):
    // answer statelessly with what validation says, 400 by default.
    auto rejection = checkRequest(msg, router_.policy());
    Rejection rej = rejection ? *rejection : Rejection{400, "Bad Request", {}};
    Message response = makeRejection(msg, rej, router_.newTag());
    if (!server_.empty()) response.addHeader("Server", server_);
    (void)layer_.sendStateless(response, target);
  }
  metrics_.transactions(layer_.size());
}

Status SipEndpoint::Shard::send(TransactionHandle txn, const SendTarget& to,
                                std::string_view bytes) {
  metrics_.sent(bytes);
  Destination d;
  d.kind = kindFromToken(to.transport);
  d.address = to.address;
  d.port = to.port;
  d.connection = to.connection;
  d.listener = to.listener;
  if (transport_->selectTransport(d, bytes.size()) == TransportKind::Udp) {
    return transport_->sendDatagram(bytes, d);  // hot path: no copy, no callback
  }
  transport_->send(std::string(bytes), d, [this, txn](const Status& s) {
    if (s || txn == kNoTransaction) return;
    asio::post(io_, [this, txn, e = s.error()] { layer_.onSendError(txn, e, clock_.now()); });
  });
  return Status{};
}

// Receives from the transport thread and dispatches to shards.
class SipEndpoint::Sink final : public TransportSink {
 public:
  Sink(std::vector<std::unique_ptr<Shard>>& shards, std::string server)
      : shards_(shards), server_(std::move(server)) {}
  void setTransport(TransportLayer* t) { transport_ = t; }

  void onMessage(InboundMessage&& m) override {
    if (shards_.size() == 1) {
      shards_[0]->handle(std::move(m));  // same thread: no hand-off
      return;
    }
    Shard& s = *shards_[m.call_id_hash % shards_.size()];
    asio::post(s.io(), [&s, m = std::move(m)]() mutable { s.handle(std::move(m)); });
  }

  void onScanError(InboundMessage&& m, ScanError error) override {
    int code = 0;
    const char* reason = "";
    switch (error) {
      case ScanError::BodyTruncated:  // RFC 3261 §18.3: datagram shorter than Content-Length
        code = 400;
        reason = "Content-Length Exceeds Message";
        break;
      case ScanError::MissingContentLength:  // RFC 3261 §18.3: mandatory on streams
        code = 400;
        reason = "Missing Content-Length";
        break;
      case ScanError::TooLarge:
        code = 513;
        reason = "Message Too Large";
        break;
      default:  // negative/conflicting Content-Length: discard (UDP) / close (streams)
        SB_LOG_DEBUG("sip {}:{}: dropped: {}", m.source_address, m.source_port,
                     scanErrorName(error));
        return;
    }
    if (auto r = rawErrorResponse(m.bytes, code, reason, server_, "")) {
      transport_->send(std::move(*r),
                       Destination{.kind = m.kind, .address = m.source_address,
                                   .port = m.source_port, .connection = m.connection,
                                   .listener = m.listener});
    }
  }

 private:
  std::vector<std::unique_ptr<Shard>>& shards_;
  std::string server_;
  TransportLayer* transport_ = nullptr;
};

SipEndpoint::SipEndpoint(SipEndpointOptions options, const HandlerInstaller& install)
    : options_(std::move(options)) {
  const unsigned n = options_.workers == 0 ? 1 : options_.workers;
  if (n == 1) {
    shards_.push_back(std::make_unique<Shard>(nullptr, options_, 0, install));
  } else {
    transport_io_ = std::make_unique<asio::io_context>(1);
    for (unsigned i = 0; i < n; ++i) {
      shards_.push_back(std::make_unique<Shard>(nullptr, options_, i, install));
    }
  }
  asio::io_context& tio = transport_io_ ? *transport_io_ : shards_[0]->io();
  sink_ = std::make_unique<Sink>(shards_, options_.router.server);
  transport_ = std::make_unique<TransportLayer>(tio, options_.transport, *sink_);
  sink_->setTransport(transport_.get());
  for (auto& s : shards_) s->setTransport(transport_.get());
}

SipEndpoint::~SipEndpoint() { stop(); }

Result<TransportAddress> SipEndpoint::listen(TransportKind kind, std::string_view address,
                                             uint16_t port) {
  return transport_->listen(kind, address, port);
}

const std::vector<TransportAddress>& SipEndpoint::listeners() const {
  return transport_->listeners();
}

unsigned SipEndpoint::shardCount() const noexcept { return static_cast<unsigned>(shards_.size()); }

boost::asio::io_context& SipEndpoint::shardIo(unsigned index) { return shards_.at(index)->io(); }

void SipEndpoint::start() {
  if (started_) return;
  started_ = true;
  auto runLoop = [](asio::io_context& io) {
    auto guard = asio::make_work_guard(io);
    io.run();
  };
  if (transport_io_) threads_.emplace_back(runLoop, std::ref(*transport_io_));
  for (auto& s : shards_) threads_.emplace_back(runLoop, std::ref(s->io()));
}

void SipEndpoint::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::io_context& tio = transport_io_ ? *transport_io_ : shards_[0]->io();
  if (started_) {
    std::promise<void> done;
    asio::post(tio, [&] {
      transport_->shutdown();
      done.set_value();
    });
    done.get_future().wait();
    for (auto& s : shards_) {
      asio::post(s->io(), [&s] { s->stopTimers(); });
    }
    tio.stop();
    for (auto& s : shards_) s->io().stop();
    for (auto& t : threads_) t.join();
  } else {
    transport_->shutdown();
  }
  threads_.clear();
}

}  // namespace sb::sip
