// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/raw_response.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

TEST(RawResponseTest, CopiesTheMatchingHeadersAndTagsTo) {
  std::string req =
      "INVITE sip:user@example.com SIP/2.0\r\nMax-Forwards: 80\r\nTo: sip:j.user@example.com\r\n"
      "From: sip:caller@example.net;tag=93942939o2\r\nCall-ID: clerr.0ha0\r\nCSeq: 8 INVITE\r\n"
      "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\r\n"
      "v: SIP/2.0/UDP second.example.com;branch=z9hG4bK-2\r\nContent-Length: 9999\r\n\r\nv=0\r\n";
  auto r = rawErrorResponse(req, 400, "Bad Content-Length", "Switchboard", "abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r,
            "SIP/2.0 400 Bad Content-Length\r\nFrom: sip:caller@example.net;tag=93942939o2\r\n"
            "Call-ID: clerr.0ha0\r\nCSeq: 8 INVITE\r\n"
            "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523\r\n"
            "v: SIP/2.0/UDP second.example.com;branch=z9hG4bK-2\r\n"
            "To: sip:j.user@example.com;tag=abc\r\nServer: Switchboard\r\nContent-Length: 0\r\n\r\n");
}

TEST(RawResponseTest, KeepsAnExistingToTag) {
  auto r = rawErrorResponse("BYE sip:a SIP/2.0\r\nt: <sip:a>;TAG=1\r\n\r\n", 400, "Bad", "", "x");
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("To: <sip:a>;TAG=1\r\n"), std::string::npos);
  EXPECT_EQ(r->find(";tag=x"), std::string::npos);
}

TEST(RawResponseTest, NeverAnswersResponsesOrAck) {
  EXPECT_FALSE(rawErrorResponse("SIP/2.0 200 OK\r\n\r\n", 400, "Bad", "", "x"));
  EXPECT_FALSE(rawErrorResponse("ACK sip:a SIP/2.0\r\n\r\n", 400, "Bad", "", "x"));
  EXPECT_FALSE(rawErrorResponse("garbage", 400, "Bad", "", "x"));
}

}  // namespace
}  // namespace sb::sip
