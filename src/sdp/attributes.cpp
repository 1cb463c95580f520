// SPDX-License-Identifier: Apache-2.0
#include "sdp/attributes.h"

#include <charconv>
#include <limits>
#include <vector>

#include "sdp/detail/text.h"

namespace sb::sdp {
namespace {

using detail::isSpace;
using detail::splitWs;

template <typename T>
std::optional<T> parseUnsigned(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  T v{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::optional<uint32_t> parseU32(std::string_view s) noexcept { return parseUnsigned<uint32_t>(s); }
std::optional<uint64_t> parseU64(std::string_view s) noexcept { return parseUnsigned<uint64_t>(s); }

std::string_view directionName(Direction d) noexcept {
  switch (d) {
    case Direction::SendRecv: return "sendrecv";
    case Direction::SendOnly: return "sendonly";
    case Direction::RecvOnly: return "recvonly";
    case Direction::Inactive: return "inactive";
  }
  return "sendrecv";
}

std::optional<Direction> directionFromName(std::string_view name) noexcept {
  if (name == "sendrecv") return Direction::SendRecv;
  if (name == "sendonly") return Direction::SendOnly;
  if (name == "recvonly") return Direction::RecvOnly;
  if (name == "inactive") return Direction::Inactive;
  return std::nullopt;
}

Direction reverse(Direction d) noexcept {
  switch (d) {
    case Direction::SendOnly: return Direction::RecvOnly;
    case Direction::RecvOnly: return Direction::SendOnly;
    default: return d;
  }
}

Result<RtpMap> parseRtpMap(std::string_view value) noexcept {
  auto parts = splitWs(value);
  if (parts.size() != 2) return fail(Errc::InvalidArgument, "rtpmap needs '<pt> <encoding>/<clock>'");
  auto pt = parseU32(parts[0]);
  if (!pt || *pt > 127) return fail(Errc::InvalidArgument, "rtpmap payload type must be 0..127");
  RtpMap m;
  m.payload_type = static_cast<uint8_t>(*pt);
  std::string_view enc = parts[1];
  size_t slash = enc.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return fail(Errc::InvalidArgument, "rtpmap needs '<encoding>/<clock rate>'");
  }
  m.encoding = std::string(enc.substr(0, slash));
  std::string_view rest = enc.substr(slash + 1);
  size_t slash2 = rest.find('/');
  auto clock = parseU32(rest.substr(0, slash2));
  if (!clock || *clock == 0) return fail(Errc::InvalidArgument, "rtpmap clock rate must be a positive integer");
  m.clock_rate = *clock;
  if (slash2 != std::string_view::npos) {
    auto ch = parseU32(rest.substr(slash2 + 1));
    if (!ch || *ch == 0) return fail(Errc::InvalidArgument, "rtpmap channels must be a positive integer");
    m.channels = *ch;
  }
  return m;
}

std::string formatRtpMap(const RtpMap& m) {
  std::string out = std::to_string(m.payload_type) + " " + m.encoding + "/" + std::to_string(m.clock_rate);
  if (m.channels != 0) out += "/" + std::to_string(m.channels);
  return out;
}

Result<Fmtp> parseFmtp(std::string_view value) noexcept {
  size_t i = 0;
  while (i < value.size() && !isSpace(value[i])) ++i;
  if (i == 0) return fail(Errc::InvalidArgument, "fmtp needs '<format> <parameters>'");
  Fmtp f;
  f.format = std::string(value.substr(0, i));
  while (i < value.size() && isSpace(value[i])) ++i;
  f.parameters = std::string(value.substr(i));
  return f;
}

std::string formatFmtp(const Fmtp& f) {
  if (f.parameters.empty()) return f.format;
  return f.format + " " + f.parameters;
}

std::string_view Crypto::inlineKey() const noexcept {
  std::string_view kp = key_params;
  constexpr std::string_view kInline = "inline:";
  if (kp.substr(0, kInline.size()) != kInline) return {};
  kp.remove_prefix(kInline.size());
  size_t end = kp.find_first_of("|;");
  return kp.substr(0, end);
}

Result<Crypto> parseCrypto(std::string_view value) noexcept {
  // RFC 4568 §9.1: tag 1*9DIGIT, then crypto-suite, key-params, optional session-params.
  size_t i = 0;
  auto next = [&]() -> std::string_view {
    while (i < value.size() && isSpace(value[i])) ++i;
    size_t start = i;
    while (i < value.size() && !isSpace(value[i])) ++i;
    return value.substr(start, i - start);
  };
  std::string_view tag = next();
  std::string_view suite = next();
  std::string_view key = next();
  if (tag.empty() || suite.empty() || key.empty()) {
    return fail(Errc::InvalidArgument, "crypto needs '<tag> <suite> <key-params>'");
  }
  auto t = parseU32(tag);
  if (!t || tag.size() > 9) return fail(Errc::InvalidArgument, "crypto tag must be 1-9 digits");
  if (!isToken(suite)) return fail(Errc::InvalidArgument, "crypto suite is not a token");
  if (key.find(':') == std::string_view::npos) {
    return fail(Errc::InvalidArgument, "crypto key-params need '<method>:<info>'");
  }
  Crypto c;
  c.tag = *t;
  c.suite = std::string(suite);
  c.key_params = std::string(key);
  while (i < value.size() && isSpace(value[i])) ++i;
  std::string_view rest = value.substr(i);
  while (!rest.empty() && isSpace(rest.back())) rest.remove_suffix(1);
  c.session_params = std::string(rest);
  return c;
}

std::string formatCrypto(const Crypto& c) {
  std::string out = std::to_string(c.tag) + " " + c.suite + " " + c.key_params;
  if (!c.session_params.empty()) out += " " + c.session_params;
  return out;
}

Result<Rtcp> parseRtcp(std::string_view value) noexcept {
  auto parts = splitWs(value);
  if (parts.size() != 1 && parts.size() != 4) {
    return fail(Errc::InvalidArgument, "rtcp needs '<port> [<nettype> <addrtype> <address>]'");
  }
  auto port = parseU32(parts[0]);
  if (!port || *port > 65535) return fail(Errc::InvalidArgument, "rtcp port must be 0..65535");
  Rtcp r;
  r.port = static_cast<uint16_t>(*port);
  if (parts.size() == 4) {
    r.nettype = std::string(parts[1]);
    r.addrtype = std::string(parts[2]);
    r.address = std::string(parts[3]);
  }
  return r;
}

std::string formatRtcp(const Rtcp& r) {
  std::string out = std::to_string(r.port);
  if (!r.address.empty()) out += " " + r.nettype + " " + r.addrtype + " " + r.address;
  return out;
}

}  // namespace sb::sdp
