// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/wire_scan.h"

#include <gtest/gtest.h>

#include <string>

namespace sb::sip {
namespace {

const std::string kHead =
    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: abc@h\r\n";

TEST(WireScanTest, DatagramWithoutContentLengthRunsToEnd) {
  std::string d = kHead + "\r\nbody";
  FrameScan f = scanDatagram(d);
  ASSERT_EQ(f.status, ScanStatus::Complete);
  EXPECT_EQ(f.total, d.size());
  EXPECT_EQ(f.body_size, 4u);
  EXPECT_EQ(f.call_id, "abc@h");
}

TEST(WireScanTest, DatagramIgnoresBytesAfterContentLength) {
  std::string d = kHead + "Content-Length: 0\r\n\r\nINVITE sip:x SIP/2.0\r\n";
  FrameScan f = scanDatagram(d);
  ASSERT_EQ(f.status, ScanStatus::Complete);
  EXPECT_EQ(f.total, d.find("INVITE"));
}

TEST(WireScanTest, DatagramContentLengthBeyondBodyIsTruncated) {
  FrameScan f = scanDatagram(kHead + "Content-Length: 9999\r\n\r\nv=0\r\n");
  EXPECT_EQ(f.status, ScanStatus::Error);
  EXPECT_EQ(f.error, ScanError::BodyTruncated);
}

TEST(WireScanTest, NegativeAndConflictingContentLength) {
  EXPECT_EQ(scanDatagram(kHead + "Content-Length: -999\r\n\r\n").error,
            ScanError::BadContentLength);
  EXPECT_EQ(scanDatagram(kHead + "Content-Length: 13\r\nl: 5\r\n\r\n12345").error,
            ScanError::ConflictingContentLength);
  // The same value twice is not a conflict.
  EXPECT_EQ(scanDatagram(kHead + "Content-Length: 2\r\nl: 2\r\n\r\nab").status,
            ScanStatus::Complete);
}

TEST(WireScanTest, CompactAndCaseInsensitiveNames) {
  // f.call_id views the scanned bytes, so they must outlive f.
  std::string d = kHead + "L:   3\r\ni: zz\r\n\r\nabcdef";
  FrameScan f = scanDatagram(d);
  ASSERT_EQ(f.status, ScanStatus::Complete);
  EXPECT_EQ(f.body_size, 3u);
  EXPECT_EQ(f.call_id, "abc@h");  // the first Call-ID wins
}

TEST(WireScanTest, DatagramWithoutEmptyLineButNoBodyIsComplete) {
  std::string d = kHead + "Content-Length: 0\r\n";
  FrameScan f = scanDatagram(d);
  ASSERT_EQ(f.status, ScanStatus::Complete);
  EXPECT_EQ(f.total, d.size());
}

TEST(WireScanTest, BareLineFeedsAreAccepted) {
  std::string d = "OPTIONS sip:a@b SIP/2.0\nCall-ID: x\nContent-Length: 2\n\nab";
  FrameScan f = scanDatagram(d);
  ASSERT_EQ(f.status, ScanStatus::Complete);
  EXPECT_EQ(f.total, d.size());
}

TEST(WireScanTest, StreamNeedsContentLength) {
  FrameScan f = scanStream(kHead + "\r\n", 65535);
  EXPECT_EQ(f.status, ScanStatus::Error);
  EXPECT_EQ(f.error, ScanError::MissingContentLength);
}

TEST(WireScanTest, StreamFramesAcrossPartialReads) {
  std::string msg = kHead + "Content-Length: 5\r\n\r\nhello";
  std::string stream = msg + msg;
  for (size_t cut = 0; cut < msg.size(); ++cut) {
    FrameScan f = scanStream(std::string_view(stream).substr(0, cut), 65535);
    ASSERT_EQ(f.status, ScanStatus::Incomplete) << "cut at " << cut;
  }
  FrameScan f = scanStream(stream, 65535);
  ASSERT_EQ(f.status, ScanStatus::Complete);
  EXPECT_EQ(f.total, msg.size());
}

TEST(WireScanTest, StreamTooLarge) {
  EXPECT_EQ(scanStream(kHead + "Content-Length: 100000\r\n\r\n", 65535).error,
            ScanError::TooLarge);
  std::string endless = kHead + std::string(70000, 'x');
  EXPECT_EQ(scanStream(endless, 65535).error, ScanError::TooLarge);
}

TEST(WireScanTest, KeepAlives) {
  unsigned pings = 0;
  EXPECT_EQ(skipKeepAlives("\r\n\r\nOPTIONS", pings), 4u);
  EXPECT_EQ(pings, 1u);
  EXPECT_EQ(skipKeepAlives("\r\nOPTIONS", pings), 2u);  // a pong: nothing to answer
  EXPECT_EQ(pings, 0u);
  EXPECT_EQ(skipKeepAlives("\r\n\r", pings), 2u);  // half a CRLF waits
  EXPECT_EQ(skipKeepAlives("\r\n\r\n\r\n\r\n", pings), 8u);
  EXPECT_EQ(pings, 2u);
  EXPECT_TRUE(isKeepAliveOnly("\r\n\r\n"));
  EXPECT_FALSE(isKeepAliveOnly("\r\nX"));
}

}  // namespace
}  // namespace sb::sip
