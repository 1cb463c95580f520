// SPDX-License-Identifier: Apache-2.0
#include "app/store_credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "api/crypto.h"
#include "api/token_service.h"
#include "store/sqlite/sqlite_store.h"

namespace sb::app {
namespace {

class StoreCredentialsTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("sb-store-creds-" + std::to_string(::getpid()));
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    config_.tenants.resize(2);
    config_.tenants[0].id = "t1";
    config_.tenants[0].demo_admin_key = "sb_t1_admin_key";
    UserConfig admin;
    admin.id = "root";
    admin.role = UserRole::Admin;
    admin.password = "root-pass";
    UserConfig agent;
    agent.id = "ann";
    agent.sip_password = "sip-only";  // no API sign-in
    config_.tenants[0].users = {admin, agent};
    config_.tenants[1].id = "t2";
    admin.password = "other-pass";
    config_.tenants[1].users = {admin};  // same username in another tenant
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<store::Store> open() {
    auto s = store::openSqliteStore((dir_ / "sb.db").string());
    EXPECT_TRUE(s) << s.error().toString();
    return s ? std::move(*s) : nullptr;
  }

  Config config_;
  ManualClock clock_;
};

TEST_F(StoreCredentialsTest, RoleMapping) {
  EXPECT_EQ(apiRoleOf(store::Role::Sme), api::Role::Agent);
  EXPECT_EQ(apiRoleOf(store::Role::Admin), api::Role::Admin);
  EXPECT_EQ(*storeRoleOf({api::Role::Agent, api::Role::Admin}), store::Role::Admin);
  EXPECT_EQ(*storeRoleOf({api::Role::Supervisor}), store::Role::Supervisor);
  EXPECT_EQ(storeRoleOf({}).error().field, "roles");
  EXPECT_EQ(storeRoleOf({api::Role::SystemOperator}).error().field, "roles");
}

TEST_F(StoreCredentialsTest, ConfigAccountsAndKeysSurviveARestart) {
  std::string created_key;
  {
    auto st = open();
    api::InMemoryCredentialSource memory;
    StoreCredentialSource creds(st.get(), memory, clock_);
    ASSERT_TRUE(creds.seedFromConfig(config_));
    api::TokenService tokens(creds, clock_);
    // A username present in two tenants needs the tenant; the bare name is ambiguous.
    EXPECT_FALSE(tokens.passwordGrant("root", "root-pass"));
    auto grant = tokens.passwordGrant("root@t1", "root-pass");
    ASSERT_TRUE(grant) << grant.error().toString();
    EXPECT_EQ(grant->principal.user_id, "root");  // store id = YAML id
    EXPECT_EQ(grant->principal.tenant_id, "t1");
    EXPECT_FALSE(tokens.passwordGrant("root@t2", "root-pass"));
    EXPECT_TRUE(tokens.passwordGrant("root@t2", "other-pass"));
    EXPECT_FALSE(creds.findUserByUsername("ann@t1"));  // SIP-only users get no account

    auto demo = tokens.authenticate("sb_t1_admin_key");
    ASSERT_TRUE(demo) << demo.error().toString();
    EXPECT_EQ(demo->tenant_id, "t1");
    EXPECT_TRUE(demo->hasRole(api::Role::Admin));

    auto user = tokens.createUser("t1", "newbie", "newbie-pass", {api::Role::Supervisor});
    ASSERT_TRUE(user) << user.error().toString();
    api::ApiKeyRecord key;
    created_key = "sb_unit_test_key_0123456789";
    key.id = "k1";
    key.tenant_id = "t1";
    key.name = "ci";
    key.hash_hex = api::sha256Hex(created_key);
    key.prefix = created_key.substr(0, 12);
    key.roles = {api::Role::Agent};
    ASSERT_TRUE(creds.addApiKey(key));
    EXPECT_TRUE(tokens.authenticate(created_key));
    // Only the hash is stored.
    auto stored = st->apiKeys().get(store::TenantId("t1"), store::ApiKeyId("k1"));
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->secret_hash, api::sha256Hex(created_key));
    EXPECT_EQ(stored->secret_hash.find(created_key), std::string::npos);
  }
  auto st = open();
  api::InMemoryCredentialSource memory;
  StoreCredentialSource creds(st.get(), memory, clock_);
  ASSERT_TRUE(creds.seedFromConfig(config_));  // idempotent
  api::TokenService tokens(creds, clock_);
  EXPECT_TRUE(tokens.passwordGrant("newbie", "newbie-pass"));
  auto p = tokens.authenticate(created_key);
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_EQ(p->roles, std::vector<api::Role>{api::Role::Agent});
  auto keys = creds.listApiKeys("t1");
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 2u);  // demo key + k1
  EXPECT_TRUE(creds.listApiKeys("t2")->empty());

  // Revocation takes effect at once, and a revoked demo key is not re-seeded.
  ASSERT_TRUE(creds.revokeApiKey("t1", "k1"));
  ASSERT_TRUE(creds.revokeApiKey("t1", "t1-demo-admin"));
  EXPECT_FALSE(tokens.authenticate(created_key));
  EXPECT_FALSE(tokens.authenticate("sb_t1_admin_key"));
  ASSERT_TRUE(creds.seedFromConfig(config_));
  EXPECT_FALSE(tokens.authenticate("sb_t1_admin_key"));
  EXPECT_EQ(creds.revokeApiKey("t2", "k1").error().code, Errc::NotFound);  // other tenant
}

TEST_F(StoreCredentialsTest, RefreshTokensRotateForStoreUsers) {
  auto st = open();
  api::InMemoryCredentialSource memory;
  StoreCredentialSource creds(st.get(), memory, clock_);
  ASSERT_TRUE(creds.seedFromConfig(config_));
  api::TokenService tokens(creds, clock_);
  auto grant = tokens.passwordGrant("root@t2", "other-pass");
  ASSERT_TRUE(grant);
  // "root" exists in t1 and t2: refresh still needs a unique user. Give t2 a unique one.
  auto user = tokens.createUser("t2", "solo", "solo-pass-1", {api::Role::Admin});
  ASSERT_TRUE(user);
  auto solo = tokens.passwordGrant("solo", "solo-pass-1");
  ASSERT_TRUE(solo);
  auto again = tokens.refreshGrant(solo->refresh_token);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(again->principal.tenant_id, "t2");
  EXPECT_FALSE(tokens.refreshGrant(solo->refresh_token));  // reuse is refused
}

TEST_F(StoreCredentialsTest, WithoutAStoreEverythingIsInMemory) {
  api::InMemoryCredentialSource memory;
  StoreCredentialSource creds(nullptr, memory, clock_);
  api::TokenService tokens(creds, clock_);
  ASSERT_TRUE(tokens.createUser("t1", "mem", "mem-pass-1", {api::Role::Agent}));
  EXPECT_TRUE(memory.findUserByUsername("mem"));
  EXPECT_TRUE(tokens.passwordGrant("mem", "mem-pass-1"));
}

}  // namespace
}  // namespace sb::app
