// SPDX-License-Identifier: Apache-2.0
// RFC 6455 §5 framing: the server frames every subscriber receives and the client frames the
// event stream accepts or refuses (with the close code it must answer with).
#include "api/ws_frame.h"

#include <string>

#include <gtest/gtest.h>

#include "api/testing/test_client.h"

namespace sb::api::ws {
namespace {

using Status = ClientFrame::Status;

using api::testing::maskedClientFrame;

TEST(WsFrameTest, ServerFramesUseTheShortestLengthAndNoMask) {
  // RFC 6455 §5.7: a single-frame unmasked text message containing "Hello".
  EXPECT_EQ(serverFrame(kText, "Hello"), std::string("\x81\x05Hello", 7));
  const std::string mid(300, 'a');
  auto f = serverFrame(kText, mid);
  ASSERT_EQ(f.size(), 304u);
  EXPECT_EQ(f.substr(0, 4), std::string("\x81\x7e\x01\x2c", 4));
  const std::string big(70000, 'b');
  f = serverFrame(kBinary, big);
  ASSERT_EQ(f.size(), 70010u);
  EXPECT_EQ(f.substr(0, 10), std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
  EXPECT_EQ(serverFrame(kPong, ""), std::string("\x8a\x00", 2));
}

TEST(WsFrameTest, CloseFrameCarriesCodeAndAShortenedReason) {
  EXPECT_EQ(closeFrame(kGoingAway, "bye"), std::string("\x88\x05\x03\xe9"
                                                       "bye",
                                                       7));
  auto f = closeFrame(kTryAgainLater, std::string(200, 'r'));
  EXPECT_EQ(f.size(), 2u + 125u);
}

TEST(WsFrameTest, ParsesAMaskedPingAndUnmasksIt) {
  // RFC 6455 §5.7: a masked "Hello" (here as a ping).
  auto in = maskedClientFrame(0x89, "Hello") + "trailing";
  auto f = parseClientFrame(in, 1024);
  ASSERT_EQ(f.status, Status::Ok);
  EXPECT_EQ(f.opcode, kPing);
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.payload, "Hello");
  EXPECT_EQ(f.consumed, in.size() - 8);
}

TEST(WsFrameTest, NeedsMoreUntilTheWholeFrameIsThere) {
  auto in = maskedClientFrame(0x81, std::string(200, 'x'));
  for (std::size_t n = 0; n < in.size(); ++n) {
    EXPECT_EQ(parseClientFrame(std::string_view(in).substr(0, n), 1024).status, Status::NeedMore)
        << n;
  }
  auto f = parseClientFrame(in, 1024);
  ASSERT_EQ(f.status, Status::Ok);
  EXPECT_EQ(f.payload, std::string(200, 'x'));
}

TEST(WsFrameTest, RefusesWhatTheRfcForbids) {
  struct Case {
    std::string in;
    std::uint16_t code;
  };
  std::string unmasked("\x81\x02hi", 4);
  std::string huge_len("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10);
  huge_len += "abcd";
  const Case cases[] = {
      {unmasked, kProtocolError},                      // §5.1
      {maskedClientFrame(0xC1, "x"), kProtocolError},  // RSV1 without an extension
      {maskedClientFrame(0x83, "x"), kProtocolError},  // reserved opcode
      {maskedClientFrame(0x09, "x"), kProtocolError},  // fragmented ping
      {maskedClientFrame(0x89, std::string(126, 'p')), kProtocolError},  // ping over 125 bytes
      {maskedClientFrame(0x88, "x"), kProtocolError},              // close with a one-byte body
      {huge_len, kProtocolError},                                  // 64-bit length, top bit set
      {maskedClientFrame(0x82, std::string(2000, 'b')), kTooBig},  // above max_payload
  };
  for (const auto& c : cases) {
    auto f = parseClientFrame(c.in, 1024);
    EXPECT_EQ(f.status, Status::Error) << ::testing::PrintToString(c.in);
    EXPECT_EQ(f.close_code, c.code) << f.reason;
    EXPECT_STRNE(f.reason, "");
  }
}

TEST(WsFrameTest, CloseFrameBodyIsUnmaskedForTheReply) {
  auto f = parseClientFrame(maskedClientFrame(0x88, std::string("\x03\xe8"
                                                                "done",
                                                                6)),
                            1024);
  ASSERT_EQ(f.status, Status::Ok);
  EXPECT_EQ(f.opcode, kClose);
  EXPECT_EQ(f.payload, std::string("\x03\xe8"
                                   "done",
                                   6));
}

}  // namespace
}  // namespace sb::api::ws
