// SPDX-License-Identifier: Apache-2.0
// Conformance cases of schema version 6: app registrations (store::AppRegistrationRepository)
// against both backends: round trip across reopen, global client-id uniqueness, tenant
// isolation, validation, secret replacement, renaming and role changes, deletion and the tenant
// cascade.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace sb::store::testing {
namespace {

template <typename Backend>
class StoreAppsTest : public StoreTest<Backend> {
 protected:
  AppRegistration app(const Tenant& t, const std::string& id) {
    AppRegistration a;
    a.tenant_id = t.id;
    a.client_id = AppClientId(id);
    a.display_name = "Presence sync " + id;
    a.secret_hash = "hash-of-" + id;
    a.roles = {Role::Supervisor, Role::Agent};
    a.created_by = "apikey:demo";
    a.created_at = this->at(42);
    return a;
  }
};
TYPED_TEST_SUITE(StoreAppsTest, Backends, BackendNames);

TYPED_TEST(StoreAppsTest, CreateGetListSurviveReopen) {
  const Tenant t = this->makeTenant("acme");
  const auto a = this->app(t, "22553876-f5ab-4529-bffb-cfe50aa89f87");
  const auto b = this->app(t, "11111111-2222-4333-8444-555555555555");
  ASSERT_OK(this->store().apps().create(a));
  ASSERT_OK(this->store().apps().create(b));

  this->reopen();
  auto& repo = this->store().apps();
  auto got = repo.get(t.id, a.client_id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, a);
  auto found = repo.findByClientId(b.client_id);
  ASSERT_OK(found);
  EXPECT_EQ(*found, b);
  auto all = repo.list(t.id);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], b);  // ordered by client id
  EXPECT_EQ((*all)[1], a);
  EXPECT_EQ(repo.findByClientId(AppClientId("nobody")).error().code, Errc::NotFound);
}

TYPED_TEST(StoreAppsTest, ClientIdsAreUniqueAcrossTenantsAndIsolated) {
  const Tenant t1 = this->makeTenant("one");
  const Tenant t2 = this->makeTenant("two");
  const auto a = this->app(t1, "aaaaaaaa-0000-4000-8000-000000000001");
  ASSERT_OK(this->store().apps().create(a));
  auto clash = this->store().apps().create(this->app(t2, a.client_id.value()));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::AlreadyExists);
  // Another tenant neither sees nor deletes it.
  EXPECT_EQ(this->store().apps().get(t2.id, a.client_id).error().code, Errc::NotFound);
  EXPECT_EQ(this->store().apps().remove(t2.id, a.client_id).error().code, Errc::NotFound);
  auto listed = this->store().apps().list(t2.id);
  ASSERT_OK(listed);
  EXPECT_TRUE(listed->empty());
  ASSERT_OK(this->store().apps().get(t1.id, a.client_id));
}

TYPED_TEST(StoreAppsTest, CreateValidatesAndNamesTheField) {
  const Tenant t = this->makeTenant("acme");
  auto a = this->app(t, "");
  EXPECT_EQ(this->store().apps().create(a).error().field, "client_id");
  a = this->app(t, "c1");
  a.display_name.clear();
  EXPECT_EQ(this->store().apps().create(a).error().field, "display_name");
  a = this->app(t, "c1");
  a.secret_hash.clear();
  EXPECT_EQ(this->store().apps().create(a).error().field, "secret_hash");
  a = this->app(t, "c1");
  a.roles.clear();
  EXPECT_EQ(this->store().apps().create(a).error().field, "roles");
  a = this->app(t, "c1");
  a.tenant_id = TenantId("no-such-tenant");
  EXPECT_FALSE(this->store().apps().create(a));
}

TYPED_TEST(StoreAppsTest, ReplaceSecretKeepsTheRestAndSurvivesReopen) {
  const Tenant t = this->makeTenant("acme");
  const Tenant other = this->makeTenant("other");
  const auto a = this->app(t, "c-rotate");
  ASSERT_OK(this->store().apps().create(a));
  ASSERT_OK(this->store().apps().replaceSecret(t.id, a.client_id, "hash-of-the-new-secret"));
  this->reopen();
  auto got = this->store().apps().findByClientId(a.client_id);
  ASSERT_OK(got);
  auto expected = a;
  expected.secret_hash = "hash-of-the-new-secret";
  EXPECT_EQ(*got, expected);
  auto& repo = this->store().apps();
  EXPECT_EQ(repo.replaceSecret(other.id, a.client_id, "x").error().code, Errc::NotFound);
  EXPECT_EQ(repo.replaceSecret(t.id, AppClientId("nobody"), "x").error().code, Errc::NotFound);
  EXPECT_EQ(repo.replaceSecret(t.id, a.client_id, "").error().field, "secret_hash");
  EXPECT_EQ(repo.findByClientId(a.client_id)->secret_hash, "hash-of-the-new-secret");
}

TYPED_TEST(StoreAppsTest, UpdateChangesNameAndRolesOnlyAndSurvivesReopen) {
  const Tenant t = this->makeTenant("acme");
  const Tenant other = this->makeTenant("other");
  const auto a = this->app(t, "c-update");
  ASSERT_OK(this->store().apps().create(a));
  auto updated = this->store().apps().update(t.id, a.client_id, "Wallboard", {Role::Admin});
  ASSERT_OK(updated);
  auto expected = a;
  expected.display_name = "Wallboard";
  expected.roles = {Role::Admin};
  EXPECT_EQ(*updated, expected);
  this->reopen();
  auto& repo = this->store().apps();
  auto got = repo.findByClientId(a.client_id);
  ASSERT_OK(got);
  EXPECT_EQ(*got, expected);
  EXPECT_EQ(repo.update(other.id, a.client_id, "x", {Role::Agent}).error().code, Errc::NotFound);
  EXPECT_EQ(repo.update(t.id, AppClientId("nobody"), "x", {Role::Agent}).error().code,
            Errc::NotFound);
  EXPECT_EQ(repo.update(t.id, a.client_id, "", {Role::Agent}).error().field, "display_name");
  EXPECT_EQ(repo.update(t.id, a.client_id, "x", {}).error().field, "roles");
  EXPECT_EQ(*repo.findByClientId(a.client_id), expected);
}

TYPED_TEST(StoreAppsTest, RemoveAndTenantCascade) {
  const Tenant t = this->makeTenant("acme");
  const auto a = this->app(t, "c-remove");
  const auto b = this->app(t, "c-cascade");
  ASSERT_OK(this->store().apps().create(a));
  ASSERT_OK(this->store().apps().create(b));
  ASSERT_OK(this->store().apps().remove(t.id, a.client_id));
  EXPECT_EQ(this->store().apps().findByClientId(a.client_id).error().code, Errc::NotFound);
  EXPECT_EQ(this->store().apps().remove(t.id, a.client_id).error().code, Errc::NotFound);
  ASSERT_OK(this->store().tenants().remove(t.id));
  EXPECT_EQ(this->store().apps().findByClientId(b.client_id).error().code, Errc::NotFound);
}

}  // namespace
}  // namespace sb::store::testing
