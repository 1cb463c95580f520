// SPDX-License-Identifier: Apache-2.0
// The `oidc:` sections of the configuration (global and per tenant).
#include <string>

#include <gtest/gtest.h>

#include "app/config.h"

namespace sb::app {
namespace {

constexpr const char* kTenant = R"(tenants:
  - id: demo
    domain: demo.example
    users: [{id: alice}]
)";

std::string errorsOf(const ConfigResult& c) {
  std::string out;
  if (!c) {
    for (const auto& e : c.error()) out += e.toString() + "\n";
  }
  return out;
}

TEST(ConfigOidcTest, ReadsGlobalSection) {
  auto c = loadConfigText(std::string(kTenant) + R"(oidc:
  issuer: https://login.example/org
  client_id: switchboard
  client_secret: s3cret
  client_auth: client_secret_post
  redirect_uri: https://sb.example/api/v1/auth/oidc/callback
  scopes: [openid, email]
  tenant_claim: tid
  user_claim: email
  post_login_redirect: https://sb.example/app/
  clock_skew_s: 30
  jwks_min_refresh_s: 5
  subjects:
    - {subject: "248289761001", tenant: demo, user: alice}
)",
                          "t.yaml");
  ASSERT_TRUE(c) << errorsOf(c);
  const auto& o = c->oidc;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.issuer, "https://login.example/org");
  EXPECT_EQ(o.client_auth, "client_secret_post");
  EXPECT_EQ(o.scopes, (std::vector<std::string>{"openid", "email"}));
  EXPECT_EQ(o.tenant_claim, "tid");
  EXPECT_EQ(o.user_claim, "email");
  EXPECT_EQ(o.clock_skew_s, 30u);
  EXPECT_EQ(o.jwks_min_refresh_s, 5u);
  ASSERT_EQ(o.subjects.size(), 1u);
  EXPECT_EQ(o.subjects[0].tenant, "demo");
  EXPECT_EQ(o.subjects[0].user, "alice");
  EXPECT_FALSE(c->tenants[0].oidc.enabled);
}

TEST(ConfigOidcTest, ReadsTenantSectionWithDefaults) {
  auto c = loadConfigText(R"(tenants:
  - id: demo
    domain: demo.example
    oidc:
      issuer: https://login.example
      client_id: sb
      client_auth: none
      redirect_uri: http://127.0.0.1:8080/api/v1/auth/oidc/callback
)",
                          "t.yaml");
  ASSERT_TRUE(c) << errorsOf(c);
  EXPECT_FALSE(c->oidc.enabled);
  const auto& o = c->tenants[0].oidc;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.user_claim, "preferred_username");
  EXPECT_EQ(o.scopes, (std::vector<std::string>{"openid", "profile", "email"}));
  EXPECT_EQ(o.clock_skew_s, 60u);
}

TEST(ConfigOidcTest, ReportsMistakesWithLines) {
  auto c = loadConfigText(std::string(kTenant) + R"(oidc:
  issuer: login.example
  client_auth: private_key_jwt
  user_claim: upn
  redirect: x
  subjects:
    - {subject: abc, user: alice}
    - {subject: def, tenant: nope, user: bob}
)",
                          "bad.yaml");
  ASSERT_FALSE(c);
  const std::string all = errorsOf(c);
  EXPECT_NE(all.find("bad.yaml:9:3: unknown key 'redirect' in oidc"), std::string::npos) << all;
  EXPECT_NE(all.find("http(s) issuer"), std::string::npos) << all;
  EXPECT_NE(all.find("needs a client_id"), std::string::npos) << all;
  EXPECT_NE(all.find("redirect_uri"), std::string::npos) << all;
  EXPECT_NE(all.find("bad.yaml:7:16: client_auth must be"), std::string::npos) << all;
  EXPECT_NE(all.find("bad.yaml:8:15: user_claim must be"), std::string::npos) << all;
  EXPECT_NE(all.find("global subject mapping needs a tenant"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown tenant 'nope'"), std::string::npos) << all;
}

TEST(ConfigOidcTest, SecretRequiredUnlessPublicClient) {
  auto c = loadConfigText(R"(oidc:
  issuer: https://login.example
  client_id: sb
  redirect_uri: https://sb.example/cb
)",
                          "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(errorsOf(c).find("client_secret unless client_auth is none"), std::string::npos);
}

TEST(ConfigOidcTest, TenantMappingsMayNotNameATenant) {
  auto c = loadConfigText(R"(tenants:
  - id: demo
    domain: demo.example
    oidc:
      issuer: https://login.example
      client_id: sb
      client_secret: x
      redirect_uri: https://sb.example/cb
      subjects: [{subject: a, tenant: demo, user: alice}]
)",
                          "t.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(errorsOf(c).find("maps into that tenant"), std::string::npos) << errorsOf(c);
}

}  // namespace
}  // namespace sb::app
