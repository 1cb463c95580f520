// SPDX-License-Identifier: Apache-2.0
#include "oidc/provider.h"

#include <map>

#include <gtest/gtest.h>

#include "oidc/testing/test_signer.h"

namespace sb::oidc {
namespace {

using testing::TestSigner;

// Serves canned replies by "METHOD URL-without-query"; records every call.
class FakeHttp final : public HttpClient {
 public:
  Result<HttpReply> send(const HttpCall& call) override {
    calls.push_back(call);
    std::string key = call.method + " " + call.url.substr(0, call.url.find('?'));
    auto it = replies.find(key);
    if (it == replies.end()) return fail(Errc::Unavailable, "connection refused: " + key);
    return it->second;
  }
  void json(const std::string& key, const nlohmann::json& body, int status = 200) {
    replies[key] = HttpReply{status, "application/json", body.dump()};
  }
  int count(const std::string& url) const {
    int n = 0;
    for (const auto& c : calls) n += c.url == url;
    return n;
  }
  std::map<std::string, HttpReply> replies;
  std::vector<HttpCall> calls;
};

constexpr const char* kIssuer = "https://idp.example/tenant";

class ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_.json(std::string("GET ") + kIssuer + "/.well-known/openid-configuration",
               {{"issuer", kIssuer},
                {"authorization_endpoint", std::string(kIssuer) + "/auth"},
                {"token_endpoint", std::string(kIssuer) + "/token"},
                {"jwks_uri", std::string(kIssuer) + "/jwks"},
                {"id_token_signing_alg_values_supported", {"RS256", "ES256"}}});
    publish({key1_.jwk()});
  }
  void publish(const std::vector<nlohmann::json>& keys) {
    http_.json(std::string("GET ") + kIssuer + "/jwks", {{"keys", keys}});
  }
  ProviderConfig config() const {
    ProviderConfig c;
    c.issuer = kIssuer;
    c.client_id = "switchboard";
    c.client_secret = "s3cret:+";
    c.redirect_uri = "https://sb.example/api/v1/auth/oidc/callback";
    c.jwks_min_refresh = std::chrono::seconds(10);
    return c;
  }
  std::unique_ptr<Provider> make(ProviderConfig c) {
    auto p = Provider::create(std::move(c), http_, clock_);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return std::move(*p);
  }
  nlohmann::json claims(const std::string& nonce) const {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
            .count();
    return {{"iss", kIssuer},   {"sub", "u-1"}, {"aud", "switchboard"},
            {"exp", now + 300}, {"iat", now},   {"nonce", nonce}};
  }

  FakeHttp http_;
  ManualClock clock_;
  TestSigner key1_ = TestSigner::rsa("k1");
};

TEST_F(ProviderTest, ValidatesConfig) {
  auto c = config();
  c.issuer = "http://idp.example";
  EXPECT_EQ(Provider::create(c, http_, clock_).error().field, "issuer");  // http only on loopback
  c.issuer = "http://127.0.0.1:4000";
  EXPECT_TRUE(Provider::create(c, http_, clock_));
  c = config();
  c.client_secret.clear();
  EXPECT_EQ(Provider::create(c, http_, clock_).error().field, "client_secret");
  c.client_auth = ClientAuth::None;
  EXPECT_TRUE(Provider::create(c, http_, clock_));
  c = config();
  c.client_id.clear();
  EXPECT_EQ(Provider::create(c, http_, clock_).error().field, "client_id");
  c = config();
  c.redirect_uri = "/relative";
  EXPECT_EQ(Provider::create(c, http_, clock_).error().field, "redirect_uri");
  EXPECT_EQ(clientAuthFromName("client_secret_post"), ClientAuth::ClientSecretPost);
  EXPECT_EQ(clientAuthFromName("private_key_jwt"), std::nullopt);
}

TEST_F(ProviderTest, DiscoveryIsCachedAndChecked) {
  auto p = make(config());
  ASSERT_TRUE(p->discovery());
  ASSERT_TRUE(p->discovery());
  const std::string url = std::string(kIssuer) + "/.well-known/openid-configuration";
  EXPECT_EQ(http_.count(url), 1);
  clock_.advance(std::chrono::hours(2));  // past discovery_ttl
  ASSERT_TRUE(p->discovery());
  EXPECT_EQ(http_.count(url), 2);

  EXPECT_FALSE(parseDiscovery(R"({"issuer":"https://other.example"})", kIssuer));
  EXPECT_FALSE(parseDiscovery("not json", kIssuer));
  auto plain = parseDiscovery(
      R"({"issuer":"https://i","authorization_endpoint":"http://i/auth","token_endpoint":"https://i/t","jwks_uri":"https://i/k"})",
      "https://i");
  ASSERT_FALSE(plain);  // a non-loopback endpoint over http
  EXPECT_NE(plain.error().message.find("authorization_endpoint"), std::string::npos);
}

TEST_F(ProviderTest, AuthorizationUrlCarriesPkceStateAndNonce) {
  auto p = make(config());
  ManualClock c;
  PendingLoginStore logins(c);
  auto login = logins.begin("", "demo");
  auto url = p->authorizationUrl(login);
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->rfind(std::string(kIssuer) + "/auth?response_type=code&", 0), 0u) << *url;
  EXPECT_NE(url->find("client_id=switchboard"), std::string::npos);
  EXPECT_NE(url->find("redirect_uri=https%3A%2F%2Fsb.example%2Fapi%2Fv1%2Fauth%2Foidc%2Fcallback"),
            std::string::npos);
  EXPECT_NE(url->find("scope=openid%20profile%20email"), std::string::npos);
  EXPECT_NE(url->find("state=" + login.state), std::string::npos);
  EXPECT_NE(url->find("nonce=" + login.nonce), std::string::npos);
  EXPECT_NE(url->find("code_challenge=" + codeChallengeS256(login.code_verifier)),
            std::string::npos);
  EXPECT_NE(url->find("code_challenge_method=S256"), std::string::npos);
  EXPECT_EQ(url->find(login.code_verifier), std::string::npos);  // the verifier stays here
}

TEST_F(ProviderTest, ExchangesCodeWithClientSecretBasic) {
  http_.json(std::string("POST ") + kIssuer + "/token",
             {{"id_token", "a.b.c"}, {"access_token", "at"}, {"token_type", "Bearer"}});
  auto p = make(config());
  auto r = p->exchangeCode("the-code", "the-verifier");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id_token, "a.b.c");
  const auto& call = http_.calls.back();
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.body,
            "grant_type=authorization_code&code=the-code&redirect_uri=https%3A%2F%2Fsb.example%2F"
            "api%2Fv1%2Fauth%2Foidc%2Fcallback&code_verifier=the-verifier");
  bool basic = false;
  for (const auto& [k, v] : call.headers) {
    // base64("switchboard:s3cret%3A%2B"): RFC 6749 §2.3.1 form-encodes before Basic.
    basic = basic || (k == "Authorization" && v == "Basic c3dpdGNoYm9hcmQ6czNjcmV0JTNBJTJC");
  }
  EXPECT_TRUE(basic);
}

TEST_F(ProviderTest, ExchangesCodeWithClientSecretPostAndAsPublicClient) {
  http_.json(std::string("POST ") + kIssuer + "/token", {{"id_token", "a.b.c"}});
  auto c = config();
  c.client_auth = ClientAuth::ClientSecretPost;
  ASSERT_TRUE(make(c)->exchangeCode("x", "v"));
  EXPECT_NE(http_.calls.back().body.find("&client_id=switchboard&client_secret=s3cret%3A%2B"),
            std::string::npos);
  c.client_auth = ClientAuth::None;
  c.client_secret.clear();
  ASSERT_TRUE(make(c)->exchangeCode("x", "v"));
  EXPECT_NE(http_.calls.back().body.find("&client_id=switchboard"), std::string::npos);
  EXPECT_EQ(http_.calls.back().body.find("client_secret"), std::string::npos);
  for (const auto& [k, v] : http_.calls.back().headers) EXPECT_NE(k, "Authorization");
}

TEST_F(ProviderTest, RefusedCodeIsPermissionDenied) {
  http_.json(std::string("POST ") + kIssuer + "/token",
             {{"error", "invalid_grant"}, {"error_description", "PKCE verification failed"}}, 400);
  auto r = make(config())->exchangeCode("x", "wrong");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::PermissionDenied);
  EXPECT_NE(r.error().message.find("invalid_grant"), std::string::npos);
  EXPECT_NE(r.error().message.find("PKCE verification failed"), std::string::npos);
  http_.json(std::string("POST ") + kIssuer + "/token", {{"access_token", "only"}});
  EXPECT_EQ(make(config())->exchangeCode("x", "v").error().code, Errc::Unavailable);
}

TEST_F(ProviderTest, VerifiesIdTokenWithFetchedKeys) {
  auto p = make(config());
  auto r = p->verifyIdToken(key1_.sign(claims("n1")), "n1");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject, "u-1");
  EXPECT_FALSE(p->verifyIdToken(key1_.sign(claims("n1")), "n2"));
  EXPECT_EQ(p->jwksFetches(), 1u);
}

TEST_F(ProviderTest, KeyRotationRefreshesJwksOnUnknownKidRateLimited) {
  auto p = make(config());
  ASSERT_TRUE(p->verifyIdToken(key1_.sign(claims("n")), "n"));
  EXPECT_EQ(p->jwksFetches(), 1u);

  // The provider rotates to k2 (k1 retired).
  auto key2 = TestSigner::ec("k2");
  publish({key2.jwk()});
  clock_.advance(std::chrono::seconds(11));
  auto r = p->verifyIdToken(key2.sign(claims("n")), "n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(p->jwksFetches(), 2u);
  // Known kid: no fetch.
  ASSERT_TRUE(p->verifyIdToken(key2.sign(claims("n")), "n"));
  EXPECT_EQ(p->jwksFetches(), 2u);

  // A burst of unknown kids right after a fetch does not refetch.
  auto key3 = TestSigner::rsa("k3");
  publish({key2.jwk(), key3.jwk()});
  for (int i = 0; i < 5; ++i) {
    auto bad = p->verifyIdToken(key3.sign(claims("n")), "n");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("no provider key with kid 'k3'"), std::string::npos);
  }
  EXPECT_EQ(p->jwksFetches(), 2u);
  clock_.advance(std::chrono::seconds(10));
  EXPECT_TRUE(p->verifyIdToken(key3.sign(claims("n")), "n"));
  EXPECT_EQ(p->jwksFetches(), 3u);
}

TEST_F(ProviderTest, KeepsOldKeysWhenARefreshFails) {
  auto p = make(config());
  ASSERT_TRUE(p->verifyIdToken(key1_.sign(claims("n")), "n"));
  http_.replies.erase(std::string("GET ") + kIssuer + "/jwks");
  clock_.advance(std::chrono::seconds(11));
  auto other = TestSigner::rsa("k9");
  EXPECT_FALSE(p->verifyIdToken(other.sign(claims("n")), "n"));
  EXPECT_TRUE(p->verifyIdToken(key1_.sign(claims("n")), "n"));
}

TEST_F(ProviderTest, UnreachableProviderIsUnavailable) {
  http_.replies.clear();
  auto p = make(config());
  auto r = p->verifyIdToken(key1_.sign(claims("n")), "n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
  ManualClock c;
  PendingLoginStore logins(c);
  EXPECT_EQ(p->authorizationUrl(logins.begin("", "")).error().code, Errc::Unavailable);
}

}  // namespace
}  // namespace sb::oidc
