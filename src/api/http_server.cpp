// SPDX-License-Identifier: Apache-2.0
#include "api/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <sys/socket.h>

#include "api/event_hub.h"
#include "api/router.h"
#include "api/ws_frame.h"
#include "common/assert.h"
#include "common/handoff.h"
#include "common/log.h"
#include "common/metrics.h"

namespace sb::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TcpStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using BeastRequest = http::request<http::string_body>;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Posts to the session's strand. force: close the socket now; else finish the current
  // request (or close handshake) and close.
  virtual void stop(bool force) = 0;
};

// A WebSocket session as its loop's mailbox sees it.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // On the session's loop: hands the event to the session's strand (inline when it is idle).
  virtual void onEvent(std::shared_ptr<const Event> event) = 0;
};

// An event on its way from the hub to one WebSocket session. The hub hands these to the
// session's loop through that loop's Handoff: the loop is woken once per burst and drains in
// hub order, so each session gets its events in order and the hub never posts per subscriber
// (the fan-out to 10,000 sessions used to pay a post and often a futex wake for each).
struct Delivery {
  std::shared_ptr<EventSink> sink;
  std::shared_ptr<const Event> event;
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(std::vector<asio::io_context*> l, Router& r, metrics::Registry& m, EventHub* e,
       ServerOptions o)
      : loops(std::move(l)), router(r), metrics(m), events(e), options(std::move(o)) {
    requests = &metrics.counter("sb_http_requests_total", "HTTP requests by route and status",
                                {"method", "route", "status"});
    durations = &metrics.histogram("sb_http_request_duration_seconds", "HTTP request handling time",
                                   {"method", "route"});
    connections =
        &metrics.gauge("sb_http_connections", "Open HTTP and WebSocket connections", {"kind"});
    ws_dropped = &metrics
                      .counter("sb_ws_slow_consumers_dropped_total",
                               "WebSockets closed because their send queue overflowed")
                      .with({});
    rejected =
        &metrics.counter("sb_http_rejected_total",
                         "Requests rejected before routing (limits, parse errors)", {"reason"});
    for (auto* loop : loops) {
      mailboxes.push_back(std::make_unique<Handoff<Delivery>>(
          loop->get_executor(), [](Delivery&& d) { d.sink->onEvent(std::move(d.event)); }));
    }
  }

  std::vector<asio::io_context*> loops;
  Router& router;
  metrics::Registry& metrics;
  EventHub* events;
  ServerOptions options;

  metrics::CounterFamily* requests;
  metrics::HistogramFamily* durations;
  metrics::GaugeFamily* connections;
  metrics::Counter* ws_dropped;
  metrics::CounterFamily* rejected;

  std::optional<tcp::acceptor> acceptor;
  std::atomic<std::uint16_t> bound_port{0};
  std::atomic<std::size_t> next_loop{0};
  std::atomic<bool> draining{false};
  // One per loop, same index. Destroyed by ~HttpServer, after the loops' runs (the owner stops
  // and joins them first, as Handoff requires) and before their io_contexts.
  std::vector<std::unique_ptr<Handoff<Delivery>>> mailboxes;

  // Any thread (the hub's strand). Queues event for sink, which lives on loops[loop].
  void mail(std::size_t loop, std::shared_ptr<EventSink> sink, std::shared_ptr<const Event> event) {
    mailboxes[loop]->push({std::move(sink), std::move(event)});
  }

  std::mutex mu;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;  // GUARDED_BY(mu)
  std::uint64_t next_session = 1;                                          // GUARDED_BY(mu)
  std::vector<std::function<void()>> on_done;                              // GUARDED_BY(mu)
  bool done_fired = false;                                                 // GUARDED_BY(mu)
  // Loop 0's shutdown deadline. Owned by the handlers that arm or cancel it, never by Impl: a
  // handler still queued on another loop when the io_contexts are destroyed may hold the last
  // reference to Impl, and the timer must not outlive loop 0's io_context. GUARDED_BY(mu)
  std::weak_ptr<asio::steady_timer> deadline_timer;

  std::uint64_t registerSession(std::weak_ptr<SessionBase> s) {
    std::lock_guard lock(mu);
    auto id = next_session++;
    sessions.emplace(id, std::move(s));
    return id;
  }

  void unregisterSession(std::uint64_t id) {
    std::vector<std::function<void()>> fire;
    {
      std::lock_guard lock(mu);
      sessions.erase(id);
      if (draining && sessions.empty() && !done_fired) {
        done_fired = true;
        fire.swap(on_done);
        // The timer belongs to loop 0's thread (Asio timers are not thread-safe).
        if (auto t = deadline_timer.lock()) asio::post(*loops[0], [t] { t->cancel(); });
      }
    }
    for (auto& f : fire) f();  // outside the lock: a callback may call back in
  }

  void doAccept();
  void acceptBacklog();  // on the acceptor's strand, after an accept completed
  static constexpr int kAcceptBurst = 256;
  void launch(tcp::socket socket, std::size_t loop);
  void shutdown(Duration deadline, std::function<void()> done);
  // Loop 0: at the deadline, force-closes what is left and reports shutdown done.
  void armDeadline(std::shared_ptr<asio::steady_timer> timer, Duration deadline);

  void record(const std::string& method, const HttpResponse& res, double seconds) {
    std::string route = res.route.empty() ? "unmatched" : res.route;
    requests->with({method, route, std::to_string(res.status)}).inc();
    durations->with({method, route}).observe(seconds);
  }
};

namespace {

template <class Stream>
auto& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

HttpRequest toHttpRequest(BeastRequest& req, bool tls) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  std::string_view target = out.target;
  auto q = target.find('?');
  auto path = percentDecode(target.substr(0, q), false);
  out.path = path ? *path : std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = parseQuery(target.substr(q + 1));
  for (const auto& f : req) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.body = std::move(req.body());
  out.tls = tls;
  return out;
}

http::response<http::string_body> toBeastResponse(const HttpResponse& r, unsigned version,
                                                  bool keep_alive, bool head,
                                                  const std::string& server_name) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, server_name);
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  if (r.status == 401 || r.status == 403) res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  return res;
}

// Awaits a Router answer, which may come from any thread; resumes on the session's strand.
asio::awaitable<HttpResponse> awaitDispatch(Router& router, HttpRequest request) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(HttpResponse)>(
      [&router](auto handler, HttpRequest req) {
        auto ex = asio::get_associated_executor(handler);
        router.dispatch(std::move(req),
                        Responder([h = std::move(handler), ex](HttpResponse r) mutable {
                          asio::post(ex, [h = std::move(h), r = std::move(r)]() mutable {
                            std::move(h)(std::move(r));
                          });
                        }));
      },
      asio::use_awaitable, std::move(request));
}

// The event stream. Beast does the opening handshake; after it the session frames its own
// messages on the underlying stream (docs/adr/0002-event-stream-framing.md): every subscriber
// gets the same bytes for an event (Event::frame(), built once by the hub), and a session whose
// send queue is empty writes them with one non-blocking send straight from its loop's mailbox,
// with no strand hop, no write operation and no completion handler. Only what the socket does
// not take at once goes through an asynchronous write. The session answers pings and closes,
// ignores the data frames a client has no reason to send, and keeps the connection alive with
// pings when it hears nothing (RFC 6455 §5.5).
// Threading: every member runs on the session's loop. Each HTTP loop is run by one thread
// (HttpServer's contract), so the mailbox and the session's strand never run at the same time.
template <class Stream>
class WsSession final : public SessionBase,
                        public EventSubscriber,
                        public EventSink,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(std::shared_ptr<HttpServer::Impl> srv, std::size_t loop, Stream&& stream,
            Principal principal)
      : srv_(std::move(srv)),
        loop_(loop),
        ws_(std::move(stream)),
        principal_(std::move(principal)),
        grace_(ws_.get_executor()),
        keepalive_(ws_.get_executor()) {}

  asio::awaitable<void> run(BeastRequest req, std::optional<std::uint64_t> last_event_id) {
    auto self = this->shared_from_this();
    id_ = srv_->registerSession(self);
    auto& gauge = srv_->connections->with({"websocket"});
    gauge.add(1);
    // Beast's websocket keeps its own timers for the handshake; the tcp_stream ones must be
    // off. After the handshake Beast is not used, so it must not ping on its own.
    lowest(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(srv_->options.read_timeout);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    std::string server_name = srv_->options.server_name;
    ws_.set_option(websocket::stream_base::decorator([server_name](websocket::response_type& res) {
      res.set(http::field::server, server_name);
    }));
    beast::error_code ec;
    co_await ws_.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      srv_->requests->with({"GET", srv_->options.events_path, "101"}).inc();
      srv_->events->subscribe(this->weak_from_this(), principal_, last_event_id);
      if (srv_->draining) beginClose(ws::kGoingAway, "server shutting down");
      keepAlive();
      co_await readFrames();
    }
    closed_ = true;
    keepalive_.cancel();
    // A close handshake may still be finishing (the last frame, TLS close_notify): the grace
    // timer stays armed for it.
    if (shut_) grace_.cancel();
    gauge.add(-1);
    srv_->unregisterSession(id_);
  }

  // The hub's strand: through this loop's mailbox (Handoff), not a post per session.
  void deliver(std::shared_ptr<const Event> event) override {
    srv_->mail(loop_, this->shared_from_this(), std::move(event));
  }

  // The loop's mailbox (this session's thread, see the class comment).
  void onEvent(std::shared_ptr<const Event> event) override {
    if (closing_ || closed_) return;
    // Frames waiting for the socket: events, plus the odd pong (a full queue is events).
    if (queue_.size() >= srv_->options.ws_queue_limit) {
      // A client that cannot keep up must not hold memory or slow the hub: drop it.
      SB_LOG_WARN("api: dropping slow WebSocket consumer user={} tenant={} ({} events queued)",
                  principal_.user_id, principal_.tenant_id, queue_.size());
      srv_->ws_dropped->inc();
      beginClose(ws::kTryAgainLater, "slow consumer");
      return;
    }
    send(Out{std::move(event), {}});
  }

  void stop(bool force) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), force] {
      if (force) {
        self->hardClose();
      } else {
        self->beginClose(ws::kGoingAway, "server shutting down");
      }
    });
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  // Clients have nothing to say on the event stream; a data frame above this is refused (1009).
  static constexpr std::size_t kMaxClientPayload = 64 * 1024;

  // One frame on its way out: an event's shared frame or bytes of the session's own.
  struct Out {
    std::shared_ptr<const Event> event;
    std::string own;
    std::string_view bytes() const { return event ? event->frame() : own; }
  };

  auto& next() { return ws_.next_layer(); }

  asio::awaitable<void> readFrames() {
    std::string in;
    std::array<char, 4096> chunk;
    beast::error_code ec;
    for (;;) {
      std::size_t n = co_await next().async_read_some(
          asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        hardClose();
        co_return;
      }
      heard_ = true;
      if (refusing_) continue;  // after a protocol error: wait for the close or the grace timer
      in.append(chunk.data(), n);
      for (;;) {
        auto f = ws::parseClientFrame(in, kMaxClientPayload);
        if (f.status == ws::ClientFrame::Status::NeedMore) break;
        if (f.status == ws::ClientFrame::Status::Error) {
          SB_LOG_INFO("api: closing WebSocket user={}: {}", principal_.user_id, f.reason);
          refusing_ = true;
          beginClose(f.close_code, f.reason);
          break;
        }
        in.erase(0, f.consumed);
        if (f.opcode == ws::kPing) {
          if (!closing_) send(Out{nullptr, ws::serverFrame(ws::kPong, f.payload)});
        } else if (f.opcode == ws::kClose) {
          // §5.5.1: answer a close with a close (echoing the code) unless it answers ours;
          // either way the handshake is complete once our close is on the wire, and no more
          // reading: the TLS teardown reads the peer's close_notify itself.
          finish_ = true;
          if (!closing_) {
            closing_ = true;
            dropQueued();
            armGrace();
            send(Out{nullptr, ws::serverFrame(ws::kClose, f.payload.substr(0, 2))});
          } else if (!writing_ && queue_.empty()) {
            teardown();
          }
          co_return;
        }
        // Pongs and data frames only count as "heard".
      }
    }
  }

  // Pings after half the idle timeout without a byte from the client; closes after the other
  // half without one (what Beast's keep_alive_pings did before).
  void keepAlive() {
    keepalive_.expires_after(srv_->options.ws_idle_timeout / 2);
    keepalive_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (self->heard_) {
        self->heard_ = false;
        self->pinged_ = false;
      } else if (self->pinged_) {
        self->hardClose();
        return;
      } else {
        self->pinged_ = true;
        if (!self->closing_) self->send(Out{nullptr, ws::serverFrame(ws::kPing, "")});
      }
      self->keepAlive();
    });
  }

  void send(Out out) {
    if (shut_) return;  // the descriptor is gone (and its number may be reused)
    if (!writing_ && queue_.empty()) {
      auto bytes = out.bytes();
      std::size_t n = 0;
      if constexpr (!kTls) {
        // The common case: the socket takes the whole frame now and nothing else happens.
        ssize_t r = ::send(lowest(ws_).socket().native_handle(), bytes.data(), bytes.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          hardClose();
          return;
        }
        n = r < 0 ? 0 : static_cast<std::size_t>(r);
      }
      if (n == bytes.size()) {
        if (finish_) teardown();
        return;
      }
      sent_ = n;
    }
    queue_.push_back(std::move(out));
    if (!writing_) writeNext();
  }

  void writeNext() {
    writing_ = true;
    asio::async_write(next(), asio::buffer(queue_.front().bytes().substr(sent_)),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->sent_ = 0;
                        if (ec) {
                          self->hardClose();
                          return;
                        }
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) {
                          self->writeNext();
                        } else if (self->finish_) {
                          self->teardown();
                        }
                      });
  }

  // Keeps the frame being written (async_write still references its bytes).
  void dropQueued() { queue_.erase(queue_.begin() + (writing_ ? 1 : 0), queue_.end()); }

  void beginClose(std::uint16_t code, const char* reason) {
    if (closing_ || closed_) return;
    closing_ = true;
    dropQueued();
    send(Out{nullptr, ws::closeFrame(code, reason)});
    // A peer that never reads or never answers the close must not hold the socket.
    armGrace();
  }

  void armGrace() {
    grace_.expires_after(srv_->options.ws_close_grace);
    grace_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->hardClose();
    });
  }

  // The close handshake is done and our last frame is written: TLS first sends its
  // close_notify (a peer reads a bare TCP close as truncation), then the socket closes.
  void teardown() {
    if constexpr (kTls) {
      if (shut_ || tearing_) return;
      tearing_ = true;
      next().async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->hardClose(); });
    } else {
      hardClose();
    }
  }

  void hardClose() {
    if (shut_) return;
    shut_ = true;
    grace_.cancel();
    beast::error_code ignored;
    lowest(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest(ws_).close();
  }

  std::shared_ptr<HttpServer::Impl> srv_;
  std::size_t loop_;              // index of the loop whose strand this session runs on
  websocket::stream<Stream> ws_;  // Beast for the handshake; frames go on ws_.next_layer()
  Principal principal_;
  asio::steady_timer grace_;
  asio::steady_timer keepalive_;
  std::deque<Out> queue_;  // front is being written when writing_
  std::size_t sent_ = 0;   // bytes of queue_.front() already on the wire
  bool writing_ = false;
  bool closing_ = false;   // our close frame is queued or sent; no more events
  bool refusing_ = false;  // the client broke the protocol; its bytes are ignored
  bool heard_ = false;     // a byte from the client since the last keep-alive tick
  bool pinged_ = false;    // a keep-alive ping is unanswered
  bool finish_ = false;    // the close handshake is done: tear down after the last write
  bool tearing_ = false;   // TLS shutdown in progress
  bool shut_ = false;      // the socket is closed
  bool closed_ = false;    // run() is over
  std::uint64_t id_ = 0;
};

template <class Stream>
class HttpSession final : public SessionBase,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(std::shared_ptr<HttpServer::Impl> srv, std::size_t loop, Stream&& stream)
      : srv_(std::move(srv)),
        loop_(loop),
        stream_(std::move(stream)),
        executor_(stream_.get_executor()) {}

  void stop(bool force) override {
    // executor_, not stream_: after a WebSocket upgrade stream_ is moved-from.
    asio::post(executor_, [self = this->shared_from_this(), force] {
      self->stopping_ = true;
      if ((force || !self->busy_) && !self->handed_off_) {
        beast::error_code ignored;
        lowest(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest(self->stream_).close();
      }
    });
  }

  asio::awaitable<void> run() {
    auto self = this->shared_from_this();
    id_ = srv_->registerSession(self);
    auto& gauge = srv_->connections->with({"http"});
    gauge.add(1);
    co_await serve();
    gauge.add(-1);
    srv_->unregisterSession(id_);
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  asio::awaitable<void> serve() {
    const ServerOptions& opt = srv_->options;
    beast::error_code ec;
    if constexpr (kTls) {
      lowest(stream_).expires_after(opt.read_timeout);
      co_await stream_.async_handshake(ssl::stream_base::server,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    for (;;) {
      busy_ = false;
      if (stopping_ || srv_->draining) co_return;
      if (buffer_.size() == 0) {
        // Keep-alive idle wait: the idle timeout applies until the first byte arrives.
        lowest(stream_).expires_after(opt.idle_timeout);
        std::size_t n = co_await stream_.async_read_some(
            buffer_.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        buffer_.commit(n);
      }
      busy_ = true;
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
      parser.body_limit(opt.body_limit);
      lowest(stream_).expires_after(opt.read_timeout);
      co_await http::async_read(stream_, buffer_, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_await rejectAndClose(ec, parser);
        co_return;
      }
      BeastRequest req = parser.release();
      if (websocket::is_upgrade(req)) {
        co_await upgrade(std::move(req));
        co_return;
      }
      auto start = std::chrono::steady_clock::now();
      bool head = req.method() == http::verb::head;
      unsigned version = req.version();
      bool keep_alive = req.keep_alive();
      HttpRequest hreq = toHttpRequest(req, kTls);
      std::string method = hreq.method;
      lowest(stream_).expires_never();  // a slow handler is not the client's fault
      HttpResponse res = co_await awaitDispatch(srv_->router, std::move(hreq));
      bool again = keep_alive && !stopping_ && !srv_->draining;
      auto out = toBeastResponse(res, version, again, head, opt.server_name);
      lowest(stream_).expires_after(opt.write_timeout);
      co_await http::async_write(stream_, out, asio::redirect_error(asio::use_awaitable, ec));
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      srv_->record(method, res, secs);
      if (ec || !again) {
        co_await gracefulClose();
        co_return;
      }
    }
  }

  asio::awaitable<void> rejectAndClose(beast::error_code ec,
                                       http::request_parser<http::string_body>& parser) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == http::error::partial_message) {
      if (ec == beast::error::timeout) srv_->rejected->with({"read_timeout"}).inc();
      co_return;
    }
    Surface surface = parser.is_header_done()
                          ? surfaceOf(std::string_view(parser.get().target().data(),
                                                       parser.get().target().size()))
                          : Surface::Api;
    HttpResponse res;
    if (ec == http::error::header_limit) {
      srv_->rejected->with({"header_limit"}).inc();
      res = errorResponse(
          surface, 431, "request_header_fields_too_large",
          "request headers exceed " + std::to_string(srv_->options.header_limit) + " bytes",
          "headers");
    } else if (ec == http::error::body_limit) {
      srv_->rejected->with({"body_limit"}).inc();
      res = errorResponse(
          surface, 413, "payload_too_large",
          "request body exceeds " + std::to_string(srv_->options.body_limit) + " bytes", "body");
    } else {
      srv_->rejected->with({"malformed"}).inc();
      res = errorResponse(surface, 400, "invalid_argument",
                          "malformed HTTP request: " + ec.message(), "request");
    }
    auto out = toBeastResponse(res, 11, false, false, srv_->options.server_name);
    lowest(stream_).expires_after(srv_->options.write_timeout);
    beast::error_code wec;
    co_await http::async_write(stream_, out, asio::redirect_error(asio::use_awaitable, wec));
    co_await gracefulClose();
  }

  // Half-close and drain briefly so the peer reads our response before it sees a reset
  // (closing with unread input makes the kernel send RST, which can discard the response).
  asio::awaitable<void> gracefulClose() {
    beast::error_code ec;
    if constexpr (kTls) {
      lowest(stream_).expires_after(std::chrono::seconds(1));
      co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    lowest(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest(stream_).expires_after(std::chrono::milliseconds(500));
    char sink[4096];
    for (int i = 0; i < 256; ++i) {
      co_await lowest(stream_).async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    lowest(stream_).close();
  }

  asio::awaitable<void> upgrade(BeastRequest req) {
    HttpRequest hreq = toHttpRequest(req, kTls);
    auto respond = [&](HttpResponse r) -> asio::awaitable<void> {
      auto out = toBeastResponse(r, req.version(), false, false, srv_->options.server_name);
      srv_->record("GET", r, 0);
      beast::error_code ec;
      lowest(stream_).expires_after(srv_->options.write_timeout);
      co_await http::async_write(stream_, out, asio::redirect_error(asio::use_awaitable, ec));
      co_await gracefulClose();
    };
    Surface surface = surfaceOf(hreq.path);
    auto match = srv_->router.match("GET", hreq.path);
    if (hreq.path != srv_->options.events_path || !match) {
      co_await respond(errorResponse(surface, 404, "not_found",
                                     "no WebSocket endpoint at " + hreq.path, "path"));
      co_return;
    }
    std::optional<Principal> principal;
    if (auto denied = srv_->router.authorize(hreq, *match->spec, match->params, principal, true)) {
      denied->route = match->spec->pattern;
      co_await respond(std::move(*denied));
      co_return;
    }
    if (!srv_->events || !principal || srv_->draining) {
      co_await respond(errorResponse(surface, 503, "unavailable", "event stream unavailable"));
      co_return;
    }
    std::optional<std::uint64_t> last;
    auto last_text = hreq.queryParam("lastEventId");
    if (!last_text) last_text = hreq.header("last-event-id");
    if (last_text) {
      std::uint64_t v = 0;
      auto [p, e] = std::from_chars(last_text->data(), last_text->data() + last_text->size(), v);
      if (e != std::errc() || p != last_text->data() + last_text->size()) {
        co_await respond(errorResponse(surface, 400, "invalid_argument",
                                       "lastEventId must be a non-negative integer",
                                       "lastEventId"));
        co_return;
      }
      last = v;
    }
    handed_off_ = true;
    auto ws =
        std::make_shared<WsSession<Stream>>(srv_, loop_, std::move(stream_), std::move(*principal));
    co_await ws->run(std::move(req), last);
  }

  std::shared_ptr<HttpServer::Impl> srv_;
  std::size_t loop_;
  Stream stream_;
  asio::any_io_executor executor_;  // the connection's strand
  beast::flat_buffer buffer_;
  bool busy_ = false;
  bool stopping_ = false;
  bool handed_off_ = false;
  std::uint64_t id_ = 0;
};

}  // namespace

void HttpServer::Impl::launch(tcp::socket socket, std::size_t loop) {
  // Nagle would hold a small WebSocket frame until the peer ACKs the previous one, and a
  // delayed ACK can take 40 ms: events are many small writes, so send each at once.
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto ex = socket.get_executor();
  auto on_exit = [](std::exception_ptr e) {
    // Coroutine error boundary (STYLE.md §6): log and drop the connection.
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      SB_LOG_ERROR("api: connection failed: {}", ex.what());
    }
  };
  if (options.tls) {
    auto s = std::make_shared<HttpSession<TlsStream>>(
        shared_from_this(), loop, TlsStream(TcpStream(std::move(socket)), *options.tls));
    asio::co_spawn(
        ex, [s]() { return s->run(); }, on_exit);
  } else {
    auto s = std::make_shared<HttpSession<TcpStream>>(shared_from_this(), loop,
                                                      TcpStream(std::move(socket)));
    asio::co_spawn(
        ex, [s]() { return s->run(); }, on_exit);
  }
}

void HttpServer::Impl::doAccept() {
  const std::size_t index = next_loop.fetch_add(1) % loops.size();
  acceptor->async_accept(
      asio::make_strand(*loops[index]),
      [self = shared_from_this(), index](beast::error_code ec, tcp::socket socket) {
        if (self->draining || !self->acceptor->is_open()) return;
        if (!ec) {
          self->launch(std::move(socket), index);
          self->acceptBacklog();
        } else {
          SB_LOG_WARN("api: accept failed: {}", ec.message());
        }
        self->doAccept();
      });
}

// One async_accept completes per trip through a busy loop's queue, so under a burst of
// connects (1,000 at once from a load balancer or wrk) the last ones waited seconds in the
// kernel's accept queue behind everyone else's requests. Take what is already queued now.
void HttpServer::Impl::acceptBacklog() {
  for (int i = 0; i < kAcceptBurst; ++i) {
    beast::error_code ec;
    const std::size_t index = next_loop.fetch_add(1) % loops.size();
    tcp::socket socket = acceptor->accept(asio::make_strand(*loops[index]), ec);
    if (ec) return;  // would_block: the queue is empty (other errors: async_accept reports)
    launch(std::move(socket), index);
  }
}

void HttpServer::Impl::armDeadline(std::shared_ptr<asio::steady_timer> timer, Duration deadline) {
  timer->expires_after(deadline);
  timer->async_wait([self = shared_from_this(), timer](beast::error_code ec) {
    if (ec) return;
    std::vector<std::shared_ptr<SessionBase>> left;
    {
      std::lock_guard lock(self->mu);
      for (auto& [id, w] : self->sessions) {
        if (auto s = w.lock()) left.push_back(std::move(s));
      }
    }
    if (!left.empty()) {
      SB_LOG_WARN("api: shutdown deadline passed; closing {} connections", left.size());
    }
    for (auto& s : left) s->stop(true);
    // A handler may still be computing an answer nobody will read; shutdown is over for us.
    std::vector<std::function<void()>> fire;
    {
      std::lock_guard lock(self->mu);
      if (!self->done_fired) {
        self->done_fired = true;
        fire.swap(self->on_done);
      }
    }
    for (auto& f : fire) f();
  });
}

void HttpServer::Impl::shutdown(Duration deadline, std::function<void()> done) {
  bool first = !draining.exchange(true);
  std::vector<std::shared_ptr<SessionBase>> live;
  std::shared_ptr<asio::steady_timer> timer;  // until the posts below own it
  bool fire_now = false;
  {
    std::lock_guard lock(mu);
    if (done) {
      if (done_fired) {
        fire_now = true;
      } else {
        on_done.push_back(std::move(done));
      }
    }
    if (!first) {
      // Nothing more to start.
    } else {
      for (auto& [id, w] : sessions) {
        if (auto s = w.lock()) live.push_back(std::move(s));
      }
      timer = std::make_shared<asio::steady_timer>(*loops[0]);
      deadline_timer = timer;
    }
  }
  if (fire_now) {
    asio::post(*loops[0], std::move(done));
    return;
  }
  if (!first) return;
  asio::post(acceptor->get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor->close(ignored);
  });
  for (auto& s : live) s->stop(false);
  // Armed on loop 0, the timer's thread, like the cancel in unregisterSession: if every
  // session left before this runs, done already fired and there is nothing to arm.
  asio::post(*loops[0], [self = shared_from_this(), timer, deadline] {
    {
      std::lock_guard lock(self->mu);
      if (self->done_fired) return;
    }
    self->armDeadline(timer, deadline);
  });
  // No session at all: finish now (unregisterSession would never run).
  asio::post(*loops[0], [self = shared_from_this()] {
    std::vector<std::function<void()>> fire;
    {
      std::lock_guard lock(self->mu);
      if (self->sessions.empty() && !self->done_fired) {
        self->done_fired = true;
        fire.swap(self->on_done);
        if (auto t = self->deadline_timer.lock()) t->cancel();
      }
    }
    for (auto& f : fire) f();
  });
}

HttpServer::HttpServer(std::vector<asio::io_context*> loops, Router& router,
                       metrics::Registry& metrics, EventHub* events, ServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(loops), router, metrics, events, std::move(options))) {
  SB_RELEASE_ASSERT(!impl_->loops.empty(), "the server needs at least one io_context");
}

HttpServer::~HttpServer() {
  // Sessions and handlers still queued in the (stopped) loops hold Impl, and the last of them
  // may go only while the owner destroys one io_context after another: Impl's own I/O objects,
  // bound to the loops, must not be destroyed then (one of their io_contexts may already be
  // gone). They go now, while every loop still exists; the loops are no longer run.
  impl_->acceptor.reset();
  impl_->mailboxes.clear();
}

Result<std::uint16_t> HttpServer::start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) {
    return fail(Errc::InvalidArgument, "bad listen address: " + ec.message(), "address");
  }
  tcp::endpoint ep(address, impl_->options.port);
  impl_->acceptor.emplace(asio::make_strand(*impl_->loops[0]));
  auto& a = *impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  // acceptBacklog() polls with synchronous accepts; async_accept is unaffected.
  if (!ec) a.non_blocking(true, ec);
  if (ec) {
    return fail(Errc::Unavailable,
                "cannot listen on " + impl_->options.address + ":" +
                    std::to_string(impl_->options.port) + ": " + ec.message(),
                "port");
  }
  impl_->bound_port = a.local_endpoint().port();
  asio::post(a.get_executor(), [impl = impl_] { impl->doAccept(); });
  SB_LOG_INFO("api: listening on {}:{}{}", impl_->options.address, impl_->bound_port.load(),
              impl_->options.tls ? " (TLS)" : "");
  return impl_->bound_port.load();
}

std::uint16_t HttpServer::port() const { return impl_->bound_port.load(); }

void HttpServer::shutdown(Duration deadline, std::function<void()> on_done) {
  if (!impl_->acceptor) {
    impl_->draining = true;
    if (on_done) asio::post(*impl_->loops[0], std::move(on_done));
    return;
  }
  impl_->shutdown(deadline, std::move(on_done));
}

std::size_t HttpServer::connectionCount() const {
  std::lock_guard lock(impl_->mu);
  return impl_->sessions.size();
}

}  // namespace sb::api
