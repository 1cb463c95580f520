// SPDX-License-Identifier: Apache-2.0
#include "presence/pidf.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

namespace sb::presence {
namespace {

// ---- A minimal namespace-aware XML reader, sufficient for PIDF -------------------------
// Builds a small tree. It never throws: every failure is an Error. It does not process DTDs
// (rejected outright, which also rules out entity-expansion attacks).

struct XmlElement {
  std::string ns;     // resolved namespace URI ("" when none)
  std::string local;  // local name
  std::vector<std::pair<std::string, std::string>> attrs;  // unprefixed attrs: name → value
  std::string text;   // concatenated character data of this element (not of children)
  std::vector<XmlElement> children;
};

constexpr int kMaxDepth = 32;
constexpr int kMaxElements = 4000;

using NsMap = std::map<std::string, std::string, std::less<>>;

class XmlReader {
 public:
  explicit XmlReader(std::string_view in) : in_(in) {}

  Result<XmlElement> parseDocument() {
    if (in_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    SB_TRY(skipMisc());
    if (!startsWith("<")) return err("expected the root element");
    NsMap ns;
    ns["xml"] = "http://www.w3.org/XML/1998/namespace";
    auto root = parseElement(ns, 0);
    if (!root) return root;
    SB_TRY(skipMisc());
    if (pos_ != in_.size()) return err("content after the root element");
    return root;
  }

 private:
  std::unexpected<Error> err(std::string msg) const {
    return fail(Errc::InvalidArgument,
                "malformed XML at offset " + std::to_string(pos_) + ": " + msg, "body");
  }
  bool startsWith(std::string_view s) const { return in_.substr(pos_).starts_with(s); }
  static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  void skipSpace() {
    while (pos_ < in_.size() && isSpace(in_[pos_])) ++pos_;
  }
  static bool isNameChar(char c) {
    auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == ':' || u >= 0x80;
  }
  static bool isNameStart(char c) {
    auto u = static_cast<unsigned char>(c);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || u >= 0x80;
  }

  Result<std::string> readName() {
    size_t start = pos_;
    if (pos_ >= in_.size() || !isNameStart(in_[pos_])) return err("expected a name");
    while (pos_ < in_.size() && isNameChar(in_[pos_])) ++pos_;
    std::string name(in_.substr(start, pos_ - start));
    auto colon = name.find(':');
    if (colon != std::string::npos &&
        (colon == 0 || colon + 1 == name.size() || name.find(':', colon + 1) != std::string::npos)) {
      return err("bad qualified name '" + name + "'");
    }
    return name;
  }

  // Skips a comment, processing instruction or (rejected) DOCTYPE at pos_.
  Status skipSpecial() {
    if (startsWith("<!--")) {
      auto end = in_.find("-->", pos_ + 4);
      if (end == std::string_view::npos) return err("unterminated comment");
      pos_ = end + 3;
      return {};
    }
    if (startsWith("<?")) {
      auto end = in_.find("?>", pos_ + 2);
      if (end == std::string_view::npos) return err("unterminated processing instruction");
      pos_ = end + 2;
      return {};
    }
    if (startsWith("<!DOCTYPE") || startsWith("<!doctype")) return err("DOCTYPE is not allowed");
    return err("unexpected markup");
  }

  Status skipMisc() {
    for (;;) {
      skipSpace();
      if (startsWith("<!--") || startsWith("<?") || startsWith("<!")) {
        SB_TRY(skipSpecial());
        continue;
      }
      return {};
    }
  }

  static void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // At '&': decodes one reference into out.
  Status readReference(std::string& out) {
    auto semi = in_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return err("unterminated reference");
    std::string_view ref = in_.substr(pos_ + 1, semi - pos_ - 1);
    if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "amp") {
      out += '&';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x' || ref[1] == 'X';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return err("empty character reference");
      uint32_t cp = 0;
      for (char c : digits) {
        uint32_t v;
        if (c >= '0' && c <= '9') {
          v = static_cast<uint32_t>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
          v = static_cast<uint32_t>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
          v = static_cast<uint32_t>(c - 'A' + 10);
        } else {
          return err("bad character reference");
        }
        cp = cp * (hex ? 16 : 10) + v;
        if (cp > 0x10FFFF) return err("character reference out of range");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return err("invalid character reference");
      appendUtf8(out, cp);
    } else {
      return err("unknown entity '&" + std::string(ref) + ";'");
    }
    pos_ = semi + 1;
    return {};
  }

  Result<std::pair<std::string, std::string>> resolve(const std::string& qname, const NsMap& ns,
                                                      bool is_attr) {
    auto colon = qname.find(':');
    if (colon == std::string::npos) {
      if (is_attr) return std::pair<std::string, std::string>{"", qname};
      auto it = ns.find("");
      return std::pair<std::string, std::string>{it == ns.end() ? "" : it->second, qname};
    }
    std::string prefix = qname.substr(0, colon);
    auto it = ns.find(prefix);
    if (it == ns.end()) return err("unbound namespace prefix '" + prefix + "'");
    return std::pair<std::string, std::string>{it->second, qname.substr(colon + 1)};
  }

  Result<XmlElement> parseElement(const NsMap& parent_ns, int depth) {
    if (depth >= kMaxDepth) return err("elements nested too deeply");
    if (++elements_ > kMaxElements) return err("too many elements");
    ++pos_;  // '<'
    auto qname = readName();
    if (!qname) return std::unexpected(qname.error());
    NsMap ns = parent_ns;
    std::vector<std::pair<std::string, std::string>> raw_attrs;
    bool self_closing = false;
    for (;;) {
      size_t before = pos_;
      skipSpace();
      if (pos_ >= in_.size()) return err("unterminated start tag");
      if (startsWith("/>")) {
        pos_ += 2;
        self_closing = true;
        break;
      }
      if (in_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (pos_ == before) return err("expected whitespace before an attribute");
      auto name = readName();
      if (!name) return std::unexpected(name.error());
      skipSpace();
      if (pos_ >= in_.size() || in_[pos_] != '=') return err("expected '=' after attribute name");
      ++pos_;
      skipSpace();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
        return err("attribute value must be quoted");
      }
      char quote = in_[pos_++];
      std::string value;
      for (;;) {
        if (pos_ >= in_.size()) return err("unterminated attribute value");
        char c = in_[pos_];
        if (c == quote) {
          ++pos_;
          break;
        }
        if (c == '<') return err("'<' in attribute value");
        if (c == '&') {
          SB_TRY(readReference(value));
          continue;
        }
        value += c;
        ++pos_;
      }
      for (const auto& [n, v] : raw_attrs) {
        if (n == *name) return err("duplicate attribute '" + n + "'");
      }
      if (*name == "xmlns") {
        ns[""] = value;
      } else if (name->starts_with("xmlns:")) {
        if (value.empty()) return err("empty namespace for prefix");
        ns[name->substr(6)] = value;
      }
      raw_attrs.emplace_back(std::move(*name), std::move(value));
    }
    XmlElement el;
    auto resolved = resolve(*qname, ns, false);
    if (!resolved) return std::unexpected(resolved.error());
    el.ns = std::move(resolved->first);
    el.local = std::move(resolved->second);
    for (auto& [n, v] : raw_attrs) {
      if (n == "xmlns" || n.starts_with("xmlns:")) continue;
      auto r = resolve(n, ns, true);
      if (!r) return std::unexpected(r.error());
      if (r->first.empty()) el.attrs.emplace_back(std::move(r->second), std::move(v));
    }
    if (self_closing) return el;
    for (;;) {
      if (pos_ >= in_.size()) return err("unterminated element <" + *qname + ">");
      char c = in_[pos_];
      if (c == '<') {
        if (startsWith("</")) {
          pos_ += 2;
          auto end_name = readName();
          if (!end_name) return std::unexpected(end_name.error());
          if (*end_name != *qname) {
            return err("end tag </" + *end_name + "> does not match <" + *qname + ">");
          }
          skipSpace();
          if (pos_ >= in_.size() || in_[pos_] != '>') return err("expected '>' in end tag");
          ++pos_;
          return el;
        }
        if (startsWith("<![CDATA[")) {
          auto end = in_.find("]]>", pos_ + 9);
          if (end == std::string_view::npos) return err("unterminated CDATA section");
          el.text.append(in_.substr(pos_ + 9, end - pos_ - 9));
          pos_ = end + 3;
          continue;
        }
        if (startsWith("<!") || startsWith("<?")) {
          SB_TRY(skipSpecial());
          continue;
        }
        auto child = parseElement(ns, depth + 1);
        if (!child) return child;
        el.children.push_back(std::move(*child));
        continue;
      }
      if (c == '&') {
        SB_TRY(readReference(el.text));
        continue;
      }
      el.text += c;
      ++pos_;
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  int elements_ = 0;
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (b < e && sp(s[b])) ++b;
  while (e > b && sp(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::string lowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is(const XmlElement& e, std::string_view ns, std::string_view local) {
  return e.ns == ns && e.local == local;
}

// Collects everything PIDF-relevant below `e`, wherever a client placed it (RPID elements
// appear under dm:person, under tuple, or directly under presence depending on the UA).
void collect(const XmlElement& e, PidfDocument& doc, bool& any_open, bool& any_basic) {
  for (const auto& c : e.children) {
    if (is(c, kPidfNamespace, "basic")) {
      std::string v = lowerCopy(trim(c.text));
      if (v == "open" || v == "closed") {
        any_basic = true;
        any_open = any_open || v == "open";
      }
    } else if (c.local == "note" && (c.ns == kPidfNamespace || c.ns == kDataModelNamespace)) {
      std::string t = trim(c.text);
      if (!t.empty()) doc.notes.push_back(std::move(t));
    } else if (is(c, kRpidNamespace, "activities")) {
      for (const auto& a : c.children) {
        if (a.ns != kRpidNamespace) continue;
        if (a.local == "other") {
          std::string t = trim(a.text);
          if (!t.empty()) doc.other_activities.push_back(std::move(t));
        } else if (a.local != "note") {
          doc.activities.push_back(a.local);
        }
      }
      continue;
    } else if (is(c, kRpidNamespace, "user-input")) {
      doc.idle = doc.idle || lowerCopy(trim(c.text)) == "idle";
    }
    collect(c, doc, any_open, any_basic);
  }
}

std::string escapeXml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool hasOther(const PidfDocument& d, std::string_view graph_name) {
  for (const auto& o : d.other_activities) {
    if (lowerCopy(o) == lowerCopy(graph_name)) return true;
  }
  return false;
}

}  // namespace

std::string toPidf(const Presence& p, std::string_view entity) {
  using A = Availability;
  using T = Activity;
  const bool open = p.pair.availability != A::Offline && p.pair.availability != A::PresenceUnknown;
  std::vector<std::string> tokens;  // RFC 4480 activity elements
  std::string other;                // Graph activity name when no RPID token is exact
  bool idle = p.pair.availability == A::AvailableIdle || p.pair.availability == A::BusyIdle;
  switch (p.pair.activity) {
    case T::InACall: tokens = {"on-the-phone"}; break;
    case T::InAConferenceCall: tokens = {"on-the-phone"}; other = "InAConferenceCall"; break;
    case T::Presenting: tokens = {"presentation"}; break;
    case T::InAMeeting: tokens = {"meeting"}; break;
    case T::Busy: tokens = {"busy"}; break;
    case T::DoNotDisturb: tokens = {"busy"}; other = "DoNotDisturb"; break;
    case T::UrgentInterruptionsOnly: tokens = {"busy"}; other = "UrgentInterruptionsOnly"; break;
    case T::Away: tokens = {"away"}; break;
    case T::BeRightBack: tokens = {"away"}; other = "BeRightBack"; break;
    case T::OutOfOffice: tokens = {"vacation"}; break;
    case T::PresenceUnknown: tokens = {"unknown"}; break;
    case T::AvailableInactive:
    case T::Inactive: idle = true; break;
    case T::Available:
    case T::Offline:
    case T::OffWork: break;
  }
  std::string note = std::string(toString(p.pair.availability));
  if (toString(p.pair.activity) != toString(p.pair.availability)) {
    note += " - " + std::string(toString(p.pair.activity));
  }
  if (p.status_message) note += ": " + p.status_message->content;

  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"";
  x += " xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"";
  x += " xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"";
  x += " entity=\"" + escapeXml(entity) + "\">\n";
  x += " <tuple id=\"sb\">\n  <status><basic>";
  x += open ? "open" : "closed";
  x += "</basic></status>\n  <note>" + escapeXml(note) + "</note>\n </tuple>\n";
  x += " <dm:person id=\"sb-person\">\n";
  if (!tokens.empty() || !other.empty()) {
    x += "  <rpid:activities>";
    for (const auto& t : tokens) x += "<rpid:" + t + "/>";
    if (!other.empty()) x += "<rpid:other>" + other + "</rpid:other>";
    x += "</rpid:activities>\n";
  }
  if (idle) x += "  <rpid:user-input>idle</rpid:user-input>\n";
  x += "  <dm:note>" + escapeXml(note) + "</dm:note>\n";
  x += " </dm:person>\n</presence>\n";
  return x;
}

Result<PidfDocument> parsePidf(std::string_view body) {
  if (body.size() > kMaxPidfBytes) {
    return fail(Errc::InvalidArgument, "PIDF body larger than 64 KiB", "body");
  }
  XmlReader reader(body);
  auto root = reader.parseDocument();
  if (!root) return std::unexpected(root.error());
  if (!is(*root, kPidfNamespace, "presence")) {
    return fail(Errc::InvalidArgument,
                "root element is not {urn:ietf:params:xml:ns:pidf}presence", "body");
  }
  PidfDocument doc;
  for (const auto& [n, v] : root->attrs) {
    if (n == "entity") doc.entity = v;
  }
  bool any_open = false, any_basic = false;
  collect(*root, doc, any_open, any_basic);
  if (any_basic) doc.basic = any_open ? BasicStatus::Open : BasicStatus::Closed;
  return doc;
}

Result<std::optional<PresencePair>> pairFromPidf(const PidfDocument& d) {
  using A = Availability;
  using T = Activity;
  using R = std::optional<PresencePair>;
  if (d.basic == BasicStatus::Closed) return R{};
  if (!d.basic && d.activities.empty() && d.other_activities.empty()) {
    return fail(Errc::InvalidArgument, "PIDF states neither a basic status nor an activity",
                "body");
  }
  bool dnd_note = false;
  for (const auto& n : d.notes) dnd_note = dnd_note || lowerCopy(n) == "do not disturb";
  const auto& act = d.activities;
  if (hasOther(d, "InAConferenceCall")) return R{PresencePair{A::Busy, T::InAConferenceCall}};
  if (has(act, "on-the-phone") || hasOther(d, "InACall")) return R{PresencePair{A::Busy, T::InACall}};
  if (has(act, "presentation") || hasOther(d, "Presenting")) {
    return R{PresencePair{A::DoNotDisturb, T::Presenting}};
  }
  if (hasOther(d, "DoNotDisturb") || dnd_note) {
    return R{PresencePair{A::DoNotDisturb, T::DoNotDisturb}};
  }
  if (has(act, "meeting") || hasOther(d, "InAMeeting")) return R{PresencePair{A::Busy, T::InAMeeting}};
  if (has(act, "busy") || has(act, "appointment") || has(act, "performance") ||
      hasOther(d, "Busy")) {
    return R{PresencePair{A::Busy, T::Busy}};
  }
  if (hasOther(d, "BeRightBack")) return R{PresencePair{A::BeRightBack, T::BeRightBack}};
  for (std::string_view away : {"away", "vacation", "holiday", "meal", "breakfast", "dinner",
                                "sleeping", "travel", "in-transit", "permanent-absence"}) {
    if (has(act, away)) return R{PresencePair{A::Away, T::Away}};
  }
  if (hasOther(d, "Away")) return R{PresencePair{A::Away, T::Away}};
  return R{PresencePair{A::Available, T::Available}};
}

}  // namespace sb::presence
