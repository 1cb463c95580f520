// SPDX-License-Identifier: Apache-2.0
// Request/response sanity checks of RFC 3261 §8.2 (UAS), §16.3 (proxy) and §18.1.2 (client
// transport) as pure functions over a parsed Message: they say which response to send (or
// whether to drop), the caller sends it. No state; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sip/message.h"

namespace sb::sip {

// The response a UAS/proxy should send instead of processing the request.
struct Rejection {
  int code = 400;
  std::string reason;  // reason phrase, says what is wrong
  std::vector<std::pair<std::string, std::string>> headers;  // Unsupported, Allow, Accept, ...
};

struct UasPolicy {
  // Methods this UAS implements (405 + Allow for a known method not listed here).
  std::vector<Method> allowed_methods{Method::Invite, Method::Ack,      Method::Bye,
                                      Method::Cancel, Method::Options,  Method::Register,
                                      Method::Info,   Method::Update,   Method::Prack,
                                      Method::Message, Method::Notify,  Method::Refer};
  // Option tags we support (420 for others in Require).
  std::vector<std::string> supported{"100rel", "timer", "replaces", "path", "outbound"};
  // Body types an INVITE may carry (415 + Accept otherwise) and that we can answer with (406
  // when the INVITE's Accept lists none of them).
  std::vector<std::string> accepted_bodies{"application/sdp"};
  // Accept the sips: and tel: Request-URI schemes besides sip:.
  bool accept_sips = true;
  bool accept_tel = true;
};

// UAS checks, in RFC 3261 §8.2 order: 505 version, 400 malformed/missing/duplicated mandatory
// header or out-of-range number, 416 Request-URI scheme, 501 unknown method, 400 CSeq method
// mismatch, 405 method not allowed, 420 unknown Require tag, 415 body type, 406 Accept.
// A request with Max-Forwards: 0 passes (a UAS processes it; see checkProxyRequest).
// nullopt: process the request. Requires msg.isRequest().
std::optional<Rejection> checkRequest(const Message& msg, const UasPolicy& policy);

struct ProxyPolicy {
  std::vector<std::string> supported;  // option tags this proxy understands (Proxy-Require)
};

// RFC 3261 §16.3 extras for a proxy after checkRequest-style syntax checks: 483 when
// Max-Forwards is 0 (OPTIONS included; the proxy may answer it itself), 420 with Unsupported
// for unknown Proxy-Require tags.
std::optional<Rejection> checkProxyRequest(const Message& msg, const ProxyPolicy& policy);

// Builds the response for a rejection (makeResponse + the extra headers).
Message makeRejection(const Message& request, const Rejection& rejection,
                      std::string_view to_tag = {});

// Why an incoming response must be silently dropped (RFC 3261 §18.1.2 / RFC 4475 §3.1.2.5,
// §3.3.10), nullopt to process it: missing or repeated Via/From/To/Call-ID/CSeq, CSeq out of
// range, or a Via sent-by that is the broadcast address 255.255.255.255.
std::optional<std::string> checkResponse(const Message& msg);

// True when any Via of the message names 255.255.255.255 as sent-by or maddr/received.
bool viaTargetsBroadcast(const Message& msg);

// RFC 3261 §8.1.1.7: the branch starts with the magic cookie and carries an id after it.
// False means "RFC 2543 peer": transactions fall back to §17.2.3 matching.
bool hasRfc3261Branch(const Via& via) noexcept;

}  // namespace sb::sip
