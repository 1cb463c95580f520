// SPDX-License-Identifier: Apache-2.0
#include "sip/message.h"

#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>

#include "sip/scan.h"

namespace sb::sip {
namespace {

struct HeaderInfo {
  std::string_view name;
  char compact;
  HeaderId id;
  bool list;
};

// Canonical names, compact forms (RFC 3261 §7.3.3, RFC 3265, 3515, 3841, 3892, 4028, 4474,
// 3840) and whether the grammar is a comma list. Indexed by HeaderId.
constexpr HeaderInfo kHeaders[] = {
    {"", 0, HeaderId::Unknown, false},
    {"Accept", 0, HeaderId::Accept, true},
    {"Accept-Contact", 'a', HeaderId::AcceptContact, true},
    {"Accept-Encoding", 0, HeaderId::AcceptEncoding, true},
    {"Accept-Language", 0, HeaderId::AcceptLanguage, true},
    {"Alert-Info", 0, HeaderId::AlertInfo, true},
    {"Allow", 0, HeaderId::Allow, true},
    {"Allow-Events", 'u', HeaderId::AllowEvents, true},
    {"Authentication-Info", 0, HeaderId::AuthenticationInfo, false},
    {"Authorization", 0, HeaderId::Authorization, false},
    {"Call-ID", 'i', HeaderId::CallId, false},
    {"Call-Info", 0, HeaderId::CallInfo, true},
    {"Contact", 'm', HeaderId::Contact, true},
    {"Content-Disposition", 0, HeaderId::ContentDisposition, false},
    {"Content-Encoding", 'e', HeaderId::ContentEncoding, true},
    {"Content-Language", 0, HeaderId::ContentLanguage, true},
    {"Content-Length", 'l', HeaderId::ContentLength, false},
    {"Content-Type", 'c', HeaderId::ContentType, false},
    {"CSeq", 0, HeaderId::CSeq, false},
    {"Date", 0, HeaderId::Date, false},
    {"Error-Info", 0, HeaderId::ErrorInfo, true},
    {"Event", 'o', HeaderId::Event, false},
    {"Expires", 0, HeaderId::Expires, false},
    {"From", 'f', HeaderId::From, false},
    {"Identity", 'y', HeaderId::Identity, false},
    {"Identity-Info", 'n', HeaderId::IdentityInfo, false},
    {"In-Reply-To", 0, HeaderId::InReplyTo, true},
    {"Max-Forwards", 0, HeaderId::MaxForwards, false},
    {"MIME-Version", 0, HeaderId::MimeVersion, false},
    {"Min-Expires", 0, HeaderId::MinExpires, false},
    {"Min-SE", 0, HeaderId::MinSE, false},
    {"Organization", 0, HeaderId::Organization, false},
    {"P-Asserted-Identity", 0, HeaderId::PAssertedIdentity, true},
    {"P-Preferred-Identity", 0, HeaderId::PPreferredIdentity, true},
    {"Path", 0, HeaderId::Path, true},
    {"Priority", 0, HeaderId::Priority, false},
    {"Proxy-Authenticate", 0, HeaderId::ProxyAuthenticate, false},
    {"Proxy-Authorization", 0, HeaderId::ProxyAuthorization, false},
    {"Proxy-Require", 0, HeaderId::ProxyRequire, true},
    {"RAck", 0, HeaderId::RAck, false},
    {"Reason", 0, HeaderId::Reason, true},
    {"Record-Route", 0, HeaderId::RecordRoute, true},
    {"Refer-To", 'r', HeaderId::ReferTo, false},
    {"Referred-By", 'b', HeaderId::ReferredBy, false},
    {"Reject-Contact", 'j', HeaderId::RejectContact, true},
    {"Replaces", 0, HeaderId::Replaces, false},
    {"Reply-To", 0, HeaderId::ReplyTo, false},
    {"Request-Disposition", 'd', HeaderId::RequestDisposition, true},
    {"Require", 0, HeaderId::Require, true},
    {"Retry-After", 0, HeaderId::RetryAfter, false},
    {"Route", 0, HeaderId::Route, true},
    {"RSeq", 0, HeaderId::RSeq, false},
    {"Server", 0, HeaderId::Server, false},
    {"Service-Route", 0, HeaderId::ServiceRoute, true},
    {"Session-Expires", 'x', HeaderId::SessionExpires, false},
    {"SIP-ETag", 0, HeaderId::SipETag, false},
    {"SIP-If-Match", 0, HeaderId::SipIfMatch, false},
    {"Subject", 's', HeaderId::Subject, false},
    {"Subscription-State", 0, HeaderId::SubscriptionState, false},
    {"Supported", 'k', HeaderId::Supported, true},
    {"Timestamp", 0, HeaderId::Timestamp, false},
    {"To", 't', HeaderId::To, false},
    {"Unsupported", 0, HeaderId::Unsupported, true},
    {"User-Agent", 0, HeaderId::UserAgent, false},
    {"Via", 'v', HeaderId::Via, true},
    {"Warning", 0, HeaderId::Warning, true},
    {"WWW-Authenticate", 0, HeaderId::WwwAuthenticate, false},
};
static_assert(std::size(kHeaders) == static_cast<size_t>(HeaderId::Count_));

constexpr std::array<unsigned char, 256> makeLower() {
  std::array<unsigned char, 256> t{};
  for (int i = 0; i < 256; ++i) {
    t[i] = static_cast<unsigned char>((i >= 'A' && i <= 'Z') ? i + 32 : i);
  }
  return t;
}
constexpr auto kLower = makeLower();

// RFC 3261 §25.1 token characters.
constexpr std::array<bool, 256> makeToken() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  for (char c : std::string_view("-.!%*_+`'~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kToken = makeToken();

inline bool isToken(char c) { return kToken[static_cast<unsigned char>(c)]; }
inline bool isWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

inline bool allToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isToken(c)) return false;
  }
  return true;
}

[[gnu::always_inline]] inline std::string_view trim(std::string_view s) {
  while (!s.empty() && isWs(s.front())) s.remove_prefix(1);
  while (!s.empty() && isWs(s.back())) s.remove_suffix(1);
  return s;
}

[[gnu::always_inline]] inline void skipWs(std::string_view s, size_t& i) {
  while (i < s.size() && isWs(s[i])) ++i;
}

[[gnu::always_inline]] inline std::string_view readToken(std::string_view s, size_t& i) {
  size_t b = i;
  while (i < s.size() && isToken(s[i])) ++i;
  return s.substr(b, i - b);
}

// Index by (length, lower-case first letter): the ids whose full name has that length and
// first letter (at most a few each), so a lookup compares one or two names.
constexpr size_t kMaxNameLen = 20;  // "P-Preferred-Identity"
constexpr size_t kPerSlot = 4;
struct NameIndex {
  std::array<std::array<std::array<HeaderId, kPerSlot>, 26>, kMaxNameLen + 1> slot{};
  std::array<std::array<uint8_t, 26>, kMaxNameLen + 1> count{};
  std::array<HeaderId, 26> compact{};
  constexpr NameIndex() {
    for (size_t i = 1; i < std::size(kHeaders); ++i) {
      const HeaderInfo& h = kHeaders[i];
      size_t l = static_cast<size_t>(kLower[static_cast<unsigned char>(h.name[0])] - 'a');
      size_t n = h.name.size();
      // A compile-time error (out of bounds) if kHeaders outgrows the table.
      slot[n][l][count[n][l]++] = h.id;
      if (h.compact) compact[static_cast<size_t>(h.compact - 'a')] = h.id;
    }
  }
};
constexpr NameIndex kNameIndex;
const NameIndex& nameIndex() { return kNameIndex; }

// Per header: the canonical name in lower case and a mask with 0x20 at its letters, so that
// (wire byte | mask) == lower holds exactly when the wire byte is that letter in either case
// (or the very same non-letter). Compared a machine word at a time.
struct NameKey {
  char lower[kMaxNameLen + 4] = {};
  char mask[kMaxNameLen + 4] = {};
};
constexpr std::array<NameKey, std::size(kHeaders)> makeNameKeys() {
  std::array<NameKey, std::size(kHeaders)> keys{};
  for (size_t i = 0; i < std::size(kHeaders); ++i) {
    std::string_view name = kHeaders[i].name;
    for (size_t j = 0; j < name.size(); ++j) {
      char c = name[j];
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      keys[i].lower[j] = static_cast<char>(kLower[static_cast<unsigned char>(c)]);
      keys[i].mask[j] = letter ? 0x20 : 0;
    }
  }
  return keys;
}
constexpr auto kNameKeys = makeNameKeys();

template <size_t W>
[[gnu::always_inline]] inline bool chunkMatches(const char* p, const NameKey& k, size_t off) {
  using U = std::conditional_t<W == 8, uint64_t,
                               std::conditional_t<W == 4, uint32_t,
                                                  std::conditional_t<W == 2, uint16_t, uint8_t>>>;
  U a, m, l;
  std::memcpy(&a, p + off, W);
  std::memcpy(&m, k.mask + off, W);
  std::memcpy(&l, k.lower + off, W);
  return static_cast<U>(a | m) == l;
}

// Case-insensitive match of p[0, n) against header `k` whose name has length n (overlapping
// word loads cover every byte).
inline bool nameMatches(const char* p, size_t n, const NameKey& k) {
  if (n >= 8) {
    size_t off = 0;
    for (; off + 8 <= n; off += 8) {
      if (!chunkMatches<8>(p, k, off)) return false;
    }
    return off == n || chunkMatches<8>(p, k, n - 8);
  }
  if (n >= 4) return chunkMatches<4>(p, k, 0) && chunkMatches<4>(p, k, n - 4);
  if (n >= 2) return chunkMatches<2>(p, k, 0) && chunkMatches<2>(p, k, n - 2);
  return n == 1 && chunkMatches<1>(p, k, 0);
}

auto invalid(std::string msg, std::string_view field) {
  return fail(Errc::InvalidArgument, std::move(msg), std::string(field));
}

// parseUint32 with an inline path for up to 9 digits (no overflow possible); anything else,
// errors included, goes through parseUint32 itself.
[[gnu::always_inline]] inline Result<uint32_t> u32(std::string_view s) noexcept {
  if (!s.empty() && s.size() <= 9) {
    uint32_t v = 0;
    bool ok = true;
    for (char c : s) {
      auto d = static_cast<uint32_t>(static_cast<unsigned char>(c) - '0');
      ok = ok && d < 10;
      v = v * 10 + d;
    }
    if (ok) return v;
  }
  return parseUint32(s);
}

Result<uint16_t> parsePort16(std::string_view s, std::string_view field) {
  auto v = u32(s);
  if (!v || *v > 65535) return invalid("bad port", field);
  return static_cast<uint16_t>(*v);
}

constexpr std::array<bool, 256> makeParamValueSpecial() {
  std::array<bool, 256> t{};
  for (char c : std::string_view("\"\\;")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kParamValueSpecial = makeParamValueSpecial();

// Walks a header param list (the text after the first ';') with the item boundaries of
// ParamList::forEach (';' outside quotes, the first '=' splits, LWS trimmed) in one pass,
// checking that each name is a token and that a '=' has a value. Calls f(name, value,
// has_value) for each good item in order; returns false at the first bad item (a name that is
// not a token, "name=" without value) or as soon as f returns false.
template <typename F>
[[gnu::always_inline]] inline bool scanParams(std::string_view raw, F&& f) {
  const char* d = raw.data();
  const size_t n = raw.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && isWs(d[i])) ++i;
    size_t nb = i;
    while (i < n && isToken(d[i])) ++i;
    std::string_view name(d + nb, i - nb);
    while (i < n && isWs(d[i])) ++i;
    if (name.empty()) return false;
    if (i == n || d[i] == ';') {
      if (!f(name, std::string_view{}, false)) return false;
      ++i;
      continue;
    }
    if (d[i] != '=') return false;  // the trimmed name would hold a non-token character
    size_t vb = ++i;
    bool quoted = false;
    for (; i < n; ++i) {
      while (i < n && !kParamValueSpecial[static_cast<unsigned char>(d[i])]) ++i;
      if (i >= n) break;
      char c = d[i];
      if (quoted && c == '\\') {
        ++i;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (!quoted && c == ';') break;
    }
    size_t ve = i < n ? i : n;
    std::string_view value = trim(std::string_view(d + vb, ve - vb));
    if (value.empty()) return false;
    if (!f(name, value, true)) return false;
    ++i;
  }
  return true;
}

// Checks a header param list (the text after the first ';'): names must be tokens.
Status checkHeaderParams(std::string_view raw, std::string_view field) {
  if (!scanParams(raw, [](std::string_view, std::string_view, bool) { return true; })) {
    return invalid("bad parameter", field);
  }
  return {};
}

// Finds the end of a quoted string starting at s[i] == '"'; returns the index of the
// closing quote or npos.
size_t closingQuote(std::string_view s, size_t i) {
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
    } else if (s[j] == '"') {
      return j;
    }
  }
  return std::string_view::npos;
}


// Calls f(item) for each element of a comma list, splitting outside quotes and <>. Returns
// false (after maybe calling f for earlier items) on an empty element or an open quote.
template <typename F>
bool forEachListItem(std::string_view value, F&& f) {
  const char* d = value.data();
  const size_t n = value.size();
  size_t start = 0;
  size_t i = 0;
  int angle = 0;
  while (true) {
    i = scan::findAny4(d, i, n, '"', '<', '>', ',');
    if (i < n) {
      char c = d[i];
      if (c == '"') {
        size_t q = closingQuote(value, i);
        if (q == std::string_view::npos) return false;
        i = q + 1;
        continue;
      }
      if (c == '<') {
        ++angle;
        ++i;
        continue;
      }
      if (c == '>') {
        if (angle > 0) --angle;
        ++i;
        continue;
      }
      if (angle > 0) {
        ++i;
        continue;
      }
    }
    std::string_view item = trim(scan::slice(value, start, i - start));
    if (item.empty()) return false;
    f(item);
    if (i >= n) return true;
    start = ++i;
  }
}

}  // namespace

// ---------------------------------------------------------------- names

Method methodFromName(std::string_view n) noexcept {
  switch (n.size()) {
    case 3:
      if (n == "ACK") return Method::Ack;
      if (n == "BYE") return Method::Bye;
      break;
    case 4:
      if (n == "INFO") return Method::Info;
      break;
    case 5:
      if (n == "PRACK") return Method::Prack;
      if (n == "REFER") return Method::Refer;
      break;
    case 6:
      if (n == "INVITE") return Method::Invite;
      if (n == "CANCEL") return Method::Cancel;
      if (n == "UPDATE") return Method::Update;
      if (n == "NOTIFY") return Method::Notify;
      break;
    case 7:
      if (n == "OPTIONS") return Method::Options;
      if (n == "PUBLISH") return Method::Publish;
      if (n == "MESSAGE") return Method::Message;
      break;
    case 8:
      if (n == "REGISTER") return Method::Register;
      break;
    case 9:
      if (n == "SUBSCRIBE") return Method::Subscribe;
      break;
    default:
      break;
  }
  return Method::Other;
}

std::string_view methodName(Method m) noexcept {
  switch (m) {
    case Method::Invite: return "INVITE";
    case Method::Ack: return "ACK";
    case Method::Bye: return "BYE";
    case Method::Cancel: return "CANCEL";
    case Method::Options: return "OPTIONS";
    case Method::Register: return "REGISTER";
    case Method::Info: return "INFO";
    case Method::Update: return "UPDATE";
    case Method::Prack: return "PRACK";
    case Method::Subscribe: return "SUBSCRIBE";
    case Method::Notify: return "NOTIFY";
    case Method::Publish: return "PUBLISH";
    case Method::Message: return "MESSAGE";
    case Method::Refer: return "REFER";
    case Method::Other: return "";
  }
  return "";
}

HeaderId headerIdFromName(std::string_view name) noexcept {
  if (name.empty()) return HeaderId::Unknown;
  unsigned char first = kLower[static_cast<unsigned char>(name[0])];
  if (first < 'a' || first > 'z') return HeaderId::Unknown;
  const NameIndex& idx = nameIndex();
  if (name.size() == 1) {
    HeaderId id = idx.compact[first - 'a'];
    return id;
  }
  if (name.size() > kMaxNameLen) return HeaderId::Unknown;
  const auto& cands = idx.slot[name.size()][first - 'a'];
  const uint8_t count = idx.count[name.size()][first - 'a'];
  for (uint8_t i = 0; i < count; ++i) {
    if (nameMatches(name.data(), name.size(), kNameKeys[static_cast<size_t>(cands[i])])) {
      return cands[i];
    }
  }
  return HeaderId::Unknown;
}

std::string_view headerName(HeaderId id) noexcept {
  auto i = static_cast<size_t>(id);
  return i < std::size(kHeaders) ? kHeaders[i].name : std::string_view{};
}

bool headerIsList(HeaderId id) noexcept {
  auto i = static_cast<size_t>(id);
  return i < std::size(kHeaders) && kHeaders[i].list;
}

// ---------------------------------------------------------------- grammar helpers

Result<uint32_t> parseUint32(std::string_view s) noexcept {
  if (s.empty()) return invalid("empty number", "");
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return invalid("not a number", "");
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > 0xffffffffULL) return fail(Errc::OutOfRange, "number above 2^32-1");
  }
  return static_cast<uint32_t>(v);
}

Status splitList(std::string_view value, std::vector<std::string_view>& out) {
  if (!forEachListItem(value, [&](std::string_view item) { out.push_back(item); })) {
    return invalid("malformed list (empty element or open quote)", "");
  }
  return {};
}

Status parseViaInto(std::string_view text, Via& v) noexcept {
  // Field by field: cheaper than assigning a fresh Via; the rest is always set below.
  v.ipv6 = false;
  v.port = 0;
  v.branch = {};
  v.received = {};
  v.rport = false;
  v.rport_value = 0;
  v.maddr = {};
  v.ttl.reset();
  v.params = ParamList();
  // raw is stored last: GCC copies a fresh string_view through the stack with one 16-byte
  // load, which stalls on store forwarding right after the two 8-byte stores.
  const std::string_view s = trim(text);
  size_t i = 0;
  v.protocol = readToken(s, i);
  skipWs(s, i);
  if (v.protocol.empty() || i >= s.size() || s[i] != '/') return invalid("bad sent-protocol", "Via");
  ++i;
  skipWs(s, i);
  v.version = readToken(s, i);
  skipWs(s, i);
  if (v.version.empty() || i >= s.size() || s[i] != '/') return invalid("bad sent-protocol", "Via");
  ++i;
  skipWs(s, i);
  v.transport = readToken(s, i);
  size_t before = i;
  skipWs(s, i);
  if (v.transport.empty() || i == before) return invalid("bad sent-protocol", "Via");
  if (i < s.size() && s[i] == '[') {
    size_t close = s.find(']', i);
    if (close == std::string_view::npos) return invalid("bad IPv6 sent-by", "Via");
    v.host = scan::slice(s, i + 1, close - i - 1);
    v.ipv6 = true;
    i = close + 1;
  } else {
    size_t b = i;
    while (i < s.size() && (isToken(s[i]) && s[i] != '%' && s[i] != '*')) ++i;
    v.host = scan::slice(s, b, i - b);
  }
  if (v.host.empty()) return invalid("missing sent-by host", "Via");
  skipWs(s, i);
  if (i < s.size() && s[i] == ':') {
    ++i;
    skipWs(s, i);
    size_t b = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    auto port = parsePort16(scan::slice(s, b, i - b), "Via");
    if (!port) return std::unexpected(port.error());
    v.port = *port;
    skipWs(s, i);
  }
  std::string_view params;
  if (i < s.size()) {
    if (s[i] != ';') return invalid("junk after sent-by", "Via");
    params = scan::slice(s, i + 1);
    v.params = ParamList(params);
  }
  Status st;
  bool good = scanParams(params, [&](std::string_view n, std::string_view val, bool has) {
    if (n.size() == 6 && iequals(n, "branch")) {
      v.branch = val;
    } else if (n.size() == 8 && iequals(n, "received")) {
      if (val.size() >= 2 && val.front() == '[' && val.back() == ']') {
        val = scan::slice(val, 1, val.size() - 2);
      }
      v.received = val;
      if (!has || val.empty()) st = invalid("empty received", "Via");
    } else if (n.size() == 5 && iequals(n, "rport")) {
      v.rport = true;
      if (has) {
        auto p = parsePort16(val, "Via");
        if (!p) {
          st = std::unexpected(p.error());
        } else {
          v.rport_value = *p;
        }
      }
    } else if (n.size() == 5 && iequals(n, "maddr")) {
      v.maddr = val;
    } else if (n.size() == 3 && iequals(n, "ttl")) {
      auto t = parseUint32(val);
      if (!t || *t > 255) {
        st = invalid("bad ttl", "Via");
      } else {
        v.ttl = static_cast<uint8_t>(*t);
      }
    }
    return st.has_value();
  });
  if (!good && st) return invalid("bad parameter", "Via");
  v.raw = s;
  return st;
}

Result<Via> parseVia(std::string_view text) noexcept {
  Via v;
  SB_TRY(parseViaInto(text, v));
  return v;
}

Status parseNameAddrInto(std::string_view text, NameAddr& na) noexcept {
  // Field by field (parseUriInto resets the uri): cheaper than assigning a fresh NameAddr.
  na.display = {};
  na.tag = {};
  na.params = ParamList();
  na.bracketed = false;
  const std::string_view s = trim(text);  // stored in na.raw last (see parseViaInto)
  if (s.empty()) return invalid("empty address", "");
  size_t i = 0;
  size_t lt = std::string_view::npos;
  if (s[0] == '"') {
    size_t q = closingQuote(s, 0);
    if (q == std::string_view::npos) return invalid("unterminated display name", "");
    na.display = scan::slice(s, 1, q - 1);
    i = q + 1;
    skipWs(s, i);
    if (i >= s.size() || s[i] != '<') return invalid("display name without <uri>", "");
    lt = i;
  } else {
    // '<' before any ';' means name-addr form (an addr-spec holds no '<').
    size_t p = scan::findByte(s.data(), 0, s.size(), '<');
    if (p != s.size()) {
      std::string_view disp = trim(scan::slice(s, 0, p));
      for (char c : disp) {
        if (!isToken(c) && !isWs(c)) return invalid("display name not a token list", "");
      }
      na.display = disp;
      lt = p;
    }
  }
  std::string_view uri_text;
  if (lt != std::string_view::npos) {
    size_t gt = scan::findByte(s.data(), lt, s.size(), '>');
    if (gt == s.size()) return invalid("missing '>'", "");
    uri_text = scan::slice(s, lt + 1, gt - lt - 1);
    na.bracketed = true;
    i = gt + 1;
  } else {
    // addr-spec: the URI may not contain ',', '?' or ';' (RFC 3261 §20.10), so it ends at
    // the first ';' or LWS.
    i = 0;
    while (i < s.size() && s[i] != ';' && !isWs(s[i])) ++i;
    uri_text = scan::slice(s, 0, i);
    if (uri_text.find('?') != std::string_view::npos) {
      return invalid("URI with headers must be enclosed in <>", "");
    }
  }
  SB_TRY(parseUriInto(uri_text, na.uri));
  skipWs(s, i);
  if (i < s.size()) {
    if (s[i] != ';') return invalid("junk after URI", "");
    std::string_view params = scan::slice(s, i + 1);
    na.params = ParamList(params);
    bool ok = scanParams(params, [&](std::string_view name, std::string_view value, bool) {
      if (na.tag.empty() && name.size() == 3 && iequals(name, "tag")) na.tag = value;
      return true;
    });
    if (!ok) return invalid("bad parameter", "");
  }
  na.raw = s;
  return {};
}

Result<NameAddr> parseNameAddr(std::string_view text) noexcept {
  NameAddr na;
  SB_TRY(parseNameAddrInto(text, na));
  return na;
}

Status parseContactInto(std::string_view text, Contact& c) noexcept {
  if (trim(text) == "*") {
    c = Contact{};
    c.star = true;
    c.raw = trim(text);
    return {};
  }
  SB_TRY(parseNameAddrInto(text, c));
  c.star = false;
  c.expires.reset();
  if (!c.params.empty()) {
    if (auto e = c.params.get("expires")) {
      auto v = parseUint32(*e);
      if (!v) return invalid("bad contact expires", "Contact");
      c.expires = *v;
    }
  }
  return {};
}

Result<Contact> parseContact(std::string_view text) noexcept {
  Contact c;
  SB_TRY(parseContactInto(text, c));
  return c;
}

bool MediaType::is(std::string_view t, std::string_view s) const noexcept {
  return iequals(type, t) && iequals(subtype, s);
}

Result<MediaType> parseMediaType(std::string_view text) noexcept {
  MediaType m;
  std::string_view s = trim(text);
  size_t i = 0;
  m.type = readToken(s, i);
  skipWs(s, i);
  if (m.type.empty() || i >= s.size() || s[i] != '/') return invalid("bad media type", "");
  ++i;
  skipWs(s, i);
  m.subtype = readToken(s, i);
  if (m.subtype.empty()) return invalid("bad media subtype", "");
  skipWs(s, i);
  if (i < s.size()) {
    if (s[i] != ';') return invalid("junk after media type", "");
    m.params = ParamList(scan::slice(s, i + 1));
    SB_TRY(checkHeaderParams(m.params.raw(), ""));
  }
  return m;
}

std::optional<std::string_view> AuthValue::param(std::string_view name) const noexcept {
  for (const auto& p : params) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

Status parseAuthInto(std::string_view text, AuthValue& a) {
  a.scheme = {};
  a.params.clear();  // keeps the capacity of a reused value
  std::string_view s = trim(text);
  size_t i = 0;
  a.scheme = readToken(s, i);
  if (a.scheme.empty()) return invalid("missing auth scheme", "");
  if (i < s.size() && !isWs(s[i])) return invalid("bad auth scheme", "");
  skipWs(s, i);
  while (i < s.size()) {
    AuthParam p;
    p.name = readToken(s, i);
    if (p.name.empty()) return invalid("bad auth-param name", "");
    skipWs(s, i);
    if (i >= s.size() || s[i] != '=') return invalid("auth-param without '='", "");
    ++i;
    skipWs(s, i);
    if (i < s.size() && s[i] == '"') {
      size_t q = closingQuote(s, i);
      if (q == std::string_view::npos) return invalid("unterminated auth-param", "");
      p.value = scan::slice(s, i + 1, q - i - 1);
      p.quoted = true;
      i = q + 1;
    } else {
      size_t b = i;
      while (i < s.size() && (isToken(s[i]) || s[i] == '/' || s[i] == '=')) ++i;
      p.value = scan::slice(s, b, i - b);
    }
    a.params.push_back(p);
    skipWs(s, i);
    if (i < s.size()) {
      if (s[i] != ',') return invalid("junk between auth-params", "");
      ++i;
      skipWs(s, i);
    }
  }
  return {};
}

Result<AuthValue> parseAuth(std::string_view text) {
  AuthValue a;
  SB_TRY(parseAuthInto(text, a));
  return a;
}

std::string_view defaultReason(int code) noexcept {
  switch (code) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default: return "Unknown";
  }
}

// ---------------------------------------------------------------- Message: parsing

namespace {

bool checkVersion(std::string_view v) {
  // "SIP/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive.
  if (v.size() < 7 || !iequals(scan::slice(v, 0, 4), "SIP/")) return false;
  size_t dot = v.find('.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return false;
  for (size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !isDigit(v[i])) return false;
  }
  return true;
}

}  // namespace

Result<Message> Message::parse(std::string bytes) {
  Message m;
  m.buf_ = std::move(bytes);
  if (m.buf_.size() > 0xffffff00u) return invalid("message too large", "");
  const char* d = m.buf_.data();
  const size_t n = m.buf_.size();
  size_t pos = 0;
  // RFC 3261 §7.5: ignore CRLFs before the start line (keep-alives).
  while (pos < n && (d[pos] == '\r' || d[pos] == '\n')) ++pos;
  const void* nl = pos < n ? std::memchr(d + pos, '\n', n - pos) : nullptr;
  if (nl == nullptr) return invalid("no start line", "start-line");
  size_t eol = static_cast<size_t>(static_cast<const char*>(nl) - d);
  size_t line_end = (eol > pos && d[eol - 1] == '\r') ? eol - 1 : eol;
  std::string_view line(d + pos, line_end - pos);
  auto span = [&](std::string_view v) {
    return Span{static_cast<uint32_t>(v.data() - d), static_cast<uint32_t>(v.size())};
  };
  m.start_line_ = span(line);
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return invalid("malformed start line", "start-line");
  if (line.size() >= 4 && iequals(scan::slice(line, 0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    m.is_request_ = false;
    std::string_view version = scan::slice(line, 0, sp1);
    if (!checkVersion(version)) return invalid("bad SIP version", "start-line");
    std::string_view rest = scan::slice(line, sp1 + 1);
    if (rest.size() < 3 || !isDigit(rest[0]) || !isDigit(rest[1]) || !isDigit(rest[2]) ||
        (rest.size() > 3 && rest[3] != ' ')) {
      return invalid("status code is not 3 digits", "start-line");
    }
    int code = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    if (code < 100 || code > 699) return invalid("status code out of range", "start-line");
    m.status_ = code;
    m.version_ = span(version);
    m.reason_ = span(rest.size() > 4 ? scan::slice(rest, 4) : scan::slice(rest, rest.size()));
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version, single SPs (RFC 3261 §7.1).
    std::string_view method = scan::slice(line, 0, sp1);
    size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return invalid("malformed request line", "start-line");
    std::string_view uri = scan::slice(line, sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = scan::slice(line, sp2 + 1);
    if (!allToken(method)) return invalid("bad method", "start-line");
    if (!checkVersion(version)) return invalid("bad SIP version", "start-line");
    Uri parsed;
    auto ok = parseUriInto(uri, parsed);
    if (!ok) return invalid("bad Request-URI: " + ok.error().message, "Request-URI");
    m.method_ = methodFromName(method);
    m.method_name_ = span(method);
    m.uri_ = span(uri);
    m.version_ = span(version);
  }
  pos = eol + 1;

  m.entries_.reserve(24);
  bool have_cl = false;
  uint32_t cl = 0;
  bool ended = false;
  while (pos < n) {
    if (d[pos] == '\n') {
      ++pos;
      ended = true;
      break;
    }
    if (d[pos] == '\r' && pos + 1 < n && d[pos + 1] == '\n') {
      pos += 2;
      ended = true;
      break;
    }
    if (d[pos] == ' ' || d[pos] == '\t') return invalid("folded line without a header", "");
    size_t name_b = pos;
    while (pos < n && isToken(d[pos])) ++pos;
    size_t name_e = pos;
    while (pos < n && (d[pos] == ' ' || d[pos] == '\t')) ++pos;
    if (name_e == name_b || pos >= n || d[pos] != ':') {
      return invalid("malformed header line", std::string_view(d + name_b, name_e - name_b));
    }
    ++pos;
    // The value runs to the end of the line plus any continuation lines (LWS folding).
    size_t val_b = pos;
    size_t line_e;
    while (true) {
      line_e = scan::findByte(d, pos, n, '\n');
      if (line_e == n) {
        pos = n;
        break;
      }
      pos = line_e + 1;
      if (pos < n && (d[pos] == ' ' || d[pos] == '\t')) continue;
      break;
    }
    std::string_view value = trim(std::string_view(d + val_b, line_e - val_b));
    std::string_view name(d + name_b, name_e - name_b);
    // Built in place: a stack Entry copied in costs a store-forwarding stall per header.
    Entry& e = m.entries_.emplace_back();
    e.id = headerIdFromName(name);
    m.noteId(e.id);
    e.name = span(name);
    e.value = Span{static_cast<uint32_t>(value.data() - d), static_cast<uint32_t>(value.size())};
    e.raw = Span{static_cast<uint32_t>(name_b), static_cast<uint32_t>(pos - name_b)};
    if (e.id == HeaderId::ContentLength) {
      auto v = u32(value);
      if (!v) return invalid("bad Content-Length", "Content-Length");
      if (have_cl && *v != cl) return invalid("conflicting Content-Length", "Content-Length");
      have_cl = true;
      cl = *v;
    }
  }
  if (!ended) pos = n;  // headers ran to the end of the data: no body
  size_t avail = n - pos;
  if (have_cl) {
    if (cl > avail) return invalid("Content-Length larger than the body", "Content-Length");
    m.body_ = Span{static_cast<uint32_t>(pos), cl};
  } else {
    m.body_ = Span{static_cast<uint32_t>(pos), static_cast<uint32_t>(avail)};
  }
  return m;
}

// ---------------------------------------------------------------- Message: access

std::optional<std::string_view> Message::header(HeaderId id) const noexcept {
  if (!has(seen_, id)) return std::nullopt;
  for (const Entry& e : entries_) {
    if (e.id == id) return view(e.value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Message::header(std::string_view name) const noexcept {
  HeaderId id = headerIdFromName(name);
  if (id != HeaderId::Unknown) return header(id);
  for (const Entry& e : entries_) {
    if (e.id == HeaderId::Unknown && iequals(view(e.name), name)) return view(e.value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Message::headers(HeaderId id) const {
  std::vector<std::string_view> out;
  bool list = headerIsList(id);
  for (const Entry& e : entries_) {
    if (e.id != id) continue;
    if (list) {
      size_t before = out.size();
      if (!splitList(view(e.value), out)) {
        out.resize(before);
        out.push_back(view(e.value));
      }
    } else {
      out.push_back(view(e.value));
    }
  }
  return out;
}

size_t Message::count(HeaderId id) const noexcept {
  size_t c = 0;
  for (const Entry& e : entries_) c += e.id == id ? 1 : 0;
  return c;
}

Result<std::string_view> Message::single(HeaderId id) const {
  if (!has(seen_, id)) return fail(Errc::NotFound, "header missing", std::string(headerName(id)));
  if (has(repeated_, id)) return invalid("header appears more than once", headerName(id));
  for (const Entry& e : entries_) {
    if (e.id == id) return view(e.value);
  }
  return fail(Errc::Internal, "header index out of date", std::string(headerName(id)));
}

namespace {
template <typename T>
Result<T> withField(Result<T> r, std::string_view field) {
  if (!r && r.error().field.empty()) r.error().field = std::string(field);
  return r;
}
}  // namespace

Result<Via> Message::topVia() const {
  for (const Entry& e : entries_) {
    if (e.id != HeaderId::Via) continue;
    std::string_view first;
    // Only the first element matters; the splitter still honours quotes/<> to find its end.
    bool ok = forEachListItem(view(e.value), [&](std::string_view item) {
      if (first.empty()) first = item;
    });
    if (!ok) return invalid("bad Via list", "Via");
    return parseVia(first);
  }
  return fail(Errc::NotFound, "header missing", "Via");
}

// Parses every element of every field `id` with `parse` (a parse*Into function) into `out`,
// reusing the elements `out` already holds (and their storage); on success `out` holds exactly
// the parsed elements.
template <typename T, typename P>
Status Message::parseListInto(HeaderId id, P&& parse, std::vector<T>& out) const {
  size_t used = 0;
  bool any = false;
  Status st;
  for (const Entry& e : entries_) {
    if (e.id != id) continue;
    any = true;
    bool ok = forEachListItem(view(e.value), [&](std::string_view item) {
      if (!st) return;
      if (used == out.size()) out.emplace_back();
      auto r = parse(item, out[used]);
      if (!r) {
        st = invalid(r.error().message, headerName(id));
        if (r.error().code == Errc::OutOfRange) st.error().code = Errc::OutOfRange;
      } else {
        ++used;
      }
    });
    if (!st) return st;
    if (!ok) return invalid("malformed list", headerName(id));
  }
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(used), out.end());
  if (!any) return fail(Errc::NotFound, "header missing", std::string(headerName(id)));
  return {};
}

Status Message::vias(std::vector<Via>& out) const {
  return parseListInto(HeaderId::Via, parseViaInto, out);
}

Result<std::vector<Via>> Message::vias() const {
  std::vector<Via> out;
  out.reserve(4);
  SB_TRY(vias(out));
  return out;
}

Status Message::nameAddrField(HeaderId id, NameAddr& out) const {
  auto v = single(id);
  if (!v) return std::unexpected(std::move(v.error()));
  auto st = parseNameAddrInto(*v, out);
  if (!st && st.error().field.empty()) st.error().field = std::string(headerName(id));
  return st;
}

Status Message::from(NameAddr& out) const { return nameAddrField(HeaderId::From, out); }
Status Message::to(NameAddr& out) const { return nameAddrField(HeaderId::To, out); }

Result<NameAddr> Message::from() const {
  NameAddr na;
  SB_TRY(from(na));
  return na;
}

Result<NameAddr> Message::to() const {
  NameAddr na;
  SB_TRY(to(na));
  return na;
}

Result<std::string_view> Message::callId() const {
  auto v = single(HeaderId::CallId);
  if (!v) return v;
  if (v->empty()) return invalid("empty Call-ID", "Call-ID");
  if (scan::findAny4(v->data(), 0, v->size(), ' ', '\t', '\r', '\n') != v->size()) {
    return invalid("whitespace in Call-ID", "Call-ID");
  }
  return v;
}

Result<CSeq> Message::cseq() const {
  auto v = single(HeaderId::CSeq);
  if (!v) return std::unexpected(v.error());
  std::string_view s = *v;
  size_t i = 0;
  while (i < s.size() && isDigit(s[i])) ++i;
  auto num = u32(s.substr(0, i));
  if (!num) return fail(num.error().code, "bad CSeq number", "CSeq");
  size_t before = i;
  skipWs(s, i);
  CSeq c;
  c.number = *num;
  c.method_name = s.substr(i);
  if (i == before || !allToken(c.method_name)) return invalid("bad CSeq method", "CSeq");
  c.method = methodFromName(c.method_name);
  return c;
}

Result<uint32_t> Message::maxForwards() const {
  auto v = single(HeaderId::MaxForwards);
  if (!v) return std::unexpected(v.error());
  auto n = u32(*v);
  if (!n || *n > 255) return invalid("bad Max-Forwards", "Max-Forwards");
  return n;
}

Status Message::contacts(std::vector<Contact>& out) const {
  SB_TRY(parseListInto(HeaderId::Contact, parseContactInto, out));
  if (out.size() > 1) {
    for (const Contact& c : out) {
      if (c.star) return invalid("'*' mixed with contacts", "Contact");
    }
  }
  return {};
}

Result<std::vector<Contact>> Message::contacts() const {
  std::vector<Contact> out;
  out.reserve(2);
  SB_TRY(contacts(out));
  return out;
}

Result<std::vector<NameAddr>> Message::nameAddrList(HeaderId id) const {
  std::vector<NameAddr> out;
  out.reserve(4);
  SB_TRY(parseListInto(id, parseNameAddrInto, out));
  return out;
}

Result<std::vector<NameAddr>> Message::routes() const { return nameAddrList(HeaderId::Route); }
Result<std::vector<NameAddr>> Message::recordRoutes() const {
  return nameAddrList(HeaderId::RecordRoute);
}
Status Message::routes(std::vector<NameAddr>& out) const {
  return parseListInto(HeaderId::Route, parseNameAddrInto, out);
}
Status Message::recordRoutes(std::vector<NameAddr>& out) const {
  return parseListInto(HeaderId::RecordRoute, parseNameAddrInto, out);
}

Result<uint32_t> Message::contentLength() const {
  auto v = header(HeaderId::ContentLength);
  if (!v) return fail(Errc::NotFound, "header missing", "Content-Length");
  auto n = u32(*v);
  if (!n) return invalid("bad Content-Length", "Content-Length");
  return n;
}

Result<MediaType> Message::contentType() const {
  auto v = single(HeaderId::ContentType);
  if (!v) return std::unexpected(v.error());
  return withField(parseMediaType(*v), "Content-Type");
}

Result<uint32_t> Message::expires() const {
  auto v = single(HeaderId::Expires);
  if (!v) return std::unexpected(v.error());
  auto n = u32(*v);
  if (!n) return fail(n.error().code, "bad Expires", "Expires");
  return n;
}

namespace {

// Appends the tokens of a non-empty comma list of tokens (LWS around them allowed); false on
// an empty element or a non-token character, as the generic list splitter plus a token check
// would decide.
bool splitTokens(std::string_view v, std::vector<std::string_view>& out) {
  const char* d = v.data();
  const size_t n = v.size();
  size_t i = 0;
  while (true) {
    while (i < n && isWs(d[i])) ++i;
    size_t b = i;
    while (i < n && isToken(d[i])) ++i;
    if (i == b) return false;
    out.emplace_back(d + b, i - b);
    while (i < n && isWs(d[i])) ++i;
    if (i == n) return true;
    if (d[i] != ',') return false;
    ++i;
  }
}

}  // namespace

Status Message::tokenList(HeaderId id, std::vector<std::string_view>& out) const {
  out.clear();
  bool any = false;
  for (const Entry& e : entries_) {
    if (e.id != id) continue;
    any = true;
    std::string_view v = view(e.value);
    if (trim(v).empty()) continue;  // "Supported:" with no tags is legal
    if (!splitTokens(v, out)) return invalid("bad token list", headerName(id));
  }
  if (!any) return fail(Errc::NotFound, "header missing", std::string(headerName(id)));
  return {};
}

Result<std::vector<std::string_view>> Message::tokenList(HeaderId id) const {
  std::vector<std::string_view> out;
  out.reserve(12);
  SB_TRY(tokenList(id, out));
  return out;
}

Result<std::vector<std::string_view>> Message::allow() const { return tokenList(HeaderId::Allow); }
Result<std::vector<std::string_view>> Message::supported() const {
  return tokenList(HeaderId::Supported);
}
Result<std::vector<std::string_view>> Message::require() const {
  return tokenList(HeaderId::Require);
}
Result<std::vector<std::string_view>> Message::proxyRequire() const {
  return tokenList(HeaderId::ProxyRequire);
}
Status Message::allow(std::vector<std::string_view>& out) const {
  return tokenList(HeaderId::Allow, out);
}
Status Message::supported(std::vector<std::string_view>& out) const {
  return tokenList(HeaderId::Supported, out);
}
Status Message::require(std::vector<std::string_view>& out) const {
  return tokenList(HeaderId::Require, out);
}
Status Message::proxyRequire(std::vector<std::string_view>& out) const {
  return tokenList(HeaderId::ProxyRequire, out);
}

Result<std::vector<MediaType>> Message::accept() const {
  std::vector<MediaType> out;
  bool any = false;
  for (const Entry& e : entries_) {
    if (e.id != HeaderId::Accept) continue;
    any = true;
    if (trim(view(e.value)).empty()) continue;  // an empty Accept accepts nothing
    bool good = true;
    bool ok = forEachListItem(view(e.value), [&](std::string_view item) {
      auto mt = parseMediaType(item);
      if (mt) {
        out.push_back(*mt);
      } else {
        good = false;
      }
    });
    if (!ok || !good) return invalid("bad media range", "Accept");
  }
  if (!any) return fail(Errc::NotFound, "header missing", "Accept");
  return out;
}

Status Message::authList(HeaderId id, std::vector<AuthValue>& out) const {
  size_t used = 0;
  for (const Entry& e : entries_) {
    if (e.id != id) continue;
    if (used == out.size()) out.emplace_back();
    auto st = parseAuthInto(view(e.value), out[used]);
    if (!st) return invalid(st.error().message, headerName(id));
    ++used;
  }
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(used), out.end());
  if (used == 0) return fail(Errc::NotFound, "header missing", std::string(headerName(id)));
  return {};
}

Result<std::vector<AuthValue>> Message::authList(HeaderId id) const {
  std::vector<AuthValue> out;
  SB_TRY(authList(id, out));
  return out;
}

Result<std::vector<AuthValue>> Message::authorization() const {
  return authList(HeaderId::Authorization);
}
Result<std::vector<AuthValue>> Message::proxyAuthorization() const {
  return authList(HeaderId::ProxyAuthorization);
}
Result<std::vector<AuthValue>> Message::wwwAuthenticate() const {
  return authList(HeaderId::WwwAuthenticate);
}
Result<std::vector<AuthValue>> Message::proxyAuthenticate() const {
  return authList(HeaderId::ProxyAuthenticate);
}
Status Message::authorization(std::vector<AuthValue>& out) const {
  return authList(HeaderId::Authorization, out);
}
Status Message::proxyAuthorization(std::vector<AuthValue>& out) const {
  return authList(HeaderId::ProxyAuthorization, out);
}
Status Message::wwwAuthenticate(std::vector<AuthValue>& out) const {
  return authList(HeaderId::WwwAuthenticate, out);
}
Status Message::proxyAuthenticate(std::vector<AuthValue>& out) const {
  return authList(HeaderId::ProxyAuthenticate, out);
}

// ---------------------------------------------------------------- Message: building/editing

Message::Span Message::append(std::string_view text) {
  // `text` may point into buf_ itself; copy first so a reallocation cannot invalidate it.
  std::less<const char*> lt;
  if (!text.empty() && !lt(text.data(), buf_.data()) && lt(text.data(), buf_.data() + buf_.size())) {
    std::string tmp(text);
    return append(std::string_view(tmp));
  }
  Span s{static_cast<uint32_t>(buf_.size()), static_cast<uint32_t>(text.size())};
  buf_.append(text);
  return s;
}

void Message::rebuildStartLine() {
  std::string line;
  if (is_request_) {
    std::string_view m = view(method_name_);
    std::string_view u = view(uri_);
    std::string_view v = version_.len ? view(version_) : std::string_view("SIP/2.0");
    line.reserve(m.size() + u.size() + v.size() + 2);
    line.append(m).append(" ").append(u).append(" ").append(v);
    Span s = append(line);
    start_line_ = s;
    method_name_ = Span{s.off, static_cast<uint32_t>(m.size())};
    uri_ = Span{static_cast<uint32_t>(s.off + m.size() + 1), static_cast<uint32_t>(u.size())};
    version_ = Span{static_cast<uint32_t>(s.off + m.size() + u.size() + 2),
                    static_cast<uint32_t>(v.size())};
  } else {
    std::string_view v = version_.len ? view(version_) : std::string_view("SIP/2.0");
    std::string_view r = view(reason_);
    char code[4];
    std::to_chars(code, code + 3, status_);
    code[3] = 0;
    line.append(v).append(" ").append(code, 3).append(" ").append(r);
    Span s = append(line);
    start_line_ = s;
    version_ = Span{s.off, static_cast<uint32_t>(v.size())};
    reason_ = Span{static_cast<uint32_t>(s.off + v.size() + 5), static_cast<uint32_t>(r.size())};
  }
}

Message Message::request(std::string_view method, std::string_view request_uri) {
  Message m;
  m.is_request_ = true;
  m.method_ = methodFromName(method);
  m.buf_.reserve(512);
  m.method_name_ = m.append(method);
  m.uri_ = m.append(request_uri);
  m.rebuildStartLine();
  m.body_ = Span{static_cast<uint32_t>(m.buf_.size()), 0};
  return m;
}

Message Message::response(int code, std::string_view reason) {
  Message m;
  m.is_request_ = false;
  m.status_ = code;
  m.buf_.reserve(512);
  m.reason_ = m.append(reason.empty() ? defaultReason(code) : reason);
  m.rebuildStartLine();
  m.body_ = Span{static_cast<uint32_t>(m.buf_.size()), 0};
  return m;
}

void Message::pushVia(std::string_view value) {
  Entry e;
  e.id = HeaderId::Via;
  e.edited = true;
  e.name = append("Via");
  e.value = append(value);
  auto it = entries_.begin();
  while (it != entries_.end() && it->id != HeaderId::Via) ++it;
  if (it == entries_.end()) it = entries_.begin();
  entries_.insert(it, e);
  noteId(HeaderId::Via);
}

Status Message::popFirstValue(HeaderId id) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->id != id) continue;
    std::string_view v = view(it->value);
    std::vector<std::string_view> parts;
    if (!splitList(v, parts)) return invalid("bad list", headerName(id));
    if (parts.size() <= 1) {
      entries_.erase(it);
      reindex();
    } else {
      auto off = static_cast<uint32_t>(parts[1].data() - buf_.data());
      it->value = Span{off, static_cast<uint32_t>(it->value.off + it->value.len - off)};
      it->edited = true;
    }
    return {};
  }
  return fail(Errc::NotFound, "header missing", std::string(headerName(id)));
}

void Message::addHeader(std::string_view name, std::string_view value) {
  Entry e;
  e.id = headerIdFromName(name);
  e.edited = true;
  e.name = append(name);
  e.value = append(value);
  entries_.push_back(e);
  noteId(e.id);
}

void Message::prependHeader(std::string_view name, std::string_view value) {
  Entry e;
  e.id = headerIdFromName(name);
  e.edited = true;
  e.name = append(name);
  e.value = append(value);
  entries_.insert(entries_.begin(), e);
  noteId(e.id);
}

void Message::setHeader(std::string_view name, std::string_view value) {
  HeaderId id = headerIdFromName(name);
  auto matches = [&](const Entry& e) {
    return id != HeaderId::Unknown ? e.id == id
                                   : e.id == HeaderId::Unknown && iequals(view(e.name), name);
  };
  Span vs = append(value);
  bool placed = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!matches(*it)) {
      ++it;
      continue;
    }
    if (!placed) {
      it->value = vs;
      it->edited = true;
      placed = true;
      ++it;
    } else {
      it = entries_.erase(it);
    }
  }
  if (!placed) {
    Entry e;
    e.id = id;
    e.edited = true;
    e.name = append(name);
    e.value = vs;
    entries_.push_back(e);
  }
  reindex();
}

size_t Message::removeHeaders(std::string_view name) {
  HeaderId id = headerIdFromName(name);
  if (id != HeaderId::Unknown) return removeHeaders(id);
  size_t n = std::erase_if(entries_, [&](const Entry& e) {
    return e.id == HeaderId::Unknown && iequals(view(e.name), name);
  });
  reindex();
  return n;
}

size_t Message::removeHeaders(HeaderId id) {
  size_t n = std::erase_if(entries_, [&](const Entry& e) { return e.id == id; });
  reindex();
  return n;
}

void Message::reindex() noexcept {
  seen_ = {};
  repeated_ = {};
  for (const Entry& e : entries_) noteId(e.id);
}

void Message::setBody(std::string_view body, std::string_view content_type) {
  body_ = append(body);
  char num[16];
  auto r = std::to_chars(num, num + sizeof(num), body.size());
  setHeader("Content-Length", std::string_view(num, static_cast<size_t>(r.ptr - num)));
  if (!content_type.empty()) setHeader("Content-Type", content_type);
}

void Message::setRequestUri(std::string_view uri) {
  uri_ = append(uri);
  rebuildStartLine();
}

void Message::serializeTo(std::string& out) const {
  size_t est = start_line_.len + 4 + body_.len;
  for (const Entry& e : entries_) est += e.edited ? e.name.len + e.value.len + 4 : e.raw.len;
  out.reserve(out.size() + est);
  out.append(view(start_line_)).append("\r\n");
  for (const Entry& e : entries_) {
    if (e.edited) {
      out.append(view(e.name)).append(": ").append(view(e.value)).append("\r\n");
    } else {
      out.append(view(e.raw));
      // A header line that ended the data without a line break still needs one.
      if (e.raw.len == 0 || buf_[e.raw.off + e.raw.len - 1] != '\n') out.append("\r\n");
    }
  }
  out.append("\r\n").append(view(body_));
}

std::string Message::serialize() const {
  std::string out;
  serializeTo(out);
  return out;
}

Message makeResponse(const Message& request, int code, std::string_view reason,
                     std::string_view to_tag) {
  Message r = Message::response(code, reason);
  for (size_t i = 0; i < request.headerCount(); ++i) {
    HeaderField f = request.headerAt(i);
    switch (f.id) {
      case HeaderId::Via:
      case HeaderId::From:
      case HeaderId::CallId:
      case HeaderId::CSeq:
        r.addHeader(headerName(f.id), f.value);
        break;
      case HeaderId::Timestamp:
        if (code == 100) r.addHeader(headerName(f.id), f.value);  // RFC 3261 §8.2.6.1
        break;
      case HeaderId::To: {
        auto na = parseNameAddr(f.value);
        if (!to_tag.empty() && na && na->tag.empty()) {
          std::string v(f.value);
          v.append(";tag=").append(to_tag);
          r.addHeader("To", v);
        } else {
          r.addHeader("To", f.value);
        }
        break;
      }
      default:
        break;
    }
  }
  r.addHeader("Content-Length", "0");
  return r;
}

}  // namespace sb::sip
