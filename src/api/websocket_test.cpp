// SPDX-License-Identifier: Apache-2.0
// The event WebSocket over real TCP: auth, ordering, replay, resync, filtering, slow consumers,
// and the framing the session does itself (pings, closes, keep-alive, protocol errors, TLS).
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <gtest/gtest.h>
#include <poll.h>

#include "api/testing/test_client.h"
#include "common/metrics.h"

namespace sb::api {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;
using testing::WsClient;

bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

testing::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// A client that sends what a WebSocket library never would, and shows the raw bytes back.
class RawWs {
 public:
  RawWs(std::uint16_t port, const std::string& token) : sock_(io_) {
    sock_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    send("GET /api/v1/events?access_token=" + token +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    while (in_.find("\r\n\r\n") == std::string::npos && readSome(5000ms)) {
    }
    auto end = in_.find("\r\n\r\n");
    upgraded_ = in_.rfind("HTTP/1.1 101", 0) == 0 && end != std::string::npos;
    if (end != std::string::npos) in_.erase(0, end + 4);
  }
  bool upgraded() const { return upgraded_; }
  void send(const std::string& bytes) { asio::write(sock_, asio::buffer(bytes)); }
  // Every byte the server sends until it closes the connection (eof()) or timeout passes.
  std::string readUntilClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_ && std::chrono::steady_clock::now() < deadline) {
      readSome(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
    }
    return std::exchange(in_, {});
  }
  bool eof() const { return eof_; }

 private:
  bool readSome(std::chrono::milliseconds timeout) {
    pollfd p{sock_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long>(timeout.count(), 0))) <= 0) return false;
    char buf[4096];
    beast::error_code ec;
    std::size_t n = sock_.read_some(asio::buffer(buf), ec);
    if (ec) {
      eof_ = true;
      return false;
    }
    in_.append(buf, n);
    return true;
  }

  asio::io_context io_;
  tcp::socket sock_;
  std::string in_;
  bool upgraded_ = false;
  bool eof_ = false;
};

TEST(WebSocketTest, UpgradeWithoutTokenIs401) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events");
  EXPECT_FALSE(ws.open());
  EXPECT_EQ(ws.handshakeStatus(), 401);
  WsClient bad(s.port, "/api/v1/events?access_token=garbage");
  EXPECT_EQ(bad.handshakeStatus(), 401);
  WsClient nowhere(s.port, "/api/v1/other", bearer(s.userToken("t1", {Role::Agent})));
  EXPECT_EQ(nowhere.handshakeStatus(), 404);
}

TEST(WebSocketTest, DeliversEventsInOrderWithIds) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Supervisor})));
  ASSERT_TRUE(ws.open()) << ws.handshakeStatus();
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
  for (int i = 0; i < 20; ++i) s.hub->publish({"queue.stats", "t1", {{"n", i}}});
  for (int i = 0; i < 20; ++i) {
    auto e = ws.next();
    ASSERT_TRUE(e) << i;
    EXPECT_EQ((*e)["id"], i + 1);
    EXPECT_EQ((*e)["type"], "queue.stats");
    EXPECT_EQ((*e)["tenantId"], "t1");
    EXPECT_EQ((*e)["data"]["n"], i);
    EXPECT_TRUE((*e)["time"].is_string());
  }
}

TEST(WebSocketTest, SubscribersOnEveryLoopGetEveryEventInIdOrder) {
  TestServer s({}, 64, 3);
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  // Connections go to the loops round-robin: seven of them cover each of the three loops.
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 7; ++i) {
    clients.push_back(std::make_unique<WsClient>(s.port, "/api/v1/events", bearer(token)));
    ASSERT_TRUE(clients.back()->open()) << i;
  }
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == clients.size(); }));
  // Publishers on several threads: the hub numbers the events, each subscriber must see them
  // all in that order whatever loop it is on.
  constexpr int kPerThread = 150;
  std::vector<std::thread> publishers;
  for (int t = 0; t < 2; ++t) {
    publishers.emplace_back([&s, t] {
      for (int i = 0; i < kPerThread; ++i) s.hub->publish({"queue.stats", "t1", {{"t", t}}});
    });
  }
  for (auto& p : publishers) p.join();
  for (std::size_t c = 0; c < clients.size(); ++c) {
    for (int id = 1; id <= 2 * kPerThread; ++id) {
      auto e = clients[c]->next(5000ms);
      ASSERT_TRUE(e) << "client " << c << " stalled before id " << id;
      ASSERT_EQ((*e)["id"], id) << "client " << c;
    }
  }
}

TEST(WebSocketTest, BrowserQueryTokenWorks) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events?access_token=" + s.userToken("t1", {Role::Agent}));
  ASSERT_TRUE(ws.open()) << ws.handshakeStatus();
}

TEST(WebSocketTest, ReconnectWithLastEventIdReplaysExactlyTheMissedEvents) {
  TestServer s;
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  {
    WsClient ws(s.port, "/api/v1/events", bearer(token));
    ASSERT_TRUE(ws.open());
    ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
    for (int i = 0; i < 3; ++i) s.hub->publish({"e", "t1"});
    for (int i = 1; i <= 3; ++i) EXPECT_EQ((*ws.next())["id"], i);
  }
  for (int i = 0; i < 2; ++i) s.hub->publish({"e", "t1"});  // 4, 5 missed
  WsClient again(s.port, "/api/v1/events?lastEventId=3", bearer(token));
  ASSERT_TRUE(again.open());
  EXPECT_EQ((*again.next())["id"], 4);
  EXPECT_EQ((*again.next())["id"], 5);
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() >= 1; }));
  s.hub->publish({"e", "t1"});
  EXPECT_EQ((*again.next())["id"], 6);
  EXPECT_FALSE(again.next(200ms));  // nothing duplicated

  testing::Headers h = bearer(token);
  h.emplace_back("Last-Event-ID", "5");
  WsClient header(s.port, "/api/v1/events", h);
  ASSERT_TRUE(header.open());
  EXPECT_EQ((*header.next())["id"], 6);
}

TEST(WebSocketTest, ResyncWhenTheClientFellOutOfTheBuffer) {
  TestServer s(ServerOptions{}, 4);
  s.start();
  for (int i = 0; i < 10; ++i) s.hub->publish({"e", "t1"});
  auto token = s.userToken("t1", {Role::Supervisor});
  ASSERT_TRUE(waitFor([&] { return s.hub->lastPublishedId() == 10; }));
  WsClient ws(s.port, "/api/v1/events?lastEventId=2", bearer(token));
  ASSERT_TRUE(ws.open());
  auto e = ws.next();
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["type"], "resync");
  EXPECT_EQ((*e)["id"], 10);
  WsClient bad(s.port, "/api/v1/events?lastEventId=abc", bearer(token));
  EXPECT_EQ(bad.handshakeStatus(), 400);
}

TEST(WebSocketTest, FiltersByTenantAndRole) {
  TestServer s;
  s.start();
  WsClient agent(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Agent}, "u1")));
  WsClient sup2(s.port, "/api/v1/events", bearer(s.userToken("t2", {Role::Supervisor}, "s2")));
  ASSERT_TRUE(agent.open());
  ASSERT_TRUE(sup2.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 2; }));
  s.hub->publish({"queue.stats", "t1", {}, Permission::Monitor});           // 1: t1 supervisors
  s.hub->publish({"queue.stats", "t2", {}, Permission::Monitor});           // 2: t2 supervisors
  s.hub->publish({"agent.state", "t1", {}, Permission::AgentState, "u1"});  // 3: u1 itself
  s.hub->publish({"agent.state", "t1", {}, Permission::AgentState, "u9"});  // 4: not u1
  EXPECT_EQ((*agent.next())["id"], 3);
  EXPECT_FALSE(agent.next(200ms));
  EXPECT_EQ((*sup2.next())["id"], 2);
  EXPECT_FALSE(sup2.next(200ms));
}

TEST(WebSocketTest, SlowConsumerIsDroppedWithoutSlowingOthers) {
  ServerOptions o;
  o.ws_queue_limit = 200;
  o.ws_close_grace = 300ms;
  TestServer s(o);
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  WsClient slow(s.port, "/api/v1/events", bearer(token));  // never reads until the end
  WsClient fast(s.port, "/api/v1/events", bearer(token));
  ASSERT_TRUE(slow.open());
  ASSERT_TRUE(fast.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 2; }));
  auto& dropped = s.metrics.counter("sb_ws_slow_consumers_dropped_total", "").with({});
  const std::string payload(8192, 'x');
  std::uint64_t expected = 1;
  for (int batch = 0; batch < 50; ++batch) {
    for (int i = 0; i < 100; ++i) s.hub->publish({"bulk", "t1", {{"p", payload}}});
    for (int i = 0; i < 100; ++i) {
      auto e = fast.next(5000ms);
      ASSERT_TRUE(e) << "fast client stalled at " << expected;
      ASSERT_EQ((*e)["id"], expected);
      ++expected;
    }
  }
  EXPECT_TRUE(waitFor([&] { return dropped.value() == 1; }));
  // The slow client finds its stream ended: buffered events, then a close.
  int received = 0;
  while (slow.next(3000ms)) ++received;
  EXPECT_TRUE(slow.closed());
  EXPECT_LT(received, 5000);
  EXPECT_EQ(dropped.value(), 1);
}

TEST(WebSocketTest, ShutdownClosesEventStreamsWithGoingAway) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Agent})));
  ASSERT_TRUE(ws.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  s.server->shutdown(2s, [done] { done->set_value(); });
  EXPECT_FALSE(ws.next(3000ms));
  EXPECT_EQ(ws.closeCode(), 1001);
  EXPECT_EQ(finished.wait_for(3s), std::future_status::ready);
}

TEST(WebSocketTest, AnswersPingsAndTheClientsClose) {
  TestServer s;
  s.start();
  WsClient ws(s.port, "/api/v1/events", bearer(s.userToken("t1", {Role::Supervisor})));
  ASSERT_TRUE(ws.open());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
  ASSERT_TRUE(ws.ping("are-you-there"));
  s.hub->publish({"queue.stats", "t1", {{"n", 1}}});
  auto e = ws.next();
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["data"]["n"], 1);
  ASSERT_EQ(ws.pongs().size(), 1u);
  EXPECT_EQ(ws.pongs()[0], "are-you-there");
  // Beast's close waits for the server's close frame and checks it.
  EXPECT_TRUE(ws.close(1000));
  EXPECT_EQ(ws.closeCode(), 1000);
  s.hub->publish({"queue.stats", "t1", {{"n", 2}}});  // the hub drops the dead subscriber
  EXPECT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 0; }));
}

TEST(WebSocketTest, KeepAlivePingsAListeningClientAndClosesASilentOne) {
  ServerOptions o;
  o.ws_idle_timeout = 400ms;  // a ping after 200 ms of silence, closed 200 ms later
  TestServer s(o);
  s.start();
  auto token = s.userToken("t1", {Role::Supervisor});
  WsClient listening(s.port, "/api/v1/events", bearer(token));
  RawWs silent(s.port, token);
  ASSERT_TRUE(listening.open());
  ASSERT_TRUE(silent.upgraded());
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 2; }));
  // The listening client reads (so its library answers pings) for a second, then an event.
  std::thread later([&] {
    std::this_thread::sleep_for(1000ms);
    s.hub->publish({"queue.stats", "t1", {{"n", 1}}});
  });
  auto e = listening.next(5000ms);
  later.join();
  ASSERT_TRUE(e);
  EXPECT_GE(listening.pingsReceived(), 2);
  // The silent one got a ping, no answer, and was closed.
  auto bytes = silent.readUntilClosed(3000ms);
  EXPECT_TRUE(silent.eof());
  EXPECT_EQ(bytes.substr(0, 2), std::string("\x89\x00", 2)) << bytes.size();
}

TEST(WebSocketTest, RefusesAnUnmaskedFrameWithProtocolError) {
  ServerOptions o;
  o.ws_close_grace = 300ms;
  TestServer s(o);
  s.start();
  RawWs raw(s.port, s.userToken("t1", {Role::Supervisor}));
  ASSERT_TRUE(raw.upgraded());
  raw.send(std::string("\x81\x02hi", 4));  // RFC 6455 §5.1: clients must mask
  auto bytes = raw.readUntilClosed(3000ms);
  EXPECT_TRUE(raw.eof());
  ASSERT_GE(bytes.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x88);      // close
  EXPECT_EQ(bytes.substr(2, 2), std::string("\x03\xea", 2));  // 1002
}

TEST(WebSocketTest, EchoesARawClientsCloseAndEndsTheConnection) {
  TestServer s;
  s.start();
  RawWs raw(s.port, s.userToken("t1", {Role::Supervisor}));
  ASSERT_TRUE(raw.upgraded());
  raw.send(testing::maskedClientFrame(0x89, "p1") +
           testing::maskedClientFrame(0x88, std::string("\x03\xe8", 2)));
  auto bytes = raw.readUntilClosed(3000ms);
  EXPECT_TRUE(raw.eof());
  EXPECT_EQ(bytes, std::string("\x8a\x02p1\x88\x02\x03\xe8", 8));  // pong, then close 1000
}

TEST(WebSocketTest, EventStreamOverTls) {
  TestServer s(testing::tlsServerOptions());
  s.start();
  asio::io_context io;
  asio::ssl::context client_ctx(asio::ssl::context::tls_client);
  client_ctx.set_verify_mode(asio::ssl::verify_none);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(io, client_ctx);
  beast::get_lowest_layer(ws).expires_after(5s);
  beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port));
  ws.next_layer().handshake(asio::ssl::stream_base::client);
  beast::get_lowest_layer(ws).expires_never();
  ws.handshake("127.0.0.1", "/api/v1/events?access_token=" + s.userToken("t1", {Role::Supervisor}));
  ASSERT_TRUE(waitFor([&] { return s.hub->subscriberCount() == 1; }));
  std::string pong;
  ws.control_callback([&](beast::websocket::frame_type kind, beast::string_view payload) {
    if (kind == beast::websocket::frame_type::pong) pong = std::string(payload);
  });
  ws.ping("tls-ping");
  const std::string big(100000, 'x');  // more than one TLS record and a 64-bit frame length
  s.hub->publish({"bulk", "t1", {{"p", big}}});
  beast::flat_buffer buf;
  ws.read(buf);
  auto e = nlohmann::json::parse(beast::buffers_to_string(buf.data()));
  EXPECT_EQ(e["data"]["p"], big);
  EXPECT_EQ(pong, "tls-ping");
  ws.close(beast::websocket::close_code::normal);  // throws if the server's close is wrong
}

}  // namespace
}  // namespace sb::api
