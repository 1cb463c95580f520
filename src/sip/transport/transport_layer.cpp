// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/transport_layer.h"

#include <sys/socket.h>

#include <array>
#include <deque>
#include <map>
#include <type_traits>
#include <unordered_map>

#include <boost/asio/ssl.hpp>

#include "common/log.h"

namespace sb::sip {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr size_t kUdpBatch = 64;      // datagrams drained per readiness event (fairness)
constexpr size_t kReadChunk = 16384;  // stream read size
constexpr std::string_view kPong = "\r\n";

std::string endpointKey(TransportKind kind, std::string_view address, uint16_t port) {
  std::string key(transportName(kind));
  key += '|';
  key += address;
  key += '|';
  key += std::to_string(port);
  return key;
}

std::unexpected<Error> ioError(std::string_view what, const boost::system::error_code& ec) {
  return fail(Errc::Unavailable, std::string(what) + ": " + ec.message());
}

}  // namespace

class Connection;

class TransportLayer::Impl : public std::enable_shared_from_this<TransportLayer::Impl> {
 public:
  struct UdpListener {
    explicit UdpListener(asio::io_context& io) : socket(io) {}
    udp::socket socket;
    unsigned index = 0;
    bool v6 = false;
  };
  struct StreamListener {
    explicit StreamListener(asio::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    TransportKind kind = TransportKind::Tcp;
    unsigned index = 0;
  };

  Impl(asio::io_context& io, const TransportOptions& options, TransportSink& sink)
      : io_(io), options_(options), sink_(sink), sweep_(io) {}

  asio::io_context& io_;
  TransportOptions options_;
  TransportSink& sink_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<StreamListener>> streams_;
  std::unique_ptr<ssl::context> tls_server_;
  std::unique_ptr<ssl::context> tls_client_;
  std::unordered_map<ConnectionId, std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::string, ConnectionId> by_remote_;
  ConnectionId next_id_ = 1;
  asio::steady_timer sweep_;
  bool sweeping_ = false;
  bool shut_down_ = false;
  std::array<char, 65536> udp_buf_{};

  bool onTransportThread() const { return io_.get_executor().running_in_this_thread(); }

  void armUdp(UdpListener& l);
  void drainUdp(UdpListener& l);
  void sendUdp(std::string_view bytes, const Destination& to, const SendCallback& done);
  void sendStream(std::string bytes, const Destination& to, SendCallback done);
  void accept(StreamListener& l);
  void adopt(std::shared_ptr<Connection> c);
  void forget(Connection& c);
  void startSweep();
  ssl::context* clientTls(std::string& error);
};

// One stream connection (TCP or TLS). Owned by Impl::connections_ and by its in-flight handlers.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::weak_ptr<TransportLayer::Impl> impl, TransportKind kind)
      : impl_(std::move(impl)), kind_(kind) {}
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual void startInbound() = 0;
  virtual void startOutbound(tcp::endpoint remote) = 0;
  virtual void closeNow() = 0;

  void write(std::string bytes, SendCallback done) {
    if (closed_) {
      if (done) done(fail(Errc::Unavailable, "connection closed"));
      return;
    }
    queue_.push_back({std::move(bytes), std::move(done)});
    if (ready_ && !writing_) doWrite();
  }
  void closeAfterFlush() {
    if (closed_) return;
    close_after_flush_ = true;
    if (!writing_ && (queue_.empty() || !ready_)) closeNow();
  }

  ConnectionId id_ = kNoConnection;
  std::string remote_address_;
  uint16_t remote_port_ = 0;
  unsigned listener_ = 0;
  std::string key_;
  SteadyClock::time_point last_activity_ = SteadyClock::now();
  TransportKind kind() const { return kind_; }
  bool closed() const { return closed_; }

 protected:
  struct Pending {
    std::string bytes;
    SendCallback done;
  };
  virtual void doWrite() = 0;

  // Frames what is buffered and hands complete messages to the sink (RFC 3261 §18.3).
  void processInput() {
    auto impl = impl_.lock();
    if (!impl) return;
    size_t off = 0;
    while (!closed_ && off < in_.size()) {
      std::string_view rest(in_.data() + off, in_.size() - off);
      unsigned pings = 0;
      size_t skip = skipKeepAlives(rest, pings);
      for (unsigned i = 0; i < pings; ++i) write(std::string(kPong), {});  // RFC 5626 §3.5.1
      off += skip;
      if (off >= in_.size()) break;
      rest.remove_prefix(skip);
      FrameScan f = scanStream(rest, impl->options_.max_stream_message);
      if (f.status == ScanStatus::Incomplete) break;
      InboundMessage m;
      m.kind = kind_;
      m.source_address = remote_address_;
      m.source_port = remote_port_;
      m.connection = id_;
      m.listener = listener_;
      if (f.status == ScanStatus::Error) {
        m.bytes.assign(rest);
        in_.clear();
        SB_LOG_DEBUG("sip {} {}:{}: {}; closing", transportName(kind_), remote_address_,
                     remote_port_, scanErrorName(f.error));
        impl->sink_.onScanError(std::move(m), f.error);
        closeAfterFlush();
        return;
      }
      m.bytes.assign(rest.substr(0, f.total));
      m.call_id_hash = std::hash<std::string_view>{}(f.call_id);
      off += f.total;
      impl->sink_.onMessage(std::move(m));
    }
    if (!closed_) in_.erase(0, off);
  }

  void failQueue(const char* why) {
    auto q = std::move(queue_);
    queue_.clear();
    for (auto& p : q) {
      if (p.done) p.done(fail(Errc::Unavailable, why));
    }
  }

  std::weak_ptr<TransportLayer::Impl> impl_;
  TransportKind kind_;
  std::deque<Pending> queue_;
  std::string in_;
  std::array<char, kReadChunk> chunk_{};
  bool ready_ = false;
  bool writing_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
};

namespace {

template <typename Stream>
class StreamConnection final : public Connection {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  StreamConnection(std::weak_ptr<TransportLayer::Impl> impl, TransportKind kind, Stream stream)
      : Connection(std::move(impl), kind),
        stream_(std::move(stream)),
        connect_timer_(stream_.get_executor()) {}

  Stream& stream() { return stream_; }

  void startInbound() override {
    if constexpr (kTls) {
      armHandshakeTimer();
      stream_.async_handshake(ssl::stream_base::server,
                              [self = self()](const boost::system::error_code& ec) {
                                self->onReady(ec, "TLS handshake");
                              });
    } else {
      onReady({}, "");
    }
  }

  void startOutbound(tcp::endpoint remote) override {
    armHandshakeTimer();
    stream_.lowest_layer().async_connect(
        remote, [self = self()](const boost::system::error_code& ec) {
          if (ec || self->closed_) return self->onReady(ec, "connect");
          if constexpr (kTls) {
            self->stream_.async_handshake(ssl::stream_base::client,
                                          [self](const boost::system::error_code& ec2) {
                                            self->onReady(ec2, "TLS handshake");
                                          });
          } else {
            self->onReady({}, "");
          }
        });
  }

  void closeNow() override {
    if (closed_) return;
    closed_ = true;
    ready_ = false;
    boost::system::error_code ignored;
    connect_timer_.cancel();
    stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.lowest_layer().close(ignored);
    failQueue("connection closed");
    if (auto impl = impl_.lock()) impl->forget(*this);
  }

 private:
  std::shared_ptr<StreamConnection> self() {
    return std::static_pointer_cast<StreamConnection>(shared_from_this());
  }

  void armHandshakeTimer() {
    auto impl = impl_.lock();
    if (!impl) return;
    connect_timer_.expires_after(impl->options_.connect_timeout);
    connect_timer_.async_wait([self = self()](const boost::system::error_code& ec) {
      if (!ec && !self->ready_ && !self->closed_) {
        SB_LOG_DEBUG("sip {} {}:{}: connect/handshake timed out", transportName(self->kind_),
                     self->remote_address_, self->remote_port_);
        self->closeNow();
      }
    });
  }

  void onReady(const boost::system::error_code& ec, const char* what) {
    connect_timer_.cancel();
    if (closed_) return;
    if (ec) {
      SB_LOG_DEBUG("sip {} {}:{}: {} failed: {}", transportName(kind_), remote_address_,
                   remote_port_, what, ec.message());
      closeNow();
      return;
    }
    ready_ = true;
    last_activity_ = SteadyClock::now();
    doRead();
    if (!queue_.empty() && !writing_) doWrite();
  }

  void doRead() {
    stream_.async_read_some(asio::buffer(chunk_),
                            [self = self()](const boost::system::error_code& ec, size_t n) {
                              self->onRead(ec, n);
                            });
  }

  void onRead(const boost::system::error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) {
      closeNow();
      return;
    }
    last_activity_ = SteadyClock::now();
    in_.append(chunk_.data(), n);
    processInput();
    if (!closed_ && !close_after_flush_) doRead();
  }

  void doWrite() override {
    if (queue_.empty() || closed_) return;
    writing_ = true;
    asio::async_write(stream_, asio::buffer(queue_.front().bytes),
                      [self = self()](const boost::system::error_code& ec, size_t) {
                        self->onWrite(ec);
                      });
  }

  void onWrite(const boost::system::error_code& ec) {
    writing_ = false;
    if (closed_) return;
    Pending done = std::move(queue_.front());
    queue_.pop_front();
    last_activity_ = SteadyClock::now();
    if (done.done) {
      if (ec) {
        done.done(ioError("write", ec));
      } else {
        done.done(Status{});
      }
    }
    if (ec) {
      closeNow();
      return;
    }
    if (!queue_.empty()) {
      doWrite();
    } else if (close_after_flush_) {
      closeNow();
    }
  }

  Stream stream_;
  asio::steady_timer connect_timer_;
};

using TcpConnection = StreamConnection<tcp::socket>;
using TlsConnection = StreamConnection<ssl::stream<tcp::socket>>;

}  // namespace

// ---------------------------------------------------------------- Impl

void TransportLayer::Impl::armUdp(UdpListener& l) {
  l.socket.async_wait(udp::socket::wait_read,
                      [w = weak_from_this(), &l](const boost::system::error_code& ec) {
                        auto self = w.lock();
                        if (!self || ec || self->shut_down_) return;
                        self->drainUdp(l);
                        if (!self->shut_down_) self->armUdp(l);
                      });
}

void TransportLayer::Impl::drainUdp(UdpListener& l) {
  for (size_t i = 0; i < kUdpBatch && !shut_down_; ++i) {
    udp::endpoint sender;
    boost::system::error_code ec;
    size_t n = l.socket.receive_from(asio::buffer(udp_buf_), sender, 0, ec);
    if (ec) return;  // would_block: drained; other errors (ICMP refused) are per-datagram noise
    std::string_view data(udp_buf_.data(), n);
    if (n == 0 || isKeepAliveOnly(data)) continue;  // RFC 5626 keep-alive / stray CRLF
    FrameScan f = scanDatagram(data);
    InboundMessage m;
    m.kind = TransportKind::Udp;
    m.source_address = sender.address().to_string();
    m.source_port = sender.port();
    m.listener = l.index;
    m.call_id_hash = std::hash<std::string_view>{}(f.call_id);
    if (f.status == ScanStatus::Complete) {
      m.bytes.assign(data.substr(0, f.total));  // RFC 4475 §3.1.1.8: trailing octets ignored
      sink_.onMessage(std::move(m));
    } else {
      m.bytes.assign(data);
      sink_.onScanError(std::move(m), f.error);
    }
  }
}

void TransportLayer::Impl::sendUdp(std::string_view bytes, const Destination& to,
                                   const SendCallback& done) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(to.address, ec);
  if (ec) {
    if (done) done(fail(Errc::InvalidArgument, "not an IP address: " + to.address));
    return;
  }
  const UdpListener* from = nullptr;
  if (to.listener) {
    for (const auto& l : udp_) {
      if (l->index == *to.listener && l->v6 == addr.is_v6()) from = l.get();
    }
  }
  if (!from) {
    for (const auto& l : udp_) {
      if (l->v6 == addr.is_v6()) {
        from = l.get();
        break;
      }
    }
  }
  if (!from) {
    if (done) done(fail(Errc::Unavailable, "no UDP listener for " + to.address));
    return;
  }
  udp::endpoint ep(addr, to.port);
  // sendto(2) on a bound datagram socket is thread-safe; the socket object itself is only
  // read (its descriptor), and it outlives every worker (shutdown happens after they stop).
  ssize_t rc = ::sendto(const_cast<UdpListener*>(from)->socket.native_handle(), bytes.data(),
                        bytes.size(), MSG_DONTWAIT, ep.data(), static_cast<socklen_t>(ep.size()));
  if (done) {
    if (rc < 0) {
      done(ioError("sendto " + to.address, boost::system::error_code(errno, boost::system::system_category())));
    } else {
      done(Status{});
    }
  }
}

ssl::context* TransportLayer::Impl::clientTls(std::string& error) {
  if (tls_client_) return tls_client_.get();
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1,
                   ec);
  if (options_.tls_verify_peer) {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (!options_.tls_ca_file.empty()) {
      ctx->load_verify_file(options_.tls_ca_file, ec);
    } else {
      ctx->set_default_verify_paths(ec);
    }
    if (ec) {
      error = "TLS CA file " + options_.tls_ca_file + ": " + ec.message();
      return nullptr;
    }
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  tls_client_ = std::move(ctx);
  return tls_client_.get();
}

void TransportLayer::Impl::sendStream(std::string bytes, const Destination& to,
                                      SendCallback done) {
  if (shut_down_) {
    if (done) done(fail(Errc::Unavailable, "transport shut down"));
    return;
  }
  TransportKind kind = to.kind == TransportKind::Udp ? TransportKind::Tcp : to.kind;
  if (to.connection != kNoConnection) {
    auto it = connections_.find(to.connection);
    if (it != connections_.end() && !it->second->closed()) {
      it->second->write(std::move(bytes), std::move(done));
      return;
    }
  }
  std::string key = endpointKey(kind, to.address, to.port);
  if (auto it = by_remote_.find(key); it != by_remote_.end()) {
    auto c = connections_.find(it->second);
    if (c != connections_.end() && !c->second->closed()) {
      c->second->write(std::move(bytes), std::move(done));
      return;
    }
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(to.address, ec);
  if (ec) {
    if (done) done(fail(Errc::InvalidArgument, "not an IP address: " + to.address));
    return;
  }
  std::shared_ptr<Connection> c;
  if (kind == TransportKind::Tls) {
    std::string error;
    ssl::context* ctx = clientTls(error);
    if (!ctx) {
      if (done) done(fail(Errc::Unavailable, error));
      return;
    }
    c = std::make_shared<TlsConnection>(weak_from_this(), kind,
                                        ssl::stream<tcp::socket>(tcp::socket(io_), *ctx));
  } else {
    c = std::make_shared<TcpConnection>(weak_from_this(), kind, tcp::socket(io_));
  }
  c->remote_address_ = addr.to_string();
  c->remote_port_ = to.port;
  c->key_ = std::move(key);
  adopt(c);
  c->write(std::move(bytes), std::move(done));
  c->startOutbound(tcp::endpoint(addr, to.port));
}

void TransportLayer::Impl::accept(StreamListener& l) {
  l.acceptor.async_accept([w = weak_from_this(), &l](const boost::system::error_code& ec,
                                                      tcp::socket socket) {
    auto self = w.lock();
    if (!self || self->shut_down_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      SB_LOG_WARN("sip accept on {}: {}", l.acceptor.local_endpoint().port(), ec.message());
    } else {
      boost::system::error_code ignored;
      auto remote = socket.remote_endpoint(ignored);
      socket.set_option(tcp::no_delay(true), ignored);
      std::shared_ptr<Connection> c;
      if (l.kind == TransportKind::Tls) {
        c = std::make_shared<TlsConnection>(
            w, l.kind, ssl::stream<tcp::socket>(std::move(socket), *self->tls_server_));
      } else {
        c = std::make_shared<TcpConnection>(w, l.kind, std::move(socket));
      }
      c->remote_address_ = remote.address().to_string();
      c->remote_port_ = remote.port();
      c->listener_ = l.index;
      c->key_ = endpointKey(l.kind, c->remote_address_, c->remote_port_);
      self->adopt(c);
      c->startInbound();
    }
    self->accept(l);
  });
}

void TransportLayer::Impl::adopt(std::shared_ptr<Connection> c) {
  c->id_ = next_id_++;
  by_remote_[c->key_] = c->id_;
  connections_.emplace(c->id_, std::move(c));
  startSweep();
}

void TransportLayer::Impl::forget(Connection& c) {
  if (auto it = by_remote_.find(c.key_); it != by_remote_.end() && it->second == c.id_) {
    by_remote_.erase(it);
  }
  connections_.erase(c.id_);  // may drop the last owner other than the running handler
}

void TransportLayer::Impl::startSweep() {
  if (sweeping_ || shut_down_) return;
  sweeping_ = true;
  auto period = std::clamp<std::chrono::milliseconds>(options_.idle_timeout / 4,
                                                       std::chrono::milliseconds(20),
                                                       std::chrono::milliseconds(5000));
  sweep_.expires_after(period);
  sweep_.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    auto self = w.lock();
    if (!self || ec) return;
    self->sweeping_ = false;
    auto now = SteadyClock::now();
    std::vector<std::shared_ptr<Connection>> idle;
    for (auto& [id, c] : self->connections_) {
      if (now - c->last_activity_ > self->options_.idle_timeout) idle.push_back(c);
    }
    for (auto& c : idle) {
      SB_LOG_DEBUG("sip {} {}:{}: idle, closing", transportName(c->kind()), c->remote_address_,
                   c->remote_port_);
      c->closeNow();
    }
    if (!self->connections_.empty()) self->startSweep();
  });
}

// ---------------------------------------------------------------- TransportLayer

TransportLayer::TransportLayer(asio::io_context& io, TransportOptions options, TransportSink& sink)
    : impl_(std::make_shared<Impl>(io, options, sink)), options_(std::move(options)) {}

TransportLayer::~TransportLayer() {
  if (impl_->onTransportThread() || impl_->io_.stopped()) shutdown();
}

Result<TransportAddress> TransportLayer::listen(TransportKind kind, std::string_view address,
                                                uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(address), ec);
  TransportAddress want{kind, std::string(address), port};
  if (ec) return fail(Errc::InvalidArgument, "not an IP address: " + std::string(address), "address");
  const unsigned index = static_cast<unsigned>(bound_.size());
  TransportAddress got{kind, addr.to_string(), 0};
  if (kind == TransportKind::Udp) {
    auto l = std::make_unique<Impl::UdpListener>(impl_->io_);
    udp::endpoint ep(addr, port);
    l->socket.open(ep.protocol(), ec);
    if (ec) return ioError("open " + want.toString(), ec);
    if (addr.is_v6()) l->socket.set_option(asio::ip::v6_only(true), ec);
    l->socket.bind(ep, ec);
    if (ec) return ioError("bind " + want.toString(), ec);
    boost::system::error_code ignored;
    l->socket.set_option(udp::socket::receive_buffer_size(options_.udp_buffer_bytes), ignored);
    l->socket.set_option(udp::socket::send_buffer_size(options_.udp_buffer_bytes), ignored);
    l->socket.non_blocking(true, ec);
    if (ec) return ioError("non-blocking " + want.toString(), ec);
    got.port = l->socket.local_endpoint(ec).port();
    l->index = index;
    l->v6 = addr.is_v6();
    impl_->armUdp(*l);
    impl_->udp_.push_back(std::move(l));
  } else {
    if (kind == TransportKind::Tls && !impl_->tls_server_) {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
      ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
      if (options_.tls_certificate.empty() || options_.tls_private_key.empty()) {
        return fail(Errc::InvalidArgument, "a TLS listener needs a certificate and a private key",
                    "tls_certificate");
      }
      ctx->use_certificate_chain_file(options_.tls_certificate, ec);
      if (ec) {
        return fail(Errc::InvalidArgument,
                    "TLS certificate " + options_.tls_certificate + ": " + ec.message(),
                    "tls_certificate");
      }
      ctx->use_private_key_file(options_.tls_private_key, ssl::context::pem, ec);
      if (ec) {
        return fail(Errc::InvalidArgument,
                    "TLS private key " + options_.tls_private_key + ": " + ec.message(),
                    "tls_private_key");
      }
      impl_->tls_server_ = std::move(ctx);
    }
    auto l = std::make_unique<Impl::StreamListener>(impl_->io_);
    tcp::endpoint ep(addr, port);
    l->acceptor.open(ep.protocol(), ec);
    if (ec) return ioError("open " + want.toString(), ec);
    if (addr.is_v6()) l->acceptor.set_option(asio::ip::v6_only(true), ec);
    l->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    l->acceptor.bind(ep, ec);
    if (ec) return ioError("bind " + want.toString(), ec);
    l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return ioError("listen " + want.toString(), ec);
    got.port = l->acceptor.local_endpoint(ec).port();
    l->kind = kind;
    l->index = index;
    impl_->accept(*l);
    impl_->streams_.push_back(std::move(l));
  }
  bound_.push_back(got);
  return got;
}

TransportKind TransportLayer::selectTransport(const Destination& to, size_t size) const noexcept {
  if (to.kind == TransportKind::Udp && to.allow_tcp_fallback && size > options_.max_udp_message) {
    return TransportKind::Tcp;  // RFC 3261 §18.1.1
  }
  return to.kind;
}

void TransportLayer::send(std::string bytes, const Destination& to, SendCallback done) {
  TransportKind kind = selectTransport(to, bytes.size());
  if (kind == TransportKind::Udp) {
    impl_->sendUdp(bytes, to, done);
    return;
  }
  if (impl_->onTransportThread()) {
    Destination d = to;
    d.kind = kind;
    impl_->sendStream(std::move(bytes), d, std::move(done));
    return;
  }
  Destination d = to;
  d.kind = kind;
  asio::post(impl_->io_, [impl = impl_, bytes = std::move(bytes), d = std::move(d),
                          done = std::move(done)]() mutable {
    impl->sendStream(std::move(bytes), d, std::move(done));
  });
}

Status TransportLayer::sendDatagram(std::string_view bytes, const Destination& to) {
  Status result;
  impl_->sendUdp(bytes, to, [&](const Status& s) { result = s; });
  return result;
}

void TransportLayer::closeConnection(ConnectionId id) {
  auto it = impl_->connections_.find(id);
  if (it == impl_->connections_.end()) return;
  auto c = it->second;  // keep alive across forget()
  c->closeAfterFlush();
}

void TransportLayer::shutdown() {
  if (impl_->shut_down_) return;
  impl_->shut_down_ = true;
  boost::system::error_code ignored;
  impl_->sweep_.cancel();
  for (auto& l : impl_->udp_) l->socket.cancel(ignored);
  for (auto& l : impl_->streams_) l->acceptor.close(ignored);
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [id, c] : impl_->connections_) all.push_back(c);
  for (auto& c : all) c->closeNow();
}

size_t TransportLayer::connectionCount() const noexcept { return impl_->connections_.size(); }

}  // namespace sb::sip
