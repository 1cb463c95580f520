// SPDX-License-Identifier: Apache-2.0
// Pending deliveries survive a restart: the dispatcher's journal and restore (fake clock), and
// SubscriptionService over a persistence that keeps its queues, against a real loopback
// receiver that fails until the "restart".
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <tuple>

#include <gtest/gtest.h>

#include "notify/dispatcher.h"
#include "notify/pending_writer.h"
#include "notify/signature.h"
#include "notify/subscription_service.h"
#include "notify/testing/receiver.h"
#include "presence/iso8601.h"

namespace sb::notify {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using presence::ResourceKind;
using Kind = PendingOp::Kind;

SubscriptionRecord statsRecord(const Clock& clock, std::string id, std::string url,
                               bool lifecycle) {
  json body = {{"changeType", "updated"},
               {"notificationUrl", url},
               {"resource", "api/v1/queues/support/stats"},
               {"expirationDateTime", presence::formatIsoDateTime(clock.wallNow() + 30min)},
               {"clientState", "secret-" + id}};
  if (lifecycle) body["lifecycleNotificationUrl"] = url + "-life";
  presence::SubscriptionPolicy policy{.allow_http_loopback = true};
  auto req = presence::parseSubscriptionRequest(body, clock.wallNow(), policy);
  EXPECT_TRUE(req.has_value());
  SubscriptionRecord r;
  r.sub.id = id;
  r.sub.tenant_id = "t1";
  r.sub.creator_id = "u1";
  r.sub.request = *req;
  r.signing_key = "key-" + id;
  r.armed_at = clock.wallNow();
  return r;
}

Change stats(const std::string& queue, int waiting) {
  return {"t1",
          ResourceKind::QueueStats,
          queue,
          presence::kUpdated,
          {{"queueId", queue}, {"waiting", waiting}}};
}

DispatchOptions retryOptions() {
  DispatchOptions o;
  o.retry.initial_delay = 10s;
  o.retry.max_delay = 40s;
  o.retry.give_up_after = 2min;
  return o;
}

TEST(PendingJournalTest, RecordsEveryQueueChangeAndBatchesOnlyDurableItems) {
  ManualClock clock;
  Dispatcher d(retryOptions(), [] { return 0.0; });
  d.add(statsRecord(clock, "q1", "http://127.0.0.1:9/q1", false));
  d.enableJournal();
  d.publish(stats("support", 1));
  d.publish(stats("support", 2));  // collapses into seq 1
  auto ops = d.takeJournal();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, Kind::PutItem);
  EXPECT_EQ(ops[1].kind, Kind::PutItem);
  EXPECT_EQ(ops[1].seq, ops[0].seq);
  EXPECT_EQ(json::parse(ops[1].item_json)["resourceData"]["waiting"], 2);
  EXPECT_EQ(ops[1].subscription_id, "q1");
  EXPECT_EQ(ops[1].tenant_id, "t1");

  // Not committed yet: no POST, and no timer for it (the commit pumps).
  EXPECT_TRUE(d.poll(clock.now(), clock.wallNow()).deliveries.empty());
  EXPECT_FALSE(d.nextWakeup(clock.now(), clock.wallNow()).has_value() &&
               *d.nextWakeup(clock.now(), clock.wallNow()) <= clock.now());
  d.markDurable(ops[0].ticket);  // the older write of the item: still not enough
  EXPECT_TRUE(d.poll(clock.now(), clock.wallNow()).deliveries.empty());
  d.markDurable(ops[1].ticket);
  auto p = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p.deliveries.size(), 1u);
  ops = d.takeJournal();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, Kind::PutState);
  EXPECT_EQ(ops[0].batch_end, 1);
  EXPECT_EQ(ops[0].attempts, 0);

  d.complete(p.deliveries[0].id, false, "HTTP 503", clock.now());
  ops = d.takeJournal();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, Kind::PutState);
  EXPECT_EQ(ops[0].attempts, 1);
  EXPECT_EQ(ops[0].last_error, "HTTP 503");
  EXPECT_EQ(ops[0].next_attempt, clock.now() + 5s);  // jitter 0: initial_delay / 2

  clock.advance(5s);
  p = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p.deliveries.size(), 1u);
  d.complete(p.deliveries[0].id, true, "", clock.now());
  ops = d.takeJournal();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, Kind::RemoveUpTo);
  EXPECT_EQ(ops[0].batch_end, 1);

  d.publish(stats("support", 3));  // a new item gets the next seq
  ops = d.takeJournal();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].seq, 2);
  EXPECT_TRUE(d.remove("t1", "q1"));
  ops = d.takeJournal();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, Kind::RemoveSubscription);
}

TEST(PendingJournalTest, RestoredBatchKeepsItsAttemptsScheduleAndRetryWindow) {
  ManualClock clock;
  Dispatcher d(retryOptions(), [] { return 0.0; });
  d.add(statsRecord(clock, "q1", "http://127.0.0.1:9/q1", false));
  d.enableJournal();
  RestoredQueue rq;
  rq.subscription_id = "q1";
  rq.items = {{4, json{{"n", 4}}}, {5, json{{"n", 5}}}, {7, json{{"n", 7}}}};
  // Two failures so far, first attempt 100 s ago, next attempt in 15 s.
  rq.batch = RestoredQueue::Batch{5, 2, clock.now() - 100s, clock.now() + 15s, "HTTP 500"};
  ASSERT_TRUE(d.restore(rq));
  EXPECT_EQ(d.pendingCount("q1"), 3u);
  EXPECT_EQ(*d.nextWakeup(clock.now(), clock.wallNow()), clock.now() + 15s);
  EXPECT_TRUE(d.poll(clock.now(), clock.wallNow()).deliveries.empty());
  clock.advance(15s);
  auto p = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_EQ(p.deliveries[0].attempt, 3);
  EXPECT_EQ(p.deliveries[0].body, R"({"value":[{"n":4},{"n":5}]})");
  // The window still counts from the first attempt before the restart: 115 s have passed of
  // 120, so one more failure and the retry is capped at the window's end, then given up.
  d.complete(p.deliveries[0].id, false, "HTTP 500", clock.now());
  clock.advance(5s);
  p = d.poll(clock.now(), clock.wallNow());
  ASSERT_EQ(p.deliveries.size(), 1u);
  EXPECT_EQ(p.deliveries[0].body, R"({"value":[{"n":7}]})");
  ASSERT_EQ(d.deadLetters("t1", "q1")->size(), 2u);
  EXPECT_EQ(d.deadLetters("t1", "q1")->front().attempts, 3);
  // Item 7 (queued after the batch) goes next; a new item continues after the highest seq.
  d.publish(stats("support", 1));
  bool saw_remove = false;
  int64_t new_seq = 0;
  for (const auto& op : d.takeJournal()) {
    if (op.kind == Kind::RemoveUpTo && op.batch_end == 5) saw_remove = true;
    if (op.kind == Kind::PutItem) new_seq = op.seq;
  }
  EXPECT_TRUE(saw_remove);
  EXPECT_EQ(new_seq, 8);

  RestoredQueue unknown;
  unknown.subscription_id = "gone";
  EXPECT_FALSE(d.restore(unknown));
  RestoredQueue no_lifecycle_url;
  no_lifecycle_url.subscription_id = "q1";
  no_lifecycle_url.lifecycle = true;
  EXPECT_FALSE(d.restore(no_lifecycle_url));
}

// A store in memory that keeps subscriptions and pending deliveries like the SQL one.
class MemoryStore final : public SubscriptionPersistence {
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
    for (const auto& [id, doc] : docs_) out.push_back(*fromDocument(doc));
    return out;
  }
  bool keepsPending() const override { return true; }
  Status writePending(const std::vector<PendingWrite>& writes) override {
    std::lock_guard lock(mu_);
    ++transactions_;
    for (const auto& w : writes) {
      Key key(w.subscription_id, w.lifecycle);
      switch (w.kind) {
        case Kind::PutItem:
          items_[key][w.seq] = w.item_json;
          break;
        case Kind::PutState:
          states_[key] = w;
          break;
        case Kind::RemoveUpTo: {
          auto& q = items_[key];
          q.erase(q.begin(), q.upper_bound(w.batch_end));
          states_.erase(key);
          break;
        }
        case Kind::RemoveSubscription:
          for (bool l : {false, true}) {
            items_.erase(Key(w.subscription_id, l));
            states_.erase(Key(w.subscription_id, l));
          }
          break;
      }
    }
    return {};
  }
  Result<std::vector<StoredQueue>> loadPending() override {
    std::lock_guard lock(mu_);
    std::vector<StoredQueue> out;
    for (const auto& [key, items] : items_) {
      StoredQueue q;
      q.tenant_id = "t1";
      q.subscription_id = std::get<0>(key);
      q.lifecycle = std::get<1>(key);
      for (const auto& [seq, text] : items) q.items.emplace_back(seq, text);
      if (auto st = states_.find(key); st != states_.end()) {
        q.batch =
            StoredQueue::Batch{st->second.batch_end, st->second.attempts, st->second.first_attempt,
                               st->second.next_attempt, st->second.last_error};
      }
      out.push_back(std::move(q));
    }
    return out;
  }
  std::size_t pendingItems() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& [key, items] : items_) n += items.size();
    return n;
  }
  std::optional<PendingWrite> state(const std::string& id) {
    std::lock_guard lock(mu_);
    auto it = states_.find(Key(id, false));
    if (it == states_.end()) return std::nullopt;
    return it->second;
  }

 private:
  using Key = std::tuple<std::string, bool>;
  std::mutex mu_;
  std::map<std::string, json> docs_;
  std::map<Key, std::map<int64_t, std::string>> items_;
  std::map<Key, PendingWrite> states_;
  std::size_t transactions_ = 0;
};

ServiceOptions fastOptions() {
  ServiceOptions o;
  o.policy.allow_http_loopback = true;
  o.validation_timeout = 500ms;
  o.delivery_timeout = 300ms;
  o.dispatch.retry.initial_delay = 400ms;
  o.dispatch.retry.max_delay = 400ms;
  o.dispatch.retry.give_up_after = 30s;
  return o;
}

TEST(PendingServiceTest, QueuedNotificationIsDeliveredAfterARestartExactlyAsBatched) {
  std::atomic<bool> up{false};
  testing::Receiver rx([&](const testing::ReceivedRequest& r, std::size_t) {
    if (r.target.find("validationToken=") != std::string::npos) return testing::Receiver::echo(r);
    testing::Reply reply;
    reply.status = up ? 202 : 503;
    return reply;
  });
  MemoryStore store;
  SteadyClock clock;
  std::string id, key;
  {
    SubscriptionService svc(fastOptions(), clock, &store);
    ASSERT_TRUE(svc.start());
    json b = {{"changeType", "updated"},
              {"notificationUrl", rx.url()},
              {"resource", "api/v1/queues/support/stats"},
              {"expirationDateTime",
               presence::formatIsoDateTime(std::chrono::system_clock::now() + 30min)},
              {"clientState", "s3cret"}};
    std::promise<Result<json>> created;
    svc.create({"t1", "alice", "", false}, b, [&](Result<json> r) { created.set_value(r); });
    auto c = created.get_future().get();
    ASSERT_TRUE(c) << c.error().toString();
    id = (*c)["id"];
    key = (*c)["signingKey"];
    svc.publish(stats("support", 7));
    // Three attempts seen, so at least two failures completed: the item and the batch's
    // state are in the store (stop() commits what was recorded).
    ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() >= 3; }, 5s));
  }  // stop(): the service is gone; the receiver comes back
  auto failed = rx.notifications();
  for (const auto& f : failed) EXPECT_EQ(f.body, failed[0].body);
  ASSERT_EQ(store.pendingItems(), 1u);
  auto st = store.state(id);
  ASSERT_TRUE(st);
  EXPECT_GE(st->attempts, 2);
  EXPECT_EQ(st->last_error, "HTTP 503");
  up = true;

  SubscriptionService again(fastOptions(), clock, &store);
  ASSERT_TRUE(again.start());
  ASSERT_TRUE(rx.waitFor([&](const auto& n) { return n.size() > failed.size(); }, 5s));
  auto n = rx.notifications();
  const auto& delivered = n[failed.size()];
  EXPECT_EQ(delivered.body, failed[0].body);
  EXPECT_TRUE(
      verifySignatureHeader(key, delivered.headers.at("x-switchboard-signature"), delivered.body));
  // Once delivered, the batch is gone from the store.
  for (int i = 0; i < 100 && store.pendingItems() != 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(store.pendingItems(), 0u);
  EXPECT_FALSE(store.state(id));
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(rx.notifications().size(), failed.size() + 1);  // no second copy
}

// The store refuses every pending-delivery write: delivery goes on from memory (degraded, not
// crash-safe), each failed transaction is logged and counted.
class RefusingStore final : public SubscriptionPersistence {
 public:
  Status save(const StoredSubscription&, bool) override { return {}; }
  Status remove(const std::string&, const std::string&) override { return {}; }
  Result<std::vector<StoredSubscription>> loadAll() override {
    return std::vector<StoredSubscription>{};
  }
  bool keepsPending() const override { return true; }
  Status writePending(const std::vector<PendingWrite>&) override {
    ++writes_;
    return fail(Errc::Unavailable, "database is down");
  }
  std::atomic<int> writes_{0};
};

TEST(PendingServiceTest, StoreOutageDelaysButDoesNotStopDelivery) {
  testing::Receiver rx;
  RefusingStore store;
  SteadyClock clock;
  SubscriptionService svc(fastOptions(), clock, &store);
  ASSERT_TRUE(svc.start());
  json b = {{"changeType", "updated"},
            {"notificationUrl", rx.url()},
            {"resource", "api/v1/queues/support/stats"},
            {"expirationDateTime",
             presence::formatIsoDateTime(std::chrono::system_clock::now() + 30min)}};
  std::promise<Result<json>> created;
  svc.create({"t1", "alice", "", false}, b, [&](Result<json> r) { created.set_value(r); });
  ASSERT_TRUE(created.get_future().get());
  svc.publish(stats("support", 3));
  ASSERT_TRUE(rx.waitFor([](const auto& n) { return n.size() == 1; }, 5s));
  EXPECT_EQ(json::parse(rx.notifications()[0].body)["value"][0]["resourceData"]["waiting"], 3);
  EXPECT_GE(svc.failedPendingWrites(), static_cast<std::size_t>(PendingWriter::kAttempts));
  EXPECT_GT(store.writes_.load(), PendingWriter::kAttempts);  // then one write at a time
}

}  // namespace
}  // namespace sb::notify
