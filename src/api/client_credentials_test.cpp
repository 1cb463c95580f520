// SPDX-License-Identifier: Apache-2.0
// The client-credentials grant (RFC 6749 4.4): client authentication parsing, the token it
// issues (client id, roles, no refresh token) and immediate refusal once the app is deleted.
#include <gtest/gtest.h>

#include "api/auth_routes.h"
#include "api/crypto.h"
#include "api/http_types.h"
#include "api/token_service.h"

namespace sb::api {
namespace {

using namespace std::chrono_literals;

constexpr const char* kClient = "22553876-f5ab-4529-bffb-cfe50aa89f87";

class ClientCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    secret = TokenService::newClientSecret();
    creds.putApp(AppRecord{kClient, "t1", "Presence sync", sha256Hex(secret), {Role::Supervisor}});
  }
  ManualClock clock;
  InMemoryCredentialSource creds;
  TokenService tokens{creds, clock, TokenOptions{}};
  std::string secret;
};

TEST_F(ClientCredentialsTest, GrantCarriesClientIdAndRolesAndNoRefreshToken) {
  auto g = tokens.clientCredentialsGrant(kClient, secret);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_TRUE(g->refresh_token.empty());
  EXPECT_EQ(g->expires_in, 15 * 60);
  auto claims = nlohmann::json::parse(
      base64UrlDecode(
          g->access_token.substr(g->access_token.find('.') + 1,
                                 g->access_token.rfind('.') - g->access_token.find('.') - 1))
          .value());
  EXPECT_EQ(claims["azp"], kClient);
  EXPECT_EQ(claims["appid"], kClient);
  EXPECT_EQ(claims["tid"], "t1");
  auto p = tokens.authenticate(g->access_token);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->client_id, kClient);
  EXPECT_EQ(p->subject, std::string("app:") + kClient);
  EXPECT_EQ(p->tenant_id, "t1");
  EXPECT_EQ(p->roles, std::vector<Role>{Role::Supervisor});
}

TEST_F(ClientCredentialsTest, WrongSecretAndUnknownClientAreAlike) {
  auto wrong = tokens.clientCredentialsGrant(kClient, secret + "x");
  ASSERT_FALSE(wrong);
  auto unknown = tokens.clientCredentialsGrant("11111111-2222-4333-8444-555555555555", secret);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, Errc::PermissionDenied);
  EXPECT_EQ(unknown.error().code, Errc::PermissionDenied);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(ClientCredentialsTest, DeletingTheAppStopsItsCachedTokenAtOnce) {
  auto g = tokens.clientCredentialsGrant(kClient, secret).value();
  ASSERT_TRUE(tokens.authenticate(g.access_token));  // now in the verified-token cache
  ASSERT_TRUE(tokens.authenticate(g.access_token));
  creds.removeApp(kClient);
  auto after = tokens.authenticate(g.access_token);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, Errc::PermissionDenied);
  // Re-registering the id in another tenant does not revive the token.
  creds.putApp(AppRecord{kClient, "t2", "other", sha256Hex(secret), {Role::Agent}});
  EXPECT_FALSE(tokens.authenticate(g.access_token));
}

TEST_F(ClientCredentialsTest, ReplacingTheSecretEndsTheOldSecretAndItsTokens) {
  auto before = tokens.clientCredentialsGrant(kClient, secret).value();
  ASSERT_TRUE(tokens.authenticate(before.access_token));                 // cached from here on
  auto unused = tokens.clientCredentialsGrant(kClient, secret).value();  // never verified yet
  const std::string rotated = TokenService::newClientSecret();
  creds.putApp(AppRecord{kClient, "t1", "Presence sync", sha256Hex(rotated), {Role::Supervisor}});
  // The cached token and a first verification of the other one both fail...
  auto cached = tokens.authenticate(before.access_token);
  ASSERT_FALSE(cached);
  EXPECT_EQ(cached.error().code, Errc::PermissionDenied);
  EXPECT_FALSE(tokens.authenticate(unused.access_token));
  // ...the old secret gets nothing, and the new one signs in.
  EXPECT_FALSE(tokens.clientCredentialsGrant(kClient, secret));
  auto after = tokens.clientCredentialsGrant(kClient, rotated);
  ASSERT_TRUE(after);
  EXPECT_TRUE(tokens.authenticate(after->access_token));
  // The token names the secret only through a digest of its stored hash.
  EXPECT_EQ(after->access_token.find(sha256Hex(rotated)), std::string::npos);
}

TEST_F(ClientCredentialsTest, ChangingTheRolesEndsTokensWithTheOldRoles) {
  auto before = tokens.clientCredentialsGrant(kClient, secret).value();
  ASSERT_TRUE(tokens.authenticate(before.access_token));  // cached from here on
  creds.putApp(AppRecord{kClient, "t1", "Presence sync", sha256Hex(secret), {Role::Agent}});
  auto cached = tokens.authenticate(before.access_token);
  ASSERT_FALSE(cached);
  EXPECT_EQ(cached.error().code, Errc::PermissionDenied);
  // The same secret signs in again and gets the new roles.
  auto after = tokens.clientCredentialsGrant(kClient, secret);
  ASSERT_TRUE(after);
  auto p = tokens.authenticate(after->access_token);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->roles, std::vector<Role>{Role::Agent});
  // Order and repetition of the stored roles do not matter.
  creds.putApp(AppRecord{kClient, "t1", "Renamed", sha256Hex(secret), {Role::Agent, Role::Agent}});
  EXPECT_TRUE(tokens.authenticate(after->access_token));
}

TEST_F(ClientCredentialsTest, UserTokensCarryNoClientId) {
  Principal alice{"u1", "u1", "t1", {Role::Agent}, AuthMethod::AccessToken};
  auto p = tokens.authenticate(tokens.issueAccessToken(alice).value());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->client_id.empty());
}

TEST(ClientIdTest, IsALowerCaseVersion4Guid) {
  const std::string id = TokenService::newClientId();
  ASSERT_EQ(id.size(), 36u);
  for (std::size_t i : {8u, 13u, 18u, 23u}) EXPECT_EQ(id[i], '-') << id;
  EXPECT_EQ(id[14], '4') << id;
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  for (char c : id) EXPECT_TRUE(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  EXPECT_NE(id, TokenService::newClientId());
  EXPECT_TRUE(TokenService::newClientSecret().starts_with("sbs_"));
}

TEST(ClientAuthTest, FormFields) {
  auto c = clientCredentialsOf(std::nullopt, {{"client_id", "abc"}, {"client_secret", "s3"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->client_id, "abc");
  EXPECT_EQ(c->client_secret, "s3");
  EXPECT_FALSE(c->basic);
  EXPECT_EQ(clientCredentialsOf(std::nullopt, {{"client_secret", "s"}}).error().field, "client_id");
  EXPECT_EQ(clientCredentialsOf(std::nullopt, {{"client_id", "a"}}).error().field, "client_secret");
}

TEST(ClientAuthTest, HttpBasicIsFormDecoded) {
  // RFC 6749 2.3.1: "a b:c" -> id "a+b" form-encoded, secret "s:/+" -> "s%3A%2F%2B".
  const std::string raw = "a+b:s%3A%2F%2B";
  std::string b64 = base64UrlEncode(raw);
  for (char& ch : b64) {
    if (ch == '-') ch = '+';
    if (ch == '_') ch = '/';
  }
  while (b64.size() % 4 != 0) b64 += '=';
  auto c = clientCredentialsOf("Basic " + b64, nlohmann::json::object());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->client_id, "a b");
  EXPECT_EQ(c->client_secret, "s:/+");
  EXPECT_TRUE(c->basic);
}

TEST(ClientAuthTest, RefusesTwoMethodsAndMalformedHeaders) {
  const std::string basic = "Basic " + base64UrlEncode("id:secret");
  EXPECT_EQ(clientCredentialsOf(basic, {{"client_id", "id"}}).error().field, "client_id");
  EXPECT_EQ(clientCredentialsOf("Bearer x", nlohmann::json::object()).error().field,
            "Authorization");
  EXPECT_EQ(clientCredentialsOf("Basic !!!", nlohmann::json::object()).error().field,
            "Authorization");
  EXPECT_EQ(clientCredentialsOf("Basic " + base64UrlEncode("no-colon"), nlohmann::json::object())
                .error()
                .field,
            "Authorization");
}

// A change notification's validation token verifies with the published keys and names the
// subscribing app as its audience, but a receiver cannot replay it as a bearer token.
TEST_F(ClientCredentialsTest, ValidationTokenVerifiesButIsNoAccessToken) {
  auto token = tokens.issueValidationToken("t1", kClient);
  ASSERT_TRUE(token) << token.error().message;
  auto claims = tokens.keyRing().verify(*token);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ((*claims)["aud"], kClient);
  EXPECT_EQ((*claims)["tid"], "t1");
  EXPECT_EQ((*claims)["azp"], TokenService::kNotificationsParty);
  EXPECT_EQ((*claims)["iss"], tokens.options().issuer);
  EXPECT_EQ((*claims)["exp"].get<std::int64_t>() - (*claims)["iat"].get<std::int64_t>(), 3600);
  EXPECT_FALSE(claims->contains("sub"));
  auto as_bearer = tokens.authenticate(*token);
  ASSERT_FALSE(as_bearer);
  EXPECT_EQ(as_bearer.error().code, Errc::PermissionDenied);
  EXPECT_EQ(as_bearer.error().message, "token is not an access token");
}

}  // namespace
}  // namespace sb::api
