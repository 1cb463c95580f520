// SPDX-License-Identifier: Apache-2.0
// libFuzzer: arbitrary bytes through the SIP parser, every typed accessor, validation,
// stream framing, editing and serialization. Must never crash, leak or trip UBSan.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/framing.h"
#include "sip/message.h"
#include "sip/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)sb::sip::frameStream(bytes);
  auto msg = sb::sip::Message::parse(bytes);
  if (!msg) return 0;
  const sb::sip::Message& m = *msg;
  (void)m.requestUri();
  (void)m.vias();
  (void)m.topVia();
  (void)m.from();
  (void)m.to();
  (void)m.callId();
  (void)m.cseq();
  (void)m.maxForwards();
  (void)m.contacts();
  (void)m.routes();
  (void)m.recordRoutes();
  (void)m.contentLength();
  (void)m.contentType();
  (void)m.expires();
  (void)m.allow();
  (void)m.supported();
  (void)m.require();
  (void)m.proxyRequire();
  (void)m.accept();
  (void)m.authorization();
  (void)m.proxyAuthorization();
  (void)m.wwwAuthenticate();
  (void)m.proxyAuthenticate();
  for (size_t i = 0; i < m.headerCount(); ++i) (void)m.headers(m.headerAt(i).id);
  if (m.isRequest()) {
    auto rej = sb::sip::checkRequest(m, sb::sip::UasPolicy{});
    (void)sb::sip::checkProxyRequest(m, sb::sip::ProxyPolicy{});
    sb::sip::Message resp = rej ? sb::sip::makeRejection(m, *rej, "fz")
                                : sb::sip::makeResponse(m, 200, {}, "fz");
    (void)sb::sip::Message::parse(resp.serialize());
  } else {
    (void)sb::sip::checkResponse(m);
  }
  // Proxy-style edits, then the result must still parse.
  sb::sip::Message e = m;
  e.pushVia("SIP/2.0/UDP fuzz.example.com;branch=z9hG4bKfuzz");
  (void)e.popFirstValue(sb::sip::HeaderId::Route);
  (void)e.popVia();
  e.setHeader("Max-Forwards", "69");
  e.setBody(m.body());
  (void)sb::sip::Message::parse(e.serialize());
  return 0;
}
