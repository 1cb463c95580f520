// SPDX-License-Identifier: Apache-2.0
#include "registrar/registrar.h"

#include <gtest/gtest.h>

#include <map>

namespace sb::registrar {
namespace {

using std::chrono::seconds;
constexpr const char* kDomain = "demo.switchboard.test";

class FakeDirectory final : public Directory {
 public:
  FakeDirectory() {
    for (const char* user : {"alice", "bob"}) {
      const std::string password = std::string(user) + "-demo";
      users_[user] = {"demo", user,
                      sip::digestHa1(sip::DigestAlgorithm::Md5, user, kDomain, password),
                      sip::digestHa1(sip::DigestAlgorithm::Sha256, user, kDomain, password)};
    }
  }
  std::optional<std::string> tenantForDomain(std::string_view domain) const override {
    if (sip::iequals(domain, kDomain)) return "demo";
    return std::nullopt;
  }
  std::optional<UserCredentials> findUser(std::string_view tenant,
                                          std::string_view user) const override {
    auto it = users_.find(std::string(user));
    if (tenant != "demo" || it == users_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, UserCredentials> users_;
};

class RegistrarTest : public ::testing::Test {
 protected:
  FakeDirectory dir_;
  RegistrarConfig config_ = [] {
    RegistrarConfig c;
    c.digest.secret = "k";
    c.limiter.delay_after = 3;
    c.limiter.block_after = 6;
    return c;
  }();
  Registrar reg_{config_, dir_};
  MonoTime now_ = MonoTime{} + std::chrono::hours(5);
  WallTime wall_ = WallTime{} + std::chrono::hours(24 * 365 * 50);
  Source src_{"udp", "127.0.0.1", 5070};
  uint32_t cseq_ = 1;
  uint32_t nc_ = 0;
  std::string nonce_;

  static std::string text(const std::string& user, const std::vector<std::string>& contacts,
                          uint32_t cseq, const std::string& extra,
                          const std::string& call_id = "reg-1@host") {
    std::string m = "REGISTER sip:demo.switchboard.test SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" +
                    std::to_string(cseq) + call_id.substr(0, 3) +
                    "\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:" +
                    user + "@demo.switchboard.test>;tag=f1\r\n" + "To: <sip:" + user +
                    "@demo.switchboard.test>\r\n" + "Call-ID: " + call_id + "\r\n" +
                    "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
    for (const auto& c : contacts) m += "Contact: " + c + "\r\n";
    m += extra;
    m += "Content-Length: 0\r\n\r\n";
    return m;
  }

  // Sends a REGISTER, answering a 401 with credentials for `password` like a UA would.
  RegisterResult registerAs(const std::string& user, const std::string& password,
                            const std::vector<std::string>& contacts, const std::string& extra = "",
                            sip::DigestAlgorithm alg = sip::DigestAlgorithm::Sha256,
                            const std::string& call_id = "reg-1@host") {
    if (nonce_.empty()) {
      auto first = handle(text(user, contacts, cseq_++, extra, call_id));
      EXPECT_EQ(first.response->statusCode(), 401);
      auto www = first.response->headers(sip::HeaderId::WwwAuthenticate);
      const std::string challenge(www.at(0));
      const auto s = challenge.find("nonce=\"") + 7;
      nonce_ = challenge.substr(s, challenge.find('"', s) - s);
      nc_ = 0;
    }
    const uint32_t nc = ++nc_;
    const auto ha1 = sip::digestHa1(alg, user, kDomain, password);
    const auto response = sip::computeDigestResponse(alg, ha1, "REGISTER",
                                                     "sip:demo.switchboard.test", nonce_, nc,
                                                     "cn", "auth");
    char ncs[9];
    std::snprintf(ncs, sizeof(ncs), "%08x", nc);
    const std::string auth = "Authorization: Digest username=\"" + user +
                             "\", realm=\"demo.switchboard.test\", nonce=\"" + nonce_ +
                             "\", uri=\"sip:demo.switchboard.test\", response=\"" + response +
                             "\", algorithm=" + std::string(sip::digestAlgorithmName(alg)) +
                             ", cnonce=\"cn\", qop=auth, nc=" + ncs + "\r\n";
    return handle(text(user, contacts, cseq_++, extra + auth, call_id));
  }

  RegisterResult handle(const std::string& bytes) {
    auto msg = sip::Message::parse(bytes);
    EXPECT_TRUE(msg) << msg.error().toString();
    return reg_.handleRegister(*msg, src_, now_, wall_);
  }
};

TEST_F(RegistrarTest, UnauthenticatedRegisterIsChallengedWithBothAlgorithms) {
  auto r = handle(text("alice", {"<sip:alice@127.0.0.1:5070>"}, 1, ""));
  ASSERT_TRUE(r.response);
  EXPECT_EQ(r.response->statusCode(), 401);
  auto www = r.response->headers(sip::HeaderId::WwwAuthenticate);
  ASSERT_EQ(www.size(), 2u);
  EXPECT_NE(www[0].find("SHA-256"), std::string_view::npos);
  EXPECT_NE(www[1].find("MD5"), std::string_view::npos);
  EXPECT_FALSE(r.response->to()->tag.empty());
  EXPECT_EQ(reg_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, RegistersWithSha256AndMd5) {
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"});
  ASSERT_EQ(r.response->statusCode(), 200);
  ASSERT_EQ(r.upserted.size(), 1u);
  EXPECT_EQ(r.upserted[0].contact, "sip:alice@127.0.0.1:5070");
  EXPECT_EQ(r.upserted[0].source.port, 5070);
  auto contacts = r.response->contacts();
  ASSERT_TRUE(contacts);
  ASSERT_EQ(contacts->size(), 1u);
  EXPECT_EQ(contacts->at(0).expires, 3600u);
  nonce_.clear();
  auto md5 = registerAs("bob", "bob-demo", {"<sip:bob@127.0.0.1:5080>"}, "",
                        sip::DigestAlgorithm::Md5, "reg-2@host");
  EXPECT_EQ(md5.response->statusCode(), 200);
  EXPECT_TRUE(reg_.isRegistered("demo", "bob", now_));
}

TEST_F(RegistrarTest, WrongPasswordIs403AndRegistersNothing) {
  auto r = registerAs("alice", "wrong", {"<sip:alice@127.0.0.1:5070>"});
  EXPECT_EQ(r.response->statusCode(), 403);
  EXPECT_FALSE(reg_.isRegistered("demo", "alice", now_));
}

TEST_F(RegistrarTest, UnknownUserLooksLikeAWrongPassword) {
  auto r = registerAs("mallory", "x", {"<sip:mallory@127.0.0.1:5070>"});
  EXPECT_EQ(r.response->statusCode(), 403);
}

TEST_F(RegistrarTest, UserCannotRegisterSomeoneElsesAor) {
  // Credentials of bob for alice's AOR.
  auto first = handle(text("alice", {"<sip:x@127.0.0.1>"}, 1, ""));
  const std::string ch(first.response->headers(sip::HeaderId::WwwAuthenticate).at(0));
  const auto s = ch.find("nonce=\"") + 7;
  const auto nonce = ch.substr(s, ch.find('"', s) - s);
  const auto ha1 = sip::digestHa1(sip::DigestAlgorithm::Md5, "bob", kDomain, "bob-demo");
  const auto resp = sip::computeDigestResponse(sip::DigestAlgorithm::Md5, ha1, "REGISTER",
                                               "sip:demo.switchboard.test", nonce, 1, "c", "auth");
  auto r = handle(text("alice", {"<sip:x@127.0.0.1>"}, 2,
                       "Authorization: Digest username=\"bob\", realm=\"demo.switchboard.test\", "
                       "nonce=\"" + nonce + "\", uri=\"sip:demo.switchboard.test\", response=\"" +
                           resp + "\", cnonce=\"c\", qop=auth, nc=00000001\r\n"));
  EXPECT_EQ(r.response->statusCode(), 403);
  EXPECT_EQ(reg_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, UnknownDomainIs404) {
  std::string m = text("alice", {"<sip:a@127.0.0.1>"}, 1, "");
  m.replace(m.find("To: <sip:alice@demo.switchboard.test>"), 37, "To: <sip:alice@nowhere.test>");
  auto r = handle(m);
  EXPECT_EQ(r.response->statusCode(), 404);
}

TEST_F(RegistrarTest, SeveralContactsQueryAndStarUnregister) {
  auto r = registerAs("alice", "alice-demo",
                      {"<sip:alice@127.0.0.1:5070>;q=0.5", "<sip:alice@127.0.0.1:5072>"});
  ASSERT_EQ(r.response->statusCode(), 200);
  auto live = reg_.lookup("demo", "alice", now_);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].contact, "sip:alice@127.0.0.1:5072");  // q=1.0 first
  EXPECT_EQ(live[1].q, 500);
  // A query (no Contact) lists the bindings without changing them.
  auto q = registerAs("alice", "alice-demo", {});
  ASSERT_EQ(q.response->statusCode(), 200);
  EXPECT_EQ(q.response->contacts()->size(), 2u);
  EXPECT_TRUE(q.upserted.empty());
  // "*" needs Expires: 0.
  auto bad = registerAs("alice", "alice-demo", {"*"});
  EXPECT_EQ(bad.response->statusCode(), 400);
  auto star = registerAs("alice", "alice-demo", {"*"}, "Expires: 0\r\n");
  ASSERT_EQ(star.response->statusCode(), 200);
  EXPECT_EQ(star.removed.size(), 2u);
  EXPECT_FALSE(reg_.isRegistered("demo", "alice", now_));
}

TEST_F(RegistrarTest, ExpiresBelowMinimumIs423WithMinExpires) {
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>;expires=10"});
  ASSERT_EQ(r.response->statusCode(), 423);
  EXPECT_EQ(r.response->header("Min-Expires"), "60");
  EXPECT_EQ(reg_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, ExpiryRemovesBindingsAndLongRequestsAreCapped) {
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"}, "Expires: 99999\r\n");
  ASSERT_EQ(r.response->statusCode(), 200);
  EXPECT_EQ(r.response->contacts()->at(0).expires, 7200u);
  EXPECT_EQ(reg_.nextExpiry(), now_ + seconds(7200));
  EXPECT_TRUE(reg_.expire(now_ + seconds(7199)).empty());
  auto gone = reg_.expire(now_ + seconds(7200));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_FALSE(reg_.isRegistered("demo", "alice", now_ + seconds(7200)));
}

TEST_F(RegistrarTest, RefreshWithTheSameCallIdNeedsAHigherCSeq) {
  ASSERT_EQ(registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"}).response->statusCode(),
            200);
  cseq_ -= 1;  // replay the same CSeq with fresh credentials
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"});
  EXPECT_EQ(r.response->statusCode(), 500);
}

TEST_F(RegistrarTest, ContactExpiresZeroRemovesOneBinding) {
  registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>", "<sip:alice@127.0.0.1:5072>"});
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>;expires=0"});
  ASSERT_EQ(r.response->statusCode(), 200);
  ASSERT_EQ(r.removed.size(), 1u);
  EXPECT_EQ(reg_.lookup("demo", "alice", now_).size(), 1u);
}

TEST_F(RegistrarTest, PathIsStoredAndEchoedWhenSupported) {
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@10.0.0.5:5070>"},
                      "Path: <sip:edge.example;lr>\r\nSupported: path\r\n");
  ASSERT_EQ(r.response->statusCode(), 200);
  ASSERT_EQ(r.upserted.at(0).path.size(), 1u);
  EXPECT_EQ(r.upserted[0].path[0], "<sip:edge.example;lr>");
  EXPECT_EQ(r.response->header(sip::HeaderId::Path), "<sip:edge.example;lr>");
}

TEST_F(RegistrarTest, ContactParamsAndEscapedHeadersAreKept) {
  // RFC 4475 cparam02 / regescrt: URI parameters and escaped headers belong to the binding.
  auto r = registerAs("alice", "alice-demo",
                      {"<sip:alice@127.0.0.1:5070;unknownparam?Route=%3Csip:example.com%3E>"});
  ASSERT_EQ(r.response->statusCode(), 200);
  EXPECT_EQ(r.upserted.at(0).contact,
            "sip:alice@127.0.0.1:5070;unknownparam?Route=%3Csip:example.com%3E");
  // cparam01: a contact-param outside <> is not part of the URI.
  auto r2 = registerAs("alice", "alice-demo", {"sip:alice@127.0.0.1:5074;unknownparam"});
  ASSERT_EQ(r2.response->statusCode(), 200);
  EXPECT_EQ(r2.upserted.at(0).contact, "sip:alice@127.0.0.1:5074");
}

TEST_F(RegistrarTest, RepeatedFailuresAreSlowedThenBlocked) {
  for (int i = 0; i < 3; ++i) {
    nonce_.clear();
    auto r = registerAs("alice", "wrong", {"<sip:alice@127.0.0.1:5070>"});
    EXPECT_EQ(r.response->statusCode(), 403);
  }
  nonce_.clear();
  auto slowed = registerAs("alice", "wrong", {"<sip:alice@127.0.0.1:5070>"});
  EXPECT_GT(slowed.delay, Duration{0});
  for (int i = 0; i < 2; ++i) {
    nonce_.clear();
    registerAs("alice", "wrong", {"<sip:alice@127.0.0.1:5070>"});
  }
  // Six failures from this source: now blocked, answered 403 without a challenge.
  auto blocked = handle(text("alice", {"<sip:alice@127.0.0.1:5070>"}, 99, ""));
  EXPECT_EQ(blocked.response->statusCode(), 403);
  // Another source still gets challenged, but alice's AOR stays blocked for the right password.
  src_.address = "127.0.0.2";
  nonce_.clear();
  auto locked = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"});
  EXPECT_EQ(locked.response->statusCode(), 403);
  now_ += std::chrono::minutes(16);
  nonce_.clear();
  EXPECT_EQ(registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"}).response->statusCode(),
            200);
}

TEST_F(RegistrarTest, RestoreKeepsUnexpiredBindingsAcrossARestart) {
  auto r = registerAs("alice", "alice-demo", {"<sip:alice@127.0.0.1:5070>"}, "Expires: 600\r\n");
  auto persisted = r.upserted;
  Registrar restarted(config_, dir_);
  const MonoTime later_mono = MonoTime{} + std::chrono::hours(1);  // a new process's clock
  restarted.restore(persisted, later_mono, wall_ + seconds(100));
  auto live = restarted.lookup("demo", "alice", later_mono);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].expires_at, later_mono + seconds(500));
  Registrar too_late(config_, dir_);
  too_late.restore(persisted, later_mono, wall_ + seconds(601));
  EXPECT_EQ(too_late.bindingCount(), 0u);
}

TEST_F(RegistrarTest, NonSipAorIs400) {
  std::string m = text("alice", {"<sip:a@127.0.0.1>"}, 1, "");
  m.replace(m.find("To: <sip:alice@demo.switchboard.test>"), 37, "To: <http://www.example.com>");
  EXPECT_EQ(handle(m).response->statusCode(), 400);
}

}  // namespace
}  // namespace sb::registrar
