// SPDX-License-Identifier: Apache-2.0
#include "sip/validate.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::sip {
namespace {

std::string req(std::string_view method, std::string_view extra, std::string_view cseq_method = {},
                std::string_view uri = "sip:bob@example.com") {
  std::string s;
  s.append(method).append(" ").append(uri).append(" SIP/2.0\r\n");
  s.append("Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\n");
  s.append("To: <sip:bob@example.com>\r\nCall-ID: c1\r\nMax-Forwards: 70\r\n");
  s.append("CSeq: 1 ").append(cseq_method.empty() ? method : cseq_method).append("\r\n");
  s.append(extra);
  s.append("\r\n");
  return s;
}

std::optional<Rejection> check(const std::string& text, const UasPolicy& p = {}) {
  auto m = Message::parse(text);
  EXPECT_TRUE(m.has_value()) << text;
  if (!m) return Rejection{};
  return checkRequest(*m, p);
}

int code(const std::string& text, const UasPolicy& p = {}) {
  auto r = check(text, p);
  return r ? r->code : 0;
}

TEST(ValidateTest, AcceptsGoodRequest) { EXPECT_EQ(code(req("INVITE", "")), 0); }

TEST(ValidateTest, Codes) {
  std::string v = req("OPTIONS", "");
  v.replace(v.find("SIP/2.0"), 7, "SIP/3.0");
  EXPECT_EQ(code(v), 505);
  EXPECT_EQ(code(req("OPTIONS", "", "INVITE")), 400);
  EXPECT_EQ(code(req("FOO", "", "INVITE")), 501);
  EXPECT_EQ(code(req("FOO", "")), 501);
  EXPECT_EQ(code(req("OPTIONS", "", {}, "mailto:a@b")), 416);
  EXPECT_EQ(code(req("OPTIONS", "", {}, "sip:a@b?Route=x")), 400);
  EXPECT_EQ(code(req("OPTIONS", "Max-Forwards: 1\r\n")), 400);
  EXPECT_EQ(code(req("OPTIONS", "Expires: 4294967296\r\n")), 400);
  EXPECT_EQ(code(req("OPTIONS", "Require: 100rel, foo\r\n")), 420);
  EXPECT_EQ(check(req("OPTIONS", "Require: 100rel, foo\r\n"))->headers[0].second, "foo");
  EXPECT_EQ(code(req("ACK", "Require: foo\r\n")), 0);
  EXPECT_EQ(code(req("INVITE", "Accept: text/plain\r\n")), 406);
  EXPECT_EQ(code(req("INVITE", "Accept: application/*\r\n")), 0);
  EXPECT_EQ(code(req("INVITE", "Content-Type: text/plain\r\nl: 2\r\n\r\nhi")), 415);
  UasPolicy no_sub;
  no_sub.allowed_methods = {Method::Invite, Method::Ack};
  auto r = check(req("SUBSCRIBE", ""), no_sub);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, 405);
  EXPECT_EQ(r->headers[0], (std::pair<std::string, std::string>{"Allow", "INVITE, ACK"}));
  UasPolicy no_tel;
  no_tel.accept_tel = false;
  EXPECT_EQ(code(req("OPTIONS", "", {}, "tel:+123"), no_tel), 416);
  EXPECT_EQ(code(req("OPTIONS", "", {}, "tel:+123")), 0);
}

TEST(ValidateTest, MissingOrDuplicateMandatoryHeaders) {
  for (std::string_view h : {"Via: ", "From: ", "To: ", "Call-ID: ", "CSeq: "}) {
    std::string s = req("OPTIONS", "");
    size_t p = s.find(h);
    size_t e = s.find("\r\n", p);
    std::string line = s.substr(p, e + 2 - p);
    std::string without = s;
    without.erase(p, e + 2 - p);
    EXPECT_EQ(code(without), 400) << h;
    if (h != "Via: ") {
      std::string dup = s;
      dup.insert(p, line);
      EXPECT_EQ(code(dup), 400) << h;
    }
  }
  std::string no_mf = req("OPTIONS", "");
  no_mf.erase(no_mf.find("Max-Forwards: 70\r\n"), 18);
  EXPECT_EQ(code(no_mf), 0);  // RFC 2543 peers omit it
}

TEST(ValidateTest, ProxyRules) {
  auto m = Message::parse(req("OPTIONS", "Proxy-Require: sec-agree\r\n"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(checkProxyRequest(*m, {})->code, 420);
  ProxyPolicy p;
  p.supported = {"sec-agree"};
  EXPECT_FALSE(checkProxyRequest(*m, p).has_value());
  std::string zero = req("OPTIONS", "");
  zero.replace(zero.find("70"), 2, "0");
  auto z = Message::parse(zero);
  EXPECT_EQ(checkProxyRequest(*z, p)->code, 483);
  EXPECT_FALSE(checkRequest(*z, {}).has_value());
}

TEST(ValidateTest, ResponsesAndBranches) {
  auto ok = Message::parse(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n"
      "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n");
  ASSERT_TRUE(ok.has_value());
  EXPECT_FALSE(checkResponse(*ok).has_value());
  EXPECT_TRUE(hasRfc3261Branch(*ok->topVia()));
  auto nocallid = Message::parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n");
  EXPECT_TRUE(checkResponse(*nocallid).has_value());
}

}  // namespace
}  // namespace sb::sip
