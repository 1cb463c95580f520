// SPDX-License-Identifier: Apache-2.0
// ws_fanout_client: opens N WebSocket connections to switchboard's event stream, waits until
// the server reports N subscribers, then changes one agent's state over the HTTP API and
// measures, per connection, the time from sending that request to receiving the agent.state
// event. One thread, one io_context (epoll), Beast WebSocket; raise `ulimit -n` first. The
// state change request runs on the same io_context as the subscribers, so events are read
// while its answer is on its way (a blocking request left them unread until the answer came).
// Usage: ws_fanout_client HOST PORT TOKEN CLIENTS [TENANT USER]
// Last line: clients=<n> p99_ms=<x> (plus p50/max and how many received it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <sys/resource.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Shared {
  Clock::time_point sent{};
  bool armed = false;
  std::vector<double> latencies_ms;
  std::size_t connected = 0;
  std::size_t failed = 0;
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, Shared& shared, tcp::endpoint ep, std::string host,
         std::string target)
      : ws_(io), shared_(shared), ep_(ep), host_(std::move(host)), target_(std::move(target)) {}

  void start() {
    beast::get_lowest_layer(ws_).async_connect(ep_, [self = shared_from_this()](auto ec) {
      if (ec) return self->fail();
      self->ws_.async_handshake(self->host_, self->target_, [self](auto ec2) {
        if (ec2) return self->fail();
        ++self->shared_.connected;
        self->read();
      });
    });
  }

 private:
  void fail() { ++shared_.failed; }

  void read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (self->shared_.armed && !self->got_) {
        auto text = beast::buffers_to_string(self->buf_.data());
        if (text.find("\"type\":\"agent.state\"") != std::string::npos) {
          self->got_ = true;
          self->shared_.latencies_ms.push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - self->shared_.sent).count());
        }
      }
      self->buf_.consume(self->buf_.size());
      // Measured: stop reading, so the client's own work does not delay the next sockets.
      if (!self->got_) self->read();
    });
  }

  ws::stream<beast::tcp_stream> ws_;
  Shared& shared_;
  tcp::endpoint ep_;
  std::string host_;
  std::string target_;
  beast::flat_buffer buf_;
  bool got_ = false;
};

// One synchronous HTTP request on its own connection (the API thread is the server's).
std::pair<int, std::string> request(asio::io_context& io, const tcp::endpoint& ep, http::verb verb,
                                    const std::string& target, const std::string& token,
                                    const std::string& body) {
  beast::tcp_stream s(io);
  s.connect(ep);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  http::write(s, req);
  beast::flat_buffer b;
  http::response<http::string_body> res;
  http::read(s, b, res);
  beast::error_code ec;
  s.socket().shutdown(tcp::socket::shutdown_both, ec);
  return {res.result_int(), res.body()};
}

// The state change over its own connection on the subscribers' io_context: connect, write,
// read the answer, all asynchronous. done receives the status (-1: I/O error) and body.
struct AsyncRequest : std::enable_shared_from_this<AsyncRequest> {
  AsyncRequest(asio::io_context& io, tcp::endpoint ep) : stream(io), ep(ep) {}
  beast::tcp_stream stream;
  tcp::endpoint ep;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  beast::flat_buffer buf;
  int status = 0;  // 0: pending

  void start() {
    stream.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return void(self->status = -1);
      http::async_write(self->stream, self->req, [self](beast::error_code ec2, std::size_t) {
        if (ec2) return void(self->status = -1);
        http::async_read(self->stream, self->buf, self->res,
                         [self](beast::error_code ec3, std::size_t) {
                           self->status = ec3 ? -1 : self->res.result_int();
                         });
      });
    });
  }
};

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double subscribers(asio::io_context& io, const tcp::endpoint& ep, const std::string& token) {
  auto [code, text] = request(io, ep, http::verb::get, "/metrics", token, "");
  auto pos = text.find("\nsb_event_subscribers ");
  if (code != 200 || pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + 22));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: ws_fanout_client HOST PORT TOKEN CLIENTS [TENANT USER]\n";
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<unsigned short>(std::stoi(argv[2]));
  const std::string token = argv[3];
  const std::size_t n = std::stoul(argv[4]);
  const std::string tenant = argc > 5 ? argv[5] : "demo";
  const std::string user = argc > 6 ? argv[6] : "bob";
  asio::io_context io;
  const tcp::endpoint ep(asio::ip::make_address(host), port);
  Shared shared;
  shared.latencies_ms.reserve(n);
  const std::string target = "/api/v1/events?access_token=" + token;

  // Connect in batches so the listen backlog never overflows (SYN retries would add 1 s).
  std::size_t started = 0;
  const auto t_connect = Clock::now();
  while (started < n || shared.connected + shared.failed < n) {
    while (started < n && started - (shared.connected + shared.failed) < 500) {
      std::make_shared<Client>(io, shared, ep, host, target)->start();
      ++started;
    }
    io.run_for(std::chrono::milliseconds(5));
    if (Clock::now() - t_connect > std::chrono::seconds(120)) break;
  }
  std::printf("connected=%zu failed=%zu in %.1f s\n", shared.connected, shared.failed,
              std::chrono::duration<double>(Clock::now() - t_connect).count());
  // The server subscribes each session shortly after its handshake: wait until it counts all.
  asio::io_context sync_io;
  for (int i = 0; i < 600; ++i) {
    if (subscribers(sync_io, ep, token) >= static_cast<double>(shared.connected)) break;
    io.run_for(std::chrono::milliseconds(50));
  }
  std::printf("subscribers=%.0f\n", subscribers(sync_io, ep, token));
  io.run_for(std::chrono::milliseconds(200));  // drain queue.stats etc.

  // Flip the agent between away and available: either is an agent.state event.
  const std::string path = "/api/v1/tenants/" + tenant + "/agents/" + user + "/state";
  auto [gc, cur] = request(sync_io, ep, http::verb::get, path, token, "");
  const bool away = cur.find("\"requested\":\"away\"") != std::string::npos;
  auto change = std::make_shared<AsyncRequest>(io, ep);
  change->req = http::request<http::string_body>{http::verb::put, path, 11};
  change->req.set(http::field::host, "127.0.0.1");
  change->req.set(http::field::authorization, "Bearer " + token);
  change->req.set(http::field::content_type, "application/json");
  change->req.body() = away ? R"({"state":"available"})" : R"({"state":"away"})";
  change->req.prepare_payload();
  const double cpu0 = cpuSeconds();
  shared.armed = true;
  shared.sent = Clock::now();
  change->start();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while ((shared.latencies_ms.size() < shared.connected || change->status == 0) &&
         Clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(1));
  }
  const double wall_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - shared.sent).count();
  const double cpu_ms = (cpuSeconds() - cpu0) * 1000;
  if (change->status != 200) {
    std::fprintf(stderr, "state change failed: %d %s\n", change->status,
                 change->res.body().c_str());
    return 1;
  }
  // The client's own CPU over the measured phase: near wall_ms means it was the bottleneck.
  std::printf("client_cpu_ms=%.1f over %.1f ms\n", cpu_ms, wall_ms);
  auto& l = shared.latencies_ms;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    if (l.empty()) return 0.0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(l.size() - 1) + 0.5);
    return l[std::min(i, l.size() - 1)];
  };
  std::printf("received=%zu of %zu first_ms=%.2f p50_ms=%.2f max_ms=%.2f\n", l.size(),
              shared.connected, l.empty() ? 0.0 : l.front(), pct(0.5), l.empty() ? 0.0 : l.back());
  std::printf("clients=%zu p99_ms=%.2f\n", l.size(), pct(0.99));
  return l.size() == n ? 0 : 1;
}
