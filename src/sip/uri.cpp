// SPDX-License-Identifier: Apache-2.0
#include "sip/uri.h"

#include <array>
#include <charconv>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sip/scan.h"

namespace sb::sip {
namespace {

constexpr std::array<unsigned char, 256> makeLower() {
  std::array<unsigned char, 256> t{};
  for (int i = 0; i < 256; ++i) {
    t[i] = static_cast<unsigned char>((i >= 'A' && i <= 'Z') ? i + 32 : i);
  }
  return t;
}
constexpr auto kLower = makeLower();

inline unsigned char lower(char c) { return kLower[static_cast<unsigned char>(c)]; }

int hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Characters never allowed unescaped anywhere in a URI we accept.
constexpr std::array<bool, 256> makeForbidden() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = c <= 0x20 || c >= 0x7f;
  for (char c : std::string_view("<>\"\\{}|^`")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kForbidden = makeForbidden();

inline bool isForbidden(char c) { return kForbidden[static_cast<unsigned char>(c)]; }

// Every '%' must start a %HH escape; forbidden characters are rejected.
bool checkEscapedText(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      if (hexVal(s[i + 1]) < 0 || hexVal(s[i + 2]) < 0) return false;
      i += 2;
    } else if (isForbidden(c)) {
      return false;
    }
  }
  return true;
}

bool checkHostname(std::string_view h) {
  if (h.empty()) return false;
  for (char c : h) {
    if (!(isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_')) return false;
  }
  return true;
}

bool checkIpv6(std::string_view h) {
  if (h.size() < 2) return false;
  bool colon = false;
  for (char c : h) {
    if (c == ':') {
      colon = true;
    } else if (!(hexVal(c) >= 0 || c == '.')) {
      return false;
    }
  }
  return colon;
}

// Next decoded octet of `s` at `i` (advances i); %HH counts as the octet it encodes.
unsigned char nextOctet(std::string_view s, size_t& i) {
  if (s[i] == '%' && i + 2 < s.size() && hexVal(s[i + 1]) >= 0 && hexVal(s[i + 2]) >= 0) {
    auto v = static_cast<unsigned char>(hexVal(s[i + 1]) * 16 + hexVal(s[i + 2]));
    i += 3;
    return v;
  }
  return static_cast<unsigned char>(s[i++]);
}

// Equality after decoding %HH once on both sides; optionally case-insensitive.
bool escapedEquals(std::string_view a, std::string_view b, bool ci) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    unsigned char x = nextOctet(a, i);
    unsigned char y = nextOctet(b, j);
    if (ci) {
      x = kLower[x];
      y = kLower[y];
    }
    if (x != y) return false;
  }
  return i == a.size() && j == b.size();
}

Result<uint16_t> parsePort(std::string_view p) {
  if (p.empty() || p.size() > 5) return fail(Errc::InvalidArgument, "bad port", "uri");
  for (char c : p) {
    if (!isDigit(c)) return fail(Errc::InvalidArgument, "bad port", "uri");
  }
  unsigned v = 0;
  std::from_chars(p.data(), p.data() + p.size(), v);
  if (v > 65535) return fail(Errc::InvalidArgument, "port above 65535", "uri");
  return static_cast<uint16_t>(v);
}

Status parseHostPort(std::string_view hp, Uri& u) {
  if (!hp.empty() && hp.front() == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) {
      return fail(Errc::InvalidArgument, "unterminated IPv6 reference", "uri");
    }
    u.host = hp.substr(1, close - 1);
    u.ipv6 = true;
    if (!checkIpv6(u.host)) return fail(Errc::InvalidArgument, "bad IPv6 reference", "uri");
    std::string_view rest = hp.substr(close + 1);
    if (rest.empty()) return {};
    if (rest.front() != ':') return fail(Errc::InvalidArgument, "junk after IPv6 reference", "uri");
    auto port = parsePort(rest.substr(1));
    if (!port) return std::unexpected(port.error());
    u.port = *port;
    return {};
  }
  size_t colon = hp.find(':');
  u.host = hp.substr(0, colon);
  if (!checkHostname(u.host)) {
    return fail(Errc::InvalidArgument, "bad host (IPv6 needs brackets)", "uri");
  }
  if (colon != std::string_view::npos) {
    auto port = parsePort(hp.substr(colon + 1));
    if (!port) return std::unexpected(port.error());
    u.port = *port;
  }
  return {};
}

Status checkParams(std::string_view raw) {
  if (!checkEscapedText(raw)) return fail(Errc::InvalidArgument, "bad uri parameter", "uri");
  bool ok = true;
  ParamList(raw).forEach([&](std::string_view name, std::string_view, bool) {
    if (name.empty()) ok = false;
  });
  if (!ok) return fail(Errc::InvalidArgument, "empty uri parameter", "uri");
  return {};
}

// Header list "a=b&c=d": every entry of `a` has an equal entry in `b` (names ci).
bool headersSubset(std::string_view a, std::string_view b) {
  size_t pos = 0;
  while (pos <= a.size()) {
    size_t amp = a.find('&', pos);
    std::string_view item = a.substr(pos, amp == std::string_view::npos ? a.npos : amp - pos);
    size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    bool found = false;
    size_t q = 0;
    while (q <= b.size() && !found) {
      size_t amp2 = b.find('&', q);
      std::string_view it2 = b.substr(q, amp2 == std::string_view::npos ? b.npos : amp2 - q);
      size_t eq2 = it2.find('=');
      std::string_view n2 = it2.substr(0, eq2);
      std::string_view v2 = eq2 == std::string_view::npos ? std::string_view{} : it2.substr(eq2 + 1);
      if (escapedEquals(name, n2, true) && escapedEquals(value, v2, false)) found = true;
      if (amp2 == std::string_view::npos) break;
      q = amp2 + 1;
    }
    if (!found) return false;
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return true;
}

bool sipEquals(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  if (a.has_user != b.has_user || a.has_password != b.has_password) return false;
  if (!escapedEquals(a.user, b.user, false)) return false;
  if (!escapedEquals(a.password, b.password, false)) return false;
  if (!escapedEquals(a.host, b.host, true) || a.ipv6 != b.ipv6) return false;
  if (a.port != b.port) return false;
  // RFC 3261 §19.1.4: these must match if present in either URI.
  for (std::string_view name : {"user", "ttl", "method", "maddr", "transport"}) {
    auto x = a.params.get(name);
    auto y = b.params.get(name);
    if (x.has_value() != y.has_value()) return false;
    if (x && !escapedEquals(*x, *y, true)) return false;
  }
  // Other parameters are compared only when both carry them.
  bool ok = true;
  a.params.forEach([&](std::string_view name, std::string_view value, bool) {
    if (!ok) return;
    // A repeated parameter counts once, by its first occurrence (as get() reads it).
    if (a.params.get(name)->data() != value.data()) return;
    std::optional<std::string_view> other;
    b.params.forEach([&](std::string_view n2, std::string_view v2, bool) {
      if (!other && escapedEquals(name, n2, true)) other = v2;
    });
    if (other && !escapedEquals(value, *other, true)) ok = false;
  });
  if (!ok) return false;
  // Header components are never ignored: both must carry the same set.
  if (a.headers.empty() != b.headers.empty()) return false;
  if (!a.headers.empty()) {
    return headersSubset(a.headers, b.headers) && headersSubset(b.headers, a.headers);
  }
  return true;
}

bool telDigitsEqual(std::string_view a, std::string_view b) {
  auto visual = [](char c) { return c == '-' || c == '.' || c == '(' || c == ')'; };
  size_t i = 0;
  size_t j = 0;
  while (true) {
    while (i < a.size() && visual(a[i])) ++i;
    while (j < b.size() && visual(b[j])) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (lower(a[i]) != lower(b[j])) return false;
    ++i;
    ++j;
  }
}

bool paramsSameSet(const ParamList& a, const ParamList& b) {
  size_t na = 0;
  size_t nb = 0;
  bool ok = true;
  a.forEach([&](std::string_view n, std::string_view v, bool) {
    ++na;
    auto other = b.get(n);
    if (!other || !escapedEquals(v, *other, true)) ok = false;
  });
  b.forEach([&](std::string_view, std::string_view, bool) { ++nb; });
  return ok && na == nb;
}

}  // namespace

std::optional<std::string_view> ParamList::get(std::string_view name) const noexcept {
  std::optional<std::string_view> found;
  forEach([&](std::string_view n, std::string_view v, bool) {
    if (!found && iequals(n, name)) found = v;
  });
  return found;
}

std::string Uri::hostPort() const {
  std::string out;
  if (ipv6) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  if (port != 0) out.append(":").append(std::to_string(port));
  return out;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) out.push_back(static_cast<char>(nextOctet(text, i)));
  return out;
}

namespace {

// Reference parser: handles every form and produces the exact error for each rejection.
Result<Uri> parseUriSlow(std::string_view text) noexcept {
  Uri u;
  u.raw = text;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !isAlpha(text[0])) {
    return fail(Errc::InvalidArgument, "URI without a scheme", "uri");
  }
  u.scheme_name = text.substr(0, colon);
  for (char c : u.scheme_name) {
    if (!(isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.')) {
      return fail(Errc::InvalidArgument, "bad URI scheme", "uri");
    }
  }
  std::string_view rest = text.substr(colon + 1);
  if (iequals(u.scheme_name, "sip")) {
    u.scheme = Scheme::Sip;
  } else if (iequals(u.scheme_name, "sips")) {
    u.scheme = Scheme::Sips;
  } else if (iequals(u.scheme_name, "tel")) {
    u.scheme = Scheme::Tel;
  } else {
    u.scheme = Scheme::Other;
    if (rest.empty()) return fail(Errc::InvalidArgument, "empty URI", "uri");
    for (char c : rest) {
      if (isForbidden(c) && static_cast<unsigned char>(c) < 0x80) {
        return fail(Errc::InvalidArgument, "bad character in URI", "uri");
      }
    }
    u.opaque = rest;
    return u;
  }

  if (u.scheme == Scheme::Tel) {
    size_t semi = rest.find(';');
    u.user = rest.substr(0, semi);
    u.has_user = true;
    if (u.user.empty() || !checkEscapedText(u.user)) {
      return fail(Errc::InvalidArgument, "bad tel number", "uri");
    }
    if (semi != std::string_view::npos) {
      u.params = ParamList(rest.substr(semi + 1));
      SB_TRY(checkParams(u.params.raw()));
    }
    return u;
  }

  // sip / sips: userinfo ends at the last '@' (user may hold ';', '?', '/', ...; hostport,
  // params and headers never hold an unescaped '@').
  size_t at = rest.rfind('@');
  std::string_view hostpart = rest;
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    hostpart = rest.substr(at + 1);
    size_t pc = userinfo.find(':');
    u.user = userinfo.substr(0, pc);
    u.has_user = true;
    if (pc != std::string_view::npos) {
      u.password = userinfo.substr(pc + 1);
      u.has_password = true;
    }
    if (u.user.empty() || !checkEscapedText(userinfo)) {
      return fail(Errc::InvalidArgument, "bad URI userinfo", "uri");
    }
  }
  size_t q = hostpart.find('?');
  if (q != std::string_view::npos) {
    u.headers = hostpart.substr(q + 1);
    if (u.headers.empty() || !checkEscapedText(u.headers)) {
      return fail(Errc::InvalidArgument, "bad URI headers", "uri");
    }
    hostpart = hostpart.substr(0, q);
  }
  size_t semi = hostpart.find(';');
  if (semi != std::string_view::npos) {
    u.params = ParamList(hostpart.substr(semi + 1));
    SB_TRY(checkParams(u.params.raw()));
    hostpart = hostpart.substr(0, semi);
  }
  SB_TRY(parseHostPort(hostpart, u));
  return u;
}

// Character classes for the sip/sips fast path (the common "sip:user@host:port;params").
enum : uint8_t { kFastPlain = 0, kFastAt = 1, kFastOther = 2 };
constexpr std::array<uint8_t, 256> makeFastClass() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = kForbidden[c] ? kFastOther : kFastPlain;
  t[static_cast<unsigned char>('@')] = kFastAt;
  // Escapes, URI headers and IPv6 references are left to the reference parser.
  for (char c : std::string_view("%?[]")) t[static_cast<unsigned char>(c)] = kFastOther;
  return t;
}
constexpr auto kFastClass = makeFastClass();

constexpr std::array<bool, 256> makeHostChar() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
  }
  return t;
}
constexpr auto kHostChar = makeHostChar();

// Parses the plain sip/sips form in one pass. Returns false when the text needs the
// reference parser (escapes, '?', IPv6, tel/other schemes, or anything it would reject);
// when it returns true, `u` equals what the reference parser yields.
bool parseSipFast(std::string_view text, Uri& u) noexcept {
  size_t colon;
  if (text.size() > 4 && lower(text[3]) == ':' ) {
    colon = 3;
  } else if (text.size() > 5 && text[4] == ':' && lower(text[3]) == 's') {
    colon = 4;
  } else {
    return false;
  }
  if (lower(text[0]) != 's' || lower(text[1]) != 'i' || lower(text[2]) != 'p') return false;
  std::string_view rest = scan::slice(text, colon + 1);
  const char* d = rest.data();
  const size_t n = rest.size();
  size_t at = std::string_view::npos;
  size_t i0 = 0;
#if defined(__SSE2__)
  // 16 bytes at a time: any kFastOther byte sends the text to the reference parser; '@'
  // positions are remembered (the last one ends the userinfo).
  {
    const __m128i space = _mm_set1_epi8(0x21);  // signed compare: also catches >= 0x80
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i at_c = _mm_set1_epi8('@');
    auto eq = [](__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    // Whole blocks, then the tail as one overlapping block (bytes seen twice are harmless:
    // they were clean, and the last '@' is the highest position either way).
    for (size_t next = 0; next < n && n >= 16; next = i0) {
      i0 = next + 16 <= n ? next : n - 16;
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i0));
      __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del));
      bad = _mm_or_si128(bad, _mm_or_si128(_mm_or_si128(eq(v, '<'), eq(v, '>')),
                                           _mm_or_si128(eq(v, '"'), eq(v, '\\'))));
      bad = _mm_or_si128(bad, _mm_or_si128(_mm_or_si128(eq(v, '{'), eq(v, '}')),
                                           _mm_or_si128(eq(v, '|'), eq(v, '^'))));
      bad = _mm_or_si128(bad, _mm_or_si128(_mm_or_si128(eq(v, '`'), eq(v, '%')),
                                           _mm_or_si128(eq(v, '?'), eq(v, '['))));
      bad = _mm_or_si128(bad, eq(v, ']'));
      if (_mm_movemask_epi8(bad) != 0) return false;
      auto ats = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, at_c)));
      if (ats != 0) at = i0 + 31 - static_cast<size_t>(__builtin_clz(ats));
      i0 += 16;
    }
  }
#endif
  for (size_t i = i0; i < n; ++i) {
    uint8_t k = kFastClass[static_cast<unsigned char>(d[i])];
    if (k == kFastPlain) continue;
    if (k == kFastOther) return false;
    at = i;
  }
  u.raw = text;
  u.scheme = colon == 3 ? Scheme::Sip : Scheme::Sips;
  u.scheme_name = scan::slice(text, 0, colon);
  size_t h = 0;
  if (at != std::string_view::npos) {
    size_t pc = scan::findByte(d, 0, at, ':');
    u.user = std::string_view(d, pc);
    u.has_user = true;
    if (pc != at) {
      u.password = std::string_view(d + pc + 1, at - pc - 1);
      u.has_password = true;
    }
    if (pc == 0) return false;
    h = at + 1;
  }
  // host [":" port] up to the first ';'.
  size_t i = h;
  while (i < n && kHostChar[static_cast<unsigned char>(d[i])]) ++i;
  if (i == h) return false;
  u.host = std::string_view(d + h, i - h);
  if (i < n && d[i] == ':') {
    size_t b = ++i;
    unsigned port = 0;
    while (i < n && d[i] >= '0' && d[i] <= '9' && i - b < 5) {
      port = port * 10 + static_cast<unsigned>(d[i++] - '0');
    }
    if (i == b || port > 65535) return false;
    u.port = static_cast<uint16_t>(port);
  }
  if (i == n) return true;
  if (d[i] != ';') return false;
  // uri-parameters: every item but a trailing empty one needs a non-empty name.
  std::string_view raw = scan::slice(rest, i + 1);
  size_t item = 0;
  for (size_t j = 0; j <= raw.size(); ++j) {
    if (j < raw.size() && raw[j] != ';') continue;
    if (j == raw.size() && item == j) break;  // nothing after the last ';'
    if (j == item || raw[item] == '=') return false;
    item = j + 1;
  }
  u.params = ParamList(raw);
  return true;
}

}  // namespace

Status parseUriInto(std::string_view text, Uri& out) noexcept {
  // The fast path always sets raw, scheme, scheme_name and host; reset everything else.
  out.user = {};
  out.password = {};
  out.has_user = false;
  out.has_password = false;
  out.ipv6 = false;
  out.port = 0;
  out.params = ParamList();
  out.headers = {};
  out.opaque = {};
  if (parseSipFast(text, out)) return {};
  auto r = parseUriSlow(text);
  if (!r) return std::unexpected(std::move(r.error()));
  out = *r;
  return {};
}

Result<Uri> parseUri(std::string_view text) noexcept {
  Uri u;
  SB_TRY(parseUriInto(text, u));
  return u;
}

bool uriEquals(const Uri& a, const Uri& b) noexcept {
  if (a.scheme != b.scheme) return false;
  switch (a.scheme) {
    case Scheme::Sip:
    case Scheme::Sips:
      return sipEquals(a, b);
    case Scheme::Tel:
      return telDigitsEqual(a.user, b.user) && paramsSameSet(a.params, b.params);
    case Scheme::Other:
      return iequals(a.scheme_name, b.scheme_name) && a.opaque == b.opaque;
  }
  return false;
}

}  // namespace sb::sip
