// SPDX-License-Identifier: Apache-2.0
#include "oidc/http_client.h"

#include <thread>

#include <gtest/gtest.h>

#include "common/asio.h"

namespace sb::oidc {
namespace {

TEST(UrlTest, ParsesAbsoluteUrls) {
  auto u = parseUrl("https://idp.example/realms/x/.well-known/openid-configuration?a=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "idp.example");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/realms/x/.well-known/openid-configuration?a=1");
  u = parseUrl("http://127.0.0.1:9000");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/");
  u = parseUrl("http://[::1]:81?x=y");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->target, "/?x=y");
  for (const char* bad : {"ftp://x/", "idp.example", "http://", "http://user@host/", "http://h:0/",
                          "http://h:70000/", "http://h:x/", "http://[::1/"}) {
    EXPECT_FALSE(parseUrl(bad)) << bad;
  }
}

TEST(UrlTest, LoopbackHosts) {
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("127.8.9.10"));
  EXPECT_TRUE(isLoopbackHost("localhost"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_FALSE(isLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(isLoopbackHost("localhost.evil.example"));
}

TEST(UrlTest, FormEncoding) {
  EXPECT_EQ(formEncode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(formBody({{"grant_type", "authorization_code"}, {"code", "x y"}}),
            "grant_type=authorization_code&code=x%20y");
}

// One-shot HTTP server on loopback: reads a request, answers `reply`, records the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) : reply_(std::move(reply)) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      boost::asio::ip::tcp::socket s(io_);
      acceptor_.accept(s);
      boost::asio::streambuf buf;
      boost::system::error_code ec;
      boost::asio::read_until(s, buf, "\r\n\r\n", ec);
      std::string head(boost::asio::buffers_begin(buf.data()),
                       boost::asio::buffers_end(buf.data()));
      auto cl = head.find("Content-Length: ");
      std::size_t body_len = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
      std::size_t have = head.size() - head.find("\r\n\r\n") - 4;
      if (have < body_len)
        boost::asio::read(s, buf, boost::asio::transfer_exactly(body_len - have), ec);
      request_.assign(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
      boost::asio::write(s, boost::asio::buffer(reply_), ec);
      s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return port_; }
  // Waits for the exchange to finish and returns the raw request received.
  std::string join() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  std::string reply_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(BeastHttpClientTest, PostsAndReadsAReply) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
      "Connection: close\r\n\r\n{\"ok\":true}");
  BeastHttpClient client;
  HttpCall call{"POST",
                "http://127.0.0.1:" + std::to_string(server.port()) + "/token?x=1",
                {{"Content-Type", "application/x-www-form-urlencoded"}},
                "grant_type=authorization_code"};
  auto reply = client.send(call);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->content_type, "application/json");
  EXPECT_EQ(reply->body, "{\"ok\":true}");
}

TEST(BeastHttpClientTest, SendsMethodTargetHeadersAndBody) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  BeastHttpClient client;
  auto reply = client.send({"POST",
                            "http://127.0.0.1:" + std::to_string(server.port()) + "/t?a=b",
                            {{"Authorization", "Basic eDp5"}},
                            "k=v"});
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->status, 404);  // any status is a reply
  const std::string req = server.join();
  EXPECT_EQ(req.rfind("POST /t?a=b HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Authorization: Basic eDp5"), std::string::npos);
  EXPECT_NE(req.find("\r\n\r\nk=v"), std::string::npos);
}

TEST(BeastHttpClientTest, RefusedConnectionIsUnavailable) {
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  BeastHttpClient client;
  auto r = client.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
}

TEST(BeastHttpClientTest, SilentPeerTimesOut) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  BeastHttpClient client({std::chrono::milliseconds(200)});
  // The kernel completes the handshake from the backlog; nobody ever answers.
  auto r = client.send(
      {"GET", "http://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/", {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Timeout);
}

}  // namespace
}  // namespace sb::oidc
