// SPDX-License-Identifier: Apache-2.0
#include "sip/auth/digest.h"

#include <gtest/gtest.h>

namespace sb::sip {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(DigestTest, Rfc2617ExampleResponse) {
  // RFC 2617 §3.5: Mufasa / "Circle Of Life" in testrealm@host.com.
  const auto ha1 = digestHa1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(computeDigestResponse(DigestAlgorithm::Md5, ha1, "GET", "/dir/index.html",
                                  "dcd98b7102dd2f0e8b11d0f600bfb0c093", 1, "0a4f113b", "auth"),
            "6629fae49393a05397450978507c4ef1");
}

TEST(DigestTest, Rfc7616ExampleResponsesForMd5AndSha256) {
  // RFC 7616 §3.9.1.
  const char* nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  const char* cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  const auto md5 = digestHa1(DigestAlgorithm::Md5, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(computeDigestResponse(DigestAlgorithm::Md5, md5, "GET", "/dir/index.html", nonce, 1,
                                  cnonce, "auth"),
            "8ca523f5e9506fed4657c9700eebdbec");
  const auto sha = digestHa1(DigestAlgorithm::Sha256, "Mufasa", "http-auth@example.org",
                             "Circle of Life");
  EXPECT_EQ(computeDigestResponse(DigestAlgorithm::Sha256, sha, "GET", "/dir/index.html", nonce, 1,
                                  cnonce, "auth"),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(DigestTest, ParsesCredentialsWithQuotingAndAnyOrder) {
  auto r = parseDigestResponse(
      R"(Digest username="al\"ice",realm="demo.switchboard.test", nonce="abc", uri="sip:demo.switchboard.test", nc=0000000a, qop=auth, cnonce="x y", response="ff", algorithm=sha-256)");
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->username, "al\"ice");
  EXPECT_EQ(r->nc, 10u);
  EXPECT_EQ(r->cnonce, "x y");
  EXPECT_EQ(r->algorithm, DigestAlgorithm::Sha256);
}

TEST(DigestTest, ParseErrorsNameTheParameter) {
  auto missing = parseDigestResponse(R"(Digest username="a", realm="r", nonce="n", uri="u")");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "response");
  auto alg = parseDigestResponse(
      R"(Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512-256)");
  ASSERT_FALSE(alg);
  EXPECT_EQ(alg.error().field, "algorithm");
  auto nc = parseDigestResponse(
      R"(Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth, cnonce="c", nc=1)");
  ASSERT_FALSE(nc);
  EXPECT_EQ(nc.error().field, "nc");
  EXPECT_FALSE(parseDigestResponse("Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
  EXPECT_FALSE(parseDigestResponse(R"(Digest username="unterminated)"));
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  static constexpr const char* kRealm = "demo.switchboard.test";
  DigestAuthenticator auth_{DigestConfig{"test-secret", minutes(5), 1000}};
  MonoTime now_ = MonoTime{} + std::chrono::hours(10);

  // What a client does with one of our challenges.
  DigestResponse answer(const std::string& challenge, DigestAlgorithm alg, const char* password,
                        uint32_t nc = 1) {
    const auto start = challenge.find("nonce=\"") + 7;
    DigestResponse c;
    c.username = "alice";
    c.realm = kRealm;
    c.nonce = challenge.substr(start, challenge.find('"', start) - start);
    c.uri = "sip:demo.switchboard.test";
    c.cnonce = "0a4f113b";
    c.qop = "auth";
    c.nc = nc;
    c.algorithm = alg;
    c.response = computeDigestResponse(alg, digestHa1(alg, "alice", kRealm, password), "REGISTER",
                                       c.uri, c.nonce, nc, c.cnonce, c.qop);
    return c;
  }
  std::string ha1(DigestAlgorithm alg) { return digestHa1(alg, "alice", kRealm, "alice-demo"); }
};

TEST_F(AuthenticatorTest, ChallengeOffersSha256ThenMd5WithOneNonce) {
  auto c = auth_.challenge(kRealm, now_);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(c[0].find("algorithm=SHA-256"), std::string::npos);
  EXPECT_NE(c[1].find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(c[0].find("qop=\"auth\""), std::string::npos);
  auto nonce = [](const std::string& v) {
    const auto start = v.find("nonce=\"") + 7;
    return v.substr(start, v.find('"', start) - start);
  };
  EXPECT_EQ(nonce(c[0]), nonce(c[1]));
  EXPECT_EQ(nonce(c[0]).size(), 64u);
  EXPECT_EQ(c[0].find("stale"), std::string::npos);
  EXPECT_NE(auth_.challenge(kRealm, now_, true)[0].find("stale=true"), std::string::npos);
}

TEST_F(AuthenticatorTest, AcceptsTheRightPasswordForBothAlgorithms) {
  for (auto alg : {DigestAlgorithm::Sha256, DigestAlgorithm::Md5}) {
    auto c = auth_.challenge(kRealm, now_);
    auto cred = answer(c[alg == DigestAlgorithm::Sha256 ? 0 : 1], alg, "alice-demo");
    EXPECT_EQ(auth_.verify(cred, "REGISTER", kRealm, ha1(alg), now_), DigestVerdict::Ok);
  }
}

TEST_F(AuthenticatorTest, WrongPasswordIsBadResponse) {
  auto c = auth_.challenge(kRealm, now_);
  auto cred = answer(c[0], DigestAlgorithm::Sha256, "guess");
  EXPECT_EQ(auth_.verify(cred, "REGISTER", kRealm, ha1(DigestAlgorithm::Sha256), now_),
            DigestVerdict::BadResponse);
}

TEST_F(AuthenticatorTest, ReplayedNonceCountIsRefusedAndAHigherOneAccepted) {
  auto c = auth_.challenge(kRealm, now_);
  auto first = answer(c[0], DigestAlgorithm::Sha256, "alice-demo", 1);
  const auto h = ha1(DigestAlgorithm::Sha256);
  EXPECT_EQ(auth_.verify(first, "REGISTER", kRealm, h, now_), DigestVerdict::Ok);
  EXPECT_EQ(auth_.verify(first, "REGISTER", kRealm, h, now_), DigestVerdict::Replay);
  auto second = answer(c[0], DigestAlgorithm::Sha256, "alice-demo", 2);
  EXPECT_EQ(auth_.verify(second, "REGISTER", kRealm, h, now_ + seconds(30)), DigestVerdict::Ok);
}

TEST_F(AuthenticatorTest, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
  auto c = auth_.challenge(kRealm, now_);
  const auto later = now_ + minutes(5) + seconds(1);
  const auto h = ha1(DigestAlgorithm::Sha256);
  EXPECT_EQ(auth_.verify(answer(c[0], DigestAlgorithm::Sha256, "alice-demo"), "REGISTER", kRealm,
                         h, later),
            DigestVerdict::Stale);
  EXPECT_EQ(auth_.verify(answer(c[0], DigestAlgorithm::Sha256, "nope"), "REGISTER", kRealm, h,
                         later),
            DigestVerdict::BadResponse);
}

TEST_F(AuthenticatorTest, ForgedOrForeignNonceIsRejected) {
  auto c = auth_.challenge(kRealm, now_);
  auto cred = answer(c[0], DigestAlgorithm::Sha256, "alice-demo");
  cred.nonce[3] = cred.nonce[3] == 'a' ? 'b' : 'a';
  cred.response = computeDigestResponse(DigestAlgorithm::Sha256, ha1(DigestAlgorithm::Sha256),
                                        "REGISTER", cred.uri, cred.nonce, 1, cred.cnonce, "auth");
  EXPECT_EQ(auth_.verify(cred, "REGISTER", kRealm, ha1(DigestAlgorithm::Sha256), now_),
            DigestVerdict::BadNonce);
  DigestAuthenticator other(DigestConfig{"other-secret"});
  auto theirs = answer(other.challenge(kRealm, now_)[0], DigestAlgorithm::Sha256, "alice-demo");
  EXPECT_EQ(auth_.verify(theirs, "REGISTER", kRealm, ha1(DigestAlgorithm::Sha256), now_),
            DigestVerdict::BadNonce);
  // A nonce issued for another realm (tenant) does not work here.
  auto acme = answer(auth_.challenge("acme.switchboard.test", now_)[0], DigestAlgorithm::Sha256,
                     "alice-demo");
  EXPECT_EQ(auth_.verify(acme, "REGISTER", kRealm, ha1(DigestAlgorithm::Sha256), now_),
            DigestVerdict::BadNonce);
}

TEST_F(AuthenticatorTest, OnlyTheConfiguredAlgorithmsAreOfferedAndAccepted) {
  DigestConfig md5_only{"k", std::chrono::minutes(5), 100, {DigestAlgorithm::Md5}};
  DigestAuthenticator auth(md5_only);
  auto c = auth.challenge(kRealm, now_);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NE(c[0].find("algorithm=MD5"), std::string::npos);
  auto sha = answer(c[0], DigestAlgorithm::Sha256, "alice-demo");
  EXPECT_EQ(auth.verify(sha, "REGISTER", kRealm, ha1(DigestAlgorithm::Sha256), now_),
            DigestVerdict::BadNonce);
  auto md5 = answer(c[0], DigestAlgorithm::Md5, "alice-demo");
  EXPECT_EQ(auth.verify(md5, "REGISTER", kRealm, ha1(DigestAlgorithm::Md5), now_),
            DigestVerdict::Ok);
}

TEST_F(AuthenticatorTest, RealmMismatchIsMalformed) {
  auto cred = answer(auth_.challenge(kRealm, now_)[0], DigestAlgorithm::Sha256, "alice-demo");
  EXPECT_EQ(auth_.verify(cred, "REGISTER", "acme.switchboard.test", ha1(DigestAlgorithm::Sha256),
                         now_),
            DigestVerdict::Malformed);
}

TEST_F(AuthenticatorTest, MethodIsPartOfTheResponse) {
  auto cred = answer(auth_.challenge(kRealm, now_)[0], DigestAlgorithm::Sha256, "alice-demo");
  EXPECT_EQ(auth_.verify(cred, "INVITE", kRealm, ha1(DigestAlgorithm::Sha256), now_),
            DigestVerdict::BadResponse);
}

TEST(AuthFailureLimiterTest, DelaysThenBlocksThenForgets) {
  AuthFailureLimiter limiter(AuthLimiterConfig{minutes(5), 3, seconds(2), 5, minutes(15), 100});
  MonoTime t = MonoTime{} + std::chrono::hours(1);
  const std::string key = "src:127.0.0.1";
  for (int i = 0; i < 2; ++i) limiter.recordFailure(key, t);
  EXPECT_EQ(limiter.check(key, t).delay, Duration{0});
  limiter.recordFailure(key, t);
  EXPECT_EQ(limiter.check(key, t).delay, seconds(2));
  EXPECT_FALSE(limiter.check(key, t).blocked);
  limiter.recordFailure(key, t);
  limiter.recordFailure(key, t);
  EXPECT_TRUE(limiter.check(key, t).blocked);
  EXPECT_TRUE(limiter.check(key, t + minutes(14)).blocked);
  EXPECT_FALSE(limiter.check(key, t + minutes(16)).blocked);
  EXPECT_FALSE(limiter.check("src:127.0.0.2", t).blocked);
}

TEST(AuthFailureLimiterTest, SuccessClearsFailuresButNotABlock) {
  AuthFailureLimiter limiter(AuthLimiterConfig{minutes(5), 2, seconds(1), 3, minutes(1), 100});
  MonoTime t = MonoTime{} + std::chrono::hours(1);
  limiter.recordFailure("u", t);
  limiter.recordFailure("u", t);
  limiter.recordSuccess("u");
  EXPECT_EQ(limiter.check("u", t).delay, Duration{0});
  for (int i = 0; i < 3; ++i) limiter.recordFailure("u", t);
  limiter.recordSuccess("u");
  EXPECT_TRUE(limiter.check("u", t).blocked);
}

TEST(AuthFailureLimiterTest, WindowExpiryResetsTheCount) {
  AuthFailureLimiter limiter(AuthLimiterConfig{minutes(1), 2, seconds(1), 10, minutes(1), 100});
  MonoTime t = MonoTime{} + std::chrono::hours(1);
  limiter.recordFailure("k", t);
  limiter.recordFailure("k", t);
  EXPECT_EQ(limiter.check("k", t).delay, seconds(1));
  EXPECT_EQ(limiter.check("k", t + minutes(2)).delay, Duration{0});
}

}  // namespace
}  // namespace sb::sip
