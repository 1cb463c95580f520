// SPDX-License-Identifier: Apache-2.0
// SIP parse throughput: each iteration takes ownership of a fresh copy of the datagram (as the
// transport hands over its receive buffer), parses it and then parses EVERY header into its
// typed value (Via list, name-addrs, CSeq, Contact list, auth params, ...), not just splits.
// The typed values go to caller-owned buffers reused across iterations (the allocation-free
// accessors of Message); see parseAllTyped for exactly what is parsed.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"

namespace {

using sb::sip::HeaderId;
using sb::sip::Message;

const std::string kInvite =
    "INVITE sip:agent-42@cc.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Via: SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK8a3f1.1;received=203.0.113.9\r\n"
    "Max-Forwards: 69\r\n"
    "To: \"Support\" <sip:support@cc.example.com>\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@198.51.100.7:5060;transport=udp>\r\n"
    "Record-Route: <sip:203.0.113.9;lr>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Session-Expires: 1800\r\n"
    "User-Agent: Example-Phone/7.1\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 224\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n";

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport=5060;received=198.51.100.7\r\n"
    "To: <sip:support@cc.example.com>;tag=a6c85cf\r\n"
    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:agent-42@192.0.2.10:5060>\r\n"
    "Record-Route: <sip:203.0.113.9;lr>\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    "Supported: timer\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

const std::string kRegister =
    "REGISTER sip:cc.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.55:5060;branch=z9hG4bKnashds7;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: \"Agent 42\" <sip:agent-42@cc.example.com>\r\n"
    "From: \"Agent 42\" <sip:agent-42@cc.example.com>;tag=456248\r\n"
    "Call-ID: 843817637684230@998sdasdh09\r\n"
    "CSeq: 1826 REGISTER\r\n"
    "Contact: <sip:agent-42@192.0.2.55:5060;transport=tcp>;expires=3600;q=0.7\r\n"
    "Authorization: Digest username=\"agent-42\", realm=\"cc.example.com\", "
    "nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", uri=\"sip:cc.example.com\", "
    "response=\"dfe56131d1958046689d83306477ecc\", algorithm=MD5, qop=auth, nc=00000001, "
    "cnonce=\"0a4f113b\"\r\n"
    "Expires: 3600\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, MESSAGE\r\n"
    "Supported: path, outbound, gruu\r\n"
    "User-Agent: Example-Phone/7.1\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// Caller-owned result buffers, reused across messages as a transport thread would keep them.
// Every iteration overwrites them completely: the reuse only saves the allocations.
struct Typed {
  std::vector<sb::sip::Via> vias;
  sb::sip::NameAddr from, to;
  std::vector<sb::sip::Contact> contacts;
  std::vector<sb::sip::NameAddr> record_routes, routes;
  std::vector<std::string_view> allow, supported, require;
  std::vector<sb::sip::AuthValue> authorization, proxy_authorization;
  sb::sip::Uri request_uri;
};

// Parses every header of `m` into its typed value; aborts if anything fails, so the numbers
// only ever measure complete, successful parses. Per message this parses:
//   Request-URI (requests): full URI grammar (scheme, userinfo, host, port, params);
//   Via: every via-parm of every Via field (sent-protocol, sent-by, branch/received/rport/...);
//   From, To: name-addr with display name, URI and params (tag);
//   Call-ID (checked), CSeq (number + method), Max-Forwards, Content-Length, Expires,
//   Session-Expires (numbers); Content-Type (type/subtype/params);
//   Contact: every contact (name-addr + expires param); Record-Route / Route: every name-addr;
//   Allow / Supported / Require: every token; Authorization / Proxy-Authorization: scheme
//   and every auth-param;
//   anything else (User-Agent) is free text and only read.
void parseAllTyped(const Message& m, Typed& t) {
  bool ok = true;
  auto check = [&](const auto& r) {
    ok = ok && r.has_value();
    benchmark::DoNotOptimize(r);
  };
  bool vias = false, contacts = false, rr = false, routes = false;
  for (size_t i = 0; i < m.headerCount(); ++i) {
    switch (m.headerAt(i).id) {
      case HeaderId::Via:
        if (!vias) check(m.vias(t.vias));  // all Via fields at once
        vias = true;
        break;
      case HeaderId::From: check(m.from(t.from)); break;
      case HeaderId::To: check(m.to(t.to)); break;
      case HeaderId::CallId: check(m.callId()); break;
      case HeaderId::CSeq: check(m.cseq()); break;
      case HeaderId::MaxForwards: check(m.maxForwards()); break;
      case HeaderId::Contact:
        if (!contacts) check(m.contacts(t.contacts));
        contacts = true;
        break;
      case HeaderId::RecordRoute:
        if (!rr) check(m.recordRoutes(t.record_routes));
        rr = true;
        break;
      case HeaderId::Route:
        if (!routes) check(m.routes(t.routes));
        routes = true;
        break;
      case HeaderId::Allow: check(m.allow(t.allow)); break;
      case HeaderId::Supported: check(m.supported(t.supported)); break;
      case HeaderId::Require: check(m.require(t.require)); break;
      case HeaderId::ContentType: check(m.contentType()); break;
      case HeaderId::ContentLength: check(m.contentLength()); break;
      case HeaderId::Expires: check(m.expires()); break;
      case HeaderId::Authorization: check(m.authorization(t.authorization)); break;
      case HeaderId::ProxyAuthorization:
        check(m.proxyAuthorization(t.proxy_authorization));
        break;
      case HeaderId::SessionExpires:
        check(sb::sip::parseUint32(m.headerAt(i).value));
        break;
      default:
        benchmark::DoNotOptimize(m.headerAt(i).value);  // free text (User-Agent)
        break;
    }
  }
  if (m.isRequest()) check(sb::sip::parseUriInto(m.requestUriText(), t.request_uri));
  benchmark::DoNotOptimize(t);
  benchmark::DoNotOptimize(m.body());
  if (!ok) std::abort();
}

void run(benchmark::State& state, const std::string& wire) {
  Typed t;
  for (auto _ : state) {
    auto m = Message::parse(std::string(wire));
    if (!m) std::abort();
    parseAllTyped(*m, t);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}

// For comparison only: the same typed parse through the vector-returning accessors (a fresh
// std::vector per list header and per call), as most non-hot callers use them.
void parseAllTypedVectors(const Message& m) {
  bool ok = true;
  auto check = [&](const auto& r) {
    ok = ok && r.has_value();
    benchmark::DoNotOptimize(r);
  };
  check(m.vias());
  check(m.from());
  check(m.to());
  check(m.callId());
  check(m.cseq());
  check(m.maxForwards());
  check(m.contacts());
  check(m.recordRoutes());
  check(m.allow());
  check(m.supported());
  check(m.contentType());
  check(m.contentLength());
  check(sb::sip::parseUint32(*m.header(HeaderId::SessionExpires)));
  check(m.requestUri());
  benchmark::DoNotOptimize(m.body());
  if (!ok) std::abort();
}

void BM_ParseInviteVectors(benchmark::State& state) {
  for (auto _ : state) {
    auto m = Message::parse(std::string(kInvite));
    if (!m) std::abort();
    parseAllTypedVectors(*m);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_ParseInvite(benchmark::State& state) { run(state, kInvite); }
void BM_Parse200Ok(benchmark::State& state) { run(state, kOk); }
void BM_ParseRegister(benchmark::State& state) { run(state, kRegister); }

// For comparison only: framing + header split, no typed parsing (not the headline figure).
void BM_SplitOnlyInvite(benchmark::State& state) {
  for (auto _ : state) {
    auto m = Message::parse(std::string(kInvite));
    if (!m) std::abort();
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_SerializeForwardedInvite(benchmark::State& state) {
  auto base = Message::parse(kInvite);
  std::string out;
  for (auto _ : state) {
    Message m = *base;
    m.pushVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfwd1");
    m.setHeader("Max-Forwards", "68");
    out.clear();
    m.serializeTo(out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(BM_ParseInvite);
BENCHMARK(BM_Parse200Ok);
BENCHMARK(BM_ParseRegister);
BENCHMARK(BM_SplitOnlyInvite);
BENCHMARK(BM_ParseInviteVectors);
BENCHMARK(BM_SerializeForwardedInvite);

}  // namespace

BENCHMARK_MAIN();
