// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/response_route.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

Source udpFrom(std::string addr, uint16_t port) {
  return Source{TransportKind::Udp, std::move(addr), port, kNoConnection};
}

TEST(ResponseRouteTest, ReceivedAddedWhenSentByDiffers) {
  ViaRouting via{.host = "pc33.example.com", .port = 5060};
  ViaStamp s = stampVia(via, udpFrom("192.0.2.4", 5060));
  ASSERT_TRUE(s.received);
  EXPECT_EQ(*s.received, "192.0.2.4");
  EXPECT_FALSE(s.rport);
  ViaRouting same{.host = "192.0.2.4", .port = 5060};
  EXPECT_FALSE(stampVia(same, udpFrom("192.0.2.4", 5060)).received);
}

TEST(ResponseRouteTest, Ipv6HostsCompareByValue) {
  ViaRouting via{.host = "2001:db8:0:0::1", .port = 5060};
  EXPECT_FALSE(stampVia(via, udpFrom("2001:db8::1", 5060)).received);
}

TEST(ResponseRouteTest, RportFilledAndReceivedAlwaysAdded) {
  // RFC 3581 §4 example: the request arrived from 192.0.2.1:9988.
  ViaRouting via{.host = "192.0.2.1", .port = 5060, .has_rport = true};
  ViaStamp s = stampVia(via, udpFrom("192.0.2.1", 9988));
  ASSERT_TRUE(s.rport);
  EXPECT_EQ(*s.rport, 9988);
  ASSERT_TRUE(s.received);
  EXPECT_EQ(*s.received, "192.0.2.1");
}

TEST(ResponseRouteTest, UdpWithRportGoesToSource) {
  ViaRouting via{.host = "10.0.0.1", .port = 5060, .received = "192.0.2.1", .has_rport = true,
                 .rport = 9988};
  ResponseRoute r = routeResponse(via, udpFrom("192.0.2.1", 9988));
  EXPECT_EQ(r.kind, TransportKind::Udp);
  EXPECT_EQ(r.host, "192.0.2.1");
  EXPECT_EQ(r.port, 9988);
}

TEST(ResponseRouteTest, UdpWithReceivedUsesSentByPort) {
  ViaRouting via{.host = "pc33.example.com", .port = 5070, .received = "192.0.2.4"};
  ResponseRoute r = routeResponse(via, udpFrom("192.0.2.4", 33333));
  EXPECT_EQ(r.host, "192.0.2.4");
  EXPECT_EQ(r.port, 5070);
  ViaRouting noport{.host = "pc33.example.com", .received = "192.0.2.4"};
  EXPECT_EQ(routeResponse(noport, udpFrom("192.0.2.4", 33333)).port, 5060);
}

TEST(ResponseRouteTest, UdpPlainSentBy) {
  ViaRouting via{.host = "192.0.2.4", .port = 5080};
  ResponseRoute r = routeResponse(via, udpFrom("192.0.2.4", 40000));
  EXPECT_EQ(r.host, "192.0.2.4");
  EXPECT_EQ(r.port, 5080);
}

TEST(ResponseRouteTest, MaddrWins) {
  ViaRouting via{.host = "192.0.2.4", .port = 5080, .received = "192.0.2.9", .maddr = "239.0.0.1"};
  ResponseRoute r = routeResponse(via, udpFrom("192.0.2.9", 1234));
  EXPECT_EQ(r.host, "239.0.0.1");
  EXPECT_EQ(r.port, 5080);
}

TEST(ResponseRouteTest, ReliableReusesConnectionElseSentBy) {
  ViaRouting via{.host = "client.example.com", .port = 5070, .received = "192.0.2.7"};
  Source src{TransportKind::Tls, "192.0.2.7", 49152, 42};
  ResponseRoute r = routeResponse(via, src);
  EXPECT_EQ(r.kind, TransportKind::Tls);
  EXPECT_EQ(r.connection, 42u);
  EXPECT_EQ(r.host, "192.0.2.7");
  EXPECT_EQ(r.port, 5070);  // fallback connection goes to the sent-by port
  ViaRouting tls_default{.host = "192.0.2.7"};
  EXPECT_EQ(routeResponse(tls_default, src).port, 5061);
}

TEST(ResponseRouteTest, Broadcast) {
  EXPECT_TRUE(isBroadcastHost("255.255.255.255"));
  EXPECT_TRUE(isBroadcastHost("224.0.0.1"));
  EXPECT_TRUE(isBroadcastHost("ff02::1"));
  EXPECT_FALSE(isBroadcastHost("192.0.2.255"));
  EXPECT_FALSE(isBroadcastHost("example.com"));
}

TEST(ResponseRouteTest, TransportAddressText) {
  EXPECT_EQ((TransportAddress{TransportKind::Udp, "127.0.0.1", 5060}.toString()),
            "udp:127.0.0.1:5060");
  EXPECT_EQ((TransportAddress{TransportKind::Tls, "::1", 5061}.toString()), "tls:[::1]:5061");
}

}  // namespace
}  // namespace sb::sip
