// SPDX-License-Identifier: Apache-2.0
// Graph-style change-notification subscriptions (teams_integration.md §B.3), the pure part:
// request validation (resource forms, changeType, lifetimes, URLs, clientState), the JSON of
// subscriptions, notification batches and lifecycle events, the validation handshake checks,
// and the delivery retry schedule. HTTP delivery lives in src/api. Pure functions and value
// types: time and randomness are arguments; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/result.h"
#include "presence/presence.h"

namespace sb::presence {

enum class ResourceKind : uint8_t {
  Presence,      // communications/presences/{id}
  PresenceList,  // communications/presences?$filter=id in ('a','b')  (<= 650 ids)
  QueueStats,    // api/v1/queues/{id}/stats  (Switchboard)
  Interactions,  // api/v1/interactions       (Switchboard)
};

// Switchboard's own resources carry live statistics and records: subscribing (and
// reauthorizing) needs the monitoring permission, where presence needs none beyond sign-in.
constexpr bool needsMonitoring(ResourceKind k) noexcept {
  return k == ResourceKind::QueueStats || k == ResourceKind::Interactions;
}

struct SubscriptionResource {
  ResourceKind kind = ResourceKind::Presence;
  std::vector<std::string> ids;  // user ids (presence kinds) or the queue id
};

// Accepts the forms above with or without a leading '/', plus Graph's notification form
// `communications/presences('{id}')`; the $filter query may be percent-encoded. Error
// InvalidArgument, field "resource".
[[nodiscard]] Result<SubscriptionResource> parseSubscriptionResource(std::string_view resource);
// Canonical text of a resource as used in notifications' `resource` for one item:
// communications/presences('{id}'), api/v1/queues/{id}/stats, api/v1/interactions.
std::string resourceText(ResourceKind kind, std::string_view id);

// §B.3 maximum lifetimes: presence 60 minutes. Switchboard's own resources use the same.
Duration maxSubscriptionLifetime(ResourceKind kind) noexcept;
inline constexpr size_t kMaxClientStateChars = 128;

enum ChangeType : uint8_t { kCreated = 1, kUpdated = 2, kDeleted = 4 };
// "updated" or a comma-separated list of created/updated/deleted, each allowed for the kind
// (presence and queue stats: updated only). Returns a bit set. Error field "changeType".
[[nodiscard]] Result<uint8_t> parseChangeTypes(std::string_view text, ResourceKind kind);
std::string formatChangeTypes(uint8_t bits);  // "created,updated,deleted" order

struct SubscriptionPolicy {
  bool allow_http_loopback = false;  // dev/test: http://127.0.0.1, http://localhost, http://[::1]
};

// https:// URL with a host; http:// only to a loopback host when the policy allows it.
[[nodiscard]] Status checkNotificationUrl(std::string_view url, std::string_view field,
                                          const SubscriptionPolicy& policy);

struct SubscriptionRequest {
  uint8_t change_types = kUpdated;
  std::string notification_url;
  std::optional<std::string> lifecycle_notification_url;
  std::string resource;  // as sent
  SubscriptionResource parsed_resource;
  WallTime expiration{};
  std::optional<std::string> client_state;
  bool include_resource_data = false;
  std::optional<std::string> encryption_certificate;
  std::optional<std::string> encryption_certificate_id;
};

// POST /subscriptions body. Field-precise InvalidArgument errors: missing/ill-typed
// properties; unknown properties; expirationDateTime not after `now` or beyond the kind's
// max lifetime; clientState over 128 chars; includeResourceData without
// encryptionCertificate/encryptionCertificateId (Graph encrypts resource data).
[[nodiscard]] Result<SubscriptionRequest> parseSubscriptionRequest(
    const nlohmann::json& body, WallTime now, const SubscriptionPolicy& policy);

// PATCH /subscriptions/{id} {expirationDateTime}: the new expiry, checked like creation.
// lifecycleNotificationUrl can only be set at creation: error on that field.
[[nodiscard]] Result<WallTime> parseSubscriptionRenewal(const nlohmann::json& body,
                                                        ResourceKind kind, WallTime now);

struct Subscription {
  std::string id;              // GUID chosen by the caller of the store
  std::string application_id;  // client id of the creating app ("" for users)
  std::string creator_id;
  std::string tenant_id;
  SubscriptionRequest request;
};
// The `subscription` resource (201 response body, GET /subscriptions/{id}).
nlohmann::json toJson(const Subscription& s);

// One item of a change-notification batch.
struct ChangeNotification {
  std::string subscription_id;
  WallTime subscription_expiration{};
  std::optional<std::string> client_state;
  uint8_t change_type = kUpdated;  // exactly one bit
  std::string resource;            // resourceText(...)
  nlohmann::json resource_data;    // see presenceResourceData()
  std::string tenant_id;
  // includeResourceData: the resource, encrypted (notify/encryption.h); absent otherwise.
  std::optional<nlohmann::json> encrypted_content;
};
// {"@odata.type":"#Microsoft.Graph.presence","@odata.id":"communications/presences('{id}')",
// "id":"{id}"} and, only when include_resource_data, availability/activity/sequenceNumber
// (the plaintext the API encrypts into encryptedContent).
nlohmann::json presenceResourceData(const Presence& p, bool include_resource_data);
// {"value":[{subscriptionId, subscriptionExpirationDateTime, clientState, changeType,
// resource, resourceData, tenantId, (encryptedContent)}]}; clientState is null when the
// subscription has none.
nlohmann::json notificationBatchJson(std::span<const ChangeNotification> items);

enum class LifecycleEvent : uint8_t { ReauthorizationRequired, SubscriptionRemoved, Missed };
std::string_view toString(LifecycleEvent e) noexcept;
struct LifecycleNotification {
  std::string subscription_id;
  WallTime subscription_expiration{};
  std::optional<std::string> client_state;
  std::string tenant_id;
  LifecycleEvent event = LifecycleEvent::Missed;
};
// {"value":[{subscriptionId, subscriptionExpirationDateTime, tenantId, clientState,
// lifecycleEvent}]}.
nlohmann::json lifecycleBatchJson(std::span<const LifecycleNotification> items);

// clientState comparison for incoming items, in time independent of where they differ.
bool clientStateMatches(const std::optional<std::string>& expected,
                        const std::optional<std::string>& received) noexcept;

// Validation handshake (§B.3): the URL to POST (`validationToken` percent-encoded, appended
// with '?' or '&'), and whether a reply proves ownership: 200, Content-Type text/plain
// (parameters allowed), body exactly the token.
std::string validationRequestUrl(std::string_view notification_url, std::string_view token);
bool isValidValidationReply(int status, std::string_view content_type, std::string_view body,
                            std::string_view token) noexcept;
inline constexpr Duration kValidationTimeout = std::chrono::seconds(10);
inline constexpr Duration kDeliveryAnswerTimeout = std::chrono::seconds(3);

// Delivery retries: exponential backoff with "equal jitter". After failure n (n >= 1) the
// delay is b/2 + jitter*b/2 with b = min(max_delay, initial_delay * 2^(n-1)), jitter in
// [0,1) from the caller's RNG. No attempt is scheduled later than first_attempt +
// give_up_after (the last one is clamped to that instant); once that instant is reached the
// item is dead-lettered and a `missed` lifecycle notification is due.
struct RetryPolicy {
  Duration initial_delay = std::chrono::seconds(10);
  Duration max_delay = std::chrono::minutes(30);
  Duration give_up_after = std::chrono::hours(4);
};
struct RetryDecision {
  bool give_up = false;
  MonoTime next_attempt{};  // meaningful when !give_up
};
RetryDecision nextRetry(const RetryPolicy& policy, int failed_attempts, MonoTime first_attempt,
                        MonoTime now, double jitter) noexcept;

}  // namespace sb::presence
