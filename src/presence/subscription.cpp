// SPDX-License-Identifier: Apache-2.0
#include "presence/subscription.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "presence/iso8601.h"

namespace sb::presence {
namespace {

using nlohmann::json;

auto invalid(std::string msg, std::string field) {
  return fail(Errc::InvalidArgument, std::move(msg), std::move(field));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// '+' stays '+' ($filter values are ids, never form-encoded spaces); bad escapes fail.
std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int h = hexValue(s[i + 1]), l = hexValue(s[i + 2]);
    if (h < 0 || l < 0) return std::nullopt;
    out += static_cast<char>(h * 16 + l);
    i += 2;
  }
  return out;
}

bool isIdChar(char c) {
  return !(c == '/' || c == '?' || c == '\'' || c == '(' || c == ')' || c == ',' || c == ' ' ||
           c == '\t' || c == '"' || c == '#' || c == '&' || c == '=' ||
           static_cast<unsigned char>(c) < 0x20);
}

bool isId(std::string_view s) {
  return !s.empty() && s.size() <= 256 && std::all_of(s.begin(), s.end(), isIdChar);
}

void skipSpaces(std::string_view s, size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
}

// `id in ('a', 'b')` after $filter=.
Result<std::vector<std::string>> parseIdInFilter(std::string_view f) {
  auto bad = [] { return invalid("$filter must be: id in ('id1','id2',...)", "resource"); };
  size_t pos = 0;
  skipSpaces(f, pos);
  if (f.substr(pos, 2) != "id") return bad();
  pos += 2;
  if (pos >= f.size() || f[pos] != ' ') return bad();
  skipSpaces(f, pos);
  if (f.substr(pos, 2) != "in") return bad();
  pos += 2;
  skipSpaces(f, pos);
  if (pos >= f.size() || f[pos] != '(') return bad();
  ++pos;
  std::vector<std::string> ids;
  for (;;) {
    skipSpaces(f, pos);
    if (pos >= f.size() || f[pos] != '\'') return bad();
    auto end = f.find('\'', pos + 1);
    if (end == std::string_view::npos) return bad();
    std::string_view id = f.substr(pos + 1, end - pos - 1);
    if (!isId(id)) return invalid("invalid id '" + std::string(id) + "' in $filter", "resource");
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.emplace_back(id);
    pos = end + 1;
    skipSpaces(f, pos);
    if (pos < f.size() && f[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < f.size() && f[pos] == ')') {
      ++pos;
      break;
    }
    return bad();
  }
  skipSpaces(f, pos);
  if (pos != f.size()) return bad();
  if (ids.size() > 650) return invalid("at most 650 ids in a presence subscription", "resource");
  return ids;
}

Status rejectUnknown(const json& body, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (key.starts_with("@odata.")) continue;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return invalid("unknown property", key);
    }
  }
  return {};
}

Result<std::optional<std::string>> optString(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return invalid("must be a string", name);
  return std::optional<std::string>{it->get<std::string>()};
}

Result<std::string> reqString(const json& body, const char* name) {
  auto v = optString(body, name);
  if (!v) return std::unexpected(v.error());
  if (!*v || (*v)->empty()) return invalid("required property is missing", name);
  return std::move(**v);
}

Result<WallTime> checkExpiration(const json& body, ResourceKind kind, WallTime now) {
  auto text = reqString(body, "expirationDateTime");
  if (!text) return std::unexpected(text.error());
  auto t = parseIsoDateTime(*text);
  if (!t) return invalid(t.error().message, "expirationDateTime");
  if (*t <= now) return invalid("must be in the future", "expirationDateTime");
  Duration max = maxSubscriptionLifetime(kind);
  if (*t - now > max) {
    return invalid("exceeds the maximum subscription lifetime of " + formatIsoDuration(max) +
                       " for this resource",
                   "expirationDateTime");
  }
  return *t;
}

bool isLoopbackHost(std::string_view host) {
  std::string h = lowerCopy(host);
  if (h == "localhost" || h == "[::1]") return true;
  if (!h.starts_with("127.")) return false;
  int dots = 0;
  for (char c : h) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

Result<SubscriptionResource> parseSubscriptionResource(std::string_view r) {
  if (r.starts_with('/')) r.remove_prefix(1);
  constexpr std::string_view kPresences = "communications/presences";
  SubscriptionResource out;
  if (r.starts_with(kPresences)) {
    std::string_view rest = r.substr(kPresences.size());
    if (rest.starts_with('/')) {
      std::string_view id = rest.substr(1);
      if (!isId(id)) return invalid("invalid user id in presence resource", "resource");
      out.kind = ResourceKind::Presence;
      out.ids.emplace_back(id);
      return out;
    }
    if (rest.starts_with("('") && rest.ends_with("')") && rest.size() > 4) {
      std::string_view id = rest.substr(2, rest.size() - 4);
      if (!isId(id)) return invalid("invalid user id in presence resource", "resource");
      out.kind = ResourceKind::Presence;
      out.ids.emplace_back(id);
      return out;
    }
    if (rest.starts_with('?')) {
      auto query = percentDecode(rest.substr(1));
      if (!query) return invalid("bad percent-encoding in query", "resource");
      std::string_view q = *query;
      if (!q.starts_with("$filter=")) {
        return invalid("presence list subscriptions need $filter=id in (...)", "resource");
      }
      auto ids = parseIdInFilter(q.substr(8));
      if (!ids) return std::unexpected(ids.error());
      out.kind = ResourceKind::PresenceList;
      out.ids = std::move(*ids);
      return out;
    }
    return invalid("expected communications/presences/{id} or ?$filter=id in (...)",
                   "resource");
  }
  constexpr std::string_view kQueues = "api/v1/queues/";
  if (r.starts_with(kQueues) && r.ends_with("/stats")) {
    std::string_view id = r.substr(kQueues.size(), r.size() - kQueues.size() - 6);
    if (!isId(id)) return invalid("invalid queue id", "resource");
    out.kind = ResourceKind::QueueStats;
    out.ids.emplace_back(id);
    return out;
  }
  if (r == "api/v1/interactions") {
    out.kind = ResourceKind::Interactions;
    return out;
  }
  return invalid("unsupported resource '" + std::string(r) + "'", "resource");
}

std::string resourceText(ResourceKind kind, std::string_view id) {
  switch (kind) {
    case ResourceKind::Presence:
    case ResourceKind::PresenceList:
      return "communications/presences('" + std::string(id) + "')";
    case ResourceKind::QueueStats:
      return "api/v1/queues/" + std::string(id) + "/stats";
    case ResourceKind::Interactions:
      return "api/v1/interactions";
  }
  return {};
}

Duration maxSubscriptionLifetime(ResourceKind) noexcept { return std::chrono::minutes(60); }

Result<uint8_t> parseChangeTypes(std::string_view text, ResourceKind kind) {
  uint8_t allowed = kind == ResourceKind::Interactions ? (kCreated | kUpdated | kDeleted) : kUpdated;
  uint8_t bits = 0;
  if (text.empty()) return invalid("required property is missing", "changeType");
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                                             : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    uint8_t bit = item == "created"   ? kCreated
                  : item == "updated" ? kUpdated
                  : item == "deleted" ? kDeleted
                                      : 0;
    if (bit == 0) {
      return invalid("unknown changeType '" + std::string(item) +
                         "' (allowed: created, updated, deleted)",
                     "changeType");
    }
    if (bits & bit) return invalid("duplicate changeType '" + std::string(item) + "'", "changeType");
    if (!(allowed & bit)) {
      return invalid("changeType '" + std::string(item) + "' is not supported for this resource",
                     "changeType");
    }
    bits |= bit;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return bits;
}

std::string formatChangeTypes(uint8_t bits) {
  std::string out;
  auto add = [&](uint8_t b, const char* name) {
    if (!(bits & b)) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(kCreated, "created");
  add(kUpdated, "updated");
  add(kDeleted, "deleted");
  return out;
}

Status checkNotificationUrl(std::string_view url, std::string_view field,
                            const SubscriptionPolicy& policy) {
  std::string f(field);
  if (url.size() > 2048) return invalid("URL longer than 2048 characters", f);
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return invalid("must be an absolute URL", f);
  std::string scheme = lowerCopy(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return invalid("URL must not contain user information", f);
  }
  std::string_view host = authority;
  if (host.starts_with('[')) {
    auto close = host.find(']');
    if (close == std::string_view::npos) return invalid("bad IPv6 host", f);
    host = host.substr(0, close + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty()) return invalid("URL has no host", f);
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return invalid("URL contains whitespace or control characters", f);
    }
  }
  if (scheme == "https") return {};
  if (scheme == "http") {
    if (policy.allow_http_loopback && isLoopbackHost(host)) return {};
    return invalid("must use https (http is only allowed to a loopback host when enabled)", f);
  }
  return invalid("must use https", f);
}

Result<SubscriptionRequest> parseSubscriptionRequest(const json& body, WallTime now,
                                                     const SubscriptionPolicy& policy) {
  if (!body.is_object()) return invalid("request body must be a JSON object", "");
  SB_TRY(rejectUnknown(body, {"changeType", "notificationUrl", "lifecycleNotificationUrl",
                              "resource", "expirationDateTime", "clientState",
                              "includeResourceData", "encryptionCertificate",
                              "encryptionCertificateId", "latestSupportedTlsVersion",
                              "notificationUrlAppId", "notificationQueryOptions"}));
  SubscriptionRequest req;
  auto resource = reqString(body, "resource");
  if (!resource) return std::unexpected(resource.error());
  auto parsed = parseSubscriptionResource(*resource);
  if (!parsed) return std::unexpected(parsed.error());
  req.resource = std::move(*resource);
  req.parsed_resource = std::move(*parsed);

  auto change = reqString(body, "changeType");
  if (!change) return std::unexpected(change.error());
  auto bits = parseChangeTypes(*change, req.parsed_resource.kind);
  if (!bits) return std::unexpected(bits.error());
  req.change_types = *bits;

  auto url = reqString(body, "notificationUrl");
  if (!url) return std::unexpected(url.error());
  SB_TRY(checkNotificationUrl(*url, "notificationUrl", policy));
  req.notification_url = std::move(*url);

  auto lifecycle = optString(body, "lifecycleNotificationUrl");
  if (!lifecycle) return std::unexpected(lifecycle.error());
  if (*lifecycle) {
    SB_TRY(checkNotificationUrl(**lifecycle, "lifecycleNotificationUrl", policy));
    req.lifecycle_notification_url = std::move(*lifecycle);
  }

  auto exp = checkExpiration(body, req.parsed_resource.kind, now);
  if (!exp) return std::unexpected(exp.error());
  req.expiration = *exp;

  auto state = optString(body, "clientState");
  if (!state) return std::unexpected(state.error());
  if (*state && (*state)->size() > kMaxClientStateChars) {
    return invalid("must be at most 128 characters", "clientState");
  }
  req.client_state = std::move(*state);

  if (auto it = body.find("includeResourceData"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return invalid("must be a boolean", "includeResourceData");
    req.include_resource_data = it->get<bool>();
  }
  auto cert = optString(body, "encryptionCertificate");
  if (!cert) return std::unexpected(cert.error());
  auto cert_id = optString(body, "encryptionCertificateId");
  if (!cert_id) return std::unexpected(cert_id.error());
  if (req.include_resource_data) {
    if (!*cert || (*cert)->empty()) {
      return invalid("required when includeResourceData is true", "encryptionCertificate");
    }
    if (!*cert_id || (*cert_id)->empty()) {
      return invalid("required when includeResourceData is true", "encryptionCertificateId");
    }
  }
  req.encryption_certificate = std::move(*cert);
  req.encryption_certificate_id = std::move(*cert_id);
  return req;
}

Result<WallTime> parseSubscriptionRenewal(const json& body, ResourceKind kind, WallTime now) {
  if (!body.is_object()) return invalid("request body must be a JSON object", "");
  if (body.contains("lifecycleNotificationUrl")) {
    return invalid("can only be set when the subscription is created", "lifecycleNotificationUrl");
  }
  SB_TRY(rejectUnknown(body, {"expirationDateTime"}));
  return checkExpiration(body, kind, now);
}

json toJson(const Subscription& s) {
  const auto& r = s.request;
  json j;
  j["id"] = s.id;
  j["resource"] = r.resource;
  j["applicationId"] = s.application_id;
  j["changeType"] = formatChangeTypes(r.change_types);
  j["clientState"] = r.client_state ? json(*r.client_state) : json(nullptr);
  j["notificationUrl"] = r.notification_url;
  j["lifecycleNotificationUrl"] =
      r.lifecycle_notification_url ? json(*r.lifecycle_notification_url) : json(nullptr);
  j["expirationDateTime"] = formatIsoDateTime(r.expiration);
  j["creatorId"] = s.creator_id;
  j["includeResourceData"] = r.include_resource_data;
  j["encryptionCertificate"] =
      r.encryption_certificate ? json(*r.encryption_certificate) : json(nullptr);
  j["encryptionCertificateId"] =
      r.encryption_certificate_id ? json(*r.encryption_certificate_id) : json(nullptr);
  return j;
}

json presenceResourceData(const Presence& p, bool include_resource_data) {
  json j;
  j["@odata.type"] = "#Microsoft.Graph.presence";
  j["@odata.id"] = resourceText(ResourceKind::Presence, p.user_id);
  j["id"] = p.user_id;
  if (include_resource_data) {
    j["availability"] = std::string(toString(p.pair.availability));
    j["activity"] = std::string(toString(p.pair.activity));
    j["sequenceNumber"] = formatSequenceNumber(p.sequence);
  }
  return j;
}

json notificationBatchJson(std::span<const ChangeNotification> items) {
  json arr = json::array();
  for (const auto& n : items) {
    json j;
    j["subscriptionId"] = n.subscription_id;
    j["subscriptionExpirationDateTime"] = formatIsoDateTime(n.subscription_expiration);
    j["clientState"] = n.client_state ? json(*n.client_state) : json(nullptr);
    j["changeType"] = formatChangeTypes(n.change_type);
    j["resource"] = n.resource;
    j["resourceData"] = n.resource_data;
    j["tenantId"] = n.tenant_id;
    if (n.encrypted_content) j["encryptedContent"] = *n.encrypted_content;
    arr.push_back(std::move(j));
  }
  return json{{"value", std::move(arr)}};
}

std::string_view toString(LifecycleEvent e) noexcept {
  switch (e) {
    case LifecycleEvent::ReauthorizationRequired: return "reauthorizationRequired";
    case LifecycleEvent::SubscriptionRemoved: return "subscriptionRemoved";
    case LifecycleEvent::Missed: return "missed";
  }
  return "missed";
}

json lifecycleBatchJson(std::span<const LifecycleNotification> items) {
  json arr = json::array();
  for (const auto& n : items) {
    json j;
    j["subscriptionId"] = n.subscription_id;
    j["subscriptionExpirationDateTime"] = formatIsoDateTime(n.subscription_expiration);
    j["tenantId"] = n.tenant_id;
    j["clientState"] = n.client_state ? json(*n.client_state) : json(nullptr);
    j["lifecycleEvent"] = std::string(toString(n.event));
    arr.push_back(std::move(j));
  }
  return json{{"value", std::move(arr)}};
}

bool clientStateMatches(const std::optional<std::string>& expected,
                        const std::optional<std::string>& received) noexcept {
  if (expected.has_value() != received.has_value()) return false;
  if (!expected) return true;
  const std::string& a = *expected;
  const std::string& b = *received;
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::string validationRequestUrl(std::string_view url, std::string_view token) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(url);
  out += url.find('?') == std::string_view::npos ? '?' : '&';
  out += "validationToken=";
  for (char c : token) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

bool isValidValidationReply(int status, std::string_view content_type, std::string_view body,
                            std::string_view token) noexcept {
  if (status != 200) return false;
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (lowerCopy(media) != "text/plain") return false;
  return body == token;
}

RetryDecision nextRetry(const RetryPolicy& policy, int failed_attempts, MonoTime first_attempt,
                        MonoTime now, double jitter) noexcept {
  RetryDecision d;
  MonoTime deadline = first_attempt + policy.give_up_after;
  if (now >= deadline) {
    d.give_up = true;
    return d;
  }
  if (!(jitter >= 0.0)) jitter = 0.0;  // also catches NaN
  if (jitter >= 1.0) jitter = std::nextafter(1.0, 0.0);
  int n = std::max(failed_attempts, 1);
  // Doubling stops once the cap is reached, so the shift never overflows.
  Duration base = policy.initial_delay;
  for (int i = 1; i < n && base < policy.max_delay; ++i) base *= 2;
  base = std::min(base, policy.max_delay);
  auto half = base / 2;
  auto extra = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, Duration::period>(static_cast<double>(half.count()) * jitter));
  MonoTime next = now + half + extra;
  d.next_attempt = std::min(next, deadline);
  return d;
}

}  // namespace sb::presence
