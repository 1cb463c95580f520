// SPDX-License-Identifier: Apache-2.0
// JSON shapes of the Graph presence API (teams_integration.md §B.1-B.2): the `presence`
// resource, the getPresencesByUserId / setPresence / clearPresence / setUserPreferredPresence
// request bodies, and the Graph error body. Pure functions; never throw (nlohmann is used
// without exceptions); thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "presence/presence.h"

namespace sb::presence {

// {"id","availability","activity","statusMessage","outOfOfficeSettings","sequenceNumber"};
// statusMessage is null or toJson(StatusMessage); Switchboard has no mailbox, so
// outOfOfficeSettings is {"message":null,"isOutOfOffice":false}.
nlohmann::json toJson(const Presence& p);
// Graph's presenceStatusMessage: {"message":{"content","contentType"},
// "expiryDateTime":{"dateTime","timeZone":"UTC"} or null, "publishedDateTime"}.
nlohmann::json toJson(const StatusMessage& m);
// The same object back (the store's form); nullopt when it is not one.
std::optional<StatusMessage> parseStatusMessage(const nlohmann::json& j);
// {"value":[presence...]}: the getPresencesByUserId response.
nlohmann::json toJsonCollection(std::span<const Presence> list);
// {"error":{"code","message"}}.
nlohmann::json toJson(const GraphError& e);

// {"availability","activity"} with Graph's names, and back (any pair; each field-precise).
nlohmann::json toJson(PresencePair p);
[[nodiscard]] Result<PresencePair> parsePair(const nlohmann::json& body);

// Parses a request body; a syntax error is InvalidArgument with the byte offset in the
// message and an empty field.
[[nodiscard]] Result<nlohmann::json> parseJsonBody(std::string_view body);

struct SetPresenceRequest {
  std::string session_id;  // normalized GUID
  PresencePair pair;
  Duration expiration = kDefaultSessionExpiration;
};
// POST …/presence/setPresence {sessionId, availability, activity, expirationDuration?}.
// All errors carry the JSON property as field: missing/non-string/unknown value → InvalidArgument;
// a pair outside isSessionPair → InvalidArgument on "activity"; expirationDuration outside
// PT5M..PT4H → InvalidArgument; another app's sessionId → PermissionDenied (see
// checkSessionId for `caller_client_id`). Unknown properties are rejected; `@odata.*`
// annotations are ignored.
[[nodiscard]] Result<SetPresenceRequest> parseSetPresence(
    const nlohmann::json& body, std::optional<std::string_view> caller_client_id);

struct ClearPresenceRequest {
  std::string session_id;  // normalized GUID
};
// POST …/presence/clearPresence {sessionId}.
[[nodiscard]] Result<ClearPresenceRequest> parseClearPresence(
    const nlohmann::json& body, std::optional<std::string_view> caller_client_id);

struct SetPreferredRequest {
  PresencePair pair;
  Duration expiration{};  // defaultPreferredExpiration(pair.availability) when absent
};
// POST …/presence/setUserPreferredPresence {availability, activity, expirationDuration?}.
// Pairs per isPreferredPair; expirationDuration must be positive.
[[nodiscard]] Result<SetPreferredRequest> parseSetUserPreferredPresence(const nlohmann::json& body);

// POST …/presence/setStatusMessage {"statusMessage":{"message":{"content","contentType"?},
// "expiryDateTime"?:{"dateTime","timeZone"}}}. Content ≤ kMaxStatusMessageChars characters;
// empty content clears the message (nullopt). contentType "text" (default) or "html".
// timeZone must be UTC (Switchboard has no time-zone database); the expiry must be after
// `now`. published is set to `now`. Field-precise errors ("statusMessage.message.content").
inline constexpr size_t kMaxStatusMessageChars = 280;
[[nodiscard]] Result<std::optional<StatusMessage>> parseSetStatusMessage(const nlohmann::json& body,
                                                                         WallTime now);

// POST /communications/getPresencesByUserId {ids:[…]}: 1..650 non-empty strings.
inline constexpr size_t kMaxPresenceIds = 650;
[[nodiscard]] Result<std::vector<std::string>> parseGetPresencesByUserId(
    const nlohmann::json& body);

}  // namespace sb::presence
