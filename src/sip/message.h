// SPDX-License-Identifier: Apache-2.0
// sb::sip::Message: one SIP request or response (RFC 3261 §7), parsed without copying headers.
// A Message owns a single byte buffer; header fields are stored as offsets into it, and every
// string_view a Message (or a typed value from it: Via, NameAddr, Uri, ...) hands out points
// into that buffer. Such views stay valid until the Message is edited, moved-from or destroyed.
// Copying and moving a Message are safe (offsets, not pointers). Thread-compatible value type.
//
// Parsing is two-level: parse() splits the start line, the header fields (with folding and
// compact names) and the body; the typed accessors parse one header's grammar on demand and
// return sb::Result (InvalidArgument with the header name as field) — they never throw.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sip/uri.h"

namespace sb::sip {

enum class Method : uint8_t {
  Invite, Ack, Bye, Cancel, Options, Register, Info, Update, Prack, Subscribe, Notify, Publish,
  Message, Refer, Other
};

// Methods are case-sensitive tokens (RFC 3261 §7.1): "invite" is Other.
Method methodFromName(std::string_view name) noexcept;
// Canonical name; "" for Other.
std::string_view methodName(Method method) noexcept;

// Known header fields. Compact forms (RFC 3261 §7.3.3 and extensions) map to the same id.
enum class HeaderId : uint8_t {
  Unknown,
  Accept, AcceptContact, AcceptEncoding, AcceptLanguage, AlertInfo, Allow, AllowEvents,
  AuthenticationInfo, Authorization, CallId, CallInfo, Contact, ContentDisposition,
  ContentEncoding, ContentLanguage, ContentLength, ContentType, CSeq, Date, ErrorInfo, Event,
  Expires, From, Identity, IdentityInfo, InReplyTo, MaxForwards, MimeVersion, MinExpires, MinSE,
  Organization, PAssertedIdentity, PPreferredIdentity, Path, Priority, ProxyAuthenticate,
  ProxyAuthorization, ProxyRequire, RAck, Reason, RecordRoute, ReferTo, ReferredBy,
  RejectContact, Replaces, ReplyTo, RequestDisposition, Require, RetryAfter, Route, RSeq, Server,
  ServiceRoute, SessionExpires, SipETag, SipIfMatch, Subject, SubscriptionState, Supported,
  Timestamp, To, Unsupported, UserAgent, Via, Warning, WwwAuthenticate,
  Count_  // not a header
};

// Full or compact name, case-insensitive; Unknown if not listed above.
HeaderId headerIdFromName(std::string_view name) noexcept;
// Canonical full name ("Call-ID"); "" for Unknown.
std::string_view headerName(HeaderId id) noexcept;
// True when the header's grammar is a comma-separated list (Via, Contact, Route, Allow, ...).
bool headerIsList(HeaderId id) noexcept;

struct HeaderField {
  HeaderId id = HeaderId::Unknown;
  std::string_view name;   // as written on the wire (maybe compact, any case)
  std::string_view value;  // trimmed; inner folding (CRLF + WS) kept as-is
};

// RFC 3261 §20.42 + RFC 3581 (rport) + RFC 5118 (bracketed/bare IPv6 received).
struct Via {
  std::string_view protocol;   // "SIP/2.0" pieces: name and version
  std::string_view version;
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", or any token
  std::string_view host;       // without IPv6 brackets
  bool ipv6 = false;
  uint16_t port = 0;           // 0 when absent
  std::string_view branch;     // "" when absent
  std::string_view received;   // without brackets; "" when absent
  bool rport = false;          // rport present (with or without value)
  uint16_t rport_value = 0;    // 0 when present without value
  std::string_view maddr;
  std::optional<uint8_t> ttl;
  ParamList params;            // all via-params, raw
  std::string_view raw;        // the whole via-parm
};

// name-addr / addr-spec (From, To, Contact, Route, Record-Route, Reply-To, Refer-To, ...).
struct NameAddr {
  std::string_view display;  // without the quotes; escapes (\") kept; "" if none
  Uri uri;
  std::string_view tag;      // "" when absent
  ParamList params;          // header params after the URI (tag, expires, q, ...)
  bool bracketed = false;    // the URI was enclosed in '<' '>'
  std::string_view raw;
};

struct Contact : NameAddr {
  bool star = false;                // "Contact: *"
  std::optional<uint32_t> expires;  // the contact-param expires
};

struct CSeq {
  uint32_t number = 0;
  Method method = Method::Other;
  std::string_view method_name;
};

struct MediaType {
  std::string_view type;
  std::string_view subtype;
  ParamList params;
  // Case-insensitive match of type/subtype.
  bool is(std::string_view t, std::string_view s) const noexcept;
};

struct AuthParam {
  std::string_view name;
  std::string_view value;  // quotes removed, escapes kept
  bool quoted = false;
};

// Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate (RFC 3261 §25).
struct AuthValue {
  std::string_view scheme;  // "Digest", "NewAuth", ...
  std::vector<AuthParam> params;
  std::optional<std::string_view> param(std::string_view name) const noexcept;  // ci name
};

class Message {
 public:
  Message() = default;

  // Parses one message with datagram semantics (RFC 3261 §18.3): with Content-Length, the body
  // is that many bytes and any further bytes are ignored; without it the body runs to the end.
  // Takes ownership of `bytes` (no copy). A missing empty line after the headers is tolerated
  // (the headers end with the data). Errors (InvalidArgument, field names the culprit):
  // malformed start line, Request-URI that is not a URI, status code outside 100..699, header
  // line without ':' / with an invalid name, Content-Length non-numeric, negative, conflicting
  // or larger than the bytes available (clerr: the caller answers 400).
  [[nodiscard]] static Result<Message> parse(std::string bytes);
  [[nodiscard]] static Result<Message> parse(std::string_view bytes) {
    return parse(std::string(bytes));
  }
  [[nodiscard]] static Result<Message> parse(const char* bytes) {
    return parse(std::string(bytes));
  }

  // Builders: an empty message with just a start line. Add headers and a body with the editing
  // functions below. `request_uri` / `reason` are not validated.
  static Message request(std::string_view method, std::string_view request_uri);
  static Message response(int code, std::string_view reason = {});

  // --- start line ---
  bool isRequest() const noexcept { return is_request_; }
  Method method() const noexcept { return method_; }
  std::string_view methodName() const noexcept { return view(method_name_); }
  std::string_view requestUriText() const noexcept { return view(uri_); }
  // Re-parses the Request-URI text (cheap); parse() already checked it for requests.
  Result<Uri> requestUri() const noexcept { return parseUri(view(uri_)); }
  int statusCode() const noexcept { return status_; }
  std::string_view reasonPhrase() const noexcept { return view(reason_); }
  std::string_view sipVersion() const noexcept { return view(version_); }

  // --- raw headers, in wire order ---
  size_t headerCount() const noexcept { return entries_.size(); }
  HeaderField headerAt(size_t i) const noexcept {
    const Entry& e = entries_[i];
    return HeaderField{e.id, view(e.name), view(e.value)};
  }
  // First field's value, nullopt if absent.
  std::optional<std::string_view> header(HeaderId id) const noexcept;
  std::optional<std::string_view> header(std::string_view name) const noexcept;  // any name
  // Every value of that header in order; list headers are split at commas outside quotes/<>.
  std::vector<std::string_view> headers(HeaderId id) const;
  // Number of header fields (lines) with this id.
  size_t count(HeaderId id) const noexcept;
  std::string_view body() const noexcept { return view(body_); }

  // --- typed accessors (each errors with NotFound if the header is absent) ---
  Result<Via> topVia() const;
  Result<std::vector<Via>> vias() const;
  Result<NameAddr> from() const;
  Result<NameAddr> to() const;
  Result<std::string_view> callId() const;
  Result<CSeq> cseq() const;
  Result<uint32_t> maxForwards() const;  // > 255 is an error
  Result<std::vector<Contact>> contacts() const;
  Result<std::vector<NameAddr>> routes() const;
  Result<std::vector<NameAddr>> recordRoutes() const;
  Result<uint32_t> contentLength() const;
  Result<MediaType> contentType() const;
  Result<uint32_t> expires() const;
  Result<std::vector<std::string_view>> allow() const;       // tokens
  Result<std::vector<std::string_view>> supported() const;   // option tags
  Result<std::vector<std::string_view>> require() const;
  Result<std::vector<std::string_view>> proxyRequire() const;
  Result<std::vector<MediaType>> accept() const;
  Result<std::vector<AuthValue>> authorization() const;
  Result<std::vector<AuthValue>> proxyAuthorization() const;
  Result<std::vector<AuthValue>> wwwAuthenticate() const;
  Result<std::vector<AuthValue>> proxyAuthenticate() const;

  // --- allocation-free variants of the typed accessors, for hot paths ---
  // Same grammar, results and errors as the accessors above, but they write into a caller-owned
  // value: a vector is overwritten in place, reusing the elements (and their storage) it
  // already holds, so a buffer kept across messages stops allocating once it has grown to the
  // largest list seen. On error the content of `out` is unspecified.
  Status vias(std::vector<Via>& out) const;
  Status from(NameAddr& out) const;
  Status to(NameAddr& out) const;
  Status contacts(std::vector<Contact>& out) const;
  Status routes(std::vector<NameAddr>& out) const;
  Status recordRoutes(std::vector<NameAddr>& out) const;
  Status allow(std::vector<std::string_view>& out) const;
  Status supported(std::vector<std::string_view>& out) const;
  Status require(std::vector<std::string_view>& out) const;
  Status proxyRequire(std::vector<std::string_view>& out) const;
  Status authorization(std::vector<AuthValue>& out) const;
  Status proxyAuthorization(std::vector<AuthValue>& out) const;
  Status wwwAuthenticate(std::vector<AuthValue>& out) const;
  Status proxyAuthenticate(std::vector<AuthValue>& out) const;

  // --- editing (proxies and UAs); each invalidates views previously handed out ---
  // Inserts a Via value above all others.
  void pushVia(std::string_view value);
  // Removes the first value of a list header (the top Via, the first Route); the field goes
  // away when it held only that value. NotFound when absent.
  Status popFirstValue(HeaderId id);
  Status popVia() { return popFirstValue(HeaderId::Via); }
  // Appends a header field after all others.
  void addHeader(std::string_view name, std::string_view value);
  // Inserts a header field before all others (Record-Route on a proxy).
  void prependHeader(std::string_view name, std::string_view value);
  // Replaces every field with that (full or compact) name by one field, or appends it.
  void setHeader(std::string_view name, std::string_view value);
  // Removes every field with that name (a known name also removes its compact form).
  size_t removeHeaders(std::string_view name);
  size_t removeHeaders(HeaderId id);
  // Sets the body and Content-Length (and Content-Type when given).
  void setBody(std::string_view body, std::string_view content_type = {});
  void setRequestUri(std::string_view uri);

  // Writes the message to the wire. Unedited fields are copied byte-exact (unknown headers,
  // odd spacing and folding included); edited ones are written as "Name: value".
  std::string serialize() const;
  void serializeTo(std::string& out) const;

 private:
  struct Span {
    uint32_t off = 0;
    uint32_t len = 0;
  };
  struct Entry {
    HeaderId id = HeaderId::Unknown;
    bool edited = false;  // written from name/value, not raw
    Span name;
    Span value;
    Span raw;  // name start .. line end incl. CRLF (unedited entries)
  };

  // One bit per HeaderId: which ids have a field, and which have more than one. parse() and
  // every edit keep them current, so single-valued lookups skip absent/repeated headers.
  using IdBits = std::array<uint64_t, 2>;
  static_assert(static_cast<size_t>(HeaderId::Count_) <= 128);
  static bool has(const IdBits& bits, HeaderId id) noexcept {
    auto b = static_cast<unsigned>(id);
    return (bits[b >> 6] >> (b & 63)) & 1u;
  }
  void noteId(HeaderId id) noexcept {
    auto b = static_cast<unsigned>(id);
    uint64_t bit = uint64_t{1} << (b & 63);
    repeated_[b >> 6] |= seen_[b >> 6] & bit;
    seen_[b >> 6] |= bit;
  }
  void reindex() noexcept;

  std::string_view view(Span s) const noexcept { return {buf_.data() + s.off, s.len}; }
  Span append(std::string_view text);
  void rebuildStartLine();
  Result<std::string_view> single(HeaderId id) const;
  Result<std::vector<NameAddr>> nameAddrList(HeaderId id) const;
  Status nameAddrField(HeaderId id, NameAddr& out) const;
  Result<std::vector<std::string_view>> tokenList(HeaderId id) const;
  Status tokenList(HeaderId id, std::vector<std::string_view>& out) const;
  Result<std::vector<AuthValue>> authList(HeaderId id) const;
  Status authList(HeaderId id, std::vector<AuthValue>& out) const;
  template <typename T, typename P>
  Status parseListInto(HeaderId id, P&& parse, std::vector<T>& out) const;

  std::string buf_;
  std::vector<Entry> entries_;
  IdBits seen_{};
  IdBits repeated_{};
  bool is_request_ = true;
  Method method_ = Method::Other;
  int status_ = 0;
  Span start_line_;  // without CRLF
  Span method_name_;
  Span uri_;
  Span version_;
  Span reason_;
  Span body_;
};

// RFC 3261 §8.2.6: a response to `request` copying Via(s), From, To (adding `to_tag` when given
// and To has none), Call-ID and CSeq, with Content-Length: 0. An empty reason uses the
// standard phrase for the code.
Message makeResponse(const Message& request, int code, std::string_view reason = {},
                     std::string_view to_tag = {});

// "OK", "Not Found", ...; "Unknown" for codes without a standard phrase.
std::string_view defaultReason(int code) noexcept;

// --- grammar helpers shared by the typed accessors (exposed for other sip modules) ---
// Splits a list header value at commas outside quotes and <>; empty elements are an error.
Status splitList(std::string_view value, std::vector<std::string_view>& out);
Result<Via> parseVia(std::string_view text) noexcept;
Result<NameAddr> parseNameAddr(std::string_view text) noexcept;
Result<Contact> parseContact(std::string_view text) noexcept;
Result<MediaType> parseMediaType(std::string_view text) noexcept;
Result<AuthValue> parseAuth(std::string_view text);
// The same parsers writing into `out` (fully overwritten; AuthValue keeps its params capacity);
// `out` is unspecified on error.
Status parseViaInto(std::string_view text, Via& out) noexcept;
Status parseNameAddrInto(std::string_view text, NameAddr& out) noexcept;
Status parseContactInto(std::string_view text, Contact& out) noexcept;
Status parseAuthInto(std::string_view text, AuthValue& out);
// Decimal digits into a uint32 (leading zeros allowed); errors when empty or above 2^32-1.
Result<uint32_t> parseUint32(std::string_view digits) noexcept;

}  // namespace sb::sip
