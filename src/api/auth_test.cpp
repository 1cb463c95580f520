// SPDX-License-Identifier: Apache-2.0
#include "api/token_service.h"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "api/http_types.h"

namespace sb::api {
namespace {

using namespace std::chrono_literals;

TokenOptions cheapOptions() {
  TokenOptions o;
  o.access_ttl = 15min;
  o.refresh_ttl = 24h;
  o.key_rotation = 1h;
  o.password = PasswordParams{1, 64, 1};
  return o;
}

TEST(PasswordTest, Argon2idHashVerifies) {
  auto h = hashPassword("correct horse", PasswordParams{1, 64, 1});
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_TRUE(h->starts_with("$argon2id$"));
  EXPECT_EQ(h->find("correct horse"), std::string::npos);
  EXPECT_TRUE(verifyPassword(*h, "correct horse"));
  EXPECT_FALSE(verifyPassword(*h, "correct horsf"));
  EXPECT_FALSE(verifyPassword("$argon2i$garbage", "x"));
  EXPECT_NE(*h, hashPassword("correct horse", PasswordParams{1, 64, 1}).value());  // salted
}

class TokenTest : public ::testing::Test {
 protected:
  ManualClock clock;
  InMemoryCredentialSource creds;
  TokenService tokens{creds, clock, cheapOptions()};
  Principal alice{"u1", "u1", "t1", {Role::Agent}, AuthMethod::AccessToken};
};

TEST_F(TokenTest, IssuedTokenVerifiesWithKidAndClaims) {
  auto t = tokens.issueAccessToken(alice);
  ASSERT_TRUE(t);
  auto header = nlohmann::json::parse(base64UrlDecode(t->substr(0, t->find('.'))).value());
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["kid"], tokens.keyRing().currentKeyId());
  auto p = tokens.authenticate(*t);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->user_id, "u1");
  EXPECT_EQ(p->tenant_id, "t1");
  EXPECT_EQ(p->roles, std::vector<Role>{Role::Agent});
}

TEST_F(TokenTest, ExpiredTokenIsRejected) {
  auto t = tokens.issueAccessToken(alice).value();
  clock.advance(14min);
  EXPECT_TRUE(tokens.authenticate(t));
  clock.advance(2min);
  auto p = tokens.authenticate(t);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("expired"), std::string::npos);
}

TEST_F(TokenTest, TamperedSignatureOrClaimsAreRejected) {
  auto t = tokens.issueAccessToken(alice).value();
  auto d1 = t.find('.'), d2 = t.rfind('.');
  auto claims = nlohmann::json::parse(base64UrlDecode(t.substr(d1 + 1, d2 - d1 - 1)).value());
  claims["roles"] = {"system_operator"};
  std::string forged = t.substr(0, d1) + "." + base64UrlEncode(claims.dump()) + t.substr(d2);
  EXPECT_FALSE(tokens.authenticate(forged));
  std::string badsig = t;
  badsig[badsig.size() - 3] = badsig[badsig.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.authenticate(badsig));
  EXPECT_FALSE(tokens.authenticate("a.b"));
  EXPECT_FALSE(tokens.authenticate(""));
}

TEST_F(TokenTest, AlgNoneIsRejected) {
  auto t = tokens.issueAccessToken(alice).value();
  auto d1 = t.find('.'), d2 = t.rfind('.');
  nlohmann::json header = {{"alg", "none"}, {"typ", "JWT"}, {"kid", tokens.keyRing().currentKeyId()}};
  std::string none = base64UrlEncode(header.dump()) + t.substr(d1, d2 - d1) + ".";
  auto p = tokens.authenticate(none);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("none"), std::string::npos);
}

TEST_F(TokenTest, Hs256IsRejectedEvenWhenSignedWithThePublicKey) {
  // The classic key-confusion attack: HMAC with the published key material as secret.
  auto t = tokens.issueAccessToken(alice).value();
  auto d1 = t.find('.'), d2 = t.rfind('.');
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", tokens.keyRing().currentKeyId()}};
  std::string input = base64UrlEncode(header.dump()) + t.substr(d1, d2 - d1);
  std::string fake_mac = sha256Raw(tokens.keyRing().jwks().dump() + input);
  auto p = tokens.authenticate(input + "." + base64UrlEncode(fake_mac));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("HS256"), std::string::npos);
}

TEST_F(TokenTest, KeysRotateAndOldKeysVerifyUntilTheirTokensExpire) {
  auto old_token = tokens.issueAccessToken(alice).value();
  std::string old_kid = tokens.keyRing().currentKeyId();
  clock.advance(61min);  // past the rotation period
  auto new_token = tokens.issueAccessToken(alice).value();
  std::string new_kid = tokens.keyRing().currentKeyId();
  EXPECT_NE(old_kid, new_kid);
  EXPECT_EQ(tokens.keyRing().keyIds().size(), 2u);
  EXPECT_EQ(tokens.keyRing().jwks()["keys"].size(), 2u);
  // A token the old key signed just before retirement is still good.
  EXPECT_TRUE(tokens.keyRing().verify(old_token));
  EXPECT_TRUE(tokens.authenticate(new_token));
  // Once every token the old key could have signed has expired, the key is dropped.
  clock.advance(16min);
  tokens.keyRing().rotateIfDue();
  EXPECT_EQ(tokens.keyRing().keyIds(), std::vector<std::string>{new_kid});
  EXPECT_FALSE(tokens.keyRing().verify(old_token));
  EXPECT_TRUE(tokens.keyRing().verify(new_token));
}

TEST_F(TokenTest, RevokedKeyStopsVerifying) {
  auto t = tokens.issueAccessToken(alice).value();
  tokens.keyRing().revoke(tokens.keyRing().currentKeyId());
  EXPECT_FALSE(tokens.authenticate(t));
}

TEST_F(TokenTest, VerifiedTokensAreRememberedOnlyUntilExpiryOrKeyRevocation) {
  auto t = tokens.issueAccessToken(alice).value();
  auto first = tokens.authenticate(t);  // verified and remembered
  ASSERT_TRUE(first);
  auto again = tokens.authenticate(t);  // from the cache: the same principal
  ASSERT_TRUE(again);
  EXPECT_EQ(again->user_id, first->user_id);
  EXPECT_EQ(again->tenant_id, first->tenant_id);
  EXPECT_EQ(again->roles, first->roles);
  tokens.keyRing().revoke(tokens.keyRing().currentKeyId());
  EXPECT_FALSE(tokens.authenticate(t));  // a remembered token dies with its key

  auto u = tokens.issueAccessToken(alice).value();
  ASSERT_TRUE(tokens.authenticate(u));
  clock.advance(16min);  // past its expiry
  auto late = tokens.authenticate(u);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("expired"), std::string::npos);
}

TEST_F(TokenTest, PasswordGrantChecksPassword) {
  ASSERT_TRUE(tokens.createUser("t1", "alice", "s3cret-pass", {Role::Agent}));
  EXPECT_FALSE(tokens.createUser("t1", "alice", "s3cret-pass", {Role::Agent}));
  EXPECT_EQ(tokens.createUser("t1", "bob", "short", {Role::Agent}).error().field, "password");
  auto bad = tokens.passwordGrant("alice", "wrong-pass");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::PermissionDenied);
  EXPECT_FALSE(tokens.passwordGrant("nobody", "s3cret-pass"));
  auto g = tokens.passwordGrant("alice", "s3cret-pass");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(tokens.authenticate(g->access_token)->tenant_id, "t1");
  EXPECT_TRUE(g->refresh_token.starts_with("sbr_"));
}

TEST_F(TokenTest, RefreshRotatesAndReuseRevokesTheFamily) {
  ASSERT_TRUE(tokens.createUser("t1", "alice", "s3cret-pass", {Role::Agent}));
  auto g1 = tokens.passwordGrant("alice", "s3cret-pass").value();
  // Only hashes are stored.
  for (const auto& r : creds.refreshTokens()) {
    EXPECT_NE(r.hash_hex, g1.refresh_token);
    EXPECT_EQ(r.hash_hex.size(), 64u);
  }
  auto g2 = tokens.refreshGrant(g1.refresh_token);
  ASSERT_TRUE(g2) << g2.error().message;
  EXPECT_NE(g2->refresh_token, g1.refresh_token);
  auto g3 = tokens.refreshGrant(g2->refresh_token);
  ASSERT_TRUE(g3);
  // Replaying g1 (already rotated) is reuse: it fails and kills g3 too.
  auto replay = tokens.refreshGrant(g1.refresh_token);
  ASSERT_FALSE(replay);
  EXPECT_NE(replay.error().message.find("reuse"), std::string::npos);
  EXPECT_FALSE(tokens.refreshGrant(g3->refresh_token));
  // A fresh sign-in starts a new, healthy family.
  auto g4 = tokens.passwordGrant("alice", "s3cret-pass").value();
  EXPECT_TRUE(tokens.refreshGrant(g4.refresh_token));
}

TEST_F(TokenTest, RefreshTokenExpires) {
  ASSERT_TRUE(tokens.createUser("t1", "alice", "s3cret-pass", {Role::Agent}));
  auto g = tokens.passwordGrant("alice", "s3cret-pass").value();
  clock.advance(25h);
  EXPECT_FALSE(tokens.refreshGrant(g.refresh_token));
  EXPECT_FALSE(tokens.refreshGrant("sbr_unknown"));
  EXPECT_FALSE(tokens.refreshGrant("not-a-token"));
}

TEST_F(TokenTest, ApiKeysAreStoredHashedAndAuthenticate) {
  auto k = tokens.createApiKey("t1", "crm", {Role::Supervisor}, "u9");
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->key.starts_with("sb_"));
  EXPECT_GE(k->key.size(), 40u);
  EXPECT_EQ(k->record.hash_hex, sha256Hex(k->key));
  auto stored = creds.listApiKeys("t1").value();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].hash_hex, sha256Hex(k->key));
  EXPECT_EQ(stored[0].hash_hex.find(k->key), std::string::npos);
  auto p = tokens.authenticate(k->key);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->method, AuthMethod::ApiKey);
  EXPECT_EQ(p->tenant_id, "t1");
  EXPECT_TRUE(p->hasRole(Role::Supervisor));
  EXPECT_FALSE(tokens.authenticate(k->key + "x"));
  ASSERT_TRUE(creds.revokeApiKey("t1", k->record.id));
  EXPECT_FALSE(tokens.authenticate(k->key));
}

TEST(RolesTest, GrantTableMatchesTheSecurityDoc) {
  EXPECT_EQ(grantOf(Role::Agent, Permission::AgentState), Scope::Own);
  EXPECT_EQ(grantOf(Role::Agent, Permission::Monitor), std::nullopt);
  EXPECT_EQ(grantOf(Role::Supervisor, Permission::QueuesManage), Scope::Tenant);
  EXPECT_EQ(grantOf(Role::Supervisor, Permission::TenantConfigWrite), std::nullopt);
  EXPECT_EQ(grantOf(Role::Admin, Permission::TenantConfigWrite), Scope::Tenant);
  EXPECT_EQ(grantOf(Role::Admin, Permission::TenantsManage), std::nullopt);
  EXPECT_EQ(grantOf(Role::SystemOperator, Permission::TenantsManage), Scope::AllTenants);
}

TEST(RolesTest, DocsSecurityMdListsEveryPermissionAndRole) {
  const char* root = std::getenv("SB_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  std::ifstream in(std::string(root) + "/docs/security.md");
  ASSERT_TRUE(in) << "docs/security.md missing";
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (Permission p : allPermissions()) {
    std::string needle = "`" + std::string(permissionName(p)) + "`";
    EXPECT_NE(doc.find(needle), std::string::npos) << needle;
  }
  for (Role r : allRoles()) {
    EXPECT_NE(doc.find("`" + std::string(roleName(r)) + "`"), std::string::npos);
  }
}

}  // namespace
}  // namespace sb::api
