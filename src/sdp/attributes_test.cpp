// SPDX-License-Identifier: Apache-2.0
#include "sdp/attributes.h"

#include <gtest/gtest.h>

namespace sb::sdp {
namespace {

TEST(RtpMapTest, ParsesWithAndWithoutChannels) {
  auto m = parseRtpMap("0 PCMU/8000");
  ASSERT_TRUE(m) << m.error().toString();
  EXPECT_EQ(m->payload_type, 0);
  EXPECT_EQ(m->encoding, "PCMU");
  EXPECT_EQ(m->clock_rate, 8000u);
  EXPECT_EQ(m->channels, 0u);
  EXPECT_EQ(formatRtpMap(*m), "0 PCMU/8000");

  auto opus = parseRtpMap("111 opus/48000/2");
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->channels, 2u);
  EXPECT_EQ(formatRtpMap(*opus), "111 opus/48000/2");
}

TEST(RtpMapTest, RejectsMalformed) {
  for (const char* bad : {"", "0", "128 PCMU/8000", "x PCMU/8000", "0 PCMU", "0 PCMU/", "0 /8000",
                          "0 PCMU/0", "0 PCMU/8000/0", "0 PCMU/8000 extra", "-1 PCMU/8000"}) {
    EXPECT_FALSE(parseRtpMap(bad)) << bad;
  }
}

TEST(FmtpTest, SplitsFormatAndParameters) {
  auto f = parseFmtp("101 0-15");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->format, "101");
  EXPECT_EQ(f->parameters, "0-15");
  EXPECT_EQ(formatFmtp(*f), "101 0-15");
  auto spaced = parseFmtp("111 minptime=10; useinbandfec=1");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->parameters, "minptime=10; useinbandfec=1");
  EXPECT_FALSE(parseFmtp(""));
  EXPECT_FALSE(parseFmtp(" 0-15"));
}

TEST(CryptoTest, ParsesRfc4568Example) {
  auto c = parseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->tag, 1u);
  EXPECT_EQ(c->suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(c->key_params, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  EXPECT_EQ(c->inlineKey(), "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
  EXPECT_TRUE(c->session_params.empty());
  EXPECT_EQ(formatCrypto(*c), "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
}

TEST(CryptoTest, KeepsSessionParams) {
  auto c = parseCrypto("2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj KDR=1 UNENCRYPTED_SRTCP");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session_params, "KDR=1 UNENCRYPTED_SRTCP");
  EXPECT_EQ(formatCrypto(*c), "2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj KDR=1 UNENCRYPTED_SRTCP");
}

TEST(CryptoTest, RejectsMalformed) {
  for (const char* bad : {"", "1", "1 AES_CM_128_HMAC_SHA1_80", "x AES inline:abc", "1234567890 AES inline:abc",
                          "1 AES nocolon"}) {
    EXPECT_FALSE(parseCrypto(bad)) << bad;
  }
}

TEST(RtcpTest, PortOnlyAndWithAddress) {
  auto r = parseRtcp("53020");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->port, 53020);
  EXPECT_TRUE(r->address.empty());
  EXPECT_EQ(formatRtcp(*r), "53020");
  auto full = parseRtcp("53020 IN IP6 2001:db8::1");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->addrtype, "IP6");
  EXPECT_EQ(full->address, "2001:db8::1");
  EXPECT_EQ(formatRtcp(*full), "53020 IN IP6 2001:db8::1");
  EXPECT_FALSE(parseRtcp("70000"));
  EXPECT_FALSE(parseRtcp("5000 IN IP4"));
  EXPECT_FALSE(parseRtcp(""));
}

TEST(DirectionTest, NamesAndReverse) {
  for (auto d : {Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive}) {
    EXPECT_EQ(directionFromName(directionName(d)), d);
  }
  EXPECT_EQ(reverse(Direction::SendOnly), Direction::RecvOnly);
  EXPECT_EQ(reverse(Direction::RecvOnly), Direction::SendOnly);
  EXPECT_EQ(reverse(Direction::Inactive), Direction::Inactive);
  EXPECT_FALSE(directionFromName("SENDRECV"));
}

TEST(NumberTest, ParseU32Bounds) {
  EXPECT_EQ(parseU32("4294967295"), 4294967295u);
  EXPECT_FALSE(parseU32("4294967296"));
  EXPECT_FALSE(parseU32("+1"));
  EXPECT_FALSE(parseU32(""));
  EXPECT_EQ(parseU64("971731711378798081"), 971731711378798081ull);
}

}  // namespace
}  // namespace sb::sdp
