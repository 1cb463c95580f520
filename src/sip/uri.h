// SPDX-License-Identifier: Apache-2.0
// SIP/SIPS/tel URIs (RFC 3261 §19.1, RFC 3966) parsed into views of the caller's text, plus
// URI comparison per RFC 3261 §19.1.4. Any other scheme parses as an opaque absoluteURI.
// A Uri never owns bytes: it is valid while the text it was parsed from is alive and unmoved.
// Pure value types and functions; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sb::sip {

// A ';'-separated parameter list kept as raw text ("a=b;lr;c=\"q\"", without the leading ';').
// Lookups scan the text (lists are short), names compare case-insensitively, and the value
// is returned raw (still quoted / %-escaped as on the wire). No allocation.
class ParamList {
 public:
  ParamList() = default;
  explicit ParamList(std::string_view raw) : raw_(raw) {}

  // nullopt if absent; an empty view for a parameter present without "=value".
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return get(name).has_value(); }
  bool empty() const noexcept { return raw_.empty(); }
  std::string_view raw() const noexcept { return raw_; }

  // Calls f(name, value, has_value) for each parameter, names/values trimmed of LWS.
  template <typename F>
  void forEach(F&& f) const;

 private:
  std::string_view raw_;
};

enum class Scheme : uint8_t { Sip, Sips, Tel, Other };

struct Uri {
  Scheme scheme = Scheme::Other;
  std::string_view scheme_name;  // as written ("SIP", "sip", "http")
  std::string_view user;         // raw, still %-escaped; for tel: the number
  std::string_view password;     // raw
  bool has_user = false;
  bool has_password = false;
  std::string_view host;  // without the '[' ']' of an IPv6 reference
  bool ipv6 = false;
  uint16_t port = 0;  // 0 when absent
  ParamList params;   // uri-parameters (sip/sips/tel)
  std::string_view headers;  // raw text after '?', "" if none
  std::string_view opaque;   // Other: everything after "scheme:"
  std::string_view raw;      // the whole URI text

  bool isSip() const noexcept { return scheme == Scheme::Sip || scheme == Scheme::Sips; }
  // "host" or "[v6]" plus ":port" when a port was given.
  std::string hostPort() const;
};

// Parses a whole URI. Errors (InvalidArgument): empty/invalid scheme, a sip/sips URI without a
// host, an IPv6 address not in brackets, a bad port, bad %HH escapes, whitespace, '<' '>'.
[[nodiscard]] Result<Uri> parseUri(std::string_view text) noexcept;
// Same as parseUri, writing into `out` (no temporary Uri); `out` is unspecified on error.
[[nodiscard]] Status parseUriInto(std::string_view text, Uri& out) noexcept;

// RFC 3261 §19.1.4 equivalence (sip/sips), RFC 3966 §4 for tel, exact match otherwise.
bool uriEquals(const Uri& a, const Uri& b) noexcept;

// Decodes %HH once ("value%25%34%31" -> "value%41"). Invalid escapes are copied as-is.
std::string unescape(std::string_view text);

// Case-insensitive ASCII equality. Inline: it sits on the header-name and parameter hot path.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto x = static_cast<unsigned char>(a[i]);
    auto y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    if (static_cast<unsigned char>(x - 'A') < 26u) x |= 0x20;
    if (static_cast<unsigned char>(y - 'A') < 26u) y |= 0x20;
    if (x != y) return false;
  }
  return true;
}

template <typename F>
void ParamList::forEach(F&& f) const {
  std::string_view rest = raw_;
  auto trim = [](std::string_view s) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
  };
  while (!rest.empty()) {
    size_t end = 0;
    bool quoted = false;
    for (; end < rest.size(); ++end) {
      char c = rest[end];
      if (quoted && c == '\\') {
        ++end;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (!quoted && c == ';') break;
    }
    std::string_view item = rest.substr(0, end < rest.size() ? end : rest.size());
    rest.remove_prefix(end < rest.size() ? end + 1 : rest.size());
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      f(trim(item), std::string_view{}, false);
    } else {
      f(trim(item.substr(0, eq)), trim(item.substr(eq + 1)), true);
    }
  }
}

}  // namespace sb::sip
