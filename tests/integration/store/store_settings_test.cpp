// SPDX-License-Identifier: Apache-2.0
// Conformance cases of schema version 3: the tenant and user settings documents and the
// webhook subscription repository, against both backends.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/sql/migrations.h"
#include "store_fixture.h"

namespace sb::store::testing {
namespace {

template <typename R>
Errc errcOf(const R& r) {
  return r ? Errc::Internal : r.error().code;
}

template <typename Backend>
class StoreSettingsTest : public StoreTest<Backend> {};
TYPED_TEST_SUITE(StoreSettingsTest, Backends, BackendNames);

TYPED_TEST(StoreSettingsTest, TenantSettingsDefaultToEmptyObjectAndRoundTrip) {
  auto& repo = this->store().tenants();
  const Tenant plain = this->makeTenant("plain");
  auto got = repo.get(plain.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->settings_json, "{}");

  Tenant demo{
      TenantId("demo"), "demo", true, this->at(1),
      R"({"domain":"demo.switchboard.test","outbound_trunk":"carrier","copy_headers":["X-Foo"]})"};
  ASSERT_OK(repo.create(demo));
  got = repo.get(demo.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, demo);

  demo.settings_json = R"({"domain":"other.test"})";
  ASSERT_OK(repo.update(demo));
  auto all = repo.list();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], demo);  // "demo" < "plain"
  this->reopen();
  got = this->store().tenants().get(demo.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->settings_json, R"({"domain":"other.test"})");
}

TYPED_TEST(StoreSettingsTest, UserSettingsRoundTripThroughEveryRead) {
  auto& users = this->store().users();
  const Tenant a = this->makeTenant("a");
  User alice;
  alice.tenant_id = a.id;
  alice.id = UserId("alice");
  alice.username = "alice";
  alice.profile.skills = {{"english", 80}};
  alice.settings_json = R"({"extension":"1001","ha1_md5":"ab","queues":["support"]})";
  ASSERT_OK(users.create(alice));
  User bob{a.id, UserId("bob"), "bob", "Bob", "", Role::Agent, "h", true, {}};
  ASSERT_OK(users.create(bob));

  auto got = users.get(a.id, alice.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, alice);
  got = users.get(a.id, bob.id);
  ASSERT_OK(got);
  EXPECT_EQ(got->settings_json, "{}");
  got = users.findByUsername(a.id, "alice");
  ASSERT_OK(got);
  EXPECT_EQ(got->settings_json, alice.settings_json);
  auto by_skill = users.findBySkill(a.id, "english", 1);
  ASSERT_OK(by_skill);
  ASSERT_EQ(by_skill->size(), 1u);
  EXPECT_EQ((*by_skill)[0], alice);

  alice.settings_json = R"({"extension":"2001"})";
  ASSERT_OK(users.update(alice));
  auto listed = users.list(a.id);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], alice);
}

TYPED_TEST(StoreSettingsTest, SubscriptionsCrudAndTenantIsolation) {
  auto& subs = this->store().subscriptions();
  const Tenant a = this->makeTenant("a");
  const Tenant b = this->makeTenant("b");

  auto created = subs.create(Subscription{a.id, "", "/communications/presences",
                                          R"({"notificationUrl":"http://x/hook"})", this->at(60)});
  ASSERT_OK(created);
  EXPECT_FALSE(created->id.empty());
  const Subscription second{a.id, "s-2", "/communications/presences/alice", "{}", this->at(30)};
  ASSERT_OK(subs.create(second));
  EXPECT_EQ(errcOf(subs.create(second)), Errc::AlreadyExists);
  EXPECT_EQ(errcOf(subs.create(Subscription{a.id, "", "", "{}", this->at(1)})),
            Errc::InvalidArgument);
  EXPECT_EQ(errcOf(subs.create(Subscription{TenantId("nope"), "", "/r", "{}", this->at(1)})),
            Errc::InvalidArgument);
  // The same id in another tenant is a different subscription.
  const Subscription other{b.id, "s-2", "/communications/presences", "{}", this->at(90)};
  ASSERT_OK(subs.create(other));

  auto got = subs.get(a.id, created->id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, *created);
  EXPECT_EQ(errcOf(subs.get(b.id, created->id)), Errc::NotFound);

  Subscription renewed = *created;
  renewed.expires_at = this->at(3600);
  renewed.document_json = R"({"notificationUrl":"http://y/hook"})";
  ASSERT_OK(subs.update(renewed));
  got = subs.get(a.id, renewed.id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, renewed);
  Subscription foreign = renewed;
  foreign.tenant_id = b.id;
  EXPECT_EQ(errcOf(subs.update(foreign)), Errc::NotFound);

  auto listed = subs.list(a.id);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  for (const auto& s : *listed) EXPECT_EQ(s.tenant_id, a.id);
  auto all = subs.listAll();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);

  EXPECT_EQ(errcOf(subs.remove(b.id, renewed.id)), Errc::NotFound);
  ASSERT_OK(subs.remove(a.id, renewed.id));
  EXPECT_EQ(errcOf(subs.get(a.id, renewed.id)), Errc::NotFound);

  // Survives a reopen; removing the tenant removes its subscriptions.
  this->reopen();
  ASSERT_OK(this->store().tenants().remove(b.id));
  all = this->store().subscriptions().listAll();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], second);
}

// A database created at version 2 gains the new columns with their defaults, keeping rows.
TYPED_TEST(StoreSettingsTest, Version2DatabaseUpgradesWithDefaults) {
  this->store_.reset();
  // Roll the fresh database back to what version 2 created, with one tenant and user in it.
  {
    auto raw = this->backend_.openRaw();
    ASSERT_OK(raw);
    ASSERT_OK((*raw)->write([](sql::Session& s) -> Status {
      SB_TRY(s.exec("DROP TABLE subscriptions"));
      SB_TRY(s.exec("ALTER TABLE users DROP COLUMN settings_json"));
      SB_TRY(s.exec("ALTER TABLE tenants DROP COLUMN settings_json"));
      SB_TRY(s.exec("DELETE FROM schema_version WHERE version >= 3"));
      SB_TRY(s.exec("INSERT INTO tenants (id, name, active, created_at) VALUES ('t', 't', 1, 0)"));
      SB_TRY(
          s.exec("INSERT INTO users (tenant_id, id, username, display_name, email, role, "
                 "password_hash, active) VALUES ('t', 'u', 'u', '', '', 'agent', '', 1)"));
      return {};
    }));
  }
  this->reopen();
  EXPECT_EQ(this->store().schemaVersion(), sql::latestSchemaVersion());
  auto tenant = this->store().tenants().get(TenantId("t"));
  ASSERT_OK(tenant);
  EXPECT_EQ(tenant->settings_json, "{}");
  auto user = this->store().users().get(TenantId("t"), UserId("u"));
  ASSERT_OK(user);
  EXPECT_EQ(user->settings_json, "{}");
  auto subs = this->store().subscriptions().listAll();
  ASSERT_OK(subs);
  EXPECT_TRUE(subs->empty());
}

}  // namespace
}  // namespace sb::store::testing
