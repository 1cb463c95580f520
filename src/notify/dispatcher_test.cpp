// SPDX-License-Identifier: Apache-2.0
#include "notify/dispatcher.h"

#include <gtest/gtest.h>

#include "notify/testing/certificates.h"
#include "presence/iso8601.h"

namespace sb::notify {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using presence::ResourceKind;

SubscriptionRecord record(const ManualClock& clock, std::string id, std::string tenant,
                          std::string resource, bool lifecycle = true,
                          Duration lifetime = 60min, std::string change = "updated") {
  json body = {{"changeType", change},
               {"notificationUrl", "http://127.0.0.1:9/" + id},
               {"resource", resource},
               {"expirationDateTime", presence::formatIsoDateTime(clock.wallNow() + lifetime)},
               {"clientState", "secret-" + id}};
  if (lifecycle) body["lifecycleNotificationUrl"] = "http://127.0.0.1:9/life-" + id;
  presence::SubscriptionPolicy policy{.allow_http_loopback = true};
  auto req = presence::parseSubscriptionRequest(body, clock.wallNow(), policy);
  EXPECT_TRUE(req.has_value()) << (req ? "" : req.error().toString());
  SubscriptionRecord r;
  r.sub.id = id;
  r.sub.tenant_id = tenant;
  r.sub.creator_id = "u1";
  r.sub.request = *req;
  r.signing_key = "key-" + id;
  r.armed_at = clock.wallNow();
  return r;
}

Change presenceChange(std::string tenant, std::string user) {
  return {tenant, ResourceKind::Presence, user, presence::kUpdated,
          {{"@odata.type", "#Microsoft.Graph.presence"}, {"id", user}}};
}

Change statsChange(std::string tenant, std::string queue, int waiting) {
  return {tenant, ResourceKind::QueueStats, queue, presence::kUpdated,
          {{"queueId", queue}, {"waiting", waiting}}};
}

DispatchOptions shortRetry() {
  DispatchOptions o;
  o.retry.initial_delay = 10s;
  o.retry.max_delay = 40s;
  o.retry.give_up_after = 2min;
  return o;
}

struct Fixture : ::testing::Test {
  ManualClock clock;
  Dispatcher d{shortRetry(), [] { return 0.0; }};
  Dispatcher::Poll poll() { return d.poll(clock.now(), clock.wallNow()); }
};

TEST_F(Fixture, MatchesResourceTenantAndChangeType) {
  d.add(record(clock, "p1", "t1", "communications/presences/alice"));
  d.add(record(clock, "p2", "t1", "communications/presences?$filter=id in ('bob','alice')"));
  d.add(record(clock, "q1", "t1", "api/v1/queues/support/stats"));
  d.add(record(clock, "i1", "t1", "api/v1/interactions", true, 60min, "created"));
  d.add(record(clock, "x1", "t2", "communications/presences/alice"));
  EXPECT_EQ(d.publish(presenceChange("t1", "alice")), 2u);
  EXPECT_EQ(d.publish(presenceChange("t1", "bob")), 1u);
  EXPECT_EQ(d.publish(presenceChange("t1", "carol")), 0u);
  EXPECT_EQ(d.publish(statsChange("t1", "support", 1)), 1u);
  EXPECT_EQ(d.publish(statsChange("t1", "sales", 1)), 0u);
  EXPECT_EQ(d.publish({"t1", ResourceKind::Interactions, "c1", presence::kCreated, {}}), 1u);
  // i1 asked for created only.
  EXPECT_EQ(d.publish({"t1", ResourceKind::Interactions, "c1", presence::kUpdated, {}}), 0u);
  EXPECT_EQ(d.publish(presenceChange("t3", "alice")), 0u);
}

TEST(DispatcherResourceDataTest, EncryptsTheWholeResourceAndAddsAValidationToken) {
  ManualClock clock;
  DispatchOptions options = shortRetry();
  std::vector<std::string> audiences;
  options.validation_token = [&](const presence::Subscription& s) -> std::optional<std::string> {
    audiences.push_back(s.application_id);
    return "token-for-" + s.application_id;
  };
  Dispatcher d{options, [] { return 0.0; }};
  auto tc = testing::makeCertificate();
  SubscriptionRecord rich = record(clock, "rich", "t1", "communications/presences/alice", false);
  rich.sub.application_id = "app-1";
  rich.sub.request.include_resource_data = true;
  rich.sub.request.encryption_certificate = tc.der_base64;
  rich.sub.request.encryption_certificate_id = "cert-1";
  rich.encryption = *parseEncryptionCertificate(tc.der_base64, std::nullopt);
  d.add(std::move(rich));
  d.add(record(clock, "basic", "t1", "communications/presences/alice", false));

  Change c = presenceChange("t1", "alice");
  c.resource_data["@odata.id"] = "communications/presences('alice')";
  c.resource = {{"id", "alice"}, {"availability", "Busy"}, {"activity", "InACall"}};
  ASSERT_EQ(d.publish(c), 2u);
  auto p = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p.deliveries.size(), 2u);
  for (const auto& delivery : p.deliveries) {
    json body = json::parse(delivery.body);
    const json& item = body["value"][0];
    if (delivery.subscription_id == "basic") {
      // Unchanged for a subscription without resource data: no content, no tokens.
      EXPECT_FALSE(item.contains("encryptedContent"));
      EXPECT_FALSE(body.contains("validationTokens"));
      EXPECT_EQ(item["resourceData"], c.resource_data);
      continue;
    }
    // The clear part names the resource only; the state is in the encrypted content.
    EXPECT_EQ(item["resourceData"], (json{{"@odata.type", "#Microsoft.Graph.presence"},
                                          {"@odata.id", "communications/presences('alice')"},
                                          {"id", "alice"}}));
    EXPECT_EQ(item["encryptedContent"]["encryptionCertificateId"], "cert-1");
    auto plain = decryptContent(tc.private_key.get(), item["encryptedContent"]);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(json::parse(*plain), c.resource);
    EXPECT_EQ(body["validationTokens"], json::array({"token-for-app-1"}));
  }
  EXPECT_EQ(audiences, std::vector<std::string>{"app-1"});

  // Switchboard's own resources: resourceData (the whole event) is what gets encrypted.
  SubscriptionRecord stats = record(clock, "stats", "t1", "api/v1/queues/support/stats", false);
  stats.sub.request.include_resource_data = true;
  stats.sub.request.encryption_certificate_id = "cert-2";
  stats.encryption = *parseEncryptionCertificate(tc.der_base64, std::nullopt);
  d.add(std::move(stats));
  ASSERT_EQ(d.publish(statsChange("t1", "support", 4)), 1u);
  p = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p.deliveries.size(), 1u);
  json item = json::parse(p.deliveries[0].body)["value"][0];
  EXPECT_EQ(item["resourceData"], (json{{"id", "support"}}));
  auto plain = decryptContent(tc.private_key.get(), item["encryptedContent"]);
  ASSERT_TRUE(plain);
  EXPECT_EQ(json::parse(*plain), (json{{"queueId", "support"}, {"waiting", 4}}));
}

TEST_F(Fixture, BatchesQueuedItemsIntoOnePostWithClientState) {
  d.add(record(clock, "p2", "t1", "communications/presences?$filter=id in ('bob','alice')"));
  d.publish(presenceChange("t1", "alice"));
  d.publish(presenceChange("t1", "bob"));
  auto p = poll();
  ASSERT_EQ(p.deliveries.size(), 1u);
  const auto& del = p.deliveries[0];
  EXPECT_EQ(del.url, "http://127.0.0.1:9/p2");
  EXPECT_EQ(del.signing_key, "key-p2");
  EXPECT_FALSE(del.lifecycle);
  auto body = json::parse(del.body);
  ASSERT_EQ(body["value"].size(), 2u);
  EXPECT_EQ(body["value"][0]["subscriptionId"], "p2");
  EXPECT_EQ(body["value"][0]["clientState"], "secret-p2");
  EXPECT_EQ(body["value"][0]["changeType"], "updated");
  EXPECT_EQ(body["value"][0]["resource"], "communications/presences('alice')");
  EXPECT_EQ(body["value"][1]["resource"], "communications/presences('bob')");
  EXPECT_EQ(body["value"][0]["tenantId"], "t1");
}

TEST_F(Fixture, OneRequestInFlightPerSubscriptionThenTheNextBatch) {
  d.add(record(clock, "q1", "t1", "api/v1/queues/support/stats"));
  d.add(record(clock, "i1", "t1", "api/v1/interactions", false, 60min, "created"));
  d.publish({"t1", ResourceKind::Interactions, "c1", presence::kCreated, {{"id", "c1"}}});
  auto first = poll();
  ASSERT_EQ(first.deliveries.size(), 1u);
  d.publish({"t1", ResourceKind::Interactions, "c2", presence::kCreated, {{"id", "c2"}}});
  d.publish(statsChange("t1", "support", 3));
  auto second = poll();  // i1 is busy; q1 is independent
  ASSERT_EQ(second.deliveries.size(), 1u);
  EXPECT_EQ(second.deliveries[0].subscription_id, "q1");
  d.complete(first.deliveries[0].id, true, "", clock.now());
  auto third = poll();
  ASSERT_EQ(third.deliveries.size(), 1u);
  EXPECT_EQ(json::parse(third.deliveries[0].body)["value"][0]["resourceData"]["id"], "c2");
}

TEST_F(Fixture, StatsUpdatesNotYetSentCollapseToTheNewest) {
  d.add(record(clock, "q1", "t1", "api/v1/queues/support/stats"));
  for (int i = 0; i < 5; ++i) d.publish(statsChange("t1", "support", i));
  EXPECT_EQ(d.pendingCount("q1"), 1u);
  auto p = poll();
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_EQ(json::parse(p.deliveries[0].body)["value"][0]["resourceData"]["waiting"], 4);
}

TEST_F(Fixture, FailedBatchIsRetriedWithBackoffAsAWhole) {
  d.add(record(clock, "q1", "t1", "api/v1/queues/support/stats", false));
  d.publish(statsChange("t1", "support", 1));
  auto p = poll();
  ASSERT_EQ(p.deliveries.size(), 1u);
  d.complete(p.deliveries[0].id, false, "HTTP 500", clock.now());
  d.publish(statsChange("t1", "support", 2));  // waits behind the failed batch
  // Jitter 0: the first retry comes after initial_delay / 2 = 5 s.
  EXPECT_EQ(*d.nextWakeup(clock.now(), clock.wallNow()), clock.now() + 5s);
  clock.advance(4s);
  EXPECT_TRUE(poll().deliveries.empty());
  clock.advance(1s);
  auto retry = poll();
  ASSERT_EQ(retry.deliveries.size(), 1u);
  EXPECT_EQ(retry.deliveries[0].attempt, 2);
  EXPECT_EQ(json::parse(retry.deliveries[0].body)["value"][0]["resourceData"]["waiting"], 1);
  d.complete(retry.deliveries[0].id, false, "timeout", clock.now());
  // Second failure: base doubles to 20 s, half is 10 s.
  EXPECT_EQ(*d.nextWakeup(clock.now(), clock.wallNow()), clock.now() + 10s);
  clock.advance(10s);
  auto third = poll();
  ASSERT_EQ(third.deliveries.size(), 1u);
  d.complete(third.deliveries[0].id, true, "", clock.now());
  auto next = poll();
  ASSERT_EQ(next.deliveries.size(), 1u);
  EXPECT_EQ(json::parse(next.deliveries[0].body)["value"][0]["resourceData"]["waiting"], 2);
  EXPECT_TRUE(d.deadLetters("t1", "q1")->empty());
}

TEST_F(Fixture, GivesUpAfterTheWindowDeadLettersAndSendsMissed) {
  d.add(record(clock, "p1", "t1", "communications/presences/alice"));
  d.publish(presenceChange("t1", "alice"));
  int attempts = 0;
  Dispatcher::Poll p;
  for (int guard = 0; guard < 100; ++guard) {
    p = poll();
    if (!p.dead_lettered.empty()) break;
    bool sent = false;
    for (const auto& del : p.deliveries) {
      ASSERT_FALSE(del.lifecycle) << "no lifecycle event before giving up";
      ++attempts;
      sent = true;
      d.complete(del.id, false, "HTTP 503", clock.now());
    }
    if (!sent) clock.advance(*d.nextWakeup(clock.now(), clock.wallNow()) - clock.now());
  }
  // 0 s, then 5, 10, 20, 20 (cap 40 / 2), the last clamped to the 2-minute window.
  EXPECT_GE(attempts, 5);
  ASSERT_EQ(p.dead_lettered, std::vector<std::string>{"p1"});
  const auto* dead = d.deadLetters("t1", "p1");
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].item["resource"], "communications/presences('alice')");
  EXPECT_EQ((*dead)[0].last_error, "HTTP 503");
  EXPECT_EQ((*dead)[0].attempts, attempts);
  // The same poll sends `missed` to the lifecycle URL.
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_TRUE(p.deliveries[0].lifecycle);
  EXPECT_EQ(p.deliveries[0].url, "http://127.0.0.1:9/life-p1");
  auto body = json::parse(p.deliveries[0].body);
  EXPECT_EQ(body["value"][0]["lifecycleEvent"], "missed");
  EXPECT_EQ(body["value"][0]["clientState"], "secret-p1");
  // The queue moves on to new items.
  d.complete(p.deliveries[0].id, true, "", clock.now());
  d.publish(presenceChange("t1", "alice"));
  auto after = poll();
  ASSERT_EQ(after.deliveries.size(), 1u);
  EXPECT_EQ(after.deliveries[0].attempt, 1);
}

TEST_F(Fixture, ReauthorizationRequiredBeforeExpiryAndRearmedByRenewal) {
  d.add(record(clock, "p1", "t1", "communications/presences/alice"));
  clock.advance(49min);
  EXPECT_TRUE(poll().deliveries.empty());
  EXPECT_EQ(*d.nextWakeup(clock.now(), clock.wallNow()), clock.now() + 1min);
  clock.advance(1min);
  auto p = poll();
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_EQ(json::parse(p.deliveries[0].body)["value"][0]["lifecycleEvent"],
            "reauthorizationRequired");
  d.complete(p.deliveries[0].id, true, "", clock.now());
  EXPECT_TRUE(poll().deliveries.empty());  // once only
  ASSERT_TRUE(d.renew("t1", "p1", clock.wallNow() + 60min, clock.wallNow()));
  clock.advance(49min);
  EXPECT_TRUE(poll().deliveries.empty());
  clock.advance(1min);
  EXPECT_EQ(poll().deliveries.size(), 1u);
}

TEST_F(Fixture, ExpiryRemovesTheSubscriptionAndSendsSubscriptionRemoved) {
  d.add(record(clock, "p1", "t1", "communications/presences/alice", true, 4min));
  clock.advance(2min);  // a short lifetime asks for reauthorization half-way
  auto half = poll();
  ASSERT_EQ(half.deliveries.size(), 1u);
  d.complete(half.deliveries[0].id, true, "", clock.now());
  clock.advance(2min);
  auto p = poll();
  ASSERT_EQ(p.expired.size(), 1u);
  EXPECT_EQ(p.expired[0].second, "p1");
  EXPECT_EQ(d.find("t1", "p1"), nullptr);
  EXPECT_EQ(d.publish(presenceChange("t1", "alice")), 0u);
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_EQ(p.deliveries[0].url, "http://127.0.0.1:9/life-p1");
  EXPECT_EQ(json::parse(p.deliveries[0].body)["value"][0]["lifecycleEvent"],
            "subscriptionRemoved");
  // The orphaned lifecycle queue retries like any other, then goes away.
  d.complete(p.deliveries[0].id, false, "timeout", clock.now());
  clock.advance(5s);
  auto retry = poll();
  ASSERT_EQ(retry.deliveries.size(), 1u);
  d.complete(retry.deliveries[0].id, true, "", clock.now());
  EXPECT_TRUE(poll().deliveries.empty());
  EXPECT_FALSE(d.nextWakeup(clock.now(), clock.wallNow()).has_value());
}

TEST_F(Fixture, DeletedSubscriptionSendsNothing) {
  d.add(record(clock, "p1", "t1", "communications/presences/alice"));
  d.publish(presenceChange("t1", "alice"));
  EXPECT_FALSE(d.remove("t2", "p1"));  // other tenant: unknown
  EXPECT_TRUE(d.remove("t1", "p1"));
  EXPECT_TRUE(poll().deliveries.empty());
}

TEST(DispatcherTest, GlobalInFlightCapAndQueueOverflow) {
  ManualClock clock;
  DispatchOptions o = shortRetry();
  o.max_in_flight = 2;
  o.max_pending = 3;
  o.max_batch = 10;
  Dispatcher d(o, [] { return 0.5; });
  for (const char* id : {"a", "b", "c"}) {
    d.add(record(clock, id, "t1", "api/v1/interactions", std::string(id) == "a", 60min,
                 "created"));
  }
  d.publish({"t1", ResourceKind::Interactions, "x", presence::kCreated, {}});
  auto p = d.poll(clock.now(), clock.wallNow());
  EXPECT_EQ(p.deliveries.size(), 2u);
  EXPECT_EQ(d.inFlight(), 2u);
  EXPECT_FALSE(d.nextWakeup(clock.now(), clock.wallNow()) < clock.now() + 30min)
      << "saturated: completions, not a timer, resume the queues";
  d.complete(p.deliveries[0].id, true, "", clock.now());
  auto p2 = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p2.deliveries.size(), 1u);
  EXPECT_EQ(p2.deliveries[0].subscription_id, "c");
  // Overflow on "a" (whose batch is in flight): 3 kept, the rest dead-lettered plus `missed`.
  for (int i = 0; i < 5; ++i) {
    d.publish({"t1", ResourceKind::Interactions, "y" + std::to_string(i), presence::kCreated, {}});
  }
  EXPECT_EQ(d.deadLetters("t1", "a")->size(), 2u);
  EXPECT_EQ((*d.deadLetters("t1", "a"))[0].last_error, "queue full");
}

TEST(DeadLetterTest, JsonRoundTrip) {
  DeadLetter dl;
  dl.item = {{"subscriptionId", "s"}};
  dl.lifecycle = true;
  dl.failed_at = WallTime{} + std::chrono::hours(24 * 365 * 55);
  dl.attempts = 7;
  dl.last_error = "timeout";
  auto back = deadLetterFromJson(toJson(dl));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->item, dl.item);
  EXPECT_TRUE(back->lifecycle);
  EXPECT_EQ(back->failed_at, dl.failed_at);
  EXPECT_EQ(back->attempts, 7);
  EXPECT_EQ(back->last_error, "timeout");
}

}  // namespace
}  // namespace sb::notify
