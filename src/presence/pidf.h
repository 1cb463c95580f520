// SPDX-License-Identifier: Apache-2.0
// SIP presence bodies: PIDF (RFC 3863, application/pidf+xml) with the RFC 4479 data model
// and RFC 4480 RPID activities. toPidf() renders an aggregated Presence for NOTIFY;
// parsePidf() reads a PUBLISH/NOTIFY body with a small tolerant XML reader (any namespace
// prefixes, comments, CDATA, character references; no DTDs) and never throws.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "presence/presence.h"

namespace sb::presence {

inline constexpr std::string_view kPidfContentType = "application/pidf+xml";
inline constexpr std::string_view kPidfNamespace = "urn:ietf:params:xml:ns:pidf";
inline constexpr std::string_view kDataModelNamespace = "urn:ietf:params:xml:ns:pidf:data-model";
inline constexpr std::string_view kRpidNamespace = "urn:ietf:params:xml:ns:pidf:rpid";
// Bodies above this size are rejected (a PIDF document is a few hundred bytes).
inline constexpr size_t kMaxPidfBytes = 64 * 1024;

enum class BasicStatus : uint8_t { Open, Closed };

struct PidfDocument {
  std::string entity;                 // presence@entity, e.g. "pres:alice@example.com"
  std::optional<BasicStatus> basic;   // Open if any tuple is open; nullopt if no <basic>
  std::vector<std::string> notes;     // pidf:note / dm:note texts, trimmed, document order
  std::vector<std::string> activities;  // RPID activity local names: "on-the-phone", "away"
  std::vector<std::string> other_activities;  // texts of <rpid:other>
  bool idle = false;                  // <rpid:user-input>idle</rpid:user-input>
};

// Renders `p` for `entity` (a SIP/pres URI). Basic is closed for Offline and PresenceUnknown
// availability, open otherwise. Activities without an RPID token travel as <rpid:other> with
// the Graph activity name so that parsePidf() + pairFromPidf() restore internal pairs.
std::string toPidf(const Presence& p, std::string_view entity);

// Errors (InvalidArgument, field "body"): malformed XML (unbalanced or mismatched tags, bad
// attribute syntax, unknown entity, unbound prefix, DOCTYPE, trailing content, too deep or
// too large) or a root that is not {urn:ietf:params:xml:ns:pidf}presence.
[[nodiscard]] Result<PidfDocument> parsePidf(std::string_view body);

// The session a PUBLISH asks for: nullopt = basic closed (clear the session). The pair is
// always isInternalPair(). Error InvalidArgument (field "body") when the document states
// neither a basic status nor an activity.
[[nodiscard]] Result<std::optional<PresencePair>> pairFromPidf(const PidfDocument& doc);

}  // namespace sb::presence
