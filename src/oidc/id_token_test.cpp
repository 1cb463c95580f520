// SPDX-License-Identifier: Apache-2.0
#include "oidc/id_token.h"

#include <gtest/gtest.h>

#include "oidc/testing/test_signer.h"

namespace sb::oidc {
namespace {

using testing::TestSigner;

constexpr std::int64_t kNow = 1'700'000'000;

class IdTokenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestSigner(TestSigner::rsa("rsa-1"));
    ec_ = new TestSigner(TestSigner::ec("ec-1"));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
  }

  nlohmann::json claims() const {
    return {{"iss", "https://idp.example"},
            {"sub", "248289761001"},
            {"aud", "switchboard"},
            {"exp", kNow + 300},
            {"iat", kNow - 5},
            {"nonce", "n-0S6_WzA2Mj"},
            {"preferred_username", "alice"},
            {"tid", "demo"}};
  }
  IdTokenExpectations expect() const {
    IdTokenExpectations e;
    e.issuer = "https://idp.example";
    e.audience = "switchboard";
    e.nonce = "n-0S6_WzA2Mj";
    e.now = WallTime{} + std::chrono::seconds(kNow);
    return e;
  }
  KeyLookup keys() const {
    return [this](const std::string&) -> Result<std::vector<PublicJwk>> {
      ++lookups_;
      std::vector<PublicJwk> out;
      for (const auto& j : published_) out.push_back(PublicJwk::fromJson(j).value());
      return out;
    };
  }
  Result<IdTokenClaims> verify(const std::string& token) const {
    return verifyIdToken(token, keys(), expect());
  }
  void expectDenied(const std::string& token, const std::string& fragment) const {
    auto r = verify(token);
    ASSERT_FALSE(r) << "accepted a token that should fail: " << fragment;
    EXPECT_EQ(r.error().code, Errc::PermissionDenied);
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
  }

  static TestSigner* rsa_;
  static TestSigner* ec_;
  std::vector<nlohmann::json> published_{rsa_->jwk(), ec_->jwk()};
  mutable int lookups_ = 0;
};

TestSigner* IdTokenTest::rsa_ = nullptr;
TestSigner* IdTokenTest::ec_ = nullptr;

TEST_F(IdTokenTest, AcceptsRs256AndReturnsClaims) {
  auto r = verify(rsa_->sign(claims()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject, "248289761001");
  EXPECT_EQ(r->issuer, "https://idp.example");
  EXPECT_EQ(r->alg, "RS256");
  EXPECT_EQ(r->kid, "rsa-1");
  EXPECT_EQ(r->stringClaim("preferred_username"), "alice");
  EXPECT_EQ(r->stringClaim("tid"), "demo");
  EXPECT_EQ(r->stringClaim("missing"), "");
  EXPECT_EQ(r->expires_at, WallTime{} + std::chrono::seconds(kNow + 300));
}

TEST_F(IdTokenTest, AcceptsEs256) {
  auto r = verify(ec_->sign(claims()));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->alg, "ES256");
}

TEST_F(IdTokenTest, AcceptsTokenWithoutKidWhenAKeyVerifies) {
  auto r = verify(rsa_->sign(claims(), {{"kid", nullptr}}));
  ASSERT_TRUE(r) << r.error().message;
}

TEST_F(IdTokenTest, RejectsAlgNone) {
  expectDenied(testing::unsignedToken(claims()), "algorithm 'none'");
  EXPECT_EQ(lookups_, 0);  // refused before any key is looked at
}

TEST_F(IdTokenTest, RejectsHs256SignedWithTheRsaPublicKeyAsSecret) {
  // The classic key-confusion forgery: a verifier that feeds "the key" to whatever alg the
  // header names would accept this, since the public key is public.
  const std::string pem = rsa_->publicPem();
  ASSERT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  expectDenied(
      testing::signHs256({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "rsa-1"}}, claims(), pem),
      "algorithm 'HS256'");
  // The same with the JWK's modulus bytes and the JSON JWK as secrets.
  expectDenied(
      testing::signHs256({{"alg", "HS256"}, {"kid", "rsa-1"}}, claims(), rsa_->jwk().dump()),
      "algorithm 'HS256'");
}

TEST_F(IdTokenTest, RejectsOtherAlgorithms) {
  for (const char* alg : {"HS384", "HS512", "RS384", "PS256", "ES384", "EdDSA", "", "rs256"}) {
    expectDenied(rsa_->signClaimingAlg(claims(), alg), "algorithm");
  }
}

TEST_F(IdTokenTest, RejectsAlgThatDoesNotFitTheKey) {
  // An RSA signature labelled ES256 (and the reverse) finds no key of that kind.
  expectDenied(rsa_->sign(claims(), {{"alg", "ES256"}}), "no provider key");
  expectDenied(ec_->sign(claims(), {{"alg", "RS256"}}), "no provider key");
}

TEST_F(IdTokenTest, RejectsBadSignature) {
  std::string token = rsa_->sign(claims());
  // Change the payload but keep the signature.
  auto tampered = claims();
  tampered["sub"] = "admin";
  std::string other = rsa_->sign(tampered);
  std::string forged = other.substr(0, other.rfind('.')) + token.substr(token.rfind('.'));
  expectDenied(forged, "signature does not verify");
  // A token signed by a key the provider does not publish, under a published kid.
  auto stranger = TestSigner::rsa("rsa-1");
  expectDenied(stranger.sign(claims()), "signature does not verify");
  // ES256 signature of the wrong length.
  std::string es = ec_->sign(claims());
  expectDenied(es.substr(0, es.rfind('.') + 1) + base64UrlEncode(std::string(63, 'x')),
               "signature does not verify");
}

TEST_F(IdTokenTest, RejectsUnknownKid) {
  expectDenied(rsa_->sign(claims(), {{"kid", "rotated-away"}}), "no provider key with kid");
}

TEST_F(IdTokenTest, RejectsWrongIssuer) {
  auto c = claims();
  c["iss"] = "https://evil.example";
  expectDenied(rsa_->sign(c), "issuer");
  c["iss"] = "https://idp.example/";  // exact match only
  expectDenied(rsa_->sign(c), "issuer");
}

TEST_F(IdTokenTest, RejectsWrongAudience) {
  auto c = claims();
  c["aud"] = "another-client";
  expectDenied(rsa_->sign(c), "audience");
  c["aud"] = nlohmann::json::array({"another-client", "third"});
  expectDenied(rsa_->sign(c), "audience");
  c.erase("aud");
  expectDenied(rsa_->sign(c), "audience");
}

TEST_F(IdTokenTest, MultipleAudiencesNeedAzpOfThisClient) {
  auto c = claims();
  c["aud"] = nlohmann::json::array({"switchboard", "other"});
  expectDenied(rsa_->sign(c), "authorized party");
  c["azp"] = "other";
  expectDenied(rsa_->sign(c), "authorized party");
  c["azp"] = "switchboard";
  EXPECT_TRUE(verify(rsa_->sign(c)));
}

TEST_F(IdTokenTest, RejectsExpiredWithinSkewRules) {
  auto c = claims();
  c["exp"] = kNow - 61;  // beyond the 60 s skew
  expectDenied(rsa_->sign(c), "expired");
  c["exp"] = kNow - 30;  // within the skew: accepted
  EXPECT_TRUE(verify(rsa_->sign(c)));
  c.erase("exp");
  expectDenied(rsa_->sign(c), "no expiry");
}

TEST_F(IdTokenTest, RejectsNotYetValid) {
  auto c = claims();
  c["nbf"] = kNow + 120;
  expectDenied(rsa_->sign(c), "not valid yet");
  c["nbf"] = kNow + 30;
  EXPECT_TRUE(verify(rsa_->sign(c)));
  c["iat"] = kNow + 600;
  expectDenied(rsa_->sign(c), "future");
}

TEST_F(IdTokenTest, RejectsTokensIssuedLongAgo) {
  auto c = claims();
  c["iat"] = kNow - 3600;
  c["exp"] = kNow + 3600;
  expectDenied(rsa_->sign(c), "too old");
}

TEST_F(IdTokenTest, RejectsWrongOrMissingNonce) {
  auto c = claims();
  c["nonce"] = "other-nonce";
  expectDenied(rsa_->sign(c), "nonce");
  c.erase("nonce");
  expectDenied(rsa_->sign(c), "nonce");
  // An empty expected nonce never matches (a login must always have sent one).
  auto e = expect();
  e.nonce = "";
  c["nonce"] = "";
  EXPECT_FALSE(verifyIdToken(rsa_->sign(c), keys(), e));
}

TEST_F(IdTokenTest, RejectsMissingSubjectAndCriticalHeaders) {
  auto c = claims();
  c.erase("sub");
  expectDenied(rsa_->sign(c), "subject");
  expectDenied(rsa_->sign(claims(), {{"crit", nlohmann::json::array({"exp"})}}), "critical");
}

TEST_F(IdTokenTest, RejectsMalformedTokens) {
  for (const char* t : {"", "abc", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30", "W10.e30.AA"}) {
    auto r = verify(t);
    EXPECT_FALSE(r) << t;
  }
}

TEST_F(IdTokenTest, PassesKeyLookupErrorsOn) {
  KeyLookup failing = [](const std::string&) -> Result<std::vector<PublicJwk>> {
    return fail(Errc::Unavailable, "jwks down");
  };
  auto r = verifyIdToken(rsa_->sign(claims()), failing, expect());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::Unavailable);
}

}  // namespace
}  // namespace sb::oidc
