// SPDX-License-Identifier: Apache-2.0
// WebhookClient against a real HTTP receiver on loopback: connections kept alive and reused,
// a kept connection the receiver closed while idle replaced without losing the request, and
// receivers that close after each answer.
#include "notify/webhook_client.h"

#include <thread>

#include <gtest/gtest.h>

#include "notify/testing/receiver.h"

namespace sb::notify {
namespace {

using testing::ReceivedRequest;
using testing::Receiver;
using testing::Reply;

// Posts one request and runs the loop until its answer.
PostResult postSync(boost::asio::io_context& io, WebhookClient& client, const std::string& url,
                    std::string body) {
  PostResult out;
  bool done = false;
  PostRequest r;
  r.url = url;
  r.body = std::move(body);
  client.post(std::move(r), [&](PostResult res) {
    out = std::move(res);
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  return out;
}

Receiver::Behaviour keepAlive(bool keep) {
  return [keep](const ReceivedRequest&, std::size_t) {
    Reply r;
    r.status = 202;
    r.keep_alive = keep;
    return r;
  };
}

TEST(WebhookClientTest, ReusesAKeptAliveConnection) {
  Receiver rx(keepAlive(true));
  boost::asio::io_context io;
  WebhookClient client(io.get_executor(), true);
  for (int i = 0; i < 3; ++i) {
    auto res = postSync(io, client, rx.url(), "{\"n\":" + std::to_string(i) + "}");
    ASSERT_EQ(res.status, 202) << res.error;
  }
  EXPECT_EQ(client.connectionsOpened(), 1u);
  EXPECT_EQ(rx.connections(), 1u);
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) {
    EXPECT_EQ(r.connection, 0u);
    EXPECT_EQ(r.headers.count("connection"), 0u);  // HTTP/1.1: keep-alive by default
  }
  EXPECT_EQ(got[2].body, "{\"n\":2}");
}

TEST(WebhookClientTest, AConnectionClosedWhileIdleIsReplacedAndTheRequestArrivesOnce) {
  Receiver rx(keepAlive(true));
  boost::asio::io_context io;
  WebhookClient client(io.get_executor(), true);
  ASSERT_EQ(postSync(io, client, rx.url(), "first").status, 202);
  rx.dropIdle();  // the receiver's idle timeout
  auto res = postSync(io, client, rx.url(), "second");
  ASSERT_EQ(res.status, 202) << res.error;
  EXPECT_EQ(client.connectionsOpened(), 2u);
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body, "second");
  EXPECT_EQ(got[1].connection, 1u);
}

TEST(WebhookClientTest, AReceiverThatClosesGetsANewConnectionEachTime) {
  Receiver rx(keepAlive(false));
  boost::asio::io_context io;
  WebhookClient client(io.get_executor(), true);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(postSync(io, client, rx.url(), "x").status, 202);
  EXPECT_EQ(client.connectionsOpened(), 3u);
  EXPECT_EQ(rx.connections(), 3u);
}

TEST(WebhookClientTest, KeepAliveCanBeTurnedOff) {
  Receiver rx(keepAlive(true));
  boost::asio::io_context io;
  WebhookClient client(io.get_executor(), true, KeepAlive{.enabled = false});
  for (int i = 0; i < 2; ++i) ASSERT_EQ(postSync(io, client, rx.url(), "x").status, 202);
  EXPECT_EQ(client.connectionsOpened(), 2u);
  auto got = rx.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].headers["connection"], "close");
}

TEST(WebhookClientTest, AnIdleConnectionOlderThanTheTimeoutIsNotReused) {
  Receiver rx(keepAlive(true));
  boost::asio::io_context io;
  WebhookClient client(io.get_executor(), true,
                       KeepAlive{.idle_timeout = std::chrono::milliseconds(50)});
  ASSERT_EQ(postSync(io, client, rx.url(), "x").status, 202);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  ASSERT_EQ(postSync(io, client, rx.url(), "y").status, 202);
  EXPECT_EQ(client.connectionsOpened(), 2u);
}

}  // namespace
}  // namespace sb::notify
