// SPDX-License-Identifier: Apache-2.0
// Presence model after Microsoft Graph's `presence` resource (teams_integration.md §B):
// availability/activity enums, the allowed pairs, per-app sessions with expiry and fading,
// the aggregation rule, routability, and the session Switchboard derives from calls and SIP
// bindings. Pure value types and functions: no I/O, no clock reads (time is passed in);
// thread-safe because stateless. PresenceStore (presence_store.h) owns the mutable state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace sb::presence {

// Graph `availability` values (§B.1).
enum class Availability : uint8_t {
  Available,
  AvailableIdle,
  Away,
  BeRightBack,
  Busy,
  BusyIdle,
  DoNotDisturb,
  Offline,
  PresenceUnknown,
};

// Graph `activity` values (§B.1) plus AvailableInactive, which §B.2's fading rule produces
// (Available/AvailableInactive) although the §B.1 enumeration omits it. It can't be set.
enum class Activity : uint8_t {
  Available,
  AvailableInactive,
  Away,
  BeRightBack,
  Busy,
  DoNotDisturb,
  InACall,
  InAConferenceCall,
  Inactive,
  InAMeeting,
  Offline,
  OffWork,
  OutOfOffice,
  PresenceUnknown,
  Presenting,
  UrgentInterruptionsOnly,
};

std::string_view toString(Availability a) noexcept;
std::string_view toString(Activity a) noexcept;
// Case-insensitive match against the Graph spellings; nullopt when unknown.
std::optional<Availability> parseAvailability(std::string_view s) noexcept;
std::optional<Activity> parseActivity(std::string_view s) noexcept;

struct PresencePair {
  Availability availability = Availability::Offline;
  Activity activity = Activity::Offline;
  bool operator==(const PresencePair&) const = default;
};

// setPresence pairs (§B.2): Available/Available, Busy/InACall, Busy/InAConferenceCall,
// Away/Away, DoNotDisturb/Presenting.
bool isSessionPair(PresencePair p) noexcept;
// setUserPreferredPresence pairs (§B.2): Available/Available, Busy/Busy,
// DoNotDisturb/DoNotDisturb, BeRightBack/BeRightBack, Away/Away, Offline/OffWork.
bool isPreferredPair(PresencePair p) noexcept;
// Pairs Switchboard may hold in its internal sessions (its own session and SIP PUBLISH):
// the union of both tables above plus Busy/InAMeeting, which only a calendar/SIP source may
// assert (Graph forbids it in setPresence).
bool isInternalPair(PresencePair p) noexcept;

// §B.2 limits.
inline constexpr Duration kMinSessionExpiration = std::chrono::minutes(5);
inline constexpr Duration kMaxSessionExpiration = std::chrono::hours(4);
inline constexpr Duration kDefaultSessionExpiration = std::chrono::minutes(5);
// §B.2 fading of an unrefreshed Available session: Available/AvailableInactive after 5 min,
// Away/Away after 5 more.
inline constexpr Duration kFadeToInactive = std::chrono::minutes(5);
inline constexpr Duration kFadeToAway = std::chrono::minutes(10);
// §B.2 preferred presence default expiry: 1 day for DoNotDisturb/Busy, 7 days otherwise.
Duration defaultPreferredExpiration(Availability a) noexcept;

// Checks an expirationDuration for setPresence: PT5M..PT4H inclusive. Error: InvalidArgument
// with field "expirationDuration".
[[nodiscard]] Status checkSessionExpiration(Duration d);

// A GUID: 8-4-4-4-12 hex digits, optionally wrapped in braces. Returns the lower-case,
// brace-less form; error InvalidArgument naming `field`.
[[nodiscard]] Result<std::string> normalizeGuid(std::string_view s, std::string_view field);

// Graph: an app signed in with its own client credentials may only set the session named by
// its client id. `caller_client_id` is that id when the caller authenticated as a registered
// OAuth client, nullopt for other callers (users, admins), who may name any GUID.
// Returns the normalized session id. Errors: InvalidArgument (field "sessionId") for a
// malformed GUID; PermissionDenied (field "sessionId") for another app's session.
[[nodiscard]] Result<std::string> checkSessionId(std::string_view session_id,
                                                 std::optional<std::string_view> caller_client_id);

// How long a session lives and whether it fades.
enum class SessionKind : uint8_t {
  Graph,     // set via setPresence: expires, and fades when Available
  Internal,  // Switchboard's own session and SIP PUBLISH sessions: never fades
};

// One app's presence session for one user.
struct PresenceSession {
  std::string id;  // normalized GUID for Graph sessions; any key for internal ones
  PresencePair pair;
  SessionKind kind = SessionKind::Graph;
  MonoTime updated_at{};                // last set/refresh; fading counts from here
  std::optional<MonoTime> expires_at;   // nullopt = until cleared
};

// The pair a session shows at `now`, applying §B.2 fading (Graph sessions whose set pair is
// Available/Available only); nullopt once the session has expired (expires_at <= now).
std::optional<PresencePair> effectivePair(const PresenceSession& s, MonoTime now) noexcept;
// The next instant after `now` at which effectivePair(s, ·) may change; nullopt if never.
std::optional<MonoTime> nextChange(const PresenceSession& s, MonoTime now) noexcept;

// Ordering used when aggregating sessions (§B.2: DoNotDisturb > Busy > Available > Away).
// Values the reference does not rank are slotted in by meaning: BusyIdle just under Busy,
// AvailableIdle under Available, BeRightBack between Available and Away, then Offline,
// then PresenceUnknown. Higher wins.
int availabilityRank(Availability a) noexcept;
// Tie-break among sessions of equal availability: the more engaged activity wins
// (Presenting > InAConferenceCall > InACall > InAMeeting > ... > AvailableInactive).
int activityRank(Activity a) noexcept;

// Graph's presenceStatusMessage: a note shown with the presence ("Back at 3"), set with
// setStatusMessage, until it expires or is cleared.
struct StatusMessage {
  std::string content;
  std::string content_type = "text";  // "text" or "html"
  std::optional<WallTime> expiry;     // nullopt: until cleared
  WallTime published{};
  bool operator==(const StatusMessage&) const = default;
};

// The aggregated (shown) presence of a user; `sequence` is stamped by PresenceStore.
struct Presence {
  std::string user_id;
  PresencePair pair;
  uint64_t sequence = 0;
  std::optional<StatusMessage> status_message;
  bool operator==(const Presence&) const = default;
};

// Formats a sequence number as a fixed-width decimal string so lexical order = numeric order
// (Graph: "lexically sortable version stamp").
std::string formatSequenceNumber(uint64_t seq);

// Routing rule (§B.2 "CCaaS pattern"): offer work only when the aggregated availability is
// Available or AvailableIdle (idle PC, reachable phone) and the activity is not one the
// reference says must not be interrupted (Presenting, InAMeeting, a call, DoNotDisturb,
// UrgentInterruptionsOnly, OffWork, OutOfOffice). Available/AvailableInactive stays routable:
// its availability is still Available.
bool isRoutable(PresencePair p) noexcept;

// What Switchboard knows about a user; drives its own session (§B.2 CCaaS pattern).
struct SwitchboardSignals {
  bool sip_bound = false;  // at least one registered SIP binding (or WebRTC socket)
  int call_parties = 0;    // parties in the user's current call including the user; 0 = none
  bool not_ready = false;  // an agent who chose not to take ACD work while registered
};

// Busy/InAConferenceCall with 3+ parties, Busy/InACall in any other call, Available/Available
// when idle and bound, Away/Away when bound but not ready, nullopt (no Switchboard session:
// Offline unless another session exists) with no binding and no call.
std::optional<PresencePair> switchboardPair(const SwitchboardSignals& s) noexcept;

// The HTTP mapping of an sb::Error for the Graph-shaped API: status plus Graph error code
// (invalidRequest 400, accessDenied 403, itemNotFound 404, conflict 409, generalException 500).
struct GraphError {
  int http_status = 500;
  std::string code;
  std::string message;  // includes the offending field when there is one
};
GraphError toGraphError(const Error& e);

}  // namespace sb::presence
