// SPDX-License-Identifier: Apache-2.0
#include "sdp/session_description.h"

#include <algorithm>
#include <vector>

#include "common/assert.h"

#include "sdp/detail/text.h"

namespace sb::sdp {
namespace {

using detail::isSpace;
using detail::splitWs;

std::unexpected<Error> lineError(size_t line, std::string_view reason, std::string field) {
  return fail(Errc::InvalidArgument, "line " + std::to_string(line) + ": " + std::string(reason),
              std::move(field));
}

Result<Connection> parseConnection(std::string_view v) {
  auto parts = splitWs(v);
  if (parts.size() != 3) {
    return fail(Errc::InvalidArgument, "c= needs '<nettype> <addrtype> <address>'");
  }
  Connection c;
  c.nettype = std::string(parts[0]);
  c.addrtype = std::string(parts[1]);
  std::string_view addr = parts[2];
  size_t slash = addr.find('/');
  c.address = std::string(addr.substr(0, slash));
  if (c.address.empty()) return fail(Errc::InvalidArgument, "c= address is empty");
  if (c.address.front() == '[') {
    return fail(Errc::InvalidArgument, "c= IPv6 address must not be bracketed (RFC 8866 §5.7)");
  }
  if (slash != std::string_view::npos) {
    std::string_view rest = addr.substr(slash + 1);
    size_t slash2 = rest.find('/');
    auto first = parseU32(rest.substr(0, slash2));
    if (!first) return fail(Errc::InvalidArgument, "c= multicast suffix is not a number");
    if (c.addrtype == "IP6") {
      if (slash2 != std::string_view::npos) {
        return fail(Errc::InvalidArgument, "c= IP6 address takes only '/<number of addresses>'");
      }
      c.count = *first;
    } else {
      c.ttl = *first;
      if (slash2 != std::string_view::npos) {
        auto n = parseU32(rest.substr(slash2 + 1));
        if (!n) return fail(Errc::InvalidArgument, "c= number of addresses is not a number");
        c.count = *n;
      }
    }
  }
  return c;
}

std::string formatConnection(const Connection& c) {
  std::string out = c.nettype + " " + c.addrtype + " " + c.address;
  if (c.ttl) out += "/" + std::to_string(*c.ttl);
  if (c.count) out += "/" + std::to_string(*c.count);
  return out;
}

Result<Bandwidth> parseBandwidth(std::string_view v) {
  size_t colon = v.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(Errc::InvalidArgument, "b= needs '<bwtype>:<bandwidth>'");
  }
  auto value = parseU64(v.substr(colon + 1));
  if (!value) return fail(Errc::InvalidArgument, "b= bandwidth is not a number");
  return Bandwidth{std::string(v.substr(0, colon)), *value};
}

Result<Origin> parseOrigin(std::string_view v) {
  auto parts = splitWs(v);
  if (parts.size() != 6) {
    return fail(Errc::InvalidArgument,
                "o= needs '<username> <sess-id> <sess-version> <nettype> <addrtype> <address>'");
  }
  Origin o;
  o.username = std::string(parts[0]);
  o.session_id = std::string(parts[1]);
  auto version = parseU64(parts[2]);
  if (!version) return fail(Errc::InvalidArgument, "o= sess-version is not a number");
  o.session_version = *version;
  o.nettype = std::string(parts[3]);
  o.addrtype = std::string(parts[4]);
  o.address = std::string(parts[5]);
  return o;
}

Result<MediaDescription> parseMediaLine(std::string_view v) {
  auto parts = splitWs(v);
  if (parts.size() < 4) {
    return fail(Errc::InvalidArgument, "m= needs '<media> <port> <proto> <fmt> ...'");
  }
  MediaDescription m;
  m.media = std::string(parts[0]);
  std::string_view port = parts[1];
  size_t slash = port.find('/');
  auto p = parseU32(port.substr(0, slash));
  if (!p || *p > 65535) return fail(Errc::InvalidArgument, "m= port must be 0..65535");
  m.port = static_cast<uint16_t>(*p);
  if (slash != std::string_view::npos) {
    auto n = parseU32(port.substr(slash + 1));
    if (!n || *n == 0) return fail(Errc::InvalidArgument, "m= port count must be a positive number");
    m.port_count = *n;
  }
  m.proto = std::string(parts[2]);
  for (size_t i = 3; i < parts.size(); ++i) m.formats.emplace_back(parts[i]);
  return m;
}

// Validates the attributes whose value has a grammar we rely on.
Status validateAttribute(const Attribute& a) {
  auto need_value = [&]() -> Status {
    if (!a.has_value) return fail(Errc::InvalidArgument, "a=" + a.name + " needs a value");
    return {};
  };
  if (a.name == "rtpmap") {
    SB_TRY(need_value());
    SB_TRY(parseRtpMap(a.value));
  } else if (a.name == "fmtp") {
    SB_TRY(need_value());
    SB_TRY(parseFmtp(a.value));
  } else if (a.name == "crypto") {
    SB_TRY(need_value());
    SB_TRY(parseCrypto(a.value));
  } else if (a.name == "rtcp") {
    SB_TRY(need_value());
    SB_TRY(parseRtcp(a.value));
  } else if (a.name == "ptime" || a.name == "maxptime") {
    SB_TRY(need_value());
    if (!parseU32(a.value)) return fail(Errc::InvalidArgument, a.name + " must be an integer");
  } else if (a.name.empty()) {
    return fail(Errc::InvalidArgument, "attribute name is empty");
  }
  return {};
}

void appendLine(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void appendAttributes(std::string& out, const AttributeList& attrs) {
  for (const auto& a : attrs.items()) {
    out += "a=";
    out += a.name;
    if (a.has_value) {
      out += ':';
      out += a.value;
    }
    out += "\r\n";
  }
}

}  // namespace

Connection Connection::forAddress(std::string address) {
  Connection c;
  c.addrtype = address.find(':') != std::string::npos ? "IP6" : "IP4";
  c.address = std::move(address);
  return c;
}

const Attribute* AttributeList::find(std::string_view name) const noexcept {
  for (const auto& a : items_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<std::string_view> AttributeList::values(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& a : items_) {
    if (a.name == name) out.emplace_back(a.value);
  }
  return out;
}

void AttributeList::add(std::string name, std::optional<std::string> value) {
  Attribute a;
  a.name = std::move(name);
  if (value) {
    a.value = std::move(*value);
    a.has_value = true;
  }
  items_.push_back(std::move(a));
}

size_t AttributeList::remove(std::string_view name) {
  return std::erase_if(items_, [&](const Attribute& a) { return a.name == name; });
}

std::optional<Direction> AttributeList::direction() const noexcept {
  for (const auto& a : items_) {
    if (auto d = directionFromName(a.name)) return d;
  }
  return std::nullopt;
}

void AttributeList::setDirection(Direction d) {
  auto is_dir = [](const Attribute& a) { return directionFromName(a.name).has_value(); };
  auto first = std::find_if(items_.begin(), items_.end(), is_dir);
  if (first == items_.end()) {
    add(std::string(directionName(d)));
    return;
  }
  first->name = std::string(directionName(d));
  first->value.clear();
  first->has_value = false;
  std::erase_if(items_, [&](const Attribute& a) { return &a != &*first && is_dir(a); });
}

std::vector<RtpMap> MediaDescription::rtpMaps() const {
  std::vector<RtpMap> out;
  for (auto v : attributes.values("rtpmap")) {
    if (auto m = parseRtpMap(v)) out.push_back(std::move(*m));
  }
  return out;
}

std::optional<RtpMap> MediaDescription::rtpMap(std::string_view payload_type) const {
  auto pt = parseU32(payload_type);
  if (!pt) return std::nullopt;
  for (auto v : attributes.values("rtpmap")) {
    auto m = parseRtpMap(v);
    if (m && m->payload_type == *pt) return std::move(*m);
  }
  return std::nullopt;
}

std::optional<Fmtp> MediaDescription::fmtp(std::string_view format) const {
  for (auto v : attributes.values("fmtp")) {
    auto f = parseFmtp(v);
    if (f && f->format == format) return std::move(*f);
  }
  return std::nullopt;
}

std::vector<Crypto> MediaDescription::cryptos() const {
  std::vector<Crypto> out;
  for (auto v : attributes.values("crypto")) {
    if (auto c = parseCrypto(v)) out.push_back(std::move(*c));
  }
  return out;
}

std::optional<Rtcp> MediaDescription::rtcp() const {
  const Attribute* a = attributes.find("rtcp");
  if (a == nullptr) return std::nullopt;
  auto r = parseRtcp(a->value);
  if (!r) return std::nullopt;
  return std::move(*r);
}

std::optional<uint32_t> MediaDescription::ptime() const {
  const Attribute* a = attributes.find("ptime");
  return a ? parseU32(a->value) : std::nullopt;
}

std::optional<uint32_t> MediaDescription::maxPtime() const {
  const Attribute* a = attributes.find("maxptime");
  return a ? parseU32(a->value) : std::nullopt;
}

Result<SessionDescription> SessionDescription::parse(std::string_view text) noexcept {
  std::vector<std::string_view> lines;
  {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
  }
  if (lines.empty()) return fail(Errc::InvalidArgument, "line 1: empty session description", "v=");

  SessionDescription sd;
  sd.session_name.clear();
  bool seen_o = false;
  bool seen_s = false;
  MediaDescription* cur = nullptr;

  for (size_t idx = 0; idx < lines.size(); ++idx) {
    const size_t n = idx + 1;
    std::string_view line = lines[idx];
    if (line.empty()) return lineError(n, "empty line inside the description", "");
    if (line.size() < 2 || line[1] != '=') {
      return lineError(n, "expected '<type>=<value>'", "");
    }
    const char type = line[0];
    const std::string field = std::string(1, type) + "=";
    std::string_view value = line.substr(2);
    if (line.find('\0') != std::string_view::npos) return lineError(n, "NUL character", field);

    if (idx == 0) {
      if (type != 'v') return lineError(n, "description must start with v=", "v=");
      if (value != "0") return lineError(n, "unsupported SDP version (only v=0)", "v=");
      continue;
    }
    auto session_only = [&]() -> bool { return cur == nullptr; };
    switch (type) {
      case 'v':
        return lineError(n, "duplicate v= line", field);
      case 'o': {
        if (!session_only() || seen_o) return lineError(n, "o= must appear once, before m=", field);
        auto o = parseOrigin(value);
        if (!o) return lineError(n, o.error().message, field);
        sd.origin = std::move(*o);
        seen_o = true;
        break;
      }
      case 's':
        if (!session_only() || seen_s) return lineError(n, "s= must appear once, before m=", field);
        sd.session_name = std::string(value);
        seen_s = true;
        break;
      case 'i':
        if (cur != nullptr) {
          cur->title = std::string(value);
        } else {
          sd.info = std::string(value);
        }
        break;
      case 'u':
        if (!session_only()) return lineError(n, "u= is session-level only", field);
        sd.uri = std::string(value);
        break;
      case 'e':
        if (!session_only()) return lineError(n, "e= is session-level only", field);
        sd.emails.emplace_back(value);
        break;
      case 'p':
        if (!session_only()) return lineError(n, "p= is session-level only", field);
        sd.phones.emplace_back(value);
        break;
      case 'c': {
        auto c = parseConnection(value);
        if (!c) return lineError(n, c.error().message, field);
        if (cur != nullptr) {
          cur->connections.push_back(std::move(*c));
        } else {
          if (sd.connection) return lineError(n, "more than one session-level c=", field);
          sd.connection = std::move(*c);
        }
        break;
      }
      case 'b': {
        auto b = parseBandwidth(value);
        if (!b) return lineError(n, b.error().message, field);
        (cur != nullptr ? cur->bandwidths : sd.bandwidths).push_back(std::move(*b));
        break;
      }
      case 't': {
        if (!session_only()) return lineError(n, "t= is session-level only", field);
        auto parts = splitWs(value);
        std::optional<uint64_t> start;
        std::optional<uint64_t> stop;
        if (parts.size() == 2) {
          start = parseU64(parts[0]);
          stop = parseU64(parts[1]);
        }
        if (!start || !stop) return lineError(n, "t= needs '<start-time> <stop-time>'", field);
        sd.timings.push_back(Timing{*start, *stop, {}});
        break;
      }
      case 'r':
        if (!session_only() || sd.timings.empty()) {
          return lineError(n, "r= must follow a t= line", field);
        }
        sd.timings.back().repeats.emplace_back(value);
        break;
      case 'z':
        if (!session_only()) return lineError(n, "z= is session-level only", field);
        sd.zone = std::string(value);
        break;
      case 'k':
        (cur != nullptr ? cur->key : sd.key) = std::string(value);
        break;
      case 'a': {
        Attribute a;
        size_t colon = value.find(':');
        a.name = std::string(value.substr(0, colon));
        if (colon != std::string_view::npos) {
          a.value = std::string(value.substr(colon + 1));
          a.has_value = true;
        }
        if (auto ok = validateAttribute(a); !ok) {
          return lineError(n, ok.error().message, "a=" + a.name);
        }
        (cur != nullptr ? cur->attributes : sd.attributes).items().push_back(std::move(a));
        break;
      }
      case 'm': {
        if (!seen_o || !seen_s) return lineError(n, "m= before o= and s=", field);
        auto m = parseMediaLine(value);
        if (!m) return lineError(n, m.error().message, field);
        sd.media.push_back(std::move(*m));
        cur = &sd.media.back();
        break;
      }
      default:
        // RFC 8866 §5: a description with an unknown type letter must be ignored as a whole.
        return lineError(n, std::string("unknown line type '") + type + "'", field);
    }
  }
  if (!seen_o) return fail(Errc::InvalidArgument, "line " + std::to_string(lines.size()) + ": missing o= line", "o=");
  if (!seen_s) return fail(Errc::InvalidArgument, "line " + std::to_string(lines.size()) + ": missing s= line", "s=");
  // RFC 8866 §5.7: every media needs a c=, its own or the session's.
  if (!sd.connection) {
    for (size_t i = 0; i < sd.media.size(); ++i) {
      if (sd.media[i].connections.empty() && sd.media[i].port != 0) {
        return fail(Errc::InvalidArgument,
                    "media " + std::to_string(i + 1) + " (" + sd.media[i].media +
                        "): no c= line at session or media level",
                    "c=");
      }
    }
  }
  return sd;
}

std::string SessionDescription::serialize() const {
  std::string out;
  out.reserve(256 + media.size() * 128);
  appendLine(out, 'v', std::to_string(version));
  appendLine(out, 'o',
             origin.username + " " + origin.session_id + " " + std::to_string(origin.session_version) +
                 " " + origin.nettype + " " + origin.addrtype + " " + origin.address);
  appendLine(out, 's', session_name);
  if (info) appendLine(out, 'i', *info);
  if (uri) appendLine(out, 'u', *uri);
  for (const auto& e : emails) appendLine(out, 'e', e);
  for (const auto& p : phones) appendLine(out, 'p', p);
  if (connection) appendLine(out, 'c', formatConnection(*connection));
  for (const auto& b : bandwidths) appendLine(out, 'b', b.type + ":" + std::to_string(b.value));
  if (timings.empty()) {
    appendLine(out, 't', "0 0");
  }
  for (const auto& t : timings) {
    appendLine(out, 't', std::to_string(t.start) + " " + std::to_string(t.stop));
    for (const auto& r : t.repeats) appendLine(out, 'r', r);
  }
  if (zone) appendLine(out, 'z', *zone);
  if (key) appendLine(out, 'k', *key);
  appendAttributes(out, attributes);
  for (const auto& m : media) {
    std::string line = m.media + " " + std::to_string(m.port);
    if (m.port_count) line += "/" + std::to_string(*m.port_count);
    line += " " + m.proto;
    for (const auto& f : m.formats) line += " " + f;
    appendLine(out, 'm', line);
    if (m.title) appendLine(out, 'i', *m.title);
    for (const auto& c : m.connections) appendLine(out, 'c', formatConnection(c));
    for (const auto& b : m.bandwidths) appendLine(out, 'b', b.type + ":" + std::to_string(b.value));
    if (m.key) appendLine(out, 'k', *m.key);
    appendAttributes(out, m.attributes);
  }
  return out;
}

Direction SessionDescription::effectiveDirection(size_t media_index) const {
  if (media_index < media.size()) {
    if (auto d = media[media_index].attributes.direction()) return *d;
  }
  return attributes.direction().value_or(Direction::SendRecv);
}

const Connection* SessionDescription::effectiveConnection(size_t media_index) const {
  if (media_index < media.size() && !media[media_index].connections.empty()) {
    return &media[media_index].connections.front();
  }
  return connection ? &*connection : nullptr;
}

bool SessionDescription::isHold() const {
  bool any = false;
  for (size_t i = 0; i < media.size(); ++i) {
    if (media[i].isDisabled()) continue;
    any = true;
    Direction d = effectiveDirection(i);
    const Connection* c = effectiveConnection(i);
    // RFC 3264 §8.4 (and RFC 2543's c=0.0.0.0, still sent by old UAs) put a stream on hold.
    bool held = d == Direction::SendOnly || d == Direction::Inactive ||
                (c != nullptr && c->address == "0.0.0.0");
    if (!held) return false;
  }
  return any;
}

void SessionDescription::setMediaAddress(size_t media_index, std::string_view address, uint16_t port) {
  SB_ASSERT(media_index < media.size(), "caller passes an index of an existing m= line");
  MediaDescription& m = media[media_index];
  m.connections.clear();
  m.connections.push_back(Connection::forAddress(std::string(address)));
  m.port = port;
}

void SessionDescription::setDirection(Direction d) {
  attributes.remove("sendrecv");
  attributes.remove("sendonly");
  attributes.remove("recvonly");
  attributes.remove("inactive");
  for (auto& m : media) m.attributes.setDirection(d);
}

}  // namespace sb::sdp
