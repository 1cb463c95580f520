// SPDX-License-Identifier: Apache-2.0
#include "sip/uri.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

Uri u(std::string_view s) {
  auto r = parseUri(s);
  EXPECT_TRUE(r.has_value()) << s;
  return r ? *r : Uri{};
}

TEST(UriTest, ParsesSipComponents) {
  Uri x = u("sips:alice:secret@Example.COM:5061;transport=tcp;lr?subject=hi&priority=urgent");
  EXPECT_EQ(x.scheme, Scheme::Sips);
  EXPECT_EQ(x.user, "alice");
  EXPECT_EQ(x.password, "secret");
  EXPECT_EQ(x.host, "Example.COM");
  EXPECT_EQ(x.port, 5061);
  EXPECT_EQ(x.params.get("transport"), "tcp");
  EXPECT_EQ(x.params.get("LR"), "");
  EXPECT_FALSE(x.params.get("maddr").has_value());
  EXPECT_EQ(x.headers, "subject=hi&priority=urgent");
  EXPECT_EQ(x.hostPort(), "Example.COM:5061");
}

TEST(UriTest, ParsesIpv6AndTelAndOther) {
  Uri v6 = u("sip:[2001:db8::1]:5070");
  EXPECT_TRUE(v6.ipv6);
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.port, 5070);
  EXPECT_EQ(v6.hostPort(), "[2001:db8::1]:5070");
  Uri tel = u("tel:+1-201-555-0123;phone-context=example.com");
  EXPECT_EQ(tel.scheme, Scheme::Tel);
  EXPECT_EQ(tel.user, "+1-201-555-0123");
  EXPECT_EQ(tel.params.get("phone-context"), "example.com");
  Uri http = u("http://www.example.com/a?b");
  EXPECT_EQ(http.scheme, Scheme::Other);
  EXPECT_EQ(http.opaque, "//www.example.com/a?b");
}

TEST(UriTest, RejectsMalformed) {
  for (std::string_view bad :
       {"", "sip:", "sip:user@", "<sip:a@b>", "sip:a@b c", "sip:user@2001:db8::10",
        "sip:a@[2001:db8::1", "sip:a@b:99999", "sip:a@b:x", "sip:a%4@b", "sip:@host",
        "1sip:a@b", "sip:a@b;;x", "tel:", "sip:a@b?"}) {
    EXPECT_FALSE(parseUri(bad).has_value()) << bad;
  }
}

TEST(UriTest, UnescapesOnce) {
  EXPECT_EQ(unescape("value%25%34%31"), "value%41");
  EXPECT_EQ(unescape("%41%zz%4"), "A%zz%4");
}

// RFC 3261 §19.1.4 examples.
TEST(UriTest, EquivalentPairsFromRfc3261) {
  auto eq = [](std::string_view a, std::string_view b) { return uriEquals(u(a), u(b)); };
  EXPECT_TRUE(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
  EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
  EXPECT_TRUE(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
  EXPECT_TRUE(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
                 "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
  EXPECT_TRUE(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
                 "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
}

TEST(UriTest, NonEquivalentPairsFromRfc3261) {
  auto eq = [](std::string_view a, std::string_view b) { return uriEquals(u(a), u(b)); };
  EXPECT_FALSE(eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
  EXPECT_FALSE(eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
  EXPECT_FALSE(eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
  EXPECT_FALSE(eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
  EXPECT_FALSE(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
  EXPECT_FALSE(eq("sip:a@b", "sips:a@b"));
  EXPECT_FALSE(eq("sip:a@b;maddr=x", "sip:a@b"));
}

// Found by sip_uri_fuzz: a repeated parameter made a URI unequal to itself.
TEST(UriTest, RepeatedParameterStillReflexive) {
  Uri x = u("sip:user;par=ux0a%4emple.sssss:ussssssuser;par=ux0a%4emple.sssss:usss:userxample.com");
  EXPECT_TRUE(uriEquals(x, x));
  EXPECT_TRUE(uriEquals(u("sip:h;p=1;p=2"), u("sip:h;p=1")));
}

TEST(UriTest, TelAndOtherComparison) {
  EXPECT_TRUE(uriEquals(u("tel:+1-201-555-0123"), u("tel:+1.201.555.0123")));
  EXPECT_FALSE(uriEquals(u("tel:+12015550123"), u("tel:+12015550124")));
  EXPECT_TRUE(uriEquals(u("http://x/y"), u("HTTP://x/y")));
  EXPECT_FALSE(uriEquals(u("http://x/y"), u("http://x/Y")));
}

}  // namespace
}  // namespace sb::sip
