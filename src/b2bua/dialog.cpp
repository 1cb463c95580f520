// SPDX-License-Identifier: Apache-2.0
#include "b2bua/dialog.h"

#include <algorithm>

namespace sb::b2bua {

namespace {

// The name-addr part of a From/To value, without the tag parameter.
std::string withoutTag(const sip::NameAddr& na) {
  std::string out;
  if (!na.display.empty()) {
    out += '"';
    out += na.display;
    out += "\" ";
  }
  out += '<';
  out += na.uri.raw;
  out += '>';
  na.params.forEach([&](std::string_view name, std::string_view value, bool has_value) {
    if (sip::iequals(name, "tag") || name.empty()) return;
    out += ';';
    out += name;
    if (has_value) {
      out += '=';
      out += value;
    }
  });
  return out;
}

Result<std::string> contactUri(const sip::Message& m) {
  auto contacts = m.contacts();
  if (!contacts || contacts->empty() || contacts->front().star) {
    return fail(Errc::InvalidArgument, "a dialog needs one Contact", "Contact");
  }
  return std::string(contacts->front().uri.raw);
}

bool isLooseRoute(std::string_view route_value) {
  auto na = sip::parseNameAddr(route_value);
  return na && na->uri.params.has("lr");
}

std::string routeUri(std::string_view route_value) {
  auto na = sip::parseNameAddr(route_value);
  return na ? std::string(na->uri.raw) : std::string(route_value);
}

}  // namespace

Result<Dialog> Dialog::fromUac(const sip::Message& request, const sip::Message& response) {
  auto from = request.from();
  auto to = response.to();
  auto call_id = request.callId();
  auto cseq = request.cseq();
  if (!from || !to || !call_id || !cseq) {
    return fail(Errc::InvalidArgument, "missing From/To/Call-ID/CSeq", "From");
  }
  if (to->tag.empty()) return fail(Errc::InvalidArgument, "response without To tag", "To");
  Dialog d;
  d.call_id = std::string(*call_id);
  d.local_tag = std::string(from->tag);
  d.remote_tag = std::string(to->tag);
  d.local_uri = withoutTag(*from);
  d.remote_uri = withoutTag(*to);
  d.local_cseq = cseq->number;
  auto target = contactUri(response);
  if (!target) return std::unexpected(target.error());
  d.remote_target = std::move(*target);
  for (auto rr : response.headers(sip::HeaderId::RecordRoute)) d.route_set.emplace_back(rr);
  std::reverse(d.route_set.begin(), d.route_set.end());
  return d;
}

Result<Dialog> Dialog::fromUas(const sip::Message& request, std::string_view local_tag) {
  auto from = request.from();
  auto to = request.to();
  auto call_id = request.callId();
  auto cseq = request.cseq();
  if (!from || !to || !call_id || !cseq) {
    return fail(Errc::InvalidArgument, "missing From/To/Call-ID/CSeq", "From");
  }
  Dialog d;
  d.call_id = std::string(*call_id);
  d.local_tag = std::string(local_tag);
  d.remote_tag = std::string(from->tag);
  d.local_uri = withoutTag(*to);
  d.remote_uri = withoutTag(*from);
  d.remote_cseq = cseq->number;
  // Our own requests start from an unrelated CSeq space (RFC 3261 §12.1.1).
  d.local_cseq = 1000;
  auto target = contactUri(request);
  if (!target) return std::unexpected(target.error());
  d.remote_target = std::move(*target);
  for (auto rr : request.headers(sip::HeaderId::RecordRoute)) d.route_set.emplace_back(rr);
  return d;
}

sip::Message Dialog::makeRequest(std::string_view method) {
  ++local_cseq;
  // RFC 3261 §12.2.1.1: with a strict-routing first hop the Request-URI is that route's URI
  // and the remote target goes last in the Route list.
  const bool strict = !route_set.empty() && !isLooseRoute(route_set.front());
  sip::Message m = sip::Message::request(method, strict ? routeUri(route_set.front()) : remote_target);
  m.addHeader("Max-Forwards", "70");
  m.addHeader("From", local_uri + ";tag=" + local_tag);
  m.addHeader("To", remote_tag.empty() ? remote_uri : remote_uri + ";tag=" + remote_tag);
  m.addHeader("Call-ID", call_id);
  m.addHeader("CSeq", std::to_string(local_cseq) + " " + std::string(method));
  for (size_t i = strict ? 1 : 0; i < route_set.size(); ++i) m.addHeader("Route", route_set[i]);
  if (strict) m.addHeader("Route", "<" + remote_target + ">");
  return m;
}

sip::Message Dialog::makeAck(uint32_t invite_cseq) const {
  Dialog copy = *this;
  copy.local_cseq = invite_cseq - 1;
  sip::Message ack = copy.makeRequest("ACK");
  ack.setBody("");
  return ack;
}

Status Dialog::acceptRemoteRequest(const sip::Message& request) {
  auto cseq = request.cseq();
  if (!cseq) return fail(Errc::InvalidArgument, "bad CSeq", "CSeq");
  if (request.method() != sip::Method::Ack && request.method() != sip::Method::Cancel) {
    if (remote_cseq != 0 && cseq->number <= remote_cseq) {
      return fail(Errc::OutOfRange, "CSeq lower than the last one", "CSeq");
    }
    remote_cseq = cseq->number;
  }
  if (request.method() == sip::Method::Invite || request.method() == sip::Method::Update) {
    if (auto target = contactUri(request)) remote_target = std::move(*target);
  }
  return {};
}

void Dialog::refreshFromResponse(const sip::Message& response) {
  if (auto target = contactUri(response)) remote_target = std::move(*target);
}

std::string Dialog::firstHop() const {
  return route_set.empty() ? remote_target : routeUri(route_set.front());
}

}  // namespace sb::b2bua
