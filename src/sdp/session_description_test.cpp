// SPDX-License-Identifier: Apache-2.0
#include "sdp/session_description.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace sb::sdp {
namespace {

// Lines joined with CRLF, as on the wire.
std::string crlf(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (auto l : lines) {
    out += l;
    out += "\r\n";
  }
  return out;
}

std::string tortureBody(const std::string& name) {
  std::ifstream in(std::string(SB_TESTDATA_DIR) + "/sip/torture/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string msg = ss.str();
  size_t sep = msg.find("\n\n");
  size_t skip = 2;
  if (size_t crlf_sep = msg.find("\r\n\r\n"); crlf_sep != std::string::npos && crlf_sep < sep) {
    sep = crlf_sep;
    skip = 4;
  }
  EXPECT_NE(sep, std::string::npos) << name;
  return sep == std::string::npos ? std::string() : msg.substr(sep + skip);
}

const std::string kOffer = crlf({
    "v=0",
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.1",
    "s=-",
    "i=A call",
    "c=IN IP4 198.51.100.1",
    "b=AS:128",
    "t=0 0",
    "a=sendrecv",
    "a=tool:switchboard",
    "m=audio 49170 RTP/SAVP 0 8 101",
    "c=IN IP4 198.51.100.2",
    "b=TIAS:64000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:20",
    "a=maxptime:40",
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
    "a=rtcp:49171 IN IP4 198.51.100.2",
    "a=x-unknown:keep me",
    "a=rtcp-mux",
    "a=recvonly",
    "m=video 0 UDP/TLS/RTP/SAVPF 96",
    "a=rtpmap:96 VP8/90000",
    "a=inactive",
});

TEST(SessionDescriptionTest, ParsesAllFieldsOfAnOffer) {
  auto sd = SessionDescription::parse(kOffer);
  ASSERT_TRUE(sd) << sd.error().toString();
  EXPECT_EQ(sd->origin.username, "alice");
  EXPECT_EQ(sd->origin.session_id, "2890844526");
  EXPECT_EQ(sd->origin.session_version, 2890844526u);
  EXPECT_EQ(sd->origin.address, "198.51.100.1");
  EXPECT_EQ(sd->session_name, "-");
  EXPECT_EQ(sd->info, "A call");
  ASSERT_TRUE(sd->connection);
  EXPECT_EQ(sd->connection->address, "198.51.100.1");
  ASSERT_EQ(sd->bandwidths.size(), 1u);
  EXPECT_EQ(sd->bandwidths[0].type, "AS");
  EXPECT_EQ(sd->bandwidths[0].value, 128u);
  ASSERT_EQ(sd->media.size(), 2u);
  const auto& audio = sd->media[0];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.port, 49170);
  EXPECT_EQ(audio.proto, "RTP/SAVP");
  EXPECT_EQ(audio.formats, (std::vector<std::string>{"0", "8", "101"}));
  ASSERT_EQ(audio.connections.size(), 1u);
  EXPECT_EQ(audio.connections[0].address, "198.51.100.2");
  auto maps = audio.rtpMaps();
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_EQ(maps[2].encoding, "telephone-event");
  EXPECT_EQ(audio.rtpMap("8")->encoding, "PCMA");
  EXPECT_FALSE(audio.rtpMap("9"));
  EXPECT_EQ(audio.fmtp("101")->parameters, "0-16");
  EXPECT_EQ(audio.ptime(), 20u);
  EXPECT_EQ(audio.maxPtime(), 40u);
  ASSERT_EQ(audio.cryptos().size(), 1u);
  EXPECT_EQ(audio.cryptos()[0].suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(audio.rtcp()->port, 49171);
  EXPECT_EQ(audio.rtcp()->address, "198.51.100.2");
  EXPECT_TRUE(audio.rtcpMux());
  ASSERT_NE(audio.attributes.find("x-unknown"), nullptr);
  EXPECT_EQ(audio.attributes.find("x-unknown")->value, "keep me");
  EXPECT_EQ(sd->media[1].proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(sd->media[1].isDisabled());
}

TEST(SessionDescriptionTest, RoundTripsWellFormedInput) {
  auto sd = SessionDescription::parse(kOffer);
  ASSERT_TRUE(sd);
  EXPECT_EQ(sd->serialize(), kOffer);
  auto again = SessionDescription::parse(sd->serialize());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *sd);
}

TEST(SessionDescriptionTest, RoundTripsMulticastAndTimingLines) {
  const std::string text = crlf({
      "v=0",
      "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1",
      "s=Call to John Smith",
      "u=http://www.example.com/seminars/sdp.pdf",
      "e=j.doe@example.com (Jane Doe)",
      "p=+1 617 555-6011",
      "c=IN IP4 233.252.0.1/127/3",
      "t=3724394400 3724398000",
      "r=604800 3600 0 90000",
      "z=2882844526 -1h",
      "k=prompt",
      "a=recvonly",
      "m=audio 49170/2 RTP/AVP 0",
      "i=speech",
      "c=IN IP6 ff15::101/3",
      "k=clear:abc",
      "a=orient",
  });
  auto sd = SessionDescription::parse(text);
  ASSERT_TRUE(sd) << sd.error().toString();
  EXPECT_EQ(sd->connection->ttl, 127u);
  EXPECT_EQ(sd->connection->count, 3u);
  EXPECT_EQ(sd->media[0].port_count, 2u);
  EXPECT_EQ(sd->media[0].connections[0].count, 3u);
  EXPECT_FALSE(sd->media[0].connections[0].ttl);
  ASSERT_EQ(sd->timings.size(), 1u);
  EXPECT_EQ(sd->timings[0].repeats.size(), 1u);
  auto orient = sd->media[0].attributes.find("orient");
  ASSERT_NE(orient, nullptr);
  EXPECT_FALSE(orient->has_value);
  EXPECT_EQ(sd->serialize(), text);
}

TEST(SessionDescriptionTest, PreservesUnknownAttributesInOrder) {
  const std::string text = crlf({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0",
                                 "m=audio 1000 RTP/AVP 0", "a=z-first:1", "a=rtpmap:0 PCMU/8000",
                                 "a=a-second", "a=ice-ufrag:abcd", "a=empty:"});
  auto sd = SessionDescription::parse(text);
  ASSERT_TRUE(sd);
  const auto& items = sd->media[0].attributes.items();
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].name, "z-first");
  EXPECT_EQ(items[2].name, "a-second");
  EXPECT_EQ(items[3].value, "abcd");
  EXPECT_TRUE(items[4].has_value);
  EXPECT_EQ(items[4].value, "");
  EXPECT_EQ(sd->serialize(), text);
}

struct TortureCase {
  const char* file;
  size_t media_count;
  const char* origin_addrtype;
  const char* origin_address;
  const char* media0_address;
  const char* media0_addrtype;
  const char* media1_address;
};

class SdpTortureTest : public ::testing::TestWithParam<TortureCase> {};

TEST_P(SdpTortureTest, ParsesRfc5118Body) {
  const auto& tc = GetParam();
  std::string body = tortureBody(tc.file);
  ASSERT_FALSE(body.empty());
  auto sd = SessionDescription::parse(body);
  ASSERT_TRUE(sd) << tc.file << ": " << sd.error().toString();
  EXPECT_EQ(sd->media.size(), tc.media_count);
  EXPECT_EQ(sd->origin.addrtype, tc.origin_addrtype);
  EXPECT_EQ(sd->origin.address, tc.origin_address);
  ASSERT_NE(sd->effectiveConnection(0), nullptr);
  EXPECT_EQ(sd->effectiveConnection(0)->address, tc.media0_address);
  EXPECT_EQ(sd->effectiveConnection(0)->addrtype, tc.media0_addrtype);
  ASSERT_NE(sd->effectiveConnection(1), nullptr);
  EXPECT_EQ(sd->effectiveConnection(1)->address, tc.media1_address);
  EXPECT_EQ(sd->media[1].rtpMap("107")->encoding, "H263-1998");
  EXPECT_EQ(sd->media[1].rtpMap("107")->clock_rate, 90000u);
  // The archive uses bare LF; serializing yields the same lines with CRLF.
  std::string expected;
  for (char c : body) {
    if (c == '\n') expected += '\r';
    expected += c;
  }
  EXPECT_EQ(sd->serialize(), expected);
  EXPECT_FALSE(sd->isHold());
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5118, SdpTortureTest,
    ::testing::Values(
        TortureCase{"ipv6-in-sdp.dat", 2, "IP6", "2001:db8::20", "2001:db8::20", "IP6", "2001:db8::20"},
        TortureCase{"mult-ip-in-sdp.dat", 2, "IP4", "host.example.com", "192.0.2.1", "IP4", "2001:db8::1"},
        TortureCase{"ipv4-mapped-ipv6.dat", 2, "IP6", "::ffff:192.0.2.2", "::ffff:192.0.2.2", "IP6",
                    "::ffff:192.0.2.2"}),
    [](const auto& info) {
      std::string n = info.param.file;
      std::string out;
      for (char c : n.substr(0, n.find('.'))) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return out;
    });

struct BadCase {
  const char* name;
  std::string text;
  const char* message_prefix;
  const char* field;
};

class SdpMalformedTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(SdpMalformedTest, RejectedWithLineAndReason) {
  const auto& tc = GetParam();
  auto sd = SessionDescription::parse(tc.text);
  ASSERT_FALSE(sd) << tc.name;
  EXPECT_EQ(sd.error().code, Errc::InvalidArgument);
  EXPECT_EQ(sd.error().message.rfind(tc.message_prefix, 0), 0u)
      << tc.name << ": got '" << sd.error().message << "'";
  EXPECT_EQ(sd.error().field, tc.field) << tc.name;
}

const std::string kHead = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

INSTANTIATE_TEST_SUITE_P(
    Vectors, SdpMalformedTest,
    ::testing::Values(
        BadCase{"Empty", "", "line 1: empty", "v="},
        BadCase{"OnlyNewlines", "\r\n\r\n", "line 1: empty", "v="},
        BadCase{"NoVersionFirst", "o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", "line 1: description must start with v=", "v="},
        BadCase{"VersionOne", "v=1\r\n", "line 1: unsupported SDP version", "v="},
        BadCase{"NoEquals", "v=0\r\no - 1 1 IN IP4 x\r\n", "line 2: expected '<type>=<value>'", ""},
        BadCase{"ShortOrigin", "v=0\r\no=- 1 IN IP4 192.0.2.1\r\ns=-\r\n", "line 2: o= needs", "o="},
        BadCase{"OriginVersionNotNumber", "v=0\r\no=- 1 x IN IP4 192.0.2.1\r\ns=-\r\n", "line 2: o= sess-version", "o="},
        BadCase{"MissingOrigin", "v=0\r\ns=-\r\nt=0 0\r\n", "line 3: missing o= line", "o="},
        BadCase{"MissingSessionName", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n", "line 3: missing s= line", "s="},
        BadCase{"DuplicateVersion", "v=0\r\nv=0\r\n", "line 2: duplicate v=", "v="},
        BadCase{"UnknownType", kHead + "x=1\r\n", "line 6: unknown line type 'x'", "x="},
        BadCase{"EmptyLineInside", "v=0\r\n\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n", "line 2: empty line", ""},
        BadCase{"BadConnection", kHead + "m=audio 1 RTP/AVP 0\r\nc=IN IP4\r\n", "line 7: c= needs", "c="},
        BadCase{"BracketedV6", kHead + "m=audio 1 RTP/AVP 0\r\nc=IN IP6 [2001:db8::1]\r\n", "line 7: c= IPv6 address must not be bracketed", "c="},
        BadCase{"BadTtl", kHead + "m=audio 1 RTP/AVP 0\r\nc=IN IP4 233.252.0.1/x\r\n", "line 7: c= multicast suffix", "c="},
        BadCase{"TwoSessionConnections", kHead + "c=IN IP4 192.0.2.2\r\n", "line 6: more than one session-level c=", "c="},
        BadCase{"MediaPortTooLarge", kHead + "m=audio 65536 RTP/AVP 0\r\n", "line 6: m= port must be 0..65535", "m="},
        BadCase{"MediaWithoutFormats", kHead + "m=audio 1000 RTP/AVP\r\n", "line 6: m= needs", "m="},
        BadCase{"MediaPortCountZero", kHead + "m=audio 1000/0 RTP/AVP 0\r\n", "line 6: m= port count", "m="},
        BadCase{"BadTiming", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=now 0\r\n", "line 4: t= needs", "t="},
        BadCase{"RepeatWithoutTiming", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nr=1 2 3\r\n", "line 4: r= must follow", "r="},
        BadCase{"TimingAfterMedia", kHead + "m=audio 1 RTP/AVP 0\r\nt=0 0\r\n", "line 7: t= is session-level", "t="},
        BadCase{"BadBandwidth", kHead + "b=AS\r\n", "line 6: b= needs", "b="},
        BadCase{"BandwidthNotNumber", kHead + "b=AS:lots\r\n", "line 6: b= bandwidth is not a number", "b="},
        BadCase{"BadRtpmap", kHead + "m=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", "line 7: rtpmap needs", "a=rtpmap"},
        BadCase{"RtpmapNoValue", kHead + "m=audio 1 RTP/AVP 0\r\na=rtpmap\r\n", "line 7: a=rtpmap needs a value", "a=rtpmap"},
        BadCase{"BadPtime", kHead + "m=audio 1 RTP/AVP 0\r\na=ptime:twenty\r\n", "line 7: ptime must be an integer", "a=ptime"},
        BadCase{"BadCrypto", kHead + "m=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n", "line 7: crypto needs", "a=crypto"},
        BadCase{"BadRtcp", kHead + "m=audio 1 RTP/AVP 0\r\na=rtcp:99999\r\n", "line 7: rtcp port", "a=rtcp"},
        BadCase{"EmptyAttributeName", kHead + "a=:x\r\n", "line 6: attribute name is empty", "a="},
        BadCase{"MediaWithoutConnection", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 1000 RTP/AVP 0\r\n",
                "media 1 (audio): no c= line", "c="},
        BadCase{"MediaBeforeOrigin", "v=0\r\nm=audio 1000 RTP/AVP 0\r\n", "line 2: m= before o= and s=", "m="},
        BadCase{"NulByte", kHead + std::string("a=x\0y\r\n", 7), "line 6: NUL character", "a="}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(SessionDescriptionTest, AcceptsBareLfAndMissingFinalNewline) {
  auto sd = SessionDescription::parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=x\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4 RTP/AVP 0");
  ASSERT_TRUE(sd) << sd.error().toString();
  EXPECT_EQ(sd->media[0].port, 4);
}

TEST(SessionDescriptionTest, DisabledMediaNeedsNoConnection) {
  auto sd = SessionDescription::parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n");
  ASSERT_TRUE(sd) << sd.error().toString();
  EXPECT_EQ(sd->effectiveConnection(0), nullptr);
}

TEST(SessionDescriptionTest, EffectiveDirectionUsesSessionDefaultAndMediaOverride) {
  auto sd = SessionDescription::parse(kHead + "a=sendonly\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\na=inactive\r\n");
  ASSERT_TRUE(sd);
  EXPECT_EQ(sd->effectiveDirection(0), Direction::SendOnly);
  EXPECT_EQ(sd->effectiveDirection(1), Direction::Inactive);
  auto plain = SessionDescription::parse(kHead + "m=audio 1 RTP/AVP 0\r\n");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->effectiveDirection(0), Direction::SendRecv);
}

TEST(SessionDescriptionTest, IsHoldDetection) {
  auto check = [](const std::string& text) {
    auto sd = SessionDescription::parse(text);
    EXPECT_TRUE(sd) << sd.error().toString();
    return sd && sd->isHold();
  };
  EXPECT_TRUE(check(kHead + "m=audio 1 RTP/AVP 0\r\na=sendonly\r\n"));
  EXPECT_TRUE(check(kHead + "a=inactive\r\nm=audio 1 RTP/AVP 0\r\n"));
  EXPECT_FALSE(check(kHead + "m=audio 1 RTP/AVP 0\r\na=recvonly\r\n"));
  EXPECT_FALSE(check(kHead + "m=audio 1 RTP/AVP 0\r\n"));
  // Held audio plus an active video stream is not a hold of the session.
  EXPECT_FALSE(check(kHead + "m=audio 1 RTP/AVP 0\r\na=sendonly\r\nm=video 2 RTP/AVP 96\r\n"));
  // Disabled streams do not count.
  EXPECT_TRUE(check(kHead + "m=audio 1 RTP/AVP 0\r\na=sendonly\r\nm=video 0 RTP/AVP 96\r\n"));
  EXPECT_FALSE(check(kHead + "m=audio 0 RTP/AVP 0\r\n"));
  // RFC 2543 hold.
  EXPECT_TRUE(check("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"));
}

TEST(SessionDescriptionTest, SetMediaAddressBumpVersionAndSetDirection) {
  auto sd = SessionDescription::parse(kOffer);
  ASSERT_TRUE(sd);
  sd->setMediaAddress(0, "2001:db8::5", 40000);
  sd->bumpVersion();
  sd->setDirection(Direction::SendOnly);
  EXPECT_TRUE(sd->isHold());
  const std::string out = sd->serialize();
  EXPECT_NE(out.find("o=alice 2890844526 2890844527 IN IP4 198.51.100.1\r\n"), std::string::npos);
  EXPECT_NE(out.find("m=audio 40000 RTP/SAVP 0 8 101\r\nc=IN IP6 2001:db8::5\r\n"), std::string::npos);
  EXPECT_EQ(out.find("a=sendrecv"), std::string::npos);
  EXPECT_EQ(out.find("a=recvonly"), std::string::npos);
  EXPECT_EQ(out.find("a=inactive"), std::string::npos);
  // The direction replaced the old one in place, keeping the attribute order.
  EXPECT_NE(out.find("a=rtcp-mux\r\na=sendonly\r\nm=video"), std::string::npos);
  auto reparsed = SessionDescription::parse(out);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(reparsed->effectiveDirection(0), Direction::SendOnly);
  EXPECT_EQ(reparsed->effectiveConnection(0)->addrtype, "IP6");
}

TEST(SessionDescriptionTest, SerializesDefaultTimingWhenBuiltByHand) {
  SessionDescription sd;
  sd.origin.address = "192.0.2.9";
  sd.connection = Connection::forAddress("192.0.2.9");
  MediaDescription m;
  m.media = "audio";
  m.port = 5004;
  m.proto = "RTP/AVP";
  m.formats = {"0"};
  m.attributes.add("rtpmap", formatRtpMap({0, "PCMU", 8000, 0}));
  sd.media.push_back(m);
  EXPECT_EQ(sd.serialize(), crlf({"v=0", "o=- 0 0 IN IP4 192.0.2.9", "s=-", "c=IN IP4 192.0.2.9", "t=0 0",
                                  "m=audio 5004 RTP/AVP 0", "a=rtpmap:0 PCMU/8000"}));
  auto back = SessionDescription::parse(sd.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->media[0].rtpMaps().at(0).encoding, "PCMU");
}

}  // namespace
}  // namespace sb::sdp
