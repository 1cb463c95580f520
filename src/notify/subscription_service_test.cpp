// SPDX-License-Identifier: Apache-2.0
// SubscriptionService against real HTTP receivers on loopback (notify/testing/receiver.h),
// with shortened timeouts and retry windows.
#include "notify/subscription_service.h"

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "notify/encryption.h"
#include "notify/signature.h"
#include "notify/testing/certificates.h"
#include "notify/testing/receiver.h"
#include "presence/iso8601.h"

namespace sb::notify {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ReceivedRequest;
using testing::Receiver;
using testing::Reply;

ServiceOptions fastOptions() {
  ServiceOptions o;
  o.policy.allow_http_loopback = true;
  o.validation_timeout = 500ms;
  o.delivery_timeout = 300ms;
  o.dispatch.retry.initial_delay = 100ms;
  o.dispatch.retry.max_delay = 200ms;
  o.dispatch.retry.give_up_after = 1s;
  return o;
}

class MemoryPersistence final : public SubscriptionPersistence {
 public:
  Status save(const StoredSubscription& s, bool) override {
    std::lock_guard lock(mu_);
    docs_[s.record.sub.id] = toDocument(s);
    return {};
  }
  Status remove(const std::string&, const std::string& id) override {
    std::lock_guard lock(mu_);
    docs_.erase(id);
    return {};
  }
  Result<std::vector<StoredSubscription>> loadAll() override {
    std::lock_guard lock(mu_);
    std::vector<StoredSubscription> out;
    for (const auto& [id, doc] : docs_) {
      auto s = fromDocument(doc);
      if (!s) return std::unexpected(s.error());
      out.push_back(std::move(*s));
    }
    return out;
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return docs_.size();
  }

 private:
  std::mutex mu_;
  std::map<std::string, json> docs_;
};

const Caller kAlice{"t1", "alice", "", false};

json body(const std::string& url, const std::string& resource,
          std::optional<std::string> lifecycle = std::nullopt) {
  json b = {
      {"changeType", "updated"},
      {"notificationUrl", url},
      {"resource", resource},
      {"expirationDateTime", presence::formatIsoDateTime(std::chrono::system_clock::now() + 30min)},
      {"clientState", "s3cret"}};
  if (lifecycle) b["lifecycleNotificationUrl"] = *lifecycle;
  return b;
}

Result<json> createSync(SubscriptionService& s, json b, Caller c = kAlice) {
  std::promise<Result<json>> p;
  s.create(c, std::move(b), [&](Result<json> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

template <typename Fn>
Result<json> callSync(Fn fn) {
  std::promise<Result<json>> p;
  fn([&](Result<json> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

Change stats(const std::string& queue, int waiting) {
  return {"t1",
          presence::ResourceKind::QueueStats,
          queue,
          presence::kUpdated,
          {{"queueId", queue}, {"waiting", waiting}}};
}

TEST(SubscriptionServiceTest, HandshakeThenSignedDeliveryWithClientState) {
  Receiver rx;
  SteadyClock clock;
  SubscriptionService svc(fastOptions(), clock, nullptr);
  ASSERT_TRUE(svc.start());
  EXPECT_FALSE(svc.hasSubscriptions());
  auto created = createSync(svc, body(rx.url(), "api/v1/queues/support/stats"));
  ASSERT_TRUE(created) << created.error().toString();
  EXPECT_TRUE(svc.hasSubscriptions());  // already when the creation was answered
  ASSERT_EQ(rx.requests().size(), 1u);
  EXPECT_NE(rx.requests()[0].target.find("/hook?validationToken="), std::string::npos);
  std::string key = (*created)["signingKey"];
  std::string id = (*created)["id"];
  EXPECT_EQ((*created)["clientState"], "s3cret");

  svc.publish(stats("support", 2));
  svc.publish(stats("sales", 9));  // not subscribed
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() == 1; }, 3s));
  auto n = rx.notifications()[0];
  auto j = json::parse(n.body);
  ASSERT_EQ(j["value"].size(), 1u);
  EXPECT_EQ(j["value"][0]["subscriptionId"], id);
  EXPECT_EQ(j["value"][0]["clientState"], "s3cret");
  EXPECT_EQ(j["value"][0]["resource"], "api/v1/queues/support/stats");
  EXPECT_EQ(j["value"][0]["resourceData"]["waiting"], 2);
  EXPECT_EQ(n.headers["content-type"], "application/json");
  EXPECT_TRUE(verifySignatureHeader(key, n.headers["x-switchboard-signature"], n.body));
  EXPECT_FALSE(
      verifySignatureHeader(newSigningKey(), n.headers["x-switchboard-signature"], n.body));

  // GET hides the signing key; list, PATCH and DELETE.
  auto got = callSync([&](auto cb) { svc.get(kAlice, id, cb); });
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->contains("signingKey"));
  auto other = callSync([&](auto cb) { svc.get(Caller{"t2", "alice", "", true}, id, cb); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::NotFound);
  auto listed = callSync([&](auto cb) { svc.list(kAlice, cb); });
  EXPECT_EQ((*listed)["value"].size(), 1u);
  auto too_long = callSync([&](auto cb) {
    svc.renew(kAlice, id,
              {{"expirationDateTime",
                presence::formatIsoDateTime(std::chrono::system_clock::now() + 61min)}},
              cb);
  });
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().field, "expirationDateTime");
  std::string later = presence::formatIsoDateTime(std::chrono::system_clock::now() + 59min);
  auto renewed = callSync([&](auto cb) {
    svc.renew(kAlice, id, {{"expirationDateTime", later}}, cb);
  });
  ASSERT_TRUE(renewed);
  EXPECT_EQ((*renewed)["expirationDateTime"], later);
  std::promise<Status> removed;
  svc.remove(kAlice, id, [&](Status s) { removed.set_value(s); });
  EXPECT_TRUE(removed.get_future().get());
  EXPECT_FALSE(svc.hasSubscriptions());
  EXPECT_FALSE(callSync([&](auto cb) { svc.get(kAlice, id, cb); }));
}

TEST(SubscriptionServiceTest, HandshakeMustEchoTheTokenInTime) {
  Receiver wrong([](const ReceivedRequest&, std::size_t) {
    return Reply{200, "text/plain", "nope"};
  });
  Receiver html([](const ReceivedRequest& r, std::size_t) {
    auto ok = Receiver::echo(r);
    ok.content_type = "text/html";
    return ok;
  });
  Receiver silent([](const ReceivedRequest&, std::size_t) { return Reply{.never = true}; });
  Receiver good;
  SteadyClock clock;
  SubscriptionService svc(fastOptions(), clock, nullptr);
  ASSERT_TRUE(svc.start());
  for (Receiver* bad : {&wrong, &html, &silent}) {
    auto r = createSync(svc, body(bad->url(), "communications/presences/alice"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().field, "notificationUrl");
  }
  auto life =
      createSync(svc, body(good.url(), "communications/presences/alice", silent.url("/life")));
  ASSERT_FALSE(life);
  EXPECT_EQ(life.error().field, "lifecycleNotificationUrl");
  auto listed = callSync([&](auto cb) { svc.list(kAlice, cb); });
  EXPECT_TRUE((*listed)["value"].empty());
  auto unreachable =
      createSync(svc, body("http://127.0.0.1:1/x", "communications/presences/alice"));
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().field, "notificationUrl");
}

TEST(SubscriptionServiceTest, ReceiverFailingTheFirstAttemptsGetsTheBatch) {
  Receiver rx([](const ReceivedRequest& r, std::size_t) {
    static std::atomic<int> deliveries{0};
    if (r.target.find("validationToken") != std::string::npos) return Receiver::echo(r);
    return ++deliveries <= 2 ? Reply{500, "text/plain", "busy"} : Reply{202, "text/plain", ""};
  });
  SteadyClock clock;
  SubscriptionService svc(fastOptions(), clock, nullptr);
  ASSERT_TRUE(svc.start());
  auto b = body(rx.url(), "api/v1/interactions");
  b["changeType"] = "created";
  auto created = createSync(svc, b);
  ASSERT_TRUE(created) << created.error().toString();
  for (int i = 0; i < 3; ++i) {
    svc.publish({"t1",
                 presence::ResourceKind::Interactions,
                 "c" + std::to_string(i),
                 presence::kCreated,
                 {{"id", "c" + std::to_string(i)}}});
  }
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() >= 3; }, 3s));
  auto n = rx.notifications();
  // The failed batch is retried as a whole: attempts 1-2 fail, the third carries everything
  // published before the first attempt went out, and nothing is lost or reordered.
  std::vector<std::string> ids;
  for (std::size_t i = 2; i < n.size(); ++i) {
    // Named: a range-for over json::parse(...)["value"] would outlive the parsed document.
    const auto batch = json::parse(n[i].body);
    for (const auto& item : batch["value"]) ids.push_back(item["resourceData"]["id"]);
  }
  EXPECT_EQ(json::parse(n[0].body), json::parse(n[1].body));
  EXPECT_EQ(json::parse(n[0].body), json::parse(n[2].body));
  ASSERT_TRUE(rx.waitFor(
      [&](const auto& all) {
        std::size_t items = 0;
        for (std::size_t i = 2; i < all.size(); ++i)
          items += json::parse(all[i].body)["value"].size();
        return items == 3;
      },
      3s));
  EXPECT_GE(n[1].at - n[0].at, 50ms);  // backoff: half of 100 ms at least
  auto dead = callSync([&](auto cb) { svc.deadLetters(kAlice, (*created)["id"], cb); });
  EXPECT_TRUE((*dead)["value"].empty());
}

TEST(SubscriptionServiceTest, SilentReceiverDeadLettersAndGetsMissed) {
  Receiver rx([](const ReceivedRequest& r, std::size_t) {
    if (r.target.find("validationToken") != std::string::npos) return Receiver::echo(r);
    return Reply{.never = true};
  });
  Receiver life;
  SteadyClock clock;
  SubscriptionService svc(fastOptions(), clock, nullptr);
  ASSERT_TRUE(svc.start());
  auto created = createSync(svc, body(rx.url(), "communications/presences/alice", life.url()));
  ASSERT_TRUE(created) << created.error().toString();
  svc.publish(
      {"t1", presence::ResourceKind::Presence, "alice", presence::kUpdated, {{"id", "alice"}}});
  ASSERT_TRUE(life.waitFor(
      [](const auto& n) {
        return !n.empty() && json::parse(n.back().body)["value"][0]["lifecycleEvent"] == "missed";
      },
      5s));
  auto missed = json::parse(life.notifications().back().body)["value"][0];
  EXPECT_EQ(missed["subscriptionId"], (*created)["id"]);
  EXPECT_EQ(missed["clientState"], "s3cret");
  EXPECT_GE(rx.notifications().size(), 3u);  // retried before giving up
  auto dead = callSync([&](auto cb) { svc.deadLetters(kAlice, (*created)["id"], cb); });
  ASSERT_EQ((*dead)["value"].size(), 1u);
  EXPECT_EQ((*dead)["value"][0]["item"]["resource"], "communications/presences('alice')");
  EXPECT_EQ((*dead)["value"][0]["lastError"], "timeout");
}

TEST(SubscriptionServiceTest, SlowReceiverDoesNotDelayAnother) {
  Receiver slow([](const ReceivedRequest& r, std::size_t) {
    if (r.target.find("validationToken") != std::string::npos) return Receiver::echo(r);
    return Reply{202, "text/plain", "", 2000ms};
  });
  Receiver fast;
  SteadyClock clock;
  auto o = fastOptions();
  o.delivery_timeout = 3s;
  SubscriptionService svc(o, clock, nullptr);
  ASSERT_TRUE(svc.start());
  ASSERT_TRUE(createSync(svc, body(slow.url(), "api/v1/queues/support/stats")));
  ASSERT_TRUE(createSync(svc, body(fast.url(), "api/v1/queues/support/stats")));
  auto t0 = std::chrono::steady_clock::now();
  svc.publish(stats("support", 1));
  ASSERT_TRUE(slow.waitFor([](const auto& n) { return n.size() == 1; }, 2s));
  svc.publish(stats("support", 2));  // the slow one is still busy with the first
  ASSERT_TRUE(fast.waitFor([](const auto& n) { return n.size() == 2; }, 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_EQ(json::parse(fast.notifications()[1].body)["value"][0]["resourceData"]["waiting"], 2);
  // The slow receiver gets the second update after answering the first.
  ASSERT_TRUE(slow.waitFor([](const auto& n) { return n.size() == 2; }, 4s));
}

TEST(SubscriptionServiceTest, SubscriptionsSurviveARestart) {
  Receiver rx;
  MemoryPersistence store;
  SteadyClock clock;
  std::string id, key;
  {
    SubscriptionService svc(fastOptions(), clock, &store);
    ASSERT_TRUE(svc.start());
    auto created = createSync(svc, body(rx.url(), "api/v1/queues/support/stats"));
    ASSERT_TRUE(created);
    id = (*created)["id"];
    key = (*created)["signingKey"];
    EXPECT_EQ(store.size(), 1u);
  }
  SubscriptionService again(fastOptions(), clock, &store);
  ASSERT_TRUE(again.start());
  EXPECT_TRUE(again.hasSubscriptions());  // restored ones count
  auto got = callSync([&](auto cb) { again.get(kAlice, id, cb); });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["clientState"], "s3cret");
  again.publish(stats("support", 5));
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() == 1; }, 3s));
  auto n = rx.notifications()[0];
  EXPECT_TRUE(verifySignatureHeader(key, n.headers["x-switchboard-signature"], n.body));
  std::promise<Status> removed;
  again.remove(kAlice, id, [&](Status s) { removed.set_value(s); });
  EXPECT_TRUE(removed.get_future().get());
  EXPECT_EQ(store.size(), 0u);
}

// includeResourceData: the certificate is checked at creation (400 naming the field), kept
// across a restart, and every notification carries the resource encrypted for it.
TEST(SubscriptionServiceTest, ResourceDataArrivesEncryptedAndSurvivesARestart) {
  Receiver rx;
  MemoryPersistence store;
  SteadyClock clock;
  auto tc = testing::makeCertificate();
  ServiceOptions options = fastOptions();
  options.dispatch.validation_token = [](const presence::Subscription& s) {
    return std::optional<std::string>("jwt-for-" + s.application_id);
  };
  const Caller app{"t1", "app:c1", "c1", false};
  auto rich = [&](std::string cert) {
    json b = body(rx.url(), "api/v1/queues/support/stats");
    b["includeResourceData"] = true;
    b["encryptionCertificate"] = std::move(cert);
    b["encryptionCertificateId"] = "receiver-cert";
    return b;
  };
  std::string id;
  {
    SubscriptionService svc(options, clock, &store);
    ASSERT_TRUE(svc.start());
    auto expired = createSync(
        svc, rich(testing::makeCertificate(testing::KeyKind::Rsa2048, -7200, -3600).der_base64),
        app);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().field, "encryptionCertificate");
    EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
    auto garbage = createSync(svc, rich("bm90IGEgY2VydA=="), app);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().field, "encryptionCertificate");
    EXPECT_TRUE(rx.requests().empty());  // refused before any handshake
    EXPECT_EQ(store.size(), 0u);

    auto created = createSync(svc, rich(tc.der_base64), app);
    ASSERT_TRUE(created) << created.error().toString();
    EXPECT_EQ((*created)["includeResourceData"], true);
    EXPECT_EQ((*created)["encryptionCertificateId"], "receiver-cert");
    id = (*created)["id"];
  }
  SubscriptionService again(options, clock, &store);
  ASSERT_TRUE(again.start());
  again.publish(stats("support", 7));
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() == 1; }, 3s));
  json j = json::parse(rx.notifications()[0].body);
  EXPECT_EQ(j["validationTokens"], json::array({"jwt-for-c1"}));
  const json& item = j["value"][0];
  EXPECT_EQ(item["subscriptionId"], id);
  EXPECT_EQ(item["resourceData"], (json{{"id", "support"}}));
  auto plain = decryptContent(tc.private_key.get(), item["encryptedContent"]);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(json::parse(*plain)["waiting"], 7);
}

TEST(SubscriptionServiceTest, ReauthorizeChecksTheCallerAndKeepsTheExpiry) {
  Receiver rx;
  MemoryPersistence store;
  SteadyClock clock;
  SubscriptionService svc(fastOptions(), clock, &store);
  ASSERT_TRUE(svc.start());
  auto created = createSync(svc, body(rx.url(), "api/v1/queues/support/stats"));
  ASSERT_TRUE(created);
  const std::string id = (*created)["id"];
  auto reauthorize = [&](Caller c, std::string which, bool can_monitor) {
    std::promise<Status> p;
    svc.reauthorize(c, which, can_monitor, [&](Status s) { p.set_value(s); });
    return p.get_future().get();
  };
  auto unknown = reauthorize(kAlice, "no-such-id", true);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::NotFound);
  auto foreign = reauthorize(Caller{"t2", "alice", "", true}, id, true);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, Errc::NotFound);
  // Queue statistics need the monitoring permission, then as now.
  auto denied = reauthorize(kAlice, id, false);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, Errc::PermissionDenied);
  EXPECT_EQ(denied.error().field, "resource");
  EXPECT_TRUE(reauthorize(kAlice, id, true));
  auto got = callSync([&](auto cb) { svc.get(kAlice, id, cb); });
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["expirationDateTime"], (*created)["expirationDateTime"]);
}

TEST(SubscriptionServiceTest, MetricsCountDeliveriesConnectionsAndSubscriptions) {
  // The receiver keeps connections alive and fails the second notification.
  Receiver rx([](const ReceivedRequest& r, std::size_t) {
    Reply reply = Receiver::echo(r);
    reply.keep_alive = true;
    if (r.body.find("\"waiting\":2") != std::string::npos) reply.status = 500;
    return reply;
  });
  metrics::Registry registry;
  ServiceOptions options = fastOptions();
  options.metrics = &registry;
  SteadyClock clock;
  SubscriptionService svc(options, clock, nullptr);
  ASSERT_TRUE(svc.start());
  ASSERT_TRUE(createSync(svc, body(rx.url(), "api/v1/queues/support/stats")));
  svc.publish(stats("support", 1));
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() == 1; }, 3s));
  svc.publish(stats("support", 2));
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() >= 2; }, 3s));
  // The 500 is counted once its answer is back (and again on each retry, 100 ms apart).
  auto& deliveries = registry.counter("sb_webhook_deliveries_total", "", {"outcome"});
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (deliveries.with({"failed"}).value() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(deliveries.with({"ok"}).value(), 1);
  EXPECT_GE(deliveries.with({"failed"}).value(), 1);
  const std::string text = registry.renderText();
  // The handshake, the delivery and the failed ones shared one kept-alive connection.
  EXPECT_NE(text.find("sb_webhook_connections_opened_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sb_webhook_subscriptions 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("sb_webhook_delivery_seconds_count"), std::string::npos) << text;
}

}  // namespace
}  // namespace sb::notify
