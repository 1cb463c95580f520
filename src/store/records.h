// SPDX-License-Identifier: Apache-2.0
// Plain record structs persisted by the store (repositories.h). Owned by whoever holds them;
// value types, thread-compatible. Times are wall-clock (UTC) and persisted with microsecond
// precision. Fields named *_json hold a JSON document the store keeps verbatim and never
// interprets (the API and the owning module validate them).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "store/ids.h"

namespace sb::store {

struct Tenant {
  TenantId id;  // empty on create: generated
  std::string name;  // unique across the installation
  bool active = true;
  WallTime created_at{};
  // Voice settings (docs/config.md): {"domain", "outbound_trunk", "copy_headers": [..]}.
  std::string settings_json = "{}";

  bool operator==(const Tenant&) const = default;
};

// SystemOperator runs the platform across tenants; such accounts live in the reserved tenant
// "system" (created by `switchboard admin create-user`), which has no voice domain.
enum class Role { Agent, Supervisor, Admin, Sme, SystemOperator };
// "agent", "supervisor", "admin", "sme", "system_operator"
std::string_view roleName(Role role) noexcept;
std::optional<Role> parseRole(std::string_view name) noexcept;

// Routing attributes of a user who takes interactions (any role may have one; empty = none).
struct AgentProfile {
  std::map<std::string, int> skills;            // skill name -> level (1..100 by convention)
  std::map<std::string, int> channel_capacity;  // "voice", "chat", ... -> concurrent slots
  bool operator==(const AgentProfile&) const = default;
};

struct User {
  TenantId tenant_id;
  UserId id;  // empty on create: generated
  std::string username;  // unique per tenant
  std::string display_name;
  std::string email;
  Role role = Role::Agent;
  std::string password_hash;  // opaque (e.g. argon2 encoded); never a plaintext password
  bool active = true;
  AgentProfile profile;
  // Voice settings (docs/config.md): {"extension", "ha1_md5", "ha1_sha256", "queues": [..]}.
  std::string settings_json = "{}";

  bool operator==(const User&) const = default;
};

struct Queue {
  TenantId tenant_id;
  QueueId id;
  std::string name;  // unique per tenant
  std::string strategy = "longest_idle";  // routing strategy name
  std::string settings_json = "{}";  // all other routing settings (SLA, timeouts, overflow, ...)

  bool operator==(const Queue&) const = default;
};

struct Skill {
  TenantId tenant_id;
  SkillId id;
  std::string name;  // unique per tenant; AgentProfile::skills refers to it by name
  std::string description;

  bool operator==(const Skill&) const = default;
};

struct Trunk {
  TenantId tenant_id;
  TrunkId id;
  std::string name;  // unique per tenant
  std::string host;
  int port = 5060;
  std::string transport = "udp";  // udp, tcp, tls
  std::string username;
  std::string secret;  // SIP digest secret (needed in clear to answer challenges)
  bool enabled = true;
  std::string settings_json = "{}";

  bool operator==(const Trunk&) const = default;
};

enum class NumberTargetKind { Queue, Flow, User };
std::string_view numberTargetKindName(NumberTargetKind kind) noexcept;
std::optional<NumberTargetKind> parseNumberTargetKind(std::string_view name) noexcept;

// A phone number (E.164 or any dialable string) is unique across the installation: an inbound
// call's number decides its tenant.
struct PhoneNumber {
  std::string number;
  TenantId tenant_id;
  NumberTargetKind target_kind = NumberTargetKind::Queue;
  std::string target_id;  // a QueueId / FlowId / UserId value, per target_kind
  std::string label;

  bool operator==(const PhoneNumber&) const = default;
};

struct Flow {
  TenantId tenant_id;
  FlowId id;
  std::string name;  // unique per tenant
  std::int64_t version = 1;  // bumped by the caller on each edit
  std::string document_json = "{}";
  WallTime updated_at{};

  bool operator==(const Flow&) const = default;
};

struct WrapUpCode {
  TenantId tenant_id;
  WrapUpCodeId id;
  std::string code;  // unique per tenant
  std::string label;
  bool active = true;

  bool operator==(const WrapUpCode&) const = default;
};

struct Calendar {
  TenantId tenant_id;
  CalendarId id;
  std::string name;  // unique per tenant
  std::string timezone = "UTC";  // IANA name
  std::string definition_json = "{}";  // weekly hours, holidays, exceptions

  bool operator==(const Calendar&) const = default;
};

// API keys are stored hashed: the caller shows the secret once and keeps only `prefix` (a
// public, unique lookup handle printed in front of the secret) and `secret_hash`.
struct ApiKey {
  TenantId tenant_id;
  ApiKeyId id;
  std::string name;
  std::string prefix;       // unique across the installation
  std::string secret_hash;  // opaque hash of the secret; the secret itself is never stored
  Role role = Role::Admin;
  WallTime created_at{};
  std::optional<WallTime> expires_at;
  bool revoked = false;

  bool operator==(const ApiKey&) const = default;
};

enum class Disposition { Answered, Abandoned, TimedOut, Rejected };
std::string_view dispositionName(Disposition d) noexcept;  // answered, abandoned, timed_out, rejected
std::optional<Disposition> parseDisposition(std::string_view name) noexcept;

// One interaction record (a CDR for voice). Created on arrival, updated as it progresses.
struct InteractionRecord {
  TenantId tenant_id;
  InteractionId id;
  std::string channel = "voice";
  std::string direction = "inbound";
  std::optional<QueueId> queue_id;
  std::string caller;
  std::string callee;
  std::optional<UserId> agent_id;
  WallTime arrived_at{};
  std::optional<WallTime> queued_at;
  std::optional<WallTime> offered_at;
  std::optional<WallTime> answered_at;
  std::optional<WallTime> ended_at;
  std::string end_reason;  // free text: "caller_hangup", "agent_hangup", "queue_timeout", ...
  std::optional<Disposition> disposition;  // empty while in progress
  std::string wrap_up_code;

  bool operator==(const InteractionRecord&) const = default;
};

struct AgentStateChange {
  TenantId tenant_id;
  UserId agent_id;
  std::string state;  // "available", "away", "busy", "wrap_up", "offline", ...
  std::string reason;
  WallTime at{};
  std::int64_t seq = 0;  // assigned by the store on append; increases with insertion order

  bool operator==(const AgentStateChange&) const = default;
};

struct AuditEntry {
  TenantId tenant_id;
  std::int64_t seq = 0;  // assigned by the store on append
  WallTime at{};
  std::string actor;        // user id, api key prefix or "system"
  std::string action;       // "create", "update", "delete", ...
  std::string entity_type;  // "queue", "user", ...
  std::string entity_id;
  std::string before_json;  // empty when not applicable
  std::string after_json;

  bool operator==(const AuditEntry&) const = default;
};

// A SIP registrar binding (RFC 3261 10.3, RFC 5626 instance/reg-id), persisted so a restart
// keeps it until it expires. Key: (tenant_id, aor, contact_uri).
struct Binding {
  TenantId tenant_id;
  std::string aor;          // "sip:alice@example.com"
  std::string contact_uri;  // "sip:alice@10.0.0.5:5060;transport=udp"
  WallTime expires_at{};
  int q_milli = 1000;  // q-value x 1000 (q=0.5 -> 500), to keep it exact
  std::string call_id;
  std::uint32_t cseq = 0;
  std::vector<std::string> path;  // RFC 3327 Path URIs, in order
  std::string source;     // "203.0.113.7:5060": where the REGISTER came from
  std::string transport;  // "udp", "tcp", "tls", "ws", "wss"
  std::string instance;   // +sip.instance, empty if none
  int reg_id = 0;         // RFC 5626 reg-id, 0 if none

  bool operator==(const Binding&) const = default;
};

// A SIP presence subscription (RFC 6665, RFC 3856) this server is the notifier of, persisted
// so that after a restart the watcher keeps getting NOTIFYs in the same dialog and its refresh
// is not answered 481. Key: (tenant_id, call_id, local_tag).
struct SipWatcher {
  TenantId tenant_id;
  std::string call_id;
  std::string local_tag;  // ours (the To tag of our 200)
  std::string remote_tag;
  std::string user;      // the watched user (local id)
  std::string entity;    // "sip:alice@example.com"
  std::string event_id;  // the Event header's id parameter, empty if none
  std::string local_uri;
  std::string remote_uri;
  std::string remote_target;
  std::vector<std::string> route_set;
  std::uint32_t local_cseq = 0;
  std::uint32_t remote_cseq = 0;
  // Where the SUBSCRIBE came from: NOTIFYs go there when the route set is empty.
  std::string transport;  // Via token: "UDP", "TCP", "TLS"
  std::string address;
  int port = 0;
  int listener = -1;  // the listener index it arrived on; -1 none
  WallTime expires_at{};

  bool operator==(const SipWatcher&) const = default;
};

// A SIP PUBLISH (RFC 3903) source's presence, kept so that after a restart the state still
// counts and the publisher's refresh with its entity-tag is answered 200, not 412.
// Key: (tenant_id, session_key); the entity-tag changes with every refresh.
struct SipPublication {
  TenantId tenant_id;
  std::string session_key;  // the presence session it feeds
  std::string etag;         // the current entity-tag
  std::string user_id;
  std::string availability;  // Graph names, e.g. "Busy"
  std::string activity;      // e.g. "InACall"
  WallTime expires_at{};

  bool operator==(const SipPublication&) const = default;
};

// What a restart keeps of one user's presence (the Graph sessions and the preferred presence):
// the voice path owns document_json, the store keeps it verbatim. Key: (tenant_id, user_id).
struct PresenceState {
  TenantId tenant_id;
  std::string user_id;
  std::string document_json;
  WallTime updated_at{};

  bool operator==(const PresenceState&) const = default;
};

// The routing state an agent (or a supervisor for the agent) last asked for: "available",
// "away", "break" or "offline", with the break reason. Kept because a choice made during a
// call only takes effect when the call ends, so the state history does not show it yet.
// Key: (tenant_id, agent_id), a user of the store; deleting the user deletes the row.
struct AgentChoice {
  TenantId tenant_id;
  UserId agent_id;
  std::string state;
  std::string reason;
  WallTime chosen_at{};

  bool operator==(const AgentChoice&) const = default;
};

// A sign-in with an OpenID provider in progress (what the relying party remembers between
// sending the browser to the provider and the callback), kept so that a restart in between
// does not lose it. Single-use. Key: state.
struct OidcLogin {
  std::string state;
  std::string nonce;
  std::string code_verifier;
  std::string provider;  // "" = the global provider, else a tenant id
  std::string tenant;    // tenant asked for at login (may be empty)
  WallTime expires_at{};

  bool operator==(const OidcLogin&) const = default;
};

// A webhook subscription (Graph-style change notifications): the API owns document_json
// (notification URL, change types, client state, ...); the store keeps it verbatim.
struct Subscription {
  TenantId tenant_id;
  std::string id;  // empty on create: generated
  std::string resource;  // what it watches, e.g. "/communications/presences"
  std::string document_json = "{}";
  WallTime expires_at{};

  bool operator==(const Subscription&) const = default;
};

// A webhook notification queued and not yet delivered (or dead-lettered). Key:
// (tenant_id, subscription_id, lifecycle, seq); seq orders the items of one queue.
struct PendingNotification {
  TenantId tenant_id;
  std::string subscription_id;
  bool lifecycle = false;  // the lifecycle-event queue, else the notification queue
  std::int64_t seq = 0;
  std::string item_json;

  bool operator==(const PendingNotification&) const = default;
};

// The batch a webhook queue is delivering (its items have seq <= batch_end) and its retry
// schedule. At most one per (tenant_id, subscription_id, lifecycle).
struct PendingDeliveryState {
  TenantId tenant_id;
  std::string subscription_id;
  bool lifecycle = false;
  std::int64_t batch_end = 0;
  int attempts = 0;  // failed attempts so far
  WallTime first_attempt_at{};
  WallTime next_attempt_at{};
  std::string last_error;

  bool operator==(const PendingDeliveryState&) const = default;
};

// One change to the pending deliveries, applied in order by PendingDeliveryRepository::apply.
struct PendingDeliveryWrite {
  enum class Kind {
    PutItem,            // insert or replace `item`
    PutState,           // insert or replace `state`
    RemoveUpTo,         // delete the items with seq <= state.batch_end, and the state
    RemoveSubscription  // delete every item and state of state.subscription_id
  };
  Kind kind = Kind::PutItem;
  PendingNotification item;    // PutItem
  PendingDeliveryState state;  // the others (key fields, plus batch_end for RemoveUpTo)
};

// A refresh token of the API's sign-in (docs/security.md): only the SHA-256 of the token is
// kept. Every rotation of one sign-in shares family_id. Not tenant-scoped: the token names its
// user, and system operators belong to no tenant row.
struct RefreshToken {
  std::string hash_hex;
  std::string family_id;
  std::string user_id;
  WallTime expires_at{};
  bool used = false;     // rotated away
  bool revoked = false;  // its family was revoked (reuse detected)

  bool operator==(const RefreshToken&) const = default;
};

// An app registration: an OAuth client of one tenant that signs in with the client-credentials
// grant (docs/security.md). The client id is a GUID unique across the installation; only the
// SHA-256 of the secret is kept. Roles are what its access tokens carry.
struct AppRegistration {
  TenantId tenant_id;
  AppClientId client_id;
  std::string display_name;
  std::string secret_hash;  // SHA-256 hex of the secret; the secret itself is never stored
  std::vector<Role> roles;  // at least one
  std::string created_by;   // subject of the principal that registered it
  WallTime created_at{};

  bool operator==(const AppRegistration&) const = default;
};

}  // namespace sb::store
