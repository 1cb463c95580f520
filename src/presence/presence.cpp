// SPDX-License-Identifier: Apache-2.0
#include "presence/presence.h"

#include "common/http_status.h"

#include <array>
#include <cstdio>
#include <utility>

namespace sb::presence {
namespace {

using A = Availability;
using T = Activity;

constexpr std::array<std::pair<A, std::string_view>, 9> kAvailabilityNames{{
    {A::Available, "Available"},
    {A::AvailableIdle, "AvailableIdle"},
    {A::Away, "Away"},
    {A::BeRightBack, "BeRightBack"},
    {A::Busy, "Busy"},
    {A::BusyIdle, "BusyIdle"},
    {A::DoNotDisturb, "DoNotDisturb"},
    {A::Offline, "Offline"},
    {A::PresenceUnknown, "PresenceUnknown"},
}};

constexpr std::array<std::pair<T, std::string_view>, 16> kActivityNames{{
    {T::Available, "Available"},
    {T::AvailableInactive, "AvailableInactive"},
    {T::Away, "Away"},
    {T::BeRightBack, "BeRightBack"},
    {T::Busy, "Busy"},
    {T::DoNotDisturb, "DoNotDisturb"},
    {T::InACall, "InACall"},
    {T::InAConferenceCall, "InAConferenceCall"},
    {T::Inactive, "Inactive"},
    {T::InAMeeting, "InAMeeting"},
    {T::Offline, "Offline"},
    {T::OffWork, "OffWork"},
    {T::OutOfOffice, "OutOfOffice"},
    {T::PresenceUnknown, "PresenceUnknown"},
    {T::Presenting, "Presenting"},
    {T::UrgentInterruptionsOnly, "UrgentInterruptionsOnly"},
}};

constexpr PresencePair kSessionPairs[] = {
    {A::Available, T::Available},    {A::Busy, T::InACall},       {A::Busy, T::InAConferenceCall},
    {A::Away, T::Away},              {A::DoNotDisturb, T::Presenting},
};
constexpr PresencePair kPreferredPairs[] = {
    {A::Available, T::Available},       {A::Busy, T::Busy},
    {A::DoNotDisturb, T::DoNotDisturb}, {A::BeRightBack, T::BeRightBack},
    {A::Away, T::Away},                 {A::Offline, T::OffWork},
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

std::string_view toString(Availability a) noexcept {
  for (const auto& [v, n] : kAvailabilityNames) {
    if (v == a) return n;
  }
  return "PresenceUnknown";
}

std::string_view toString(Activity a) noexcept {
  for (const auto& [v, n] : kActivityNames) {
    if (v == a) return n;
  }
  return "PresenceUnknown";
}

std::optional<Availability> parseAvailability(std::string_view s) noexcept {
  for (const auto& [v, n] : kAvailabilityNames) {
    if (iequals(n, s)) return v;
  }
  return std::nullopt;
}

std::optional<Activity> parseActivity(std::string_view s) noexcept {
  for (const auto& [v, n] : kActivityNames) {
    if (iequals(n, s)) return v;
  }
  return std::nullopt;
}

bool isSessionPair(PresencePair p) noexcept {
  for (const auto& q : kSessionPairs) {
    if (q == p) return true;
  }
  return false;
}

bool isPreferredPair(PresencePair p) noexcept {
  for (const auto& q : kPreferredPairs) {
    if (q == p) return true;
  }
  return false;
}

bool isInternalPair(PresencePair p) noexcept {
  return isSessionPair(p) || isPreferredPair(p) || p == PresencePair{A::Busy, T::InAMeeting};
}

Duration defaultPreferredExpiration(Availability a) noexcept {
  if (a == A::DoNotDisturb || a == A::Busy) return std::chrono::hours(24);
  return std::chrono::hours(24 * 7);
}

Status checkSessionExpiration(Duration d) {
  if (d < kMinSessionExpiration || d > kMaxSessionExpiration) {
    return fail(Errc::InvalidArgument, "expirationDuration must be between PT5M and PT4H",
                "expirationDuration");
  }
  return {};
}

Result<std::string> normalizeGuid(std::string_view s, std::string_view field) {
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  bool ok = s.size() == 36;
  for (size_t i = 0; ok && i < s.size(); ++i) {
    bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    ok = dash_pos ? s[i] == '-' : isHex(s[i]);
  }
  if (!ok) {
    return fail(Errc::InvalidArgument,
                "must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", std::string(field));
  }
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

Result<std::string> checkSessionId(std::string_view session_id,
                                   std::optional<std::string_view> caller_client_id) {
  auto id = normalizeGuid(session_id, "sessionId");
  if (!id) return id;
  if (caller_client_id) {
    auto caller = normalizeGuid(*caller_client_id, "sessionId");
    if (!caller || *caller != *id) {
      return fail(Errc::PermissionDenied,
                  "an application may only set its own presence session (sessionId must be "
                  "the application's client id)",
                  "sessionId");
    }
  }
  return id;
}

std::optional<PresencePair> effectivePair(const PresenceSession& s, MonoTime now) noexcept {
  if (s.expires_at && *s.expires_at <= now) return std::nullopt;
  if (s.kind == SessionKind::Graph && s.pair == PresencePair{A::Available, T::Available}) {
    auto idle = now - s.updated_at;
    if (idle >= kFadeToAway) return PresencePair{A::Away, T::Away};
    if (idle >= kFadeToInactive) return PresencePair{A::Available, T::AvailableInactive};
  }
  return s.pair;
}

std::optional<MonoTime> nextChange(const PresenceSession& s, MonoTime now) noexcept {
  std::optional<MonoTime> next;
  auto consider = [&](MonoTime t) {
    if (t > now && (!next || t < *next)) next = t;
  };
  if (s.expires_at) consider(*s.expires_at);
  if (s.kind == SessionKind::Graph && s.pair == PresencePair{A::Available, T::Available}) {
    consider(s.updated_at + kFadeToInactive);
    consider(s.updated_at + kFadeToAway);
  }
  return next;
}

int availabilityRank(Availability a) noexcept {
  switch (a) {
    case A::DoNotDisturb: return 100;
    case A::Busy: return 90;
    case A::BusyIdle: return 85;
    case A::Available: return 80;
    case A::AvailableIdle: return 75;
    case A::BeRightBack: return 70;
    case A::Away: return 60;
    case A::Offline: return 10;
    case A::PresenceUnknown: return 0;
  }
  return 0;
}

int activityRank(Activity a) noexcept {
  switch (a) {
    case T::Presenting: return 100;
    case T::UrgentInterruptionsOnly: return 95;
    case T::DoNotDisturb: return 90;
    case T::InAConferenceCall: return 85;
    case T::InACall: return 80;
    case T::InAMeeting: return 75;
    case T::Busy: return 70;
    case T::Available: return 60;
    case T::AvailableInactive: return 55;
    case T::Inactive: return 50;
    case T::BeRightBack: return 45;
    case T::Away: return 40;
    case T::OutOfOffice: return 30;
    case T::OffWork: return 20;
    case T::Offline: return 10;
    case T::PresenceUnknown: return 0;
  }
  return 0;
}

std::string formatSequenceNumber(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return buf;
}

bool isRoutable(PresencePair p) noexcept {
  if (p.availability != A::Available && p.availability != A::AvailableIdle) return false;
  switch (p.activity) {
    case T::Presenting:
    case T::InAMeeting:
    case T::InACall:
    case T::InAConferenceCall:
    case T::DoNotDisturb:
    case T::UrgentInterruptionsOnly:
    case T::OffWork:
    case T::OutOfOffice:
    case T::Offline:
    case T::PresenceUnknown:
      return false;
    default:
      return true;
  }
}

std::optional<PresencePair> switchboardPair(const SwitchboardSignals& s) noexcept {
  if (s.call_parties >= 3) return PresencePair{A::Busy, T::InAConferenceCall};
  if (s.call_parties > 0) return PresencePair{A::Busy, T::InACall};
  if (!s.sip_bound) return std::nullopt;
  if (s.not_ready) return PresencePair{A::Away, T::Away};
  return PresencePair{A::Available, T::Available};
}

GraphError toGraphError(const Error& e) {
  GraphError g;
  g.http_status = httpStatusOf(e.code);
  g.code = std::string(graphCodeFor(g.http_status));
  g.message = e.field.empty() ? e.message : e.field + ": " + e.message;
  return g;
}

}  // namespace sb::presence
