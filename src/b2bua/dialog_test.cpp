// SPDX-License-Identifier: Apache-2.0
#include "b2bua/dialog.h"

#include <gtest/gtest.h>

namespace sb::b2bua {
namespace {

sip::Message parse(const std::string& text) {
  auto m = sip::Message::parse(text);
  EXPECT_TRUE(m) << m.error().toString();
  return *m;
}

const char* kInvite =
    "INVITE sip:bob@b.example SIP/2.0\r\n"
    "Via: SIP/2.0/UDP a.example;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:alice@a.example>;tag=at\r\n"
    "To: <sip:bob@b.example>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:alice@10.0.0.1:5060>\r\n"
    "Record-Route: <sip:p2.example;lr>\r\n"
    "Record-Route: <sip:p1.example;lr>\r\n"
    "Content-Length: 0\r\n\r\n";

TEST(DialogTest, UasDialogKeepsRecordRouteOrderAndRemoteTarget) {
  auto d = Dialog::fromUas(parse(kInvite), "bt");
  ASSERT_TRUE(d) << d.error().toString();
  EXPECT_EQ(d->remote_target, "sip:alice@10.0.0.1:5060");
  ASSERT_EQ(d->route_set.size(), 2u);
  EXPECT_EQ(d->route_set[0], "<sip:p2.example;lr>");
  EXPECT_EQ(d->remote_cseq, 7u);
  sip::Message bye = d->makeRequest("BYE");
  EXPECT_EQ(bye.requestUriText(), "sip:alice@10.0.0.1:5060");
  EXPECT_EQ(bye.header(sip::HeaderId::From), "<sip:bob@b.example>;tag=bt");
  EXPECT_EQ(bye.header(sip::HeaderId::To), "\"Alice\" <sip:alice@a.example>;tag=at");
  EXPECT_EQ(bye.headers(sip::HeaderId::Route).size(), 2u);
  EXPECT_EQ(d->firstHop(), "sip:p2.example;lr");
}

TEST(DialogTest, UacDialogReversesRecordRouteAndCountsCSeq) {
  auto inv = parse(kInvite);
  auto ok = parse(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK1\r\n"
      "From: \"Alice\" <sip:alice@a.example>;tag=at\r\nTo: <sip:bob@b.example>;tag=bt\r\n"
      "Call-ID: c1\r\nCSeq: 7 INVITE\r\nContact: <sip:bob@10.0.0.2>\r\n"
      "Record-Route: <sip:p2.example;lr>\r\nRecord-Route: <sip:p1.example;lr>\r\n"
      "Content-Length: 0\r\n\r\n");
  auto d = Dialog::fromUac(inv, ok);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->route_set.front(), "<sip:p1.example;lr>");
  EXPECT_EQ(d->remote_target, "sip:bob@10.0.0.2");
  sip::Message ack = d->makeAck(7);
  EXPECT_EQ(ack.cseq()->number, 7u);
  EXPECT_EQ(ack.cseq()->method, sip::Method::Ack);
  sip::Message reinvite = d->makeRequest("INVITE");
  EXPECT_EQ(reinvite.cseq()->number, 8u);
}

TEST(DialogTest, StrictRouteFirstHopBecomesTheRequestUri) {
  auto d = Dialog::fromUas(parse(kInvite), "bt");
  d->route_set = {"<sip:strict.example>", "<sip:p1.example;lr>"};
  sip::Message bye = d->makeRequest("BYE");
  EXPECT_EQ(bye.requestUriText(), "sip:strict.example");
  auto routes = bye.headers(sip::HeaderId::Route);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1], "<sip:alice@10.0.0.1:5060>");
}

TEST(DialogTest, RemoteRequestsMustIncreaseCSeqAndRefreshTheTarget) {
  auto d = Dialog::fromUas(parse(kInvite), "bt");
  std::string reinvite = kInvite;
  reinvite.replace(reinvite.find("CSeq: 7"), 7, "CSeq: 8");
  reinvite.replace(reinvite.find("10.0.0.1:5060"), 13, "10.0.0.9:5070");
  EXPECT_TRUE(d->acceptRemoteRequest(parse(reinvite)));
  EXPECT_EQ(d->remote_target, "sip:alice@10.0.0.9:5070");
  EXPECT_FALSE(d->acceptRemoteRequest(parse(reinvite)));  // same CSeq again
}

}  // namespace
}  // namespace sb::b2bua
