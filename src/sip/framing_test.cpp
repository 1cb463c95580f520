// SPDX-License-Identifier: Apache-2.0
#include "sip/framing.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::sip {
namespace {

const std::string kMsg =
    "INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
    "l: 5\r\n\r\nhello";

TEST(FramingTest, CompleteMessageAndTrailingBytes) {
  Frame f = frameStream(kMsg + "OPTIONS sip:x");
  EXPECT_EQ(f.status, FrameStatus::Complete);
  EXPECT_EQ(f.size, kMsg.size());
}

TEST(FramingTest, NeedsMoreUntilBodyArrives) {
  for (size_t n = 1; n < kMsg.size(); ++n) {
    EXPECT_EQ(frameStream(std::string_view(kMsg).substr(0, n)).status, FrameStatus::NeedMore)
        << n;
  }
}

TEST(FramingTest, KeepAlives) {
  Frame f = frameStream("\r\n\r\nINVITE");
  EXPECT_EQ(f.status, FrameStatus::KeepAlive);
  EXPECT_EQ(f.size, 4u);
}

TEST(FramingTest, BareLfHeaders) {
  std::string msg = "OPTIONS sip:a@b SIP/2.0\nContent-Length: 2\n\nhi";
  Frame f = frameStream(msg + "junk");
  EXPECT_EQ(f.status, FrameStatus::Complete);
  EXPECT_EQ(f.size, msg.size());
}

TEST(FramingTest, Errors) {
  for (std::string bad : {
           std::string("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n"),              // missing
           std::string("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n"),  // negative
           std::string("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x1\r\n\r\n"),
           std::string("OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab"),
           std::string("OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n"),
       }) {
    Frame f = frameStream(bad);
    EXPECT_EQ(f.status, FrameStatus::Error) << bad;
  }
  FramingLimits small;
  small.max_header_bytes = 16;
  EXPECT_EQ(frameStream(std::string(64, 'a'), small).status, FrameStatus::Error);
  small.max_body_bytes = 2;
  small.max_header_bytes = 1024;
  EXPECT_EQ(frameStream(kMsg, small).status, FrameStatus::Error);
}

TEST(FramingTest, FoldedContentLength) {
  Frame f = frameStream("OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n 1\r\n\r\nx");
  EXPECT_EQ(f.status, FrameStatus::Complete);
}

}  // namespace
}  // namespace sb::sip
