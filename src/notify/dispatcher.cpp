// SPDX-License-Identifier: Apache-2.0
#include "notify/dispatcher.h"

#include <algorithm>

#include "presence/iso8601.h"

namespace sb::notify {

using nlohmann::json;
using presence::ResourceKind;

json toJson(const DeadLetter& d) {
  return {{"item", d.item},
          {"lifecycle", d.lifecycle},
          {"failedDateTime", presence::formatIsoDateTime(d.failed_at)},
          {"attempts", d.attempts},
          {"lastError", d.last_error}};
}

std::optional<DeadLetter> deadLetterFromJson(const json& j) {
  if (!j.is_object() || !j.contains("item")) return std::nullopt;
  DeadLetter d;
  d.item = j["item"];
  d.lifecycle = j.value("lifecycle", false);
  auto t = presence::parseIsoDateTime(j.value("failedDateTime", std::string()));
  if (t) d.failed_at = *t;
  d.attempts = j.value("attempts", 0);
  d.last_error = j.value("lastError", std::string());
  return d;
}

Dispatcher::Dispatcher(DispatchOptions options, std::function<double()> jitter)
    : options_(options), jitter_(std::move(jitter)) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  if (options_.max_in_flight == 0) options_.max_in_flight = 1;
}

void Dispatcher::add(SubscriptionRecord record, std::vector<DeadLetter> dead_letters) {
  std::string id = record.sub.id;
  Entry e;
  e.notify.url = record.sub.request.notification_url;
  if (record.sub.request.lifecycle_notification_url) {
    e.lifecycle.emplace();
    e.lifecycle->url = *record.sub.request.lifecycle_notification_url;
  }
  e.dead.assign(std::make_move_iterator(dead_letters.begin()),
                std::make_move_iterator(dead_letters.end()));
  e.record = std::move(record);
  subs_.insert_or_assign(std::move(id), std::move(e));
}

bool Dispatcher::renew(const std::string& tenant, const std::string& id, WallTime expiry,
                       WallTime now) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.record.sub.tenant_id != tenant) return false;
  it->second.record.sub.request.expiration = expiry;
  it->second.record.armed_at = now;
  it->second.reauth_sent = false;
  return true;
}

bool Dispatcher::remove(const std::string& tenant, const std::string& id) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.record.sub.tenant_id != tenant) return false;
  // An in-flight delivery completes into nothing: complete() ignores unknown subscriptions.
  subs_.erase(it);
  if (journal_enabled_) {
    PendingOp op;
    op.kind = PendingOp::Kind::RemoveSubscription;
    op.tenant_id = tenant;
    op.subscription_id = id;
    record(std::move(op));
  }
  return true;
}

const SubscriptionRecord* Dispatcher::find(const std::string& tenant,
                                           const std::string& id) const {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.record.sub.tenant_id != tenant) return nullptr;
  return &it->second.record;
}

const SubscriptionRecord* Dispatcher::findById(const std::string& id) const {
  auto it = subs_.find(id);
  return it == subs_.end() ? nullptr : &it->second.record;
}

std::vector<const SubscriptionRecord*> Dispatcher::list(const std::string& tenant) const {
  std::vector<const SubscriptionRecord*> out;
  for (const auto& [id, e] : subs_) {
    if (e.record.sub.tenant_id == tenant) out.push_back(&e.record);
  }
  return out;
}

const std::deque<DeadLetter>* Dispatcher::deadLetters(const std::string& tenant,
                                                      const std::string& id) const {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.record.sub.tenant_id != tenant) return nullptr;
  return &it->second.dead;
}

std::size_t Dispatcher::pendingCount(const std::string& id) const {
  auto it = subs_.find(id);
  if (it == subs_.end()) return 0;
  return it->second.notify.pending.size() + it->second.notify.batch.size();
}

void Dispatcher::record(PendingOp op) {
  op.ticket = next_ticket_++;
  journal_.push_back(std::move(op));
}

std::vector<PendingOp> Dispatcher::takeJournal() {
  std::vector<PendingOp> out;
  out.swap(journal_);
  return out;
}

void Dispatcher::append(Queue& q, const std::string& tenant, const std::string& sub, bool lifecycle,
                        json item) {
  Item it{q.next_seq++, 0, std::move(item)};
  if (journal_enabled_ && q.journaled) {
    PendingOp op;
    op.kind = PendingOp::Kind::PutItem;
    op.tenant_id = tenant;
    op.subscription_id = sub;
    op.lifecycle = lifecycle;
    op.seq = it.seq;
    op.item_json = it.json.dump();
    record(std::move(op));
    it.ticket = lastTicket();
  }
  q.pending.push_back(std::move(it));
}

void Dispatcher::recordState(const Queue& q, const std::string& tenant, const std::string& sub,
                             bool lifecycle) {
  if (!journal_enabled_ || !q.journaled || q.batch.empty()) return;
  PendingOp op;
  op.kind = PendingOp::Kind::PutState;
  op.tenant_id = tenant;
  op.subscription_id = sub;
  op.lifecycle = lifecycle;
  op.batch_end = q.batch.back().seq;
  op.attempts = q.failures;
  op.first_attempt = q.first_attempt;
  op.next_attempt = q.next_attempt;
  op.last_error = q.last_error;
  record(std::move(op));
}

void Dispatcher::recordRemoveUpTo(const Queue& q, const std::string& tenant, const std::string& sub,
                                  bool lifecycle, int64_t batch_end) {
  if (!journal_enabled_ || !q.journaled) return;
  PendingOp op;
  op.kind = PendingOp::Kind::RemoveUpTo;
  op.tenant_id = tenant;
  op.subscription_id = sub;
  op.lifecycle = lifecycle;
  op.batch_end = batch_end;
  record(std::move(op));
}

bool Dispatcher::batchable(const Queue& q) const {
  if (q.pending.empty()) return false;
  return !journal_enabled_ || !q.journaled || q.pending.front().ticket <= durable_;
}

bool Dispatcher::restore(RestoredQueue rq) {
  auto it = subs_.find(rq.subscription_id);
  if (it == subs_.end()) return false;
  Entry& e = it->second;
  if (rq.lifecycle && !e.lifecycle) return false;
  Queue& q = rq.lifecycle ? *e.lifecycle : e.notify;
  for (auto& [seq, item] : rq.items) {
    Item restored{seq, 0, std::move(item)};
    q.next_seq = std::max(q.next_seq, seq + 1);
    if (rq.batch && seq <= rq.batch->batch_end) {
      q.batch.push_back(std::move(restored));
    } else {
      q.pending.push_back(std::move(restored));
    }
  }
  if (!q.batch.empty()) {
    q.failures = rq.batch->attempts;
    q.first_attempt = rq.batch->first_attempt;
    q.next_attempt = rq.batch->next_attempt;
    q.last_error = rq.batch->last_error;
  }
  return true;
}

namespace {

bool matches(const presence::Subscription& s, const Change& c) {
  const auto& r = s.request.parsed_resource;
  if (!(s.request.change_types & c.change_type)) return false;
  switch (c.kind) {
    case ResourceKind::Presence:
    case ResourceKind::PresenceList:
      if (r.kind != ResourceKind::Presence && r.kind != ResourceKind::PresenceList) return false;
      return std::find(r.ids.begin(), r.ids.end(), c.id) != r.ids.end();
    case ResourceKind::QueueStats:
      return r.kind == ResourceKind::QueueStats && !r.ids.empty() && r.ids.front() == c.id;
    case ResourceKind::Interactions:
      return r.kind == ResourceKind::Interactions;
  }
  return false;
}

// What a notification with encrypted content still says in the clear: the resource's type and
// id (Graph's rule), or just the id for Switchboard's own resources.
json identityOf(const Change& c) {
  json out = json::object();
  for (const char* k : {"@odata.type", "@odata.id"}) {
    if (c.resource_data.contains(k)) out[k] = c.resource_data[k];
  }
  out["id"] = c.id;
  return out;
}

// Adds {"validationTokens":[token]} to a delivery body ({"value":[...]}, a JSON object).
void addValidationToken(Delivery& d, const std::string& token) {
  d.body.pop_back();
  d.body += ",\"validationTokens\":[";
  d.body += json(token).dump();
  d.body += "]}";
}

}  // namespace

std::size_t Dispatcher::publish(const Change& change) {
  std::size_t n = 0;
  // The resource's JSON text and identifying part, made once for however many subscriptions
  // want it encrypted.
  std::optional<std::string> plaintext;
  std::optional<json> identity;
  for (auto& [id, e] : subs_) {
    const auto& s = e.record.sub;
    if (s.tenant_id != change.tenant_id || !matches(s, change)) continue;
    ++n;
    presence::ChangeNotification cn;
    cn.subscription_id = s.id;
    cn.subscription_expiration = s.request.expiration;
    cn.client_state = s.request.client_state;
    cn.change_type = change.change_type;
    cn.resource = presence::resourceText(
        s.request.parsed_resource.kind == ResourceKind::PresenceList ? ResourceKind::Presence
                                                                     : change.kind,
        change.id);
    cn.tenant_id = s.tenant_id;
    if (s.request.include_resource_data && e.record.encryption) {
      if (!plaintext) {
        plaintext = (change.resource.is_null() ? change.resource_data : change.resource).dump();
        identity = identityOf(change);
      }
      cn.resource_data = *identity;
      auto content = encryptContent(*e.record.encryption,
                                    s.request.encryption_certificate_id.value_or(""), *plaintext);
      if (!content) {
        addDead(e, presence::notificationBatchJson(std::span(&cn, 1))["value"][0], false,
                WallTime{}, 0, content.error().message);
        continue;
      }
      cn.encrypted_content = std::move(*content);
    } else {
      cn.resource_data = change.resource_data;
    }
    json item = presence::notificationBatchJson(std::span(&cn, 1))["value"][0];
    auto& pending = e.notify.pending;
    if (change.change_type == presence::kUpdated) {
      auto same = std::find_if(pending.begin(), pending.end(), [&](const Item& p) {
        return p.json["resource"] == item["resource"] && p.json["changeType"] == "updated";
      });
      if (same != pending.end()) {
        same->json = std::move(item);
        if (journal_enabled_) {
          PendingOp op;
          op.kind = PendingOp::Kind::PutItem;
          op.tenant_id = s.tenant_id;
          op.subscription_id = s.id;
          op.seq = same->seq;
          op.item_json = same->json.dump();
          record(std::move(op));
          same->ticket = lastTicket();
        }
        continue;
      }
    }
    if (pending.size() >= options_.max_pending) {
      // Over the bound the item is not kept for delivery: the receiver learns of the gap
      // through `missed` (once per overflow) and can read the item from the dead letters.
      addDead(e, std::move(item), false, WallTime{}, 0, "queue full");
      if (!e.overflowing) {
        e.overflowing = true;
        queueLifecycle(e, presence::LifecycleEvent::Missed);
      }
      continue;
    }
    append(e.notify, s.tenant_id, s.id, false, std::move(item));
  }
  return n;
}

void Dispatcher::queueLifecycle(Entry& e, presence::LifecycleEvent event) {
  if (!e.lifecycle) return;  // Graph sends lifecycle events only to a lifecycle URL
  presence::LifecycleNotification ln;
  ln.subscription_id = e.record.sub.id;
  ln.subscription_expiration = e.record.sub.request.expiration;
  ln.client_state = e.record.sub.request.client_state;
  ln.tenant_id = e.record.sub.tenant_id;
  ln.event = event;
  append(*e.lifecycle, e.record.sub.tenant_id, e.record.sub.id, true,
         presence::lifecycleBatchJson(std::span(&ln, 1))["value"][0]);
}

void Dispatcher::addDead(Entry& e, json item, bool lifecycle, WallTime wall, int attempts,
                         const std::string& error) {
  DeadLetter d;
  d.item = std::move(item);
  d.lifecycle = lifecycle;
  d.failed_at = wall;
  d.attempts = attempts;
  d.last_error = error;
  e.dead.push_back(std::move(d));
  while (e.dead.size() > options_.max_dead_letters) e.dead.pop_front();
  if (std::find(dead_lettered_.begin(), dead_lettered_.end(), e.record.sub.id) ==
      dead_lettered_.end()) {
    dead_lettered_.push_back(e.record.sub.id);
  }
}

WallTime Dispatcher::reauthAt(const Entry& e) const {
  WallTime exp = e.record.sub.request.expiration;
  // Never earlier than half-way through the current lifetime, so a short subscription is not
  // asked to reauthorize the moment it is created.
  auto half = (exp - e.record.armed_at) / 2;
  auto before = std::min<WallTime::duration>(
      std::chrono::duration_cast<WallTime::duration>(options_.reauthorize_before), half);
  return exp - before;
}

std::vector<Dispatcher::Item> Dispatcher::giveUpIfExhausted(Queue& q, MonoTime now) {
  if (q.batch.empty() || q.in_flight || q.failures == 0) return {};
  auto d = presence::nextRetry(options_.retry, q.failures, q.first_attempt, now, 0.0);
  if (!d.give_up) return {};
  std::vector<Item> items = std::move(q.batch);
  q.batch.clear();
  q.failures = 0;
  return items;
}

std::optional<Delivery> Dispatcher::step(Queue& q, const std::string& tenant,
                                         const std::string& sub, const std::string& key,
                                         bool lifecycle, MonoTime now) {
  if (q.in_flight || in_flight_ >= options_.max_in_flight) return std::nullopt;
  if (q.batch.empty()) {
    if (!batchable(q)) return std::nullopt;
    // Only items the store already holds join a batch (the journal's durability rule).
    while (!q.pending.empty() && q.batch.size() < options_.max_batch &&
           (!journal_enabled_ || !q.journaled || q.pending.front().ticket <= durable_)) {
      q.batch.push_back(std::move(q.pending.front()));
      q.pending.pop_front();
    }
    q.failures = 0;
    q.last_error.clear();
    q.first_attempt = now;
    q.next_attempt = now;
    recordState(q, tenant, sub, lifecycle);
  }
  if (q.next_attempt > now) return std::nullopt;
  Delivery d;
  d.id = next_delivery_++;
  d.tenant_id = tenant;
  d.subscription_id = sub;
  d.lifecycle = lifecycle;
  d.url = q.url;
  json value = json::array();
  for (const auto& item : q.batch) value.push_back(item.json);
  d.body = json{{"value", std::move(value)}}.dump();
  d.signing_key = key;
  d.attempt = q.failures + 1;
  d.items = q.batch.size();
  q.in_flight = d.id;
  ++in_flight_;
  return d;
}

Dispatcher::Poll Dispatcher::poll(MonoTime now, WallTime wall) {
  Poll out;
  for (auto it = subs_.begin(); it != subs_.end();) {
    Entry& e = it->second;
    const auto& s = e.record.sub;
    if (wall >= s.request.expiration) {
      // Expired: gone from the API; the lifecycle queue drains on as an orphan so the
      // receiver still learns that the subscription was removed (§B.3 subscriptionRemoved).
      // Its stored rows go with the subscription: the orphan lives in memory only.
      queueLifecycle(e, presence::LifecycleEvent::SubscriptionRemoved);
      if (journal_enabled_) {
        PendingOp op;
        op.kind = PendingOp::Kind::RemoveSubscription;
        op.tenant_id = s.tenant_id;
        op.subscription_id = s.id;
        record(std::move(op));
      }
      if (e.lifecycle) {
        e.lifecycle->journaled = false;
        orphans_.push_back({s.tenant_id, s.id, e.record.signing_key, std::move(*e.lifecycle)});
      }
      out.expired.emplace_back(s.tenant_id, s.id);
      it = subs_.erase(it);
      continue;
    }
    if (!e.reauth_sent && wall >= reauthAt(e)) {
      e.reauth_sent = true;
      queueLifecycle(e, presence::LifecycleEvent::ReauthorizationRequired);
    }
    auto failures = e.notify.failures;
    auto given_up = giveUpIfExhausted(e.notify, now);
    if (!given_up.empty()) {
      recordRemoveUpTo(e.notify, s.tenant_id, s.id, false, given_up.back().seq);
      for (auto& item : given_up) {
        addDead(e, std::move(item.json), false, wall, failures, e.notify.last_error);
      }
      queueLifecycle(e, presence::LifecycleEvent::Missed);
    }
    if (e.lifecycle) {
      auto lf = e.lifecycle->failures;
      auto lifecycle_given_up = giveUpIfExhausted(*e.lifecycle, now);
      if (!lifecycle_given_up.empty()) {
        recordRemoveUpTo(*e.lifecycle, s.tenant_id, s.id, true, lifecycle_given_up.back().seq);
      }
      for (auto& item : lifecycle_given_up) {
        addDead(e, std::move(item.json), true, wall, lf, e.lifecycle->last_error);
      }
    }
    if (e.notify.pending.empty()) e.overflowing = false;
    if (auto d = step(e.notify, s.tenant_id, s.id, e.record.signing_key, false, now)) {
      if (s.request.include_resource_data && options_.validation_token) {
        if (auto token = options_.validation_token(s)) addValidationToken(*d, *token);
      }
      deliveries_[d->id] = {s.id, false, false};
      out.deliveries.push_back(std::move(*d));
    }
    if (e.lifecycle) {
      if (auto d = step(*e.lifecycle, s.tenant_id, s.id, e.record.signing_key, true, now)) {
        deliveries_[d->id] = {s.id, true, false};
        out.deliveries.push_back(std::move(*d));
      }
    }
    ++it;
  }
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    (void)giveUpIfExhausted(it->queue, now);  // nobody left to tell
    if (it->queue.idle() && !it->queue.in_flight) {
      it = orphans_.erase(it);
      continue;
    }
    if (auto d = step(it->queue, it->tenant_id, it->subscription_id, it->signing_key, true, now)) {
      deliveries_[d->id] = {it->subscription_id, true, true};
      out.deliveries.push_back(std::move(*d));
    }
    ++it;
  }
  out.dead_lettered = std::move(dead_lettered_);
  dead_lettered_.clear();
  return out;
}

void Dispatcher::complete(uint64_t delivery_id, bool ok, std::string error, MonoTime now) {
  auto found = deliveries_.find(delivery_id);
  if (found == deliveries_.end()) return;
  InFlight f = found->second;
  deliveries_.erase(found);
  if (in_flight_ > 0) --in_flight_;
  Queue* q = nullptr;
  const std::string* tenant = nullptr;
  if (f.orphan) {
    for (auto& o : orphans_) {
      if (o.subscription_id == f.subscription_id && o.queue.in_flight == delivery_id) {
        q = &o.queue;
      }
    }
  } else if (auto it = subs_.find(f.subscription_id); it != subs_.end()) {
    q = f.lifecycle ? (it->second.lifecycle ? &*it->second.lifecycle : nullptr)
                    : &it->second.notify;
    tenant = &it->second.record.sub.tenant_id;
  }
  if (q == nullptr || q->in_flight != delivery_id) return;  // deleted meanwhile
  q->in_flight.reset();
  if (ok) {
    if (tenant != nullptr && !q->batch.empty()) {
      recordRemoveUpTo(*q, *tenant, f.subscription_id, f.lifecycle, q->batch.back().seq);
    }
    q->batch.clear();
    q->failures = 0;
    q->last_error.clear();
    return;
  }
  ++q->failures;
  q->last_error = std::move(error);
  auto d = presence::nextRetry(options_.retry, q->failures, q->first_attempt, now, jitter_());
  // On give_up, poll() dead-letters the batch at its next run (now).
  q->next_attempt = d.give_up ? now : d.next_attempt;
  if (tenant != nullptr) recordState(*q, *tenant, f.subscription_id, f.lifecycle);
}

std::optional<MonoTime> Dispatcher::nextWakeup(MonoTime now, WallTime wall) const {
  std::optional<MonoTime> best;
  auto consider = [&](MonoTime t) {
    if (!best || t < *best) best = t;
  };
  auto wallToMono = [&](WallTime t) { return t <= wall ? now : monoOf(t, now, wall); };
  // With every slot taken, a completion pumps the queues again: no timer for them.
  const bool saturated = in_flight_ >= options_.max_in_flight;
  auto queueDue = [&](const Queue& q) {
    if (saturated || q.in_flight || q.idle()) return;
    if (q.batch.empty()) {
      // Items not yet durable wait for markDurable(), whose caller pumps.
      if (batchable(q)) consider(now);
      return;
    }
    consider(std::max(now, q.next_attempt));
    if (q.failures > 0) consider(std::max(now, q.first_attempt + options_.retry.give_up_after));
  };
  for (const auto& [id, e] : subs_) {
    consider(wallToMono(e.record.sub.request.expiration));
    if (!e.reauth_sent && e.lifecycle) consider(wallToMono(reauthAt(e)));
    queueDue(e.notify);
    if (e.lifecycle) queueDue(*e.lifecycle);
  }
  for (const auto& o : orphans_) {
    if (o.queue.idle() && !o.queue.in_flight) consider(now);
    queueDue(o.queue);
  }
  return best;
}

}  // namespace sb::notify
