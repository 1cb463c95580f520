// SPDX-License-Identifier: Apache-2.0
// The whole stack on loopback: real sockets → SipEndpoint shards → TransactionLayer →
// RequestRouter, with one and with several workers.
#include "sip/transport/sip_endpoint.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace sb::sip {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

std::string request(std::string_view method, std::string_view call_id, std::string_view branch,
                    std::string_view extra = "", std::string_view cseq_method = "") {
  std::string m(method);
  return m + " sip:service@127.0.0.1 SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK" + std::string(branch) + ";rport\r\n"
             "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:service@127.0.0.1>\r\n"
             "Call-ID: " + std::string(call_id) + "\r\nCSeq: 1 " +
         std::string(cseq_method.empty() ? method : cseq_method) + "\r\n" + std::string(extra) +
         "Content-Length: 0\r\n\r\n";
}

class SipEndpointTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    SipEndpointOptions o;
    o.workers = GetParam();
    o.router.server = "Switchboard-test";
    endpoint_ = std::make_unique<SipEndpoint>(o, [](RequestRouter& r, unsigned) {
      r.setHandler(Method::Invite, std::make_unique<StaticResponseHandler>(480, "Not Yet"));
    });
    auto u = endpoint_->listen(TransportKind::Udp, "127.0.0.1", 0);
    ASSERT_TRUE(u) << u.error().toString();
    auto t = endpoint_->listen(TransportKind::Tcp, "127.0.0.1", 0);
    ASSERT_TRUE(t) << t.error().toString();
    udp_port_ = u->port;
    tcp_port_ = t->port;
    endpoint_->start();
    sock_.open(udp::v4());
    sock_.bind(udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  }
  void TearDown() override { endpoint_->stop(); }

  std::string exchange(const std::string& msg) {
    sock_.send_to(asio::buffer(msg), udp::endpoint(asio::ip::make_address("127.0.0.1"), udp_port_));
    return receive();
  }
  std::string receive() {
    std::array<char, 4000> buf{};
    struct timeval tv{2, 0};
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    udp::endpoint from;
    boost::system::error_code ec;
    size_t n = sock_.receive_from(asio::buffer(buf), from, 0, ec);
    return ec ? std::string("timeout") : std::string(buf.data(), n);
  }

  asio::io_context io_;
  udp::socket sock_{io_};
  std::unique_ptr<SipEndpoint> endpoint_;
  uint16_t udp_port_ = 0, tcp_port_ = 0;
};

TEST_P(SipEndpointTest, OptionsGets200WithCapabilities) {
  std::string r = exchange(request("OPTIONS", "opt-1", "o1"));
  EXPECT_EQ(r.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Allow: INVITE, ACK, CANCEL, OPTIONS\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("Accept: application/sdp\r\n"), std::string::npos);
  EXPECT_NE(r.find("Supported:"), std::string::npos);
  EXPECT_NE(r.find("Server: Switchboard-test\r\n"), std::string::npos);
  // RFC 3581: rport filled with our source port, received added.
  EXPECT_NE(r.find(";rport=" + std::to_string(sock_.local_endpoint().port())), std::string::npos) << r;
  EXPECT_NE(r.find(";received=127.0.0.1"), std::string::npos);
  EXPECT_NE(r.find("To: <sip:service@127.0.0.1>;tag="), std::string::npos);
}

TEST_P(SipEndpointTest, RetransmissionIsAnsweredFromTheTransaction) {
  std::string first = exchange(request("OPTIONS", "opt-2", "o2"));
  std::string again = exchange(request("OPTIONS", "opt-2", "o2"));
  EXPECT_EQ(first, again);  // same To tag: not re-processed
  std::string other = exchange(request("OPTIONS", "opt-3", "o3"));
  EXPECT_NE(first.substr(first.find("tag=")), other.substr(other.find("tag=")));
}

TEST_P(SipEndpointTest, ErrorsFromValidation) {
  EXPECT_EQ(exchange(request("FOO", "e1", "e1")).rfind("SIP/2.0 501", 0), 0u);
  std::string r = exchange(request("REGISTER", "e2", "e2"));
  EXPECT_EQ(r.rfind("SIP/2.0 405", 0), 0u) << r;
  EXPECT_NE(r.find("Allow: INVITE, ACK, CANCEL, OPTIONS"), std::string::npos);
  r = exchange(request("OPTIONS", "e3", "e3", "Require: foo\r\n"));
  EXPECT_EQ(r.rfind("SIP/2.0 420", 0), 0u) << r;
  EXPECT_NE(r.find("Unsupported: foo"), std::string::npos);
  EXPECT_EQ(exchange(request("CANCEL", "e4", "e4")).rfind("SIP/2.0 481", 0), 0u);
  EXPECT_EQ(exchange(request("OPTIONS", "e5", "e5", "", "INVITE")).rfind("SIP/2.0 400", 0), 0u);
  std::string inv = request("INVITE", "e6", "e6", "Content-Type: text/x-unknown\r\n");
  inv.replace(inv.find("Content-Length: 0"), 17, "Content-Length: 5");
  r = exchange(inv + "hello");
  if (r.rfind("SIP/2.0 100", 0) == 0) r = receive();  // INVITE: 100 Trying first
  EXPECT_EQ(r.rfind("SIP/2.0 415", 0), 0u) << r;
}

TEST_P(SipEndpointTest, UnparseableRequestGets400AndAckNothing) {
  std::string bad = request("OPTIONS", "b1", "b1");
  bad.replace(0, bad.find(" SIP/2.0"), "OPTIONS <sip:service@127.0.0.1>");
  EXPECT_EQ(exchange(bad).rfind("SIP/2.0 400", 0), 0u);
  // Content-Length beyond the datagram: 400 at the transport level.
  std::string clerr = request("OPTIONS", "b2", "b2");
  clerr.replace(clerr.find("Content-Length: 0"), 17, "Content-Length: 99");
  EXPECT_EQ(exchange(clerr).rfind("SIP/2.0 400", 0), 0u);
  sock_.send_to(asio::buffer(request("ACK", "b3", "b3")),
                udp::endpoint(asio::ip::make_address("127.0.0.1"), udp_port_));
  // The next answer is to the OPTIONS, not to the ACK.
  std::string r = exchange(request("OPTIONS", "b4", "b4"));
  EXPECT_NE(r.find("Call-ID: b4"), std::string::npos) << r;
}

TEST_P(SipEndpointTest, InviteGetsTryingThenFinal) {
  std::string trying = exchange(request("INVITE", "i1", "i1"));
  EXPECT_EQ(trying.rfind("SIP/2.0 100", 0), 0u) << trying;
  std::string final = receive();
  EXPECT_EQ(final.rfind("SIP/2.0 480 Not Yet", 0), 0u) << final;
}

TEST_P(SipEndpointTest, OptionsOverTcp) {
  tcp::socket c(io_);
  c.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), tcp_port_));
  std::string msg = request("OPTIONS", "t1", "t1");
  msg.replace(msg.find("SIP/2.0/UDP"), 11, "SIP/2.0/TCP");
  asio::write(c, asio::buffer(msg));
  std::string got;
  std::array<char, 4000> buf{};
  while (got.find("\r\n\r\n") == std::string::npos) {
    got.append(buf.data(), c.read_some(asio::buffer(buf)));
  }
  EXPECT_EQ(got.rfind("SIP/2.0 200 OK", 0), 0u) << got;
  // A message without Content-Length on a stream: 400, then the connection closes.
  asio::write(c, asio::buffer(std::string("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nCall-ID: t2\r\n\r\n")));
  got.clear();
  boost::system::error_code ec;
  while (!ec) {
    size_t n = c.read_some(asio::buffer(buf), ec);
    got.append(buf.data(), n);
  }
  EXPECT_EQ(got.rfind("SIP/2.0 400 Missing Content-Length", 0), 0u) << got;
  EXPECT_EQ(ec, asio::error::eof);
}

INSTANTIATE_TEST_SUITE_P(Workers, SipEndpointTest, ::testing::Values(1u, 3u));

}  // namespace
}  // namespace sb::sip
