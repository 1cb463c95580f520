// SPDX-License-Identifier: Apache-2.0
// SDP (RFC 8866) session description model with a never-throwing parser and a CRLF
// serializer. Attributes are kept as one ordered list of (name, value) so that
// parse -> serialize reproduces well-formed input; typed views (rtpmap, fmtp, crypto, rtcp,
// direction, ptime) are parsed from that list on demand (see sdp/attributes.h).
// Plain value types owned by the caller; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sdp/attributes.h"

namespace sb::sdp {

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
struct Origin {
  std::string username = "-";
  std::string session_id = "0";  // numeric string; kept as text (may exceed 64 bits in theory)
  uint64_t session_version = 0;
  std::string nettype = "IN";
  std::string addrtype = "IP4";
  std::string address;

  bool operator==(const Origin&) const = default;
};

// c=<nettype> <addrtype> <connection-address>[/<ttl>][/<number of addresses>]
// For IP6 only the "/<number>" suffix exists (RFC 8866 §5.7); ttl stays empty then.
struct Connection {
  std::string nettype = "IN";
  std::string addrtype = "IP4";
  std::string address;  // IPv4 / FQDN / unbracketed IPv6, without the '/' suffixes
  std::optional<uint32_t> ttl;
  std::optional<uint32_t> count;

  bool operator==(const Connection&) const = default;
  // Builds an IN connection, addrtype IP6 when `address` contains ':' else IP4.
  static Connection forAddress(std::string address);
};

// b=<bwtype>:<bandwidth>
struct Bandwidth {
  std::string type;  // "AS", "CT", "TIAS", ...
  uint64_t value = 0;

  bool operator==(const Bandwidth&) const = default;
};

// t=<start-time> <stop-time> plus its r= lines (kept raw).
struct Timing {
  uint64_t start = 0;
  uint64_t stop = 0;
  std::vector<std::string> repeats;

  bool operator==(const Timing&) const = default;
};

// a=<name>[:<value>]; `has_value` distinguishes "a=x:" from "a=x".
struct Attribute {
  std::string name;
  std::string value;
  bool has_value = false;

  bool operator==(const Attribute&) const = default;
};

// Ordered attribute list shared by session and media level.
class AttributeList {
 public:
  const std::vector<Attribute>& items() const noexcept { return items_; }
  std::vector<Attribute>& items() noexcept { return items_; }

  // First attribute with this name (case-sensitive, as RFC 8866 §5.13), or nullptr.
  const Attribute* find(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return find(name) != nullptr; }
  // All values of attributes with this name, in order.
  std::vector<std::string_view> values(std::string_view name) const;
  void add(std::string name, std::optional<std::string> value = std::nullopt);
  // Removes every attribute with this name; returns how many were removed.
  size_t remove(std::string_view name);

  // The direction attribute (sendrecv/sendonly/recvonly/inactive) present, if any.
  std::optional<Direction> direction() const noexcept;
  // Replaces any direction attribute by `d`, in place of the first one (else appended).
  void setDirection(Direction d);

  bool operator==(const AttributeList&) const = default;

 private:
  std::vector<Attribute> items_;
};

// m=<media> <port>[/<count>] <proto> <fmt> ...
struct MediaDescription {
  std::string media;  // "audio", "video", "application", ...
  uint16_t port = 0;
  std::optional<uint32_t> port_count;
  std::string proto;  // "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", ...
  std::vector<std::string> formats;
  std::optional<std::string> title;  // i=
  std::vector<Connection> connections;
  std::vector<Bandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept)
  AttributeList attributes;

  bool operator==(const MediaDescription&) const = default;

  // port 0 rejects/disables the stream (RFC 3264 §6).
  bool isDisabled() const noexcept { return port == 0; }
  // Typed views of the attributes; malformed entries are skipped (the parser rejects them).
  std::vector<RtpMap> rtpMaps() const;
  std::optional<RtpMap> rtpMap(std::string_view payload_type) const;
  std::optional<Fmtp> fmtp(std::string_view format) const;
  std::vector<Crypto> cryptos() const;
  std::optional<Rtcp> rtcp() const;
  bool rtcpMux() const noexcept { return attributes.has("rtcp-mux"); }
  std::optional<uint32_t> ptime() const;
  std::optional<uint32_t> maxPtime() const;
};

class SessionDescription {
 public:
  // Parses a whole SDP body. Accepts CRLF or bare LF line ends and trailing empty lines.
  // Never throws. Errors (Errc::InvalidArgument) say "line N: reason"; `field` names the
  // line type ("o=") or attribute ("a=rtpmap").
  [[nodiscard]] static Result<SessionDescription> parse(std::string_view text) noexcept;

  // Writes the description in RFC 8866 order with CRLF line ends.
  std::string serialize() const;

  int version = 0;
  Origin origin;
  std::string session_name = "-";  // s= (RFC 8866: "-" when there is none)
  std::optional<std::string> info;  // i=
  std::optional<std::string> uri;   // u=
  std::vector<std::string> emails;  // e=
  std::vector<std::string> phones;  // p=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings;
  std::optional<std::string> zone;  // z= raw
  std::optional<std::string> key;   // k= raw
  AttributeList attributes;
  std::vector<MediaDescription> media;

  bool operator==(const SessionDescription&) const = default;

  // Media direction after applying the session default (RFC 8866 §6.7; default sendrecv).
  Direction effectiveDirection(size_t media_index) const;
  // The c= in force for a media line: its own first c=, else the session c=; nullptr if none.
  const Connection* effectiveConnection(size_t media_index) const;
  // True when every enabled media stream is on hold from our side of this description:
  // its effective direction is sendonly or inactive, or its connection address is the
  // RFC 2543 hold address 0.0.0.0. False when there is no enabled stream.
  bool isHold() const;

  // Sets the media's c= to `address` (replacing any) and its port (for media anchoring).
  // Precondition: media_index < media.size().
  void setMediaAddress(size_t media_index, std::string_view address, uint16_t port);
  // Increments o= sess-version (RFC 3264 §8: each new offer/answer in a session bumps it).
  void bumpVersion() noexcept { ++origin.session_version; }
  // Sets the direction on every media line and removes a session-level direction.
  void setDirection(Direction d);
};

}  // namespace sb::sdp
