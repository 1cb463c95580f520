// SPDX-License-Identifier: Apache-2.0
// Conformance cases of schema version 4: webhook notifications pending delivery
// (store::PendingDeliveryRepository), against both backends.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace sb::store::testing {
namespace {

using Kind = PendingDeliveryWrite::Kind;

PendingDeliveryWrite putItem(const TenantId& t, const std::string& sub, bool lifecycle,
                             std::int64_t seq, std::string json) {
  PendingDeliveryWrite w;
  w.kind = Kind::PutItem;
  w.item = {t, sub, lifecycle, seq, std::move(json)};
  return w;
}

PendingDeliveryWrite withState(Kind kind, PendingDeliveryState state) {
  PendingDeliveryWrite w;
  w.kind = kind;
  w.state = std::move(state);
  return w;
}

template <typename Backend>
class StorePendingTest : public StoreTest<Backend> {};
TYPED_TEST_SUITE(StorePendingTest, Backends, BackendNames);

TYPED_TEST(StorePendingTest, ItemsAndStatesRoundTripInOrderAndSurviveReopen) {
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");
  auto& repo = this->store().pendingDeliveries();
  const PendingDeliveryState state{a.id, "s1", false, 2, 3, this->at(10), this->at(40), "HTTP 503"};
  ASSERT_OK(repo.apply(
      {putItem(a.id, "s1", false, 1, R"({"n":1})"), putItem(a.id, "s1", false, 2, R"({"n":2})"),
       putItem(a.id, "s1", false, 3, R"({"n":3})"),
       putItem(a.id, "s1", true, 1, R"({"lifecycleEvent":"missed"})"),
       putItem(b.id, "s9", false, 1, R"({"n":9})"), withState(Kind::PutState, state)}));
  // Replacing an item (a collapsed `updated` notification) keeps its place.
  ASSERT_OK(repo.apply({putItem(a.id, "s1", false, 3, R"({"n":33})")}));

  this->reopen();
  auto& reopened = this->store().pendingDeliveries();
  auto items = reopened.listItems();
  ASSERT_OK(items);
  const std::vector<PendingNotification> want = {
      {a.id, "s1", false, 1, R"({"n":1})"},
      {a.id, "s1", false, 2, R"({"n":2})"},
      {a.id, "s1", false, 3, R"({"n":33})"},
      {a.id, "s1", true, 1, R"({"lifecycleEvent":"missed"})"},
      {b.id, "s9", false, 1, R"({"n":9})"}};
  // Ordered by tenant first: compare per tenant to stay independent of generated ids.
  std::vector<PendingNotification> got_a, got_b, want_a, want_b;
  for (const auto& i : *items) (i.tenant_id == a.id ? got_a : got_b).push_back(i);
  for (const auto& i : want) (i.tenant_id == a.id ? want_a : want_b).push_back(i);
  EXPECT_EQ(got_a, want_a);
  EXPECT_EQ(got_b, want_b);
  auto states = reopened.listStates();
  ASSERT_OK(states);
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0], state);

  // A later failure updates the schedule in place.
  PendingDeliveryState later = state;
  later.attempts = 4;
  later.next_attempt_at = this->at(80);
  later.last_error = "timeout";
  ASSERT_OK(reopened.apply({withState(Kind::PutState, later)}));
  states = reopened.listStates();
  ASSERT_OK(states);
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0], later);
}

TYPED_TEST(StorePendingTest, DeliveredBatchAndRemovedSubscriptionLeaveNoRows) {
  const Tenant a = this->makeTenant("a");
  auto& repo = this->store().pendingDeliveries();
  std::vector<PendingDeliveryWrite> writes;
  for (int i = 1; i <= 5; ++i) {
    writes.push_back(putItem(a.id, "s1", false, i, "{\"n\":" + std::to_string(i) + "}"));
  }
  writes.push_back(putItem(a.id, "s1", true, 1, "{}"));
  writes.push_back(putItem(a.id, "s2", false, 1, "{}"));
  writes.push_back(
      withState(Kind::PutState, {a.id, "s1", false, 3, 0, this->at(1), this->at(1), ""}));
  ASSERT_OK(repo.apply(writes));

  // The batch (seq <= 3) was delivered: its items and state go, later items and the
  // lifecycle queue stay.
  ASSERT_OK(repo.apply({withState(Kind::RemoveUpTo, {a.id, "s1", false, 3, 0, {}, {}, ""})}));
  auto items = repo.listItems();
  ASSERT_OK(items);
  std::vector<std::int64_t> s1;
  for (const auto& i : *items) {
    if (i.subscription_id == "s1" && !i.lifecycle) s1.push_back(i.seq);
  }
  EXPECT_EQ(s1, (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(items->size(), 4u);
  auto states = repo.listStates();
  ASSERT_OK(states);
  EXPECT_TRUE(states->empty());

  ASSERT_OK(
      repo.apply({withState(Kind::RemoveSubscription, {a.id, "s1", false, 0, 0, {}, {}, ""})}));
  items = repo.listItems();
  ASSERT_OK(items);
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].subscription_id, "s2");

  // Deleting the tenant deletes its pending deliveries.
  ASSERT_OK(this->store().tenants().remove(a.id));
  items = repo.listItems();
  ASSERT_OK(items);
  EXPECT_TRUE(items->empty());
}

TYPED_TEST(StorePendingTest, BatchIsAllOrNothingAndBadInputNamesTheField) {
  const Tenant a = this->makeTenant("a");
  auto& repo = this->store().pendingDeliveries();
  // The second write names an unknown tenant: the first must not land either.
  auto r = repo.apply(
      {putItem(a.id, "s1", false, 1, "{}"), putItem(TenantId("nope"), "s1", false, 1, "{}")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  auto items = repo.listItems();
  ASSERT_OK(items);
  EXPECT_TRUE(items->empty());

  r = repo.apply({putItem(a.id, "", false, 1, "{}")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().field, "subscription_id");
  r = repo.apply({putItem(TenantId(""), "s1", false, 1, "{}")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "tenant_id");
  ASSERT_OK(repo.apply({}));
}

}  // namespace
}  // namespace sb::store::testing
