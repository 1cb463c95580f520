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

// parseUriInto takes a one-pass fast path for plain sip/sips URIs (16 bytes at a time) and
// falls back to the full parser otherwise; both must agree on every field and every verdict.
TEST(UriTest, IntoMatchesParseOnFastAndSlowForms) {
  const char* good[] = {
      "sip:agent-42@cc.example.com",
      "SIP:Alice@Atlanta.Example.COM:5060;transport=udp;lr",
      "sips:a:pw@host.example.com:65535;x=1;",
      "sip:host.example.com",
      "sip:203.0.113.9;lr",
      "sip:user;phone=1@a-very-long-host-name-over-16-bytes.example.com;maddr=239.255.255.1",
      "sip:a@b@c.example.com;p=q",         // userinfo ends at the last '@'
      "sip:x@h;a=b@c.example.com",         // ...even inside what looks like params
      "sip:alice%40home@example.com",      // escapes: slow path
      "sip:[2001:db8::1]:5070;lr",         // IPv6: slow path
      "sip:bob@example.com?subject=hi",    // headers: slow path
      "tel:+1-201-555-0123;phone-context=x",
      "http://example.com/a",
  };
  for (const char* text : good) {
    auto ref = parseUri(text);
    ASSERT_TRUE(ref.has_value()) << text;
    Uri out;
    out.port = 9;  // reused value: stale fields must be reset
    out.headers = "stale";
    out.has_password = true;
    ASSERT_TRUE(parseUriInto(text, out).has_value()) << text;
    EXPECT_EQ(out.raw, ref->raw);
    EXPECT_EQ(out.scheme, ref->scheme) << text;
    EXPECT_EQ(out.scheme_name, ref->scheme_name) << text;
    EXPECT_EQ(out.user, ref->user) << text;
    EXPECT_EQ(out.password, ref->password) << text;
    EXPECT_EQ(out.has_user, ref->has_user) << text;
    EXPECT_EQ(out.has_password, ref->has_password) << text;
    EXPECT_EQ(out.host, ref->host) << text;
    EXPECT_EQ(out.ipv6, ref->ipv6) << text;
    EXPECT_EQ(out.port, ref->port) << text;
    EXPECT_EQ(out.params.raw(), ref->params.raw()) << text;
    EXPECT_EQ(out.headers, ref->headers) << text;
    EXPECT_EQ(out.opaque, ref->opaque) << text;
  }
  EXPECT_EQ(u("sip:a@b@c.example.com;p=q").user, "a@b");
  EXPECT_EQ(u("sip:a@b@c.example.com;p=q").host, "c.example.com");
  const char* bad[] = {
      "sip:@host",          "sip:host:",         "sip:host:123456",  "sip:host:65536",
      "sip:host;;lr",       "sip:host;=x",       "sip:ho st",        "sip:host\x7f",
      "sip:very-long-host-name.example.com;a=<b>",  // forbidden byte in the SIMD block
      "sip:very-long-host-name.example.com\x80",    // non-ASCII byte
      "sip:",               "sip:user@",         "sip:h;a\"b",
  };
  for (const char* text : bad) {
    Uri out;
    EXPECT_FALSE(parseUriInto(text, out).has_value()) << text;
    EXPECT_FALSE(parseUri(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace sb::sip
