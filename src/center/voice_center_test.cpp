// SPDX-License-Identifier: Apache-2.0
#include "center/voice_center.h"

#include <gtest/gtest.h>

#include "b2bua/testing/wire.h"
#include "sip/transaction/testing/fake_transaction_env.h"

namespace sb::center {
namespace {

using std::chrono::seconds;

class Env final : public b2bua::B2buaEnvironment, public CenterEnvironment {
 public:
  std::string viaFor(const sip::SendTarget&) override { return "SIP/2.0/UDP 127.0.0.1:5060"; }
  std::string contactFor(const sip::SendTarget&) override { return "<sip:127.0.0.1:5060>"; }
  std::optional<sip::SendTarget> resolve(std::string_view uri) override {
    auto u = sip::parseUri(uri);
    if (!u) return std::nullopt;
    return sip::SendTarget{"UDP", std::string(u->host), u->port ? u->port : uint16_t{5060}};
  }
  void startTimer(uint64_t key, Duration d) override { timers[key] = d; }
  void cancelTimer(uint64_t key) override { timers.erase(key); }
  std::map<uint64_t, Duration> timers;
};

class MemoryStore final : public CenterStore {
 public:
  void writeRecord(const InteractionRecord& r) override { records.push_back(r); }
  void saveBinding(const registrar::Binding& b) override { bindings.push_back(b); }
  void removeBinding(const registrar::Binding&) override {}
  std::vector<registrar::Binding> loadBindings() override { return {}; }
  std::optional<SavedAgentState> loadAgentState(const std::string& tenant,
                                                const std::string& user) override {
    auto it = agent_states.find(tenant + "/" + user);
    if (it == agent_states.end()) return std::nullopt;
    return it->second;
  }
  std::vector<InteractionRecord> records;
  std::vector<registrar::Binding> bindings;
  std::map<std::string, SavedAgentState> agent_states;  // "tenant/user"
};

std::shared_ptr<const Directory> demoDirectory(Duration max_wait = seconds(60),
                                               std::string overflow = "") {
  TenantSpec t;
  t.id = "demo";
  t.domain = "demo.switchboard.test";
  t.copy_headers = {"Diversion"};
  int position = 0;
  QueueSpecLite q;
  q.id = "support";
  q.routing.id = queueIdFor("demo", "support");
  q.routing.tenant = routing::TenantId("demo");
  q.routing.strategy = routing::Strategy::Linear;
  q.routing.skills = {{"support", 1}};
  q.routing.reservation_timeout = seconds(15);
  q.routing.wrap_up_time = seconds(5);
  q.routing.max_wait = max_wait;
  for (const char* name : {"alice", "bob", "carol", "dave"}) {
    UserSpec u;
    u.id = name;
    const std::string n = name;
    u.extension = n == "alice" ? "1001" : n == "bob" ? "1002" : n == "carol" ? "1003" : "1004";
    u.role = std::string(name) == "dave" ? UserRole::Sme : UserRole::Agent;
    setPassword(u, t.domain, std::string(name) + "-demo");
    if (n == "carol") {
      u.queues = {"backup"};  // no support skill: never eligible for support
    } else if (u.role == UserRole::Agent) {
      u.skills = {{"support", 5}};
      u.queues = {"support"};
      q.routing.members.push_back({agentIdFor("demo", name), 0, position++, 1.0});
    }
    t.users.push_back(u);
  }
  q.overflow_queue = overflow;
  t.queues.push_back(q);
  QueueSpecLite backup;
  backup.id = "backup";
  backup.routing.id = queueIdFor("demo", "backup");
  backup.routing.tenant = routing::TenantId("demo");
  backup.routing.members.push_back({agentIdFor("demo", "carol"), 0, 0, 1.0});
  t.queues.push_back(backup);
  t.numbers.push_back({"+15550100", "support"});
  TrunkSpec trunk;
  trunk.id = "carrier";
  trunk.tenants = {"demo"};
  trunk.sources = {{"127.0.0.1", 5080}};
  trunk.outbound_address = "127.0.0.1";
  trunk.outbound_port = 5080;
  t.outbound_trunk = "carrier";
  return std::make_shared<const Directory>(std::vector<TenantSpec>{t}, std::vector<TrunkSpec>{trunk});
}

class VoiceCenterTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  b2bua::testing::Wire sender_;
  sip::testing::FakeTimerService txn_timers_{clock_};
  Env env_;
  MemoryStore store_;
  routing::Engine engine_;
  std::unique_ptr<VoiceCenter> center_;
  std::unique_ptr<b2bua::B2bua> b2bua_;
  std::unique_ptr<sip::TransactionLayer> layer_;
  const sip::SendTarget trunk_{"UDP", "127.0.0.1", 5080};

  // The B2BUA calls back into the center and the center into the B2BUA: tie them together.
  class Forward final : public b2bua::CallListener {
   public:
    VoiceCenter* center = nullptr;
    void onIncomingCall(b2bua::CallHandle c, const sip::Message& m,
                        const sip::SendTarget& s) override {
      center->onIncomingCall(c, m, s);
    }
    void onConnectFailed(b2bua::CallHandle c, int code) override { center->onConnectFailed(c, code); }
    void onAnswered(b2bua::CallHandle c, const std::string& u) override { center->onAnswered(c, u); }
    void onEnded(b2bua::CallHandle c, b2bua::EndReason r) override { center->onEnded(c, r); }
    void onHold(b2bua::CallHandle c, b2bua::Side s, bool on) override { center->onHold(c, s, on); }
  } forward_;

  // REGISTERs go to the center, everything else to the B2BUA.
  class Router final : public sip::TransactionUser {
   public:
    VoiceCenter* center = nullptr;
    b2bua::B2bua* b2bua = nullptr;
    void onRequest(sip::TransactionHandle t, const sip::Message& m, const sip::SendTarget& s) override {
      if (m.method() == sip::Method::Register) {
        center->handleRegister(t, m, s);
      } else {
        b2bua->onRequest(t, m, s);
      }
    }
    void onResponse(sip::TransactionHandle t, const sip::Message& m) override { b2bua->onResponse(t, m); }
    void onStrayResponse(const sip::Message& m, const sip::SendTarget& s) override {
      b2bua->onStrayResponse(m, s);
    }
    void onTimeout(sip::TransactionHandle t) override { b2bua->onTimeout(t); }
    void onTransportError(sip::TransactionHandle t, const Error& e) override {
      b2bua->onTransportError(t, e);
    }
    void onTerminated(sip::TransactionHandle t) override { b2bua->onTerminated(t); }
  } router_;

  void build(std::shared_ptr<const Directory> dir) {
    b2bua_ = std::make_unique<b2bua::B2bua>(forward_, env_, clock_);
    layer_ = std::make_unique<sip::TransactionLayer>(router_, sender_, txn_timers_);
    b2bua_->attach(*layer_);
    VoiceCenterOptions opt;
    opt.registrar.digest.secret = "s";
    opt.invite_digest.secret = "s2";
    center_ = std::make_unique<VoiceCenter>(dir, *b2bua_, *layer_, engine_, env_, store_, clock_, opt);
    forward_.center = center_.get();
    router_.center = center_.get();
    router_.b2bua = b2bua_.get();
    ASSERT_TRUE(center_->start());
  }
  void SetUp() override { build(demoDirectory()); }

  void deliver(const std::string& text, const sip::SendTarget& from) {
    auto m = sip::Message::parse(text);
    ASSERT_TRUE(m) << m.error().toString() << "\n" << text;
    ASSERT_TRUE(layer_->onMessage(*m, from, clock_.now()));
  }
  void deliver(const sip::Message& m, const sip::SendTarget& from) {
    ASSERT_TRUE(layer_->onMessage(m, from, clock_.now()));
  }
  std::optional<sip::Message> takeOne(uint16_t port, std::string_view what) {
    return sender_.takeOne(port, what);
  }
  void advance(Duration d) {
    clock_.advance(d);
    if (env_.timers.contains(1)) center_->onTimer(1);
  }

  static std::string digestHeader(const std::string& header, const std::string& user,
                                  const std::string& method, const std::string& uri,
                                  const std::string& challenge) {
    const auto s = challenge.find("nonce=\"") + 7;
    const std::string nonce = challenge.substr(s, challenge.find('"', s) - s);
    const auto ha1 = sip::digestHa1(sip::DigestAlgorithm::Sha256, user, "demo.switchboard.test",
                                    user + "-demo");
    const auto resp = sip::computeDigestResponse(sip::DigestAlgorithm::Sha256, ha1, method, uri,
                                                 nonce, 1, "cn", "auth");
    return header + ": Digest username=\"" + user + "\", realm=\"demo.switchboard.test\", nonce=\"" +
           nonce + "\", uri=\"" + uri + "\", response=\"" + resp +
           "\", algorithm=SHA-256, cnonce=\"cn\", qop=auth, nc=00000001\r\n";
  }

  // Registers `user` from 127.0.0.1:`port` with digest, as a softphone does.
  void registerAgent(const std::string& user, uint16_t port) {
    auto text = [&](int cseq, const std::string& auth) {
      return "REGISTER sip:demo.switchboard.test SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port) + ";branch=z9hG4bKr" +
             std::to_string(cseq) + user + "\r\nMax-Forwards: 70\r\n"
             "From: <sip:" + user + "@demo.switchboard.test>;tag=r" + user + "\r\n"
             "To: <sip:" + user + "@demo.switchboard.test>\r\n"
             "Call-ID: reg-" + user + "\r\nCSeq: " + std::to_string(cseq) + " REGISTER\r\n"
             "Contact: <sip:" + user + "@127.0.0.1:" + std::to_string(port) + ">\r\n" + auth +
             "Content-Length: 0\r\n\r\n";
    };
    const sip::SendTarget from{"UDP", "127.0.0.1", port};
    deliver(text(1, ""), from);
    auto challenge = takeOne(port, "401");
    ASSERT_TRUE(challenge);
    deliver(text(2, digestHeader("Authorization", user, "REGISTER", "sip:demo.switchboard.test",
                                 std::string(challenge->headers(sip::HeaderId::WwwAuthenticate)[0]))),
            from);
    ASSERT_TRUE(takeOne(port, "200"));
  }

  static std::string trunkInvite(const std::string& number = "+15550100",
                                 const std::string& call_id = "t1") {
    return "INVITE sip:" + number + "@127.0.0.1:5060 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK" + call_id + "\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:+15551234@carrier.example>;tag=ct\r\n"
           "To: <sip:" + number + "@demo.switchboard.test>\r\n"
           "Call-ID: " + call_id + "\r\nCSeq: 1 INVITE\r\n"
           "Contact: <sip:carrier@127.0.0.1:5080>\r\n"
           "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";
  }

  static sip::Message answer(const sip::Message& inv, int code, const std::string& tag) {
    sip::Message r = sip::makeResponse(inv, code, {}, tag);
    r.addHeader("Contact", "<" + std::string(inv.requestUriText()) + ">");
    if (code == 200) r.setBody("v=0\n", "application/sdp");
    return r;
  }

  routing::AgentState stateOf(const std::string& user) {
    return engine_.agent(agentIdFor("demo", user))->state;
  }
};

TEST_F(VoiceCenterTest, RegistrationMakesTheAgentAvailable) {
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Offline);
  registerAgent("alice", 5070);
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Available);
  EXPECT_TRUE(engine_.agent(agentIdFor("demo", "alice"))->reachable);
  EXPECT_EQ(store_.bindings.size(), 1u);
}

TEST_F(VoiceCenterTest, StartTakesBackTheStateAnAgentChose) {
  // What the store says bob chose before a restart: a break, with its reason.
  store_.agent_states["demo/bob"] = {routing::AgentState::Break, "lunch"};
  ASSERT_TRUE(center_->start());
  auto bob = engine_.agent(agentIdFor("demo", "bob"));
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->state, routing::AgentState::Break);
  EXPECT_EQ(bob->break_reason, "lunch");
  // His phone registering does not log him in (only an Offline agent is); alice's does.
  registerAgent("bob", 5071);
  registerAgent("alice", 5070);
  EXPECT_EQ(stateOf("bob"), routing::AgentState::Break);
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Available);
  // So the queued call goes to alice.
  deliver(trunkInvite(), trunk_);
  ASSERT_TRUE(takeOne(5070, "INVITE"));
  EXPECT_FALSE(sender_.takeOne(5071, "INVITE"));
}

TEST_F(VoiceCenterTest, TrunkCallIsQueuedAnsweredAndRecorded) {
  registerAgent("alice", 5070);
  deliver(trunkInvite(), trunk_);
  EXPECT_TRUE(takeOne(5080, "180"));
  auto inv = takeOne(5070, "INVITE");
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->requestUriText(), "sip:alice@127.0.0.1:5070");
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Reserved);
  clock_.advance(seconds(3));
  deliver(answer(*inv, 200, "a1"), {"UDP", "127.0.0.1", 5070});
  auto ok = takeOne(5080, "200");
  ASSERT_TRUE(ok);
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Busy);
  clock_.advance(seconds(30));
  // Caller hangs up.
  deliver("BYE sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKbye1\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:+15551234@carrier.example>;tag=ct\r\n"
          "To: " + std::string(*ok->header(sip::HeaderId::To)) + "\r\nCall-ID: t1\r\n"
          "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
          trunk_);
  EXPECT_TRUE(takeOne(5070, "BYE"));
  EXPECT_EQ(stateOf("alice"), routing::AgentState::WrapUp);
  ASSERT_EQ(store_.records.size(), 1u);
  const auto& r = store_.records[0];
  EXPECT_EQ(r.disposition, Disposition::Answered);
  EXPECT_EQ(r.tenant, "demo");
  EXPECT_EQ(r.queue, "support");
  EXPECT_EQ(r.agent, "alice");
  EXPECT_EQ(r.called, "+15550100");
  ASSERT_TRUE(r.queued && r.offered && r.answered);
  EXPECT_LE(r.arrived, *r.queued);
  EXPECT_LE(*r.queued, *r.offered);
  EXPECT_EQ(*r.answered - *r.offered, seconds(3));
  EXPECT_EQ(r.ended - *r.answered, seconds(30));
  EXPECT_EQ(r.end_reason, "caller_hangup");
  advance(seconds(5));  // wrap-up is over
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Available);
}

TEST_F(VoiceCenterTest, BusyAgentPassesTheCallToTheNext) {
  registerAgent("alice", 5070);
  registerAgent("bob", 5072);
  deliver(trunkInvite(), trunk_);
  auto first = takeOne(5070, "INVITE");
  ASSERT_TRUE(first);
  deliver(answer(*first, 486, "busy"), {"UDP", "127.0.0.1", 5070});
  auto second = takeOne(5072, "INVITE");
  ASSERT_TRUE(second) << "bob should ring after alice's 486";
  deliver(answer(*second, 200, "b1"), {"UDP", "127.0.0.1", 5072});
  EXPECT_TRUE(takeOne(5080, "200"));
  EXPECT_EQ(stateOf("bob"), routing::AgentState::Busy);
  EXPECT_EQ(stateOf("alice"), routing::AgentState::Available);
}

TEST_F(VoiceCenterTest, UnansweredOfferTimesOutToTheNextAgent) {
  registerAgent("alice", 5070);
  registerAgent("bob", 5072);
  deliver(trunkInvite(), trunk_);
  auto first = takeOne(5070, "INVITE");
  ASSERT_TRUE(first);
  deliver(answer(*first, 180, "a1"), {"UDP", "127.0.0.1", 5070});
  advance(seconds(15));
  EXPECT_TRUE(takeOne(5070, "CANCEL"));
  EXPECT_TRUE(takeOne(5072, "INVITE")) << "bob should ring after alice's reservation timed out";
}

TEST_F(VoiceCenterTest, CallerHangsUpWhileQueued) {
  deliver(trunkInvite(), trunk_);  // nobody registered: the call waits
  EXPECT_TRUE(takeOne(5080, "180"));
  clock_.advance(seconds(8));
  deliver("CANCEL sip:+15550100@127.0.0.1:5060 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKt1\r\nMax-Forwards: 70\r\n"
          "From: <sip:+15551234@carrier.example>;tag=ct\r\nTo: <sip:+15550100@demo.switchboard.test>\r\n"
          "Call-ID: t1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
          trunk_);
  EXPECT_TRUE(takeOne(5080, "487"));
  ASSERT_EQ(store_.records.size(), 1u);
  EXPECT_EQ(store_.records[0].disposition, Disposition::Abandoned);
  EXPECT_FALSE(store_.records[0].answered);
  EXPECT_EQ(store_.records[0].ended - store_.records[0].arrived, seconds(8));
  EXPECT_EQ(engine_.stats().interactions, 0u);
}

TEST_F(VoiceCenterTest, MaxWaitRejectsWith480) {
  build(demoDirectory(seconds(30)));
  deliver(trunkInvite(), trunk_);
  advance(seconds(30));
  EXPECT_TRUE(takeOne(5080, "480"));
  ASSERT_EQ(store_.records.size(), 1u);
  EXPECT_EQ(store_.records[0].disposition, Disposition::TimedOut);
}

TEST_F(VoiceCenterTest, UnknownTrunkSourceIs403AndUnknownNumberIs404) {
  deliver(trunkInvite(), {"UDP", "127.0.0.9", 5080});
  EXPECT_TRUE(takeOne(5080, "403"));
  deliver(trunkInvite("+19999999", "t2"), trunk_);
  EXPECT_TRUE(takeOne(5080, "404"));
  // The stranger belongs to no tenant and leaves no record; the unknown number is the
  // single-tenant trunk's.
  ASSERT_EQ(store_.records.size(), 1u);
  EXPECT_EQ(store_.records[0].tenant, "demo");
  EXPECT_EQ(store_.records[0].disposition, Disposition::Rejected);
}

TEST_F(VoiceCenterTest, AgentCallsAnSmeByExtensionAfterA407) {
  registerAgent("dave", 5074);  // an SME registers too (not an agent)
  auto invite = [&](const std::string& auth, const std::string& branch) {
    return "INVITE sip:1004@demo.switchboard.test SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" + branch + "\r\nMax-Forwards: 70\r\n"
           "From: <sip:alice@demo.switchboard.test>;tag=al\r\nTo: <sip:1004@demo.switchboard.test>\r\n"
           "Call-ID: d1\r\nCSeq: " + (auth.empty() ? "1" : "2") + " INVITE\r\n"
           "Contact: <sip:alice@127.0.0.1:5070>\r\n" + auth +
           "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";
  };
  const sip::SendTarget alice{"UDP", "127.0.0.1", 5070};
  deliver(invite("", "i1"), alice);
  auto challenge = takeOne(5070, "407");
  ASSERT_TRUE(challenge);
  auto www = challenge->headers(sip::HeaderId::ProxyAuthenticate);
  ASSERT_FALSE(www.empty());
  deliver(invite(digestHeader("Proxy-Authorization", "alice", "INVITE",
                              "sip:1004@demo.switchboard.test", std::string(www[0])),
                 "i2"),
          alice);
  auto to_dave = takeOne(5074, "INVITE");
  ASSERT_TRUE(to_dave);
  deliver(answer(*to_dave, 180, "dv"), {"UDP", "127.0.0.1", 5074});
  EXPECT_TRUE(takeOne(5070, "180"));  // direct calls relay ringing
  deliver(answer(*to_dave, 200, "dv"), {"UDP", "127.0.0.1", 5074});
  EXPECT_TRUE(takeOne(5070, "200"));
}

TEST_F(VoiceCenterTest, WrongPasswordOnInviteIs403) {
  const std::string inv =
      "INVITE sip:1002@demo.switchboard.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKw1\r\nMax-Forwards: 70\r\n"
      "From: <sip:alice@demo.switchboard.test>;tag=al\r\nTo: <sip:1002@demo.switchboard.test>\r\n"
      "Call-ID: w1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\n"
      "Proxy-Authorization: Digest username=\"alice\", realm=\"demo.switchboard.test\", "
      "nonce=\"x\", uri=\"sip:1002@demo.switchboard.test\", response=\"00\"\r\n"
      "Content-Length: 0\r\n\r\n";
  deliver(inv, {"UDP", "127.0.0.1", 5070});
  EXPECT_TRUE(takeOne(5070, "407"));  // a nonce we never issued: challenged again
}

TEST_F(VoiceCenterTest, AgentGoingAwayStopsOffersAndComingBackGetsTheWaitingCall) {
  registerAgent("alice", 5070);
  ASSERT_TRUE(center_->setAgentState("demo", "alice", routing::AgentState::Away, "lunch"));
  deliver(trunkInvite(), trunk_);
  EXPECT_FALSE(takeOne(5070, "INVITE"));
  ASSERT_TRUE(center_->setAgentState("demo", "alice", routing::AgentState::Available, ""));
  EXPECT_TRUE(takeOne(5070, "INVITE"));
  EXPECT_FALSE(center_->setAgentState("demo", "nobody", routing::AgentState::Away, ""));
}

TEST_F(VoiceCenterTest, AgentDialsAnExternalNumberThroughTheOutboundTrunk) {
  auto invite = [&](const std::string& auth, const std::string& branch) {
    return "INVITE sip:+14155550123@demo.switchboard.test SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK" + branch + "\r\nMax-Forwards: 70\r\n"
           "From: <sip:alice@demo.switchboard.test>;tag=al\r\n"
           "To: <sip:+14155550123@demo.switchboard.test>\r\n"
           "Call-ID: out1\r\nCSeq: " + (auth.empty() ? "1" : "2") + " INVITE\r\n"
           "Contact: <sip:alice@127.0.0.1:5070>\r\n" + auth +
           "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";
  };
  const sip::SendTarget alice{"UDP", "127.0.0.1", 5070};
  deliver(invite("", "o1"), alice);
  auto challenge = takeOne(5070, "407");
  ASSERT_TRUE(challenge);
  deliver(invite(digestHeader("Proxy-Authorization", "alice", "INVITE",
                              "sip:+14155550123@demo.switchboard.test",
                              std::string(challenge->headers(sip::HeaderId::ProxyAuthenticate)[0])),
                 "o2"),
          alice);
  auto to_trunk = takeOne(5080, "INVITE");  // the tenant's outbound trunk is 127.0.0.1:5080
  ASSERT_TRUE(to_trunk);
  EXPECT_EQ(to_trunk->requestUriText(), "sip:+14155550123@127.0.0.1:5080");
  deliver(answer(*to_trunk, 200, "carrier"), trunk_);
  EXPECT_TRUE(takeOne(5070, "200"));
}

TEST_F(VoiceCenterTest, MaxWaitOverflowsToAnotherQueue) {
  build(demoDirectory(seconds(20), "backup"));
  registerAgent("carol", 5076);  // serves backup only
  deliver(trunkInvite(), trunk_);
  EXPECT_TRUE(takeOne(5080, "180"));
  EXPECT_FALSE(takeOne(5076, "INVITE"));  // support has nobody
  advance(seconds(20));                   // max wait in support: overflow, the caller stays
  EXPECT_FALSE(takeOne(5080, "480"));
  auto inv = takeOne(5076, "INVITE");
  ASSERT_TRUE(inv) << "carol should ring once the call overflowed to backup";
  deliver(answer(*inv, 200, "c1"), {"UDP", "127.0.0.1", 5076});
  EXPECT_TRUE(takeOne(5080, "200"));
  EXPECT_EQ(stateOf("carol"), routing::AgentState::Busy);
}

// ---- Live configuration (applyDirectory) ----

// demoDirectory() changed by `edit`, as a configuration reload would produce it.
template <typename Edit>
std::shared_ptr<const Directory> editedDirectory(Edit edit) {
  auto base = demoDirectory();
  std::vector<TenantSpec> tenants = base->tenants();
  std::vector<TrunkSpec> trunks = base->trunks();
  edit(tenants.front());
  return std::make_shared<const Directory>(std::move(tenants), std::move(trunks));
}

TEST_F(VoiceCenterTest, AppliedDirectoryKeepsTheWaitingCallAndOffersItToANewAgent) {
  deliver(trunkInvite(), trunk_);
  EXPECT_TRUE(takeOne(5080, "180"));  // queued: nobody is registered
  auto next = editedDirectory([](TenantSpec& t) {
    UserSpec frank;
    frank.id = "frank";
    frank.extension = "1005";
    frank.skills = {{"support", 7}};
    frank.capacity = {{"voice", 1}};
    frank.queues = {"support"};
    setPassword(frank, t.domain, "frank-demo");
    t.users.push_back(frank);
    for (auto& q : t.queues) {
      if (q.id == "support") q.routing.members.push_back({agentIdFor("demo", "frank"), 0, 9, 1.0});
    }
  });
  ASSERT_TRUE(center_->applyDirectory(next));
  EXPECT_EQ(&center_->directory(), next.get());
  EXPECT_EQ(stateOf("frank"), routing::AgentState::Offline);
  EXPECT_FALSE(takeOne(5080, "480"));  // the caller is still waiting
  EXPECT_EQ(center_->activeInteractions(), 1u);

  registerAgent("frank", 5078);  // the registrar knows frank from the new snapshot
  auto inv = takeOne(5078, "INVITE");
  ASSERT_TRUE(inv) << "the waiting call should be offered to the newly added agent";
  deliver(answer(*inv, 200, "f1"), {"UDP", "127.0.0.1", 5078});
  EXPECT_TRUE(takeOne(5080, "200"));
  EXPECT_EQ(stateOf("frank"), routing::AgentState::Busy);
}

TEST_F(VoiceCenterTest, AppliedDirectoryWithoutAQueueEndsItsWaitingCallsCleanly) {
  deliver(trunkInvite(), trunk_);
  EXPECT_TRUE(takeOne(5080, "180"));
  ASSERT_TRUE(center_->applyDirectory(editedDirectory([](TenantSpec& t) {
    std::erase_if(t.queues, [](const QueueSpecLite& q) { return q.id == "support"; });
    t.numbers.clear();
    for (auto& u : t.users) std::erase(u.queues, std::string("support"));
  })));
  EXPECT_TRUE(takeOne(5080, "480"));
  EXPECT_FALSE(engine_.queue(queueIdFor("demo", "support")).has_value());
  EXPECT_EQ(center_->activeInteractions(), 0u);
  ASSERT_EQ(store_.records.size(), 1u);
  EXPECT_EQ(store_.records[0].end_reason, "queue_removed");
  EXPECT_EQ(store_.records[0].queue, "support");
  EXPECT_EQ(store_.records[0].disposition, Disposition::Rejected);
  // The number is gone with it: a new call is refused, not queued.
  deliver(trunkInvite("+15550100", "t2"), trunk_);
  EXPECT_TRUE(takeOne(5080, "404"));
}

TEST_F(VoiceCenterTest, AppliedDirectoryRemovesAnAgentAndUpdatesAnother) {
  registerAgent("alice", 5070);
  registerAgent("bob", 5072);
  ASSERT_TRUE(center_->applyDirectory(editedDirectory([](TenantSpec& t) {
    std::erase_if(t.users, [](const UserSpec& u) { return u.id == "alice"; });
    for (auto& q : t.queues) {
      std::erase_if(q.routing.members, [](const routing::QueueMember& m) {
        return m.agent == agentIdFor("demo", "alice");
      });
    }
    for (auto& u : t.users) {
      if (u.id == "bob") u.skills = {{"support", 9}, {"billing", 3}};
    }
  })));
  EXPECT_FALSE(engine_.agent(agentIdFor("demo", "alice")).has_value());
  EXPECT_EQ(stateOf("bob"), routing::AgentState::Available);  // state survives the update
  deliver(trunkInvite(), trunk_);
  EXPECT_FALSE(takeOne(5070, "INVITE"));
  EXPECT_TRUE(takeOne(5072, "INVITE"));
}

}  // namespace
}  // namespace sb::center
