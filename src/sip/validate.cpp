// SPDX-License-Identifier: Apache-2.0
#include "sip/validate.h"

#include <algorithm>

namespace sb::sip {
namespace {

Rejection reject(int code, std::string reason) {
  Rejection r;
  r.code = code;
  r.reason = std::move(reason);
  return r;
}

Rejection badRequest(const Error& e, std::string_view what) {
  std::string reason = "Bad Request (";
  reason.append(e.field.empty() ? std::string(what) : e.field).append(": ").append(e.message);
  reason.append(")");
  return reject(400, std::move(reason));
}

bool tagSupported(std::string_view tag, const std::vector<std::string>& supported) {
  return std::any_of(supported.begin(), supported.end(),
                     [&](const std::string& s) { return iequals(s, tag); });
}

std::string joinUnknown(const std::vector<std::string_view>& tags,
                        const std::vector<std::string>& supported) {
  std::string out;
  for (std::string_view t : tags) {
    if (tagSupported(t, supported)) continue;
    if (!out.empty()) out.append(", ");
    out.append(t);
  }
  return out;
}

bool bodyTypeAccepted(const MediaType& mt, const std::vector<std::string>& accepted) {
  for (const std::string& a : accepted) {
    size_t slash = a.find('/');
    if (slash == std::string::npos) continue;
    if (mt.is(std::string_view(a).substr(0, slash), std::string_view(a).substr(slash + 1))) {
      return true;
    }
  }
  return false;
}

// Does an Accept entry (possibly "type/*" or "*/*") cover `type`/`subtype`?
bool acceptCovers(const MediaType& entry, std::string_view type, std::string_view subtype) {
  if (entry.type == "*") return true;
  if (!iequals(entry.type, type)) return false;
  return entry.subtype == "*" || iequals(entry.subtype, subtype);
}

// RFC 3261 §20.17: rfc1123-date, always "GMT". Only the zone is checked; an unused Date with
// another zone is a sign of a broken peer (RFC 4475 §3.1.2.12).
bool dateLooksValid(std::string_view v) {
  return v.size() > 4 && v.substr(v.size() - 4) == " GMT";
}

}  // namespace

std::optional<Rejection> checkRequest(const Message& msg, const UasPolicy& policy) {
  // §8.2.? / §21.5.6: only SIP/2.0 is spoken here.
  if (!iequals(msg.sipVersion(), "SIP/2.0")) return reject(505, "Version Not Supported");

  // Mandatory headers, each exactly once (Max-Forwards may be absent: RFC 2543 peers).
  auto call_id = msg.callId();
  if (!call_id) return badRequest(call_id.error(), "Call-ID");
  auto from = msg.from();
  if (!from) return badRequest(from.error(), "From");
  auto to = msg.to();
  if (!to) return badRequest(to.error(), "To");
  auto cseq = msg.cseq();
  if (!cseq) return badRequest(cseq.error(), "CSeq");
  auto vias = msg.vias();
  if (!vias) return badRequest(vias.error(), "Via");
  if (msg.count(HeaderId::MaxForwards) > 0) {
    auto mf = msg.maxForwards();
    if (!mf) return badRequest(mf.error(), "Max-Forwards");
  }
  if (msg.count(HeaderId::Expires) > 0) {
    auto e = msg.expires();
    if (!e) return badRequest(e.error(), "Expires");
  }
  if (msg.count(HeaderId::Contact) > 0) {
    auto c = msg.contacts();
    if (!c) return badRequest(c.error(), "Contact");
  }
  for (HeaderId id : {HeaderId::Route, HeaderId::RecordRoute}) {
    if (msg.count(id) > 0) {
      auto r = id == HeaderId::Route ? msg.routes() : msg.recordRoutes();
      if (!r) return badRequest(r.error(), headerName(id));
    }
  }
  if (msg.count(HeaderId::ContentType) > 0) {
    auto ct = msg.contentType();
    if (!ct) return badRequest(ct.error(), "Content-Type");
  }
  if (auto date = msg.header(HeaderId::Date); date && !dateLooksValid(*date)) {
    return reject(400, "Bad Request (Date: not an RFC 1123 GMT date)");
  }

  // §8.2.2.1: Request-URI scheme.
  auto ruri = msg.requestUri();
  if (!ruri) return badRequest(ruri.error(), "Request-URI");
  bool scheme_ok = ruri->scheme == Scheme::Sip || (ruri->scheme == Scheme::Sips && policy.accept_sips) ||
                   (ruri->scheme == Scheme::Tel && policy.accept_tel);
  if (!scheme_ok) return reject(416, "Unsupported URI Scheme");
  // §19.1.5: headers in a Request-URI are never meaningful (RFC 4475 §3.1.2.11).
  if (!ruri->headers.empty()) return reject(400, "Bad Request (headers in Request-URI)");

  // §8.2.1: unknown method -> 501, before the CSeq comparison (RFC 4475 §3.1.2.18).
  if (msg.method() == Method::Other) {
    Rejection r = reject(501, "Not Implemented");
    std::string allow;
    for (Method m : policy.allowed_methods) {
      if (!allow.empty()) allow.append(", ");
      allow.append(methodName(m));
    }
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  if (cseq->method_name != msg.methodName()) {
    return reject(400, "Bad Request (CSeq method does not match the request method)");
  }
  if (std::find(policy.allowed_methods.begin(), policy.allowed_methods.end(), msg.method()) ==
      policy.allowed_methods.end()) {
    Rejection r = reject(405, "Method Not Allowed");
    std::string allow;
    for (Method m : policy.allowed_methods) {
      if (!allow.empty()) allow.append(", ");
      allow.append(methodName(m));
    }
    r.headers.emplace_back("Allow", allow);
    return r;
  }

  // §10.3 step 3 (registrar): the To header holds the address-of-record; it must be a SIP
  // URI we could bind (RFC 4475 §3.3.4).
  if (msg.method() == Method::Register && !to->uri.isSip()) {
    return reject(400, "Bad Request (To of a REGISTER is not a SIP URI)");
  }

  // §8.2.2.3: Require (not for ACK/CANCEL).
  if (msg.method() != Method::Ack && msg.method() != Method::Cancel &&
      msg.count(HeaderId::Require) > 0) {
    auto req = msg.require();
    if (!req) return badRequest(req.error(), "Require");
    std::string unknown = joinUnknown(*req, policy.supported);
    if (!unknown.empty()) {
      Rejection r = reject(420, "Bad Extension");
      r.headers.emplace_back("Unsupported", unknown);
      return r;
    }
  }

  // §8.2.3: content processing, for INVITE (the offer/answer carrier).
  if (msg.method() == Method::Invite) {
    std::string accept_list;
    for (const std::string& a : policy.accepted_bodies) {
      if (!accept_list.empty()) accept_list.append(", ");
      accept_list.append(a);
    }
    if (!msg.body().empty()) {
      auto ct = msg.contentType();
      if (!ct || !bodyTypeAccepted(*ct, policy.accepted_bodies)) {
        Rejection r = reject(415, "Unsupported Media Type");
        r.headers.emplace_back("Accept", accept_list);
        return r;
      }
    }
    if (msg.count(HeaderId::Accept) > 0) {
      auto acc = msg.accept();
      if (!acc) return badRequest(acc.error(), "Accept");
      bool ok = false;
      for (const MediaType& entry : *acc) {
        for (const std::string& a : policy.accepted_bodies) {
          size_t slash = a.find('/');
          if (slash != std::string::npos &&
              acceptCovers(entry, std::string_view(a).substr(0, slash),
                           std::string_view(a).substr(slash + 1))) {
            ok = true;
          }
        }
      }
      if (!ok) {
        Rejection r = reject(406, "Not Acceptable");
        r.headers.emplace_back("Accept", accept_list);
        r.headers.emplace_back("Warning", "399 - \"Accept lists no body type we can send\"");
        return r;
      }
    }
  }
  return std::nullopt;
}

std::optional<Rejection> checkProxyRequest(const Message& msg, const ProxyPolicy& policy) {
  if (msg.count(HeaderId::MaxForwards) > 0) {
    auto mf = msg.maxForwards();
    if (!mf) return badRequest(mf.error(), "Max-Forwards");
    if (*mf == 0) return reject(483, "Too Many Hops");  // §16.3 step 2
  }
  if (msg.count(HeaderId::ProxyRequire) > 0) {  // §16.3 step 5
    auto pr = msg.proxyRequire();
    if (!pr) return badRequest(pr.error(), "Proxy-Require");
    std::string unknown = joinUnknown(*pr, policy.supported);
    if (!unknown.empty()) {
      Rejection r = reject(420, "Bad Extension");
      r.headers.emplace_back("Unsupported", unknown);
      return r;
    }
  }
  return std::nullopt;
}

Message makeRejection(const Message& request, const Rejection& rejection,
                      std::string_view to_tag) {
  Message r = makeResponse(request, rejection.code, rejection.reason, to_tag);
  for (const auto& [name, value] : rejection.headers) r.addHeader(name, value);
  return r;
}

bool viaTargetsBroadcast(const Message& msg) {
  auto vias = msg.vias();
  if (!vias) return false;
  for (const Via& v : *vias) {
    if (v.host == "255.255.255.255" || v.maddr == "255.255.255.255" ||
        v.received == "255.255.255.255") {
      return true;
    }
  }
  return false;
}

std::optional<std::string> checkResponse(const Message& msg) {
  if (msg.isRequest()) return "not a response";
  auto vias = msg.vias();
  if (!vias) return "bad Via: " + vias.error().message;
  if (auto v = msg.from(); !v) return "bad From: " + v.error().message;
  if (auto v = msg.to(); !v) return "bad To: " + v.error().message;
  if (auto v = msg.callId(); !v) return "bad Call-ID: " + v.error().message;
  if (auto v = msg.cseq(); !v) return "bad CSeq: " + v.error().message;
  if (viaTargetsBroadcast(msg)) return "Via names the broadcast address";
  return std::nullopt;
}

bool hasRfc3261Branch(const Via& via) noexcept {
  return via.branch.size() > 7 && via.branch.substr(0, 7) == "z9hG4bK";
}

}  // namespace sb::sip
