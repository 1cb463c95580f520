// SPDX-License-Identifier: Apache-2.0
#include "presence/subscription.h"

#include <gtest/gtest.h>

#include "presence/iso8601.h"

namespace sb::presence {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const WallTime kNow = *parseIsoDateTime("2026-11-25T10:00:00.0000000Z");

json validBody() {
  return json::parse(R"({
    "changeType": "updated",
    "notificationUrl": "https://webhook.example.com/api/send/myNotifyClient",
    "lifecycleNotificationUrl": "https://webhook.example.com/api/send/lifecycle",
    "resource": "/communications/presences/fa8bf3dc-eca7-46b7-bad1-db199b62afc3",
    "expirationDateTime": "2026-11-25T10:45:00.0000000Z",
    "clientState": "secretClientState"
  })");
}

TEST(SubscriptionResourceTest, Forms) {
  auto one = parseSubscriptionResource("communications/presences/u1");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->kind, ResourceKind::Presence);
  EXPECT_EQ(one->ids, std::vector<std::string>{"u1"});
  EXPECT_EQ(parseSubscriptionResource("/communications/presences('u1')")->ids.at(0), "u1");
  auto list = parseSubscriptionResource("communications/presences?$filter=id in ('a', 'b','a')");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->kind, ResourceKind::PresenceList);
  EXPECT_EQ(list->ids, (std::vector<std::string>{"a", "b"}));
  auto encoded = parseSubscriptionResource("communications/presences?$filter=id%20in%20(%27a%27)");
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->ids, std::vector<std::string>{"a"});
  auto q = parseSubscriptionResource("api/v1/queues/sales/stats");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->kind, ResourceKind::QueueStats);
  EXPECT_EQ(q->ids.at(0), "sales");
  EXPECT_EQ(parseSubscriptionResource("/api/v1/interactions")->kind, ResourceKind::Interactions);
  for (const char* bad :
       {"", "communications/presences", "communications/presences/", "communications/presences/a/b",
        "communications/presences?$filter=id eq 'a'", "communications/presences?$filter=id in ()",
        "communications/presences?$filter=id in ('a'", "communications/presences?$top=5",
        "communications/presences?$filter=id in ('a') and x", "api/v1/queues//stats",
        "api/v1/queues/q", "users/u1", "communications/callRecords",
        "communications/presences?$filter=id in ('a')%zz"}) {
    auto r = parseSubscriptionResource(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().field, "resource") << bad;
  }
  std::string many = "communications/presences?$filter=id in (";
  for (int i = 0; i < 651; ++i) many += (i ? ",'" : "'") + std::to_string(i) + "'";
  EXPECT_FALSE(parseSubscriptionResource(many + ")").has_value());
  EXPECT_EQ(resourceText(ResourceKind::Presence, "u1"), "communications/presences('u1')");
  EXPECT_EQ(resourceText(ResourceKind::QueueStats, "q"), "api/v1/queues/q/stats");
}

TEST(SubscriptionChangeTypeTest, PerResource) {
  EXPECT_EQ(*parseChangeTypes("updated", ResourceKind::Presence), kUpdated);
  EXPECT_FALSE(parseChangeTypes("created", ResourceKind::Presence).has_value());
  EXPECT_FALSE(parseChangeTypes("updated,deleted", ResourceKind::PresenceList).has_value());
  EXPECT_EQ(*parseChangeTypes("created,updated,deleted", ResourceKind::Interactions),
            kCreated | kUpdated | kDeleted);
  EXPECT_EQ(*parseChangeTypes("deleted, created", ResourceKind::Interactions), kCreated | kDeleted);
  EXPECT_FALSE(parseChangeTypes("updated,updated", ResourceKind::Interactions).has_value());
  EXPECT_FALSE(parseChangeTypes("Updated", ResourceKind::Presence).has_value());
  EXPECT_FALSE(parseChangeTypes("updated,", ResourceKind::Interactions).has_value());
  EXPECT_EQ(parseChangeTypes("", ResourceKind::Presence).error().field, "changeType");
  EXPECT_EQ(formatChangeTypes(kDeleted | kCreated), "created,deleted");
}

TEST(SubscriptionUrlTest, HttpsOrLoopbackHttpWhenAllowed) {
  SubscriptionPolicy strict;
  SubscriptionPolicy dev{.allow_http_loopback = true};
  EXPECT_TRUE(checkNotificationUrl("https://example.com/hook", "notificationUrl", strict).has_value());
  EXPECT_TRUE(checkNotificationUrl("HTTPS://example.com:8443", "notificationUrl", strict).has_value());
  EXPECT_FALSE(checkNotificationUrl("http://127.0.0.1:8080/hook", "notificationUrl", strict).has_value());
  EXPECT_TRUE(checkNotificationUrl("http://127.0.0.1:8080/hook", "notificationUrl", dev).has_value());
  EXPECT_TRUE(checkNotificationUrl("http://localhost/hook", "notificationUrl", dev).has_value());
  EXPECT_TRUE(checkNotificationUrl("http://[::1]:9000/", "notificationUrl", dev).has_value());
  for (const char* bad : {"http://example.com/hook", "http://127.0.0.1.evil.com/", "ftp://x/",
                          "example.com/hook", "https:///path", "https://user@host/",
                          "https://exa mple.com/", "http://10.0.0.1/"}) {
    auto r = checkNotificationUrl(bad, "lifecycleNotificationUrl", dev);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().field, "lifecycleNotificationUrl") << bad;
  }
}

TEST(SubscriptionRequestTest, ValidReferenceShape) {
  auto r = parseSubscriptionRequest(validBody(), kNow, {});
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(r->change_types, kUpdated);
  EXPECT_EQ(r->parsed_resource.kind, ResourceKind::Presence);
  EXPECT_EQ(r->expiration, kNow + 45min);
  EXPECT_EQ(r->client_state, "secretClientState");
  EXPECT_FALSE(r->include_resource_data);
  Subscription s{"7f105c7d-2dc5-4530-97cd-4e7ae6534c07", "app-1", "creator", "tenant", *r};
  auto j = toJson(s);
  EXPECT_EQ(j["id"], "7f105c7d-2dc5-4530-97cd-4e7ae6534c07");
  EXPECT_EQ(j["resource"], "/communications/presences/fa8bf3dc-eca7-46b7-bad1-db199b62afc3");
  EXPECT_EQ(j["changeType"], "updated");
  EXPECT_EQ(j["expirationDateTime"], "2026-11-25T10:45:00.0000000Z");
  EXPECT_EQ(j["clientState"], "secretClientState");
  EXPECT_EQ(j["includeResourceData"], false);
}

TEST(SubscriptionRequestTest, FieldPreciseErrors) {
  struct Case {
    const char* key;
    json value;  // null = remove the key
    const char* field;
  };
  const Case cases[] = {
      {"changeType", nullptr, "changeType"},
      {"changeType", "created", "changeType"},
      {"changeType", 3, "changeType"},
      {"notificationUrl", nullptr, "notificationUrl"},
      {"notificationUrl", "http://example.com/x", "notificationUrl"},
      {"lifecycleNotificationUrl", "http://example.com/x", "lifecycleNotificationUrl"},
      {"resource", nullptr, "resource"},
      {"resource", "me/events", "resource"},
      {"expirationDateTime", nullptr, "expirationDateTime"},
      {"expirationDateTime", "tomorrow", "expirationDateTime"},
      {"expirationDateTime", "2026-11-25T09:59:59.0000000Z", "expirationDateTime"},
      {"expirationDateTime", "2026-11-25T10:00:00.0000000Z", "expirationDateTime"},
      {"expirationDateTime", "2026-11-25T11:00:00.0000001Z", "expirationDateTime"},
      {"clientState", std::string(129, 'x'), "clientState"},
      {"clientState", 12, "clientState"},
      {"includeResourceData", "yes", "includeResourceData"},
      {"includeResourceData", true, "encryptionCertificate"},
      {"unexpected", 1, "unexpected"},
  };
  for (const auto& c : cases) {
    json body = validBody();
    if (c.value.is_null()) {
      body.erase(c.key);
    } else {
      body[c.key] = c.value;
    }
    auto r = parseSubscriptionRequest(body, kNow, {});
    ASSERT_FALSE(r.has_value()) << c.key << "=" << c.value.dump();
    EXPECT_EQ(r.error().field, c.field) << c.key << "=" << c.value.dump();
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
  // Boundaries that are accepted: exactly 60 minutes, exactly 128 characters.
  json body = validBody();
  body["expirationDateTime"] = "2026-11-25T11:00:00.0000000Z";
  body["clientState"] = std::string(128, 'x');
  EXPECT_TRUE(parseSubscriptionRequest(body, kNow, {}).has_value());
  body["includeResourceData"] = true;
  body["encryptionCertificate"] = "MIIB...";
  EXPECT_EQ(parseSubscriptionRequest(body, kNow, {}).error().field, "encryptionCertificateId");
  body["encryptionCertificateId"] = "cert-1";
  EXPECT_TRUE(parseSubscriptionRequest(body, kNow, {})->include_resource_data);
}

TEST(SubscriptionRequestTest, Renewal) {
  auto ok = parseSubscriptionRenewal(json{{"expirationDateTime", "2026-11-25T10:30:00Z"}},
                                     ResourceKind::Presence, kNow);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, kNow + 30min);
  EXPECT_EQ(parseSubscriptionRenewal(json{{"expirationDateTime", "2026-11-25T12:00:00Z"}},
                                     ResourceKind::Presence, kNow)
                .error()
                .field,
            "expirationDateTime");
  EXPECT_EQ(parseSubscriptionRenewal(json{{"lifecycleNotificationUrl", "https://x/"}},
                                     ResourceKind::Presence, kNow)
                .error()
                .field,
            "lifecycleNotificationUrl");
}

TEST(NotificationJsonTest, PresenceBatchShape) {
  Presence p;
  p.user_id = "71c7e27e-6de7-4c43-9a36-b1c7bb9a52b3";
  p.pair = {Availability::Away, Activity::Away};
  p.sequence = 12;
  ChangeNotification n;
  n.subscription_id = "sub-1";
  n.subscription_expiration = kNow + 1h;
  n.client_state = "secretClientValue";
  n.change_type = kUpdated;
  n.resource = resourceText(ResourceKind::Presence, p.user_id);
  n.resource_data = presenceResourceData(p, /*include_resource_data=*/false);
  n.tenant_id = "tenant-1";
  ChangeNotification items[] = {n};
  auto expected = json::parse(R"json({"value":[{
    "subscriptionId": "sub-1",
    "subscriptionExpirationDateTime": "2026-11-25T11:00:00.0000000Z",
    "clientState": "secretClientValue",
    "changeType": "updated",
    "resource": "communications/presences('71c7e27e-6de7-4c43-9a36-b1c7bb9a52b3')",
    "resourceData": {
      "@odata.type": "#Microsoft.Graph.presence",
      "@odata.id": "communications/presences('71c7e27e-6de7-4c43-9a36-b1c7bb9a52b3')",
      "id": "71c7e27e-6de7-4c43-9a36-b1c7bb9a52b3"
    },
    "tenantId": "tenant-1"
  }]})json");
  EXPECT_EQ(notificationBatchJson(items), expected);
  auto rich = presenceResourceData(p, true);
  EXPECT_EQ(rich["availability"], "Away");
  EXPECT_EQ(rich["activity"], "Away");
  EXPECT_EQ(rich["sequenceNumber"], "00000000000000000012");
}

TEST(NotificationJsonTest, LifecycleEvents) {
  LifecycleNotification items[3];
  const LifecycleEvent events[] = {LifecycleEvent::ReauthorizationRequired,
                                   LifecycleEvent::SubscriptionRemoved, LifecycleEvent::Missed};
  for (int i = 0; i < 3; ++i) {
    items[i].subscription_id = "sub-1";
    items[i].subscription_expiration = kNow;
    items[i].tenant_id = "t";
    items[i].client_state = "s";
    items[i].event = events[i];
  }
  auto j = lifecycleBatchJson(items);
  ASSERT_EQ(j["value"].size(), 3u);
  EXPECT_EQ(j["value"][0]["lifecycleEvent"], "reauthorizationRequired");
  EXPECT_EQ(j["value"][1]["lifecycleEvent"], "subscriptionRemoved");
  EXPECT_EQ(j["value"][2]["lifecycleEvent"], "missed");
  EXPECT_EQ(j["value"][2], json::parse(R"({"subscriptionId":"sub-1",
      "subscriptionExpirationDateTime":"2026-11-25T10:00:00.0000000Z","tenantId":"t",
      "clientState":"s","lifecycleEvent":"missed"})"));
}

TEST(ClientStateTest, Matches) {
  EXPECT_TRUE(clientStateMatches(std::string("abc"), std::string("abc")));
  EXPECT_FALSE(clientStateMatches(std::string("abc"), std::string("abd")));
  EXPECT_FALSE(clientStateMatches(std::string("abc"), std::string("abcd")));
  EXPECT_FALSE(clientStateMatches(std::string("abc"), std::nullopt));
  EXPECT_TRUE(clientStateMatches(std::nullopt, std::nullopt));
}

TEST(ValidationHandshakeTest, UrlAndReply) {
  EXPECT_EQ(validationRequestUrl("https://x/hook", "a b+c/="),
            "https://x/hook?validationToken=a%20b%2Bc%2F%3D");
  EXPECT_EQ(validationRequestUrl("https://x/hook?k=1", "t"), "https://x/hook?k=1&validationToken=t");
  EXPECT_TRUE(isValidValidationReply(200, "text/plain; charset=utf-8", "tok", "tok"));
  EXPECT_TRUE(isValidValidationReply(200, "Text/Plain", "tok", "tok"));
  EXPECT_FALSE(isValidValidationReply(202, "text/plain", "tok", "tok"));
  EXPECT_FALSE(isValidValidationReply(200, "application/json", "tok", "tok"));
  EXPECT_FALSE(isValidValidationReply(200, "text/plain", "\"tok\"", "tok"));
}

TEST(RetryScheduleTest, ExponentialWithJitterBounds) {
  RetryPolicy policy;
  MonoTime t0 = MonoTime{} + 1h;
  for (int n = 1; n <= 12; ++n) {
    Duration base = std::min<Duration>(policy.initial_delay * (1LL << (n - 1)), policy.max_delay);
    auto lo = nextRetry(policy, n, t0, t0, 0.0);
    auto hi = nextRetry(policy, n, t0, t0, 0.999999);
    ASSERT_FALSE(lo.give_up);
    EXPECT_EQ(lo.next_attempt - t0, base / 2) << n;
    EXPECT_LT(hi.next_attempt - t0, base) << n;
    EXPECT_GT(hi.next_attempt - t0, base / 2) << n;
  }
  // Out-of-range jitter is clamped, huge attempt counts don't overflow.
  EXPECT_EQ(nextRetry(policy, 1, t0, t0, -5.0).next_attempt, t0 + 5s);
  EXPECT_LT(nextRetry(policy, 1, t0, t0, 7.0).next_attempt, t0 + 10s);
  EXPECT_LE(nextRetry(policy, 1000000, t0, t0, 0.5).next_attempt - t0, policy.max_delay);
}

TEST(RetryScheduleTest, GivesUpAfterFourHours) {
  RetryPolicy policy;
  MonoTime first = MonoTime{} + 1h;
  MonoTime now = first;
  int attempts = 0;
  for (;;) {
    ++attempts;
    auto d = nextRetry(policy, attempts, first, now, 0.5);
    if (d.give_up) break;
    ASSERT_GT(d.next_attempt, now);
    ASSERT_LE(d.next_attempt, first + 4h);
    now = d.next_attempt;
    ASSERT_LT(attempts, 1000);
  }
  EXPECT_EQ(now, first + 4h);  // the last attempt lands exactly on the deadline
  EXPECT_GT(attempts, 8);
  EXPECT_TRUE(nextRetry(policy, 1, first, first + 4h + 1s, 0.0).give_up);
}

}  // namespace
}  // namespace sb::presence
