// SPDX-License-Identifier: Apache-2.0
#include "sip/message.h"

#include <gtest/gtest.h>

#include <string>

#include "sip/scan.h"

namespace sb::sip {
namespace {

const char kInvite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
    "v: SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bKa;received=[2001:db8::2];rport=7;ttl=3;maddr=m\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "f: \"Alice, A.\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "m: <sip:alice@pc33.atlanta.example.com>;expires=60, \"x,y\" <sip:b@c;a=1,2>\r\n"
    "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
    "X-Odd-Header :   keep  this ,exactly\r\n"
    "k: timer, 100rel\r\n"
    "Allow: INVITE, ACK,BYE\r\n"
    "Proxy-Authorization: Digest username=\"alice\", realm=\"atlanta.com\",\r\n"
    "  nonce=\"x,y\", uri=\"sip:bob@biloxi\", response=\"0123\", algorithm=MD5\r\n"
    "WWW-Authenticate: Digest realm=\"r\", qop=\"auth,auth-int\", nonce=\"n\"\r\n"
    "Expires: 120\r\n"
    "c: application/sdp; charset=utf-8\r\n"
    "l: 4\r\n"
    "\r\n"
    "v=0\r\n";

Message parsed(std::string_view text) {
  auto m = Message::parse(text);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().toString());
  return m ? std::move(*m) : Message{};
}

TEST(MessageTest, NamesAndMethods) {
  EXPECT_EQ(methodFromName("INVITE"), Method::Invite);
  EXPECT_EQ(methodFromName("invite"), Method::Other);
  EXPECT_EQ(methodName(Method::Subscribe), "SUBSCRIBE");
  EXPECT_EQ(headerIdFromName("i"), HeaderId::CallId);
  EXPECT_EQ(headerIdFromName("CALL-id"), HeaderId::CallId);
  EXPECT_EQ(headerIdFromName("X"), HeaderId::SessionExpires);
  EXPECT_EQ(headerIdFromName("o"), HeaderId::Event);
  EXPECT_EQ(headerIdFromName("r"), HeaderId::ReferTo);
  EXPECT_EQ(headerIdFromName("b"), HeaderId::ReferredBy);
  EXPECT_EQ(headerIdFromName("u"), HeaderId::AllowEvents);
  EXPECT_EQ(headerIdFromName("y"), HeaderId::Identity);
  EXPECT_EQ(headerIdFromName("z"), HeaderId::Unknown);
  EXPECT_EQ(headerIdFromName("X-Foo"), HeaderId::Unknown);
  for (int i = 1; i < static_cast<int>(HeaderId::Count_); ++i) {
    auto id = static_cast<HeaderId>(i);
    EXPECT_EQ(headerIdFromName(headerName(id)), id) << headerName(id);
  }
}

TEST(MessageTest, ParsesEveryTypedHeader) {
  Message m = parsed(kInvite);
  EXPECT_TRUE(m.isRequest());
  EXPECT_EQ(m.method(), Method::Invite);
  EXPECT_EQ(m.requestUri()->user, "bob");
  EXPECT_EQ(m.sipVersion(), "SIP/2.0");
  auto vias = m.vias();
  ASSERT_TRUE(vias.has_value());
  ASSERT_EQ(vias->size(), 2u);
  EXPECT_TRUE((*vias)[0].rport);
  EXPECT_EQ((*vias)[0].rport_value, 0);
  EXPECT_EQ((*vias)[0].port, 0);
  const Via& v = (*vias)[1];
  EXPECT_EQ(v.transport, "TCP");
  EXPECT_EQ(v.host, "2001:db8::1");
  EXPECT_EQ(v.port, 5061);
  EXPECT_EQ(v.received, "2001:db8::2");
  EXPECT_EQ(v.rport_value, 7);
  EXPECT_EQ(v.ttl, 3);
  EXPECT_EQ(v.maddr, "m");
  EXPECT_EQ(m.topVia()->branch, "z9hG4bK776asdhds");
  EXPECT_EQ(m.to()->display, "Bob");
  EXPECT_EQ(m.from()->display, "Alice, A.");
  EXPECT_EQ(m.from()->tag, "1928301774");
  EXPECT_EQ(*m.callId(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(m.cseq()->number, 314159u);
  EXPECT_EQ(*m.maxForwards(), 70u);
  auto c = m.contacts();
  ASSERT_TRUE(c.has_value());
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].expires, 60u);
  EXPECT_EQ((*c)[1].display, "x,y");
  EXPECT_EQ((*c)[1].uri.params.get("a"), "1,2");
  EXPECT_EQ(m.routes()->size(), 2u);
  EXPECT_EQ(m.routes()->at(1).uri.host, "p2.example.com");
  EXPECT_EQ(m.supported()->size(), 2u);
  EXPECT_EQ(m.allow()->at(2), "BYE");
  auto pa = m.proxyAuthorization();
  ASSERT_TRUE(pa.has_value());
  EXPECT_EQ((*pa)[0].scheme, "Digest");
  EXPECT_EQ((*pa)[0].param("nonce"), "x,y");
  EXPECT_EQ((*pa)[0].param("algorithm"), "MD5");
  EXPECT_EQ(m.wwwAuthenticate()->at(0).param("qop"), "auth,auth-int");
  EXPECT_EQ(*m.expires(), 120u);
  EXPECT_TRUE(m.contentType()->is("Application", "SDP"));
  EXPECT_EQ(m.contentType()->params.get("charset"), "utf-8");
  EXPECT_EQ(*m.contentLength(), 4u);
  EXPECT_EQ(m.body(), "v=0\r");
  EXPECT_EQ(*m.header("x-odd-header"), "keep  this ,exactly");
  EXPECT_EQ(m.headers(HeaderId::Via).size(), 2u);
  EXPECT_EQ(m.count(HeaderId::Contact), 1u);
  EXPECT_EQ(m.require().error().code, Errc::NotFound);
}

TEST(MessageTest, SerializeUneditedIsByteExact) {
  Message m = parsed(kInvite);
  std::string wire = kInvite;
  wire.pop_back();  // the last byte lies beyond Content-Length
  EXPECT_EQ(m.serialize(), wire);
  Message copy = m;  // offsets survive copies and moves
  Message moved = std::move(copy);
  EXPECT_EQ(moved.serialize(), wire);
  EXPECT_EQ(moved.from()->tag, "1928301774");
}

TEST(MessageTest, ProxyEdits) {
  Message m = parsed(kInvite);
  m.pushVia("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1");
  EXPECT_EQ(m.topVia()->host, "proxy.example.com");
  EXPECT_EQ(m.vias()->size(), 3u);
  ASSERT_TRUE(m.popVia().has_value());
  EXPECT_EQ(m.topVia()->host, "pc33.atlanta.example.com");
  ASSERT_TRUE(m.popFirstValue(HeaderId::Route).has_value());
  EXPECT_EQ(m.routes()->size(), 1u);
  EXPECT_EQ(m.routes()->front().uri.host, "p2.example.com");
  m.prependHeader("Record-Route", "<sip:proxy.example.com;lr>");
  m.setHeader("Max-Forwards", "69");
  m.setRequestUri("sip:bob@192.0.2.4");
  m.removeHeaders("Proxy-Authorization");
  std::string out = m.serialize();
  EXPECT_EQ(out.substr(0, 35), "INVITE sip:bob@192.0.2.4 SIP/2.0\r\nR");
  EXPECT_NE(out.find("\r\nX-Odd-Header :   keep  this ,exactly\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Proxy-Authorization"), std::string::npos);
  Message back = parsed(out);
  EXPECT_EQ(*back.maxForwards(), 69u);
  EXPECT_EQ(back.recordRoutes()->front().uri.host, "proxy.example.com");
  EXPECT_EQ(back.requestUri()->host, "192.0.2.4");
  EXPECT_EQ(back.body(), "v=0\r");
  // Popping the last values removes the field.
  ASSERT_TRUE(back.popVia().has_value());
  ASSERT_TRUE(back.popVia().has_value());
  EXPECT_EQ(back.count(HeaderId::Via), 0u);
  EXPECT_EQ(back.popVia().error().code, Errc::NotFound);
}

TEST(MessageTest, BuildRequestWithBody) {
  Message m = Message::request("OPTIONS", "sip:carol@chicago.example.com");
  m.addHeader("Via", "SIP/2.0/UDP h;branch=z9hG4bK1");
  m.addHeader("Call-ID", "abc");
  m.setBody("hello", "text/plain");
  m.setBody("hello world");
  std::string out = m.serialize();
  EXPECT_EQ(out,
            "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: abc\r\n"
            "Content-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world");
  Message back = parsed(out);
  EXPECT_EQ(back.method(), Method::Options);
  EXPECT_EQ(back.body(), "hello world");
}

TEST(MessageTest, MakeResponseCopiesDialogHeaders) {
  Message req = parsed(kInvite);
  Message r = makeResponse(req, 180, {}, "as83kd9bs");
  Message back = parsed(r.serialize());
  EXPECT_FALSE(back.isRequest());
  EXPECT_EQ(back.statusCode(), 180);
  EXPECT_EQ(back.reasonPhrase(), "Ringing");
  EXPECT_EQ(back.vias()->size(), 2u);
  EXPECT_EQ(back.to()->tag, "as83kd9bs");
  EXPECT_EQ(back.from()->tag, "1928301774");
  EXPECT_EQ(*back.callId(), *req.callId());
  EXPECT_EQ(back.cseq()->number, 314159u);
  EXPECT_EQ(*back.contentLength(), 0u);
  EXPECT_EQ(back.count(HeaderId::Contact), 0u);
  // An existing To tag is kept, not doubled.
  Message r2 = makeResponse(back, 200, "Fine", "other");
  EXPECT_EQ(parsed(r2.serialize()).to()->tag, "as83kd9bs");
  EXPECT_EQ(r2.reasonPhrase(), "Fine");
}

TEST(MessageTest, ParseErrors) {
  for (std::string_view bad : {
           "",
           "\r\n\r\n",
           "INVITE\r\n\r\n",
           "INVITE sip:a@b SIP/2.0 \r\n\r\n",
           "INVITE  sip:a@b SIP/2.0\r\n\r\n",
           "INVITE sip:a@b HTTP/1.1\r\n\r\n",
           "INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
           "INVITE sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n",
           "INVITE sip:a@b SIP/2.0\r\nl: 10\r\n\r\nshort",
           "INVITE sip:a@b SIP/2.0\r\nl: -1\r\n\r\n",
           "INVITE sip:a@b SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab",
           "SIP/2.0 99 Low\r\n\r\n",
           "SIP/2.0 700 High\r\n\r\n",
           "SIP/2.0 2000 OK\r\n\r\n",
       }) {
    EXPECT_FALSE(Message::parse(bad).has_value()) << bad;
  }
}

TEST(MessageTest, LeadingCrlfAndLfOnly) {
  Message m = parsed("\r\nOPTIONS sip:a@b SIP/2.0\nSubject: x\n l: 0\n\n");
  EXPECT_EQ(*m.header(HeaderId::Subject), "x\n l: 0");  // folding keeps the continuation
  EXPECT_EQ(m.headerCount(), 1u);
  Message n = parsed("OPTIONS sip:a@b SIP/2.0\nCall-ID: x\nl: 0\n\n");
  EXPECT_EQ(*n.callId(), "x");
  EXPECT_EQ(*n.contentLength(), 0u);
}

TEST(MessageTest, TypedErrorsNameTheHeader) {
  Message m = parsed(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;;\r\nTo: <sip:a@b\r\n"
      "CSeq: 1\r\nMax-Forwards: 256\r\nCall-ID: a\r\nCall-ID: b\r\n\r\n");
  EXPECT_EQ(m.topVia().error().field, "Via");
  EXPECT_EQ(m.to().error().field, "To");
  EXPECT_FALSE(m.cseq().has_value());
  EXPECT_FALSE(m.maxForwards().has_value());
  EXPECT_EQ(m.callId().error().field, "Call-ID");
  EXPECT_EQ(m.from().error().code, Errc::NotFound);
}

TEST(MessageTest, GrammarHelpers) {
  std::vector<std::string_view> parts;
  ASSERT_TRUE(splitList("a, \"b,c\" <x,y>, d", parts).has_value());
  EXPECT_EQ(parts, (std::vector<std::string_view>{"a", "\"b,c\" <x,y>", "d"}));
  parts.clear();
  EXPECT_FALSE(splitList("a,,b", parts).has_value());
  EXPECT_FALSE(splitList("\"open", parts).has_value());
  EXPECT_EQ(*parseUint32("0004294967295"), 4294967295u);
  EXPECT_EQ(parseUint32("4294967296").error().code, Errc::OutOfRange);
  EXPECT_FALSE(parseUint32("").has_value());
  EXPECT_TRUE(parseContact("*")->star);
  EXPECT_FALSE(parseNameAddr("Bad Name, x <sip:a@b>").has_value());
  EXPECT_FALSE(parseNameAddr("sip:a@b?x=y").has_value());
  EXPECT_FALSE(parseVia("SIP/2.0/UDP").has_value());
  EXPECT_FALSE(parseVia("SIP/2.0/UDP h;rport=70000").has_value());
  EXPECT_FALSE(parseVia("SIP/2.0/UDP h;ttl=300").has_value());
  EXPECT_FALSE(parseAuth("Digest realm").has_value());
}

// The allocation-free accessors fill caller-owned buffers, reusing their elements, and must
// agree with the vector-returning ones.
TEST(MessageTest, BufferAccessorsMatchAndReuse) {
  Message m = parsed(kInvite);
  std::vector<Via> vias(5);  // more elements than the message has: trimmed to 2
  vias[1].branch = "stale";
  ASSERT_TRUE(m.vias(vias).has_value());
  ASSERT_EQ(vias.size(), 2u);
  auto ref = m.vias();
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(vias[i].raw, (*ref)[i].raw);
    EXPECT_EQ(vias[i].host, (*ref)[i].host);
    EXPECT_EQ(vias[i].branch, (*ref)[i].branch);
    EXPECT_EQ(vias[i].port, (*ref)[i].port);
    EXPECT_EQ(vias[i].ttl, (*ref)[i].ttl);
  }
  NameAddr from;
  from.tag = "stale";
  from.bracketed = false;
  ASSERT_TRUE(m.from(from).has_value());
  EXPECT_EQ(from.display, "Alice, A.");
  EXPECT_EQ(from.tag, "1928301774");
  EXPECT_TRUE(from.bracketed);
  NameAddr to;
  to.tag = "stale";
  ASSERT_TRUE(m.to(to).has_value());
  EXPECT_EQ(to.tag, "");
  EXPECT_EQ(to.uri.user, "bob");
  std::vector<Contact> contacts;
  ASSERT_TRUE(m.contacts(contacts).has_value());
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(contacts[0].expires, 60u);
  EXPECT_FALSE(contacts[1].expires.has_value());
  EXPECT_EQ(contacts[1].display, "x,y");
  std::vector<NameAddr> routes;
  ASSERT_TRUE(m.routes(routes).has_value());
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[1].uri.host, "p2.example.com");
  EXPECT_EQ(m.recordRoutes(routes).error().code, Errc::NotFound);
  std::vector<std::string_view> tokens{"stale"};
  ASSERT_TRUE(m.allow(tokens).has_value());
  EXPECT_EQ(tokens, (std::vector<std::string_view>{"INVITE", "ACK", "BYE"}));
  ASSERT_TRUE(m.supported(tokens).has_value());
  EXPECT_EQ(tokens, (std::vector<std::string_view>{"timer", "100rel"}));
  EXPECT_EQ(m.require(tokens).error().code, Errc::NotFound);
  EXPECT_EQ(m.proxyRequire(tokens).error().code, Errc::NotFound);
  std::vector<AuthValue> auth(3);
  auth[0].params.resize(10);
  ASSERT_TRUE(m.proxyAuthorization(auth).has_value());
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0].params.size(), 6u);
  EXPECT_EQ(auth[0].param("nonce"), "x,y");
  ASSERT_TRUE(m.wwwAuthenticate(auth).has_value());
  EXPECT_EQ(auth[0].param("qop"), "auth,auth-int");
  EXPECT_EQ(m.authorization(auth).error().code, Errc::NotFound);
  EXPECT_EQ(m.proxyAuthenticate(auth).error().code, Errc::NotFound);

  // Reusing the same buffers for another message overwrites every field.
  Message r = parsed(
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
      "To: <sip:b@h>;tag=t2\r\nContact: *\r\nAllow: INFO\r\n"
      "Supported: \r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r.vias(vias).has_value());
  ASSERT_EQ(vias.size(), 1u);
  EXPECT_EQ(vias[0].port, 0);
  EXPECT_FALSE(vias[0].ttl.has_value());
  EXPECT_EQ(vias[0].maddr, "");
  EXPECT_EQ(vias[0].received, "");
  ASSERT_TRUE(r.to(to).has_value());
  EXPECT_EQ(to.display, "");
  EXPECT_EQ(to.tag, "t2");
  ASSERT_TRUE(r.contacts(contacts).has_value());
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_TRUE(contacts[0].star);
  ASSERT_TRUE(r.allow(tokens).has_value());
  EXPECT_EQ(tokens, (std::vector<std::string_view>{"INFO"}));
  ASSERT_TRUE(r.supported(tokens).has_value());
  EXPECT_TRUE(tokens.empty());
  EXPECT_EQ(r.from(from).error().code, Errc::NotFound);
}

TEST(MessageTest, BufferAccessorsReportTheSameErrors) {
  Message m = parsed(
      "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=a, SIP/2.0/UDP h:99999\r\n"
      "From: <sip:a@h\r\nTo: x y z\r\nContact: *, <sip:a@h>\r\n"
      "Allow: INVITE, , BYE\r\nSupported: a b\r\nRoute: <sip:h>,\r\n"
      "Authorization: Digest realm\r\n\r\n");
  std::vector<Via> vias;
  auto a = m.vias(vias);
  auto b = m.vias();
  ASSERT_FALSE(a.has_value());
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(a.error().field, b.error().field);
  EXPECT_EQ(a.error().message, b.error().message);
  NameAddr na;
  EXPECT_EQ(m.from(na).error().message, m.from().error().message);
  EXPECT_EQ(m.from(na).error().field, "From");
  EXPECT_EQ(m.to(na).error().message, m.to().error().message);
  std::vector<Contact> c;
  EXPECT_EQ(m.contacts(c).error().message, m.contacts().error().message);
  std::vector<std::string_view> t;
  EXPECT_EQ(m.allow(t).error().message, m.allow().error().message);
  EXPECT_EQ(m.supported(t).error().field, "Supported");
  std::vector<NameAddr> r;
  EXPECT_EQ(m.routes(r).error().message, m.routes().error().message);
  std::vector<AuthValue> au;
  EXPECT_EQ(m.authorization(au).error().message, m.authorization().error().message);
}

TEST(MessageTest, HeaderNamesMatchCaseInsensitivelyAndExactly) {
  EXPECT_EQ(headerIdFromName("cAlL-iD"), HeaderId::CallId);
  EXPECT_EQ(headerIdFromName("P-PREFERRED-IDENTITY"), HeaderId::PPreferredIdentity);
  EXPECT_EQ(headerIdFromName("proxy-authorization"), HeaderId::ProxyAuthorization);
  EXPECT_EQ(headerIdFromName("TO"), HeaderId::To);
  EXPECT_EQ(headerIdFromName(std::string_view("Call\rID")), HeaderId::Unknown);
  EXPECT_EQ(headerIdFromName("Call_ID"), HeaderId::Unknown);
  EXPECT_EQ(headerIdFromName("Vib"), HeaderId::Unknown);
  EXPECT_EQ(headerIdFromName("Contacts"), HeaderId::Unknown);
  EXPECT_EQ(headerIdFromName("P-Preferred-Identity-X"), HeaderId::Unknown);
  for (auto i = static_cast<size_t>(HeaderId::Accept); i < static_cast<size_t>(HeaderId::Count_);
       ++i) {
    auto id = static_cast<HeaderId>(i);
    EXPECT_EQ(headerIdFromName(headerName(id)), id) << headerName(id);
  }
}

// The SIMD scans against a plain loop, for every start and length around the 16-byte block
// size, with matches placed before, at and after the start (the tail block overlaps them).
TEST(ScanTest, FindByteAndFindAny4AgreeWithAPlainLoop) {
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t hit = 0; hit <= n; ++hit) {
      std::string text(n, 'x');
      if (hit < n) text[hit] = '>';
      if (n > 0) text[n / 3] = '<';  // a second hit, sometimes before the start
      for (size_t start = 0; start <= n; ++start) {
        size_t want = n;
        for (size_t j = start; j < n; ++j) {
          if (text[j] == '>') {
            want = j;
            break;
          }
        }
        EXPECT_EQ(scan::findByte(text.data(), start, n, '>'), want) << n << " " << start;
        size_t want4 = n;
        for (size_t j = start; j < n; ++j) {
          if (text[j] == '>' || text[j] == '<') {
            want4 = j;
            break;
          }
        }
        EXPECT_EQ(scan::findAny4(text.data(), start, n, '"', '<', '>', ','), want4)
            << n << " " << start;
      }
    }
  }
}

// Single-valued accessors consult a per-id presence index: every edit must keep it current.
TEST(MessageTest, SingleHeaderLookupsFollowEdits) {
  Message m = parsed(kInvite);
  EXPECT_TRUE(m.maxForwards().has_value());
  m.addHeader("Max-Forwards", "5");
  EXPECT_EQ(m.maxForwards().error().code, Errc::InvalidArgument);
  EXPECT_EQ(m.removeHeaders("max-forwards"), 2u);
  EXPECT_EQ(m.maxForwards().error().code, Errc::NotFound);
  EXPECT_FALSE(m.header(HeaderId::MaxForwards).has_value());
  m.setHeader("Max-Forwards", "9");
  EXPECT_EQ(*m.maxForwards(), 9u);
  m.prependHeader("Max-Forwards", "8");
  EXPECT_EQ(m.maxForwards().error().code, Errc::InvalidArgument);
  m.setHeader("Max-Forwards", "7");  // collapses both into one
  EXPECT_EQ(*m.maxForwards(), 7u);
  EXPECT_EQ(m.removeHeaders(HeaderId::Expires), 1u);
  EXPECT_EQ(m.expires().error().code, Errc::NotFound);
  m.addHeader("X-New", "v");
  EXPECT_EQ(*m.header("x-new"), "v");
  ASSERT_TRUE(m.popFirstValue(HeaderId::Route).has_value());
  ASSERT_TRUE(m.popFirstValue(HeaderId::Route).has_value());
  EXPECT_EQ(m.routes().error().code, Errc::NotFound);
  EXPECT_FALSE(m.header(HeaderId::Route).has_value());
  Message copy = m;
  EXPECT_EQ(*copy.maxForwards(), 7u);
  Message r = Message::response(200);
  EXPECT_EQ(r.callId().error().code, Errc::NotFound);
  r.addHeader("Call-ID", "abc");
  EXPECT_EQ(*r.callId(), "abc");
  Message dup = parsed("OPTIONS sip:h SIP/2.0\r\nCall-ID: a\r\ni: b\r\n\r\n");
  EXPECT_EQ(dup.callId().error().code, Errc::InvalidArgument);
  EXPECT_EQ(*dup.header(HeaderId::CallId), "a");
}

}  // namespace
}  // namespace sb::sip
