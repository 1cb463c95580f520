// SPDX-License-Identifier: Apache-2.0
#include "b2bua/b2bua.h"

#include <gtest/gtest.h>

#include <functional>

#include "b2bua/testing/wire.h"
#include "sip/transaction/testing/fake_transaction_env.h"

namespace sb::b2bua {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kSdpCaller =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=sendrecv\r\n";
constexpr const char* kSdpAgent =
    "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 42000 RTP/AVP 0\r\na=sendrecv\r\n";

class FakeEnv final : public B2buaEnvironment {
 public:
  std::string viaFor(const sip::SendTarget&) override { return "SIP/2.0/UDP 127.0.0.1:5060"; }
  std::string contactFor(const sip::SendTarget&) override { return "<sip:sb@127.0.0.1:5060>"; }
  std::optional<sip::SendTarget> resolve(std::string_view uri) override {
    auto u = sip::parseUri(uri);
    if (!u) return std::nullopt;
    sip::SendTarget t;
    t.address = std::string(u->host);
    t.port = u->port ? u->port : 5060;
    return t;
  }
  void startTimer(uint64_t key, Duration d) override { timers[key] = d; }
  void cancelTimer(uint64_t key) override { timers.erase(key); }
  std::map<uint64_t, Duration> timers;
};

struct Events final : public CallListener {
  std::function<void(CallHandle)> on_incoming;
  std::function<void(CallHandle, int)> on_failed;
  std::vector<std::string> log;
  CallHandle last = 0;
  void onIncomingCall(CallHandle c, const sip::Message&, const sip::SendTarget&) override {
    last = c;
    log.push_back("incoming");
    if (on_incoming) on_incoming(c);
  }
  void onConnectFailed(CallHandle c, int code) override {
    log.push_back("failed:" + std::to_string(code));
    if (on_failed) on_failed(c, code);
  }
  void onAnswered(CallHandle, const std::string& uri) override { log.push_back("answered:" + uri); }
  void onEnded(CallHandle, EndReason r) override {
    log.push_back("ended:" + std::string(endReasonName(r)));
  }
  void onHold(CallHandle, Side by, bool on) override {
    log.push_back(std::string(by == Side::Caller ? "caller" : "callee") + (on ? ":hold" : ":unhold"));
  }
};

class B2buaTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  testing::Wire sender_;
  sip::testing::FakeTimerService txn_timers_{clock_};
  FakeEnv env_;
  Events events_;
  B2bua b2bua_{events_, env_, clock_};
  sip::TransactionLayer layer_{b2bua_, sender_, txn_timers_};
  sip::SendTarget caller_{"UDP", "127.0.0.1", 5080};

  void SetUp() override { b2bua_.attach(layer_); }

  static Target agent(uint16_t port) {
    Target t;
    t.request_uri = "sip:agent@127.0.0.1:" + std::to_string(port);
    t.next_hop = {"UDP", "127.0.0.1", port};
    return t;
  }

  void deliver(const std::string& text, const sip::SendTarget& from) {
    auto m = sip::Message::parse(text);
    ASSERT_TRUE(m) << m.error().toString();
    ASSERT_TRUE(layer_.onMessage(*m, from, clock_.now()));
  }
  void deliver(const sip::Message& m, const sip::SendTarget& from) {
    ASSERT_TRUE(layer_.onMessage(m, from, clock_.now()));
  }

  std::vector<sip::Message> take(uint16_t port) { return sender_.take(port); }
  std::optional<sip::Message> takeOne(uint16_t port, std::string_view what) {
    return sender_.takeOne(port, what);
  }

  static std::string invite(const std::string& extra = "", const std::string& call_id = "call-1") {
    return "INVITE sip:+15550100@127.0.0.1:5060 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKcaller1;rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: \"Customer\" <sip:+15551234@carrier.example>;tag=ct\r\n"
           "To: <sip:+15550100@demo.switchboard.test>\r\n"
           "Call-ID: " + call_id + "\r\n"
           "CSeq: 1 INVITE\r\n"
           "Contact: <sip:customer@127.0.0.1:5080>\r\n" + extra +
           "Content-Type: application/sdp\r\n"
           "Content-Length: " + std::to_string(std::string(kSdpCaller).size()) + "\r\n\r\n" +
           kSdpCaller;
  }

  // What the agent UA answers to an INVITE it received.
  static sip::Message answer(const sip::Message& inv, int code, const std::string& tag,
                             const std::string& body = "") {
    sip::Message r = sip::makeResponse(inv, code, {}, tag);
    r.addHeader("Contact", "<sip:agent@" + std::string(inv.requestUri()->host) + ":" +
                               std::to_string(inv.requestUri()->port) + ">");
    if (!body.empty()) r.setBody(body, "application/sdp");
    return r;
  }

  // Caller INVITE → ring + connect to `ports`; returns the INVITEs the agents got.
  std::vector<sip::Message> startCall(std::vector<uint16_t> ports, const std::string& extra = "") {
    events_.on_incoming = [this, ports](CallHandle c) {
      EXPECT_TRUE(b2bua_.ring(c));
      std::vector<Target> targets;
      for (auto p : ports) targets.push_back(agent(p));
      ConnectOptions opt;
      opt.to = "<sip:agent@demo.switchboard.test>";
      opt.copy_headers = {"Diversion"};
      EXPECT_TRUE(b2bua_.connect(c, targets, opt));
    };
    deliver(invite(extra), caller_);
    std::vector<sip::Message> invites;
    for (auto p : ports) {
      auto inv = takeOne(p, "INVITE");
      EXPECT_TRUE(inv) << "no INVITE to " << p;
      if (inv) invites.push_back(*inv);
    }
    return invites;
  }

  // Full set-up to a bridged call with one agent on 5070; returns (agent's INVITE, caller's 200).
  std::pair<sip::Message, sip::Message> bridged() {
    auto invites = startCall({5070});
    deliver(answer(invites[0], 200, "at1", kSdpAgent), {"UDP", "127.0.0.1", 5070});
    auto ok = takeOne(5080, "200");
    EXPECT_TRUE(ok);
    deliver(ackFor(*ok), caller_);
    take(5070);
    return {invites[0], *ok};
  }

  static std::string ackFor(const sip::Message& ok) {
    return "ACK sip:sb@127.0.0.1:5060 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKack1\r\n"
           "Max-Forwards: 70\r\n"
           "From: \"Customer\" <sip:+15551234@carrier.example>;tag=ct\r\n"
           "To: " + std::string(*ok.header(sip::HeaderId::To)) + "\r\n"
           "Call-ID: call-1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  }
  static std::string callerRequest(const sip::Message& ok, const std::string& method, int cseq,
                                   const std::string& body = "", const std::string& branch = "r1") {
    std::string m = method + " sip:sb@127.0.0.1:5060 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK" + branch + "\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: \"Customer\" <sip:+15551234@carrier.example>;tag=ct\r\n"
                    "To: " + std::string(*ok.header(sip::HeaderId::To)) + "\r\n"
                    "Call-ID: call-1\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n"
                    "Contact: <sip:customer@127.0.0.1:5080>\r\n";
    if (!body.empty()) m += "Content-Type: application/sdp\r\n";
    m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return m;
  }
};

TEST_F(B2buaTest, CallerReachesAgentAndCallerHangsUp) {
  auto invites = startCall({5070}, "Diversion: <sip:+15550999@carrier.example>\r\nX-Secret: 1\r\n");
  // The caller heard 100 Trying (transaction layer) and 180 Ringing with our To tag.
  auto to_caller = take(5080);
  ASSERT_GE(to_caller.size(), 2u);
  EXPECT_EQ(to_caller[0].statusCode(), 100);
  EXPECT_EQ(to_caller[1].statusCode(), 180);
  EXPECT_FALSE(to_caller[1].to()->tag.empty());
  // The agent leg: a new dialog, the caller's identity and SDP, only the headers we named.
  const auto& inv = invites[0];
  EXPECT_NE(*inv.callId(), "call-1");
  EXPECT_EQ(inv.from()->uri.raw, "sip:+15551234@carrier.example");
  EXPECT_NE(inv.from()->tag, "ct");
  EXPECT_EQ(inv.body(), kSdpCaller);
  EXPECT_TRUE(inv.header("Diversion"));
  EXPECT_FALSE(inv.header("X-Secret"));
  EXPECT_EQ(inv.maxForwards().value(), 69u);

  deliver(answer(inv, 180, "at1"), {"UDP", "127.0.0.1", 5070});
  EXPECT_TRUE(take(5080).empty());  // a queued caller already hears ringing
  deliver(answer(inv, 200, "at1", kSdpAgent), {"UDP", "127.0.0.1", 5070});
  auto ack = takeOne(5070, "ACK");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->cseq()->number, 1u);
  auto ok = takeOne(5080, "200");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body(), kSdpAgent);  // media bypass: the agent's SDP, unchanged
  EXPECT_EQ(events_.log.back(), "answered:sip:agent@127.0.0.1:5070");
  deliver(ackFor(*ok), caller_);
  EXPECT_TRUE(env_.timers.empty() || !env_.timers.contains((events_.last << 4) | 1));

  deliver(callerRequest(*ok, "BYE", 2), caller_);
  EXPECT_TRUE(takeOne(5080, "200"));
  auto bye = takeOne(5070, "BYE");
  ASSERT_TRUE(bye);
  EXPECT_EQ(*bye->callId(), *inv.callId());
  EXPECT_EQ(bye->to()->tag, "at1");
  EXPECT_EQ(events_.log.back(), "ended:caller_hangup");
  EXPECT_TRUE(b2bua_.activeCalls().empty());
}

TEST_F(B2buaTest, AgentHangsUp) {
  auto [inv, ok] = bridged();
  std::string bye = "BYE sip:sb@127.0.0.1:5060 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKab1\r\nMax-Forwards: 70\r\n"
                    "From: <sip:agent@demo.switchboard.test>;tag=at1\r\n"
                    "To: " + std::string(*inv.header(sip::HeaderId::From)) + "\r\n"
                    "Call-ID: " + std::string(*inv.callId()) + "\r\nCSeq: 5 BYE\r\n"
                    "Content-Length: 0\r\n\r\n";
  deliver(bye, {"UDP", "127.0.0.1", 5070});
  EXPECT_TRUE(takeOne(5070, "200"));
  auto to_caller = takeOne(5080, "BYE");
  ASSERT_TRUE(to_caller);
  EXPECT_EQ(to_caller->requestUriText(), "sip:customer@127.0.0.1:5080");
  EXPECT_EQ(to_caller->from()->tag, ok.to()->tag);
  EXPECT_EQ(events_.log.back(), "ended:callee_hangup");
}

TEST_F(B2buaTest, ForkingFirst200WinsAndTheOtherIsCancelled) {
  auto invites = startCall({5070, 5072});
  ASSERT_EQ(invites.size(), 2u);
  EXPECT_EQ(*invites[0].callId(), *invites[1].callId());
  deliver(answer(invites[1], 180, "b2"), {"UDP", "127.0.0.1", 5072});
  deliver(answer(invites[0], 200, "a1", kSdpAgent), {"UDP", "127.0.0.1", 5070});
  auto cancel = takeOne(5072, "CANCEL");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->topVia()->branch, invites[1].topVia()->branch);
  EXPECT_EQ(cancel->cseq()->number, 1u);
  deliver(answer(invites[1], 487, "b2"), {"UDP", "127.0.0.1", 5072});
  EXPECT_TRUE(takeOne(5072, "ACK"));  // the transaction layer ACKs the 487
  EXPECT_TRUE(takeOne(5080, "200"));
  EXPECT_EQ(std::count_if(events_.log.begin(), events_.log.end(),
                          [](auto& s) { return s.rfind("answered", 0) == 0; }),
            1);
}

TEST_F(B2buaTest, BusyAgentThenNextAgentAnswers) {
  events_.on_failed = [this](CallHandle c, int code) {
    EXPECT_EQ(code, 486);
    ConnectOptions opt;
    EXPECT_TRUE(b2bua_.connect(c, {agent(5074)}, opt));
  };
  auto invites = startCall({5070});
  deliver(answer(invites[0], 486, "busy"), {"UDP", "127.0.0.1", 5070});
  EXPECT_TRUE(takeOne(5070, "ACK"));
  auto second = takeOne(5074, "INVITE");
  ASSERT_TRUE(second);
  deliver(answer(*second, 200, "c1", kSdpAgent), {"UDP", "127.0.0.1", 5074});
  EXPECT_TRUE(takeOne(5080, "200"));
  EXPECT_EQ(events_.log.back(), "answered:sip:agent@127.0.0.1:5074");
}

TEST_F(B2buaTest, CallerCancelWhileAgentRings) {
  auto invites = startCall({5070});
  deliver(answer(invites[0], 180, "a1"), {"UDP", "127.0.0.1", 5070});
  take(5080);
  deliver("CANCEL sip:+15550100@127.0.0.1:5060 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKcaller1;rport\r\n"
          "Max-Forwards: 70\r\n"
          "From: \"Customer\" <sip:+15551234@carrier.example>;tag=ct\r\n"
          "To: <sip:+15550100@demo.switchboard.test>\r\n"
          "Call-ID: call-1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
          caller_);
  auto to_caller = take(5080);
  ASSERT_EQ(to_caller.size(), 2u);
  EXPECT_EQ(to_caller[0].statusCode(), 200);
  EXPECT_EQ(to_caller[0].cseq()->method, sip::Method::Cancel);
  EXPECT_EQ(to_caller[1].statusCode(), 487);
  EXPECT_TRUE(takeOne(5070, "CANCEL"));
  EXPECT_EQ(events_.log.back(), "ended:caller_cancel");
  // The agent answers anyway, crossing the CANCEL: ACK it and hang up.
  deliver(answer(invites[0], 200, "a1", kSdpAgent), {"UDP", "127.0.0.1", 5070});
  auto to_agent = take(5070);
  ASSERT_EQ(to_agent.size(), 2u);
  EXPECT_EQ(to_agent[0].methodName(), "ACK");
  EXPECT_EQ(to_agent[1].methodName(), "BYE");
}

TEST_F(B2buaTest, CancelConnectWaitsForAProvisionalBeforeCancelling) {
  auto invites = startCall({5070});
  ASSERT_TRUE(b2bua_.cancelConnect(events_.last));
  EXPECT_EQ(events_.log.back(), "failed:487");
  EXPECT_FALSE(takeOne(5070, "CANCEL"));  // RFC 3261 §9.1: not before a 1xx
  deliver(answer(invites[0], 180, "a1"), {"UDP", "127.0.0.1", 5070});
  EXPECT_TRUE(takeOne(5070, "CANCEL"));
}

TEST_F(B2buaTest, RingTimeoutCancelsAndReports408) {
  auto invites = startCall({5070});
  deliver(answer(invites[0], 180, "a1"), {"UDP", "127.0.0.1", 5070});
  const uint64_t ring_key = (events_.last << 4) | 3;
  ASSERT_TRUE(env_.timers.contains(ring_key));
  b2bua_.onTimer(ring_key);
  EXPECT_EQ(events_.log.back(), "failed:408");
  EXPECT_TRUE(takeOne(5070, "CANCEL"));
}

TEST_F(B2buaTest, ReInviteHoldIsRelayedAndBothSidesAcked) {
  auto [inv, ok] = bridged();
  std::string hold_sdp = std::string(kSdpCaller);
  hold_sdp.replace(hold_sdp.find("a=sendrecv"), 10, "a=sendonly");
  deliver(callerRequest(ok, "INVITE", 2, hold_sdp, "reinv1"), caller_);
  EXPECT_EQ(events_.log.back(), "caller:hold");
  auto reinvite = takeOne(5070, "INVITE");
  ASSERT_TRUE(reinvite);
  EXPECT_EQ(reinvite->body(), hold_sdp);
  EXPECT_EQ(reinvite->to()->tag, "at1");
  std::string recv_sdp = std::string(kSdpAgent);
  recv_sdp.replace(recv_sdp.find("a=sendrecv"), 10, "a=recvonly");
  deliver(answer(*reinvite, 200, "at1", recv_sdp), {"UDP", "127.0.0.1", 5070});
  auto ack = takeOne(5070, "ACK");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->cseq()->number, reinvite->cseq()->number);
  auto ok2 = takeOne(5080, "200");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(ok2->body(), recv_sdp);
  EXPECT_EQ(ok2->cseq()->number, 2u);
  // Unhold.
  std::string ack_text = callerRequest(ok, "ACK", 2, "", "ack2");
  deliver(ack_text, caller_);
  deliver(callerRequest(ok, "INVITE", 3, kSdpCaller, "reinv2"), caller_);
  EXPECT_EQ(events_.log.back(), "caller:unhold");
  EXPECT_TRUE(takeOne(5070, "INVITE"));
}

TEST_F(B2buaTest, GlareGets491) {
  auto [inv, ok] = bridged();
  deliver(callerRequest(ok, "INVITE", 2, kSdpCaller, "g1"), caller_);
  ASSERT_TRUE(takeOne(5070, "INVITE"));
  deliver(callerRequest(ok, "UPDATE", 3, kSdpCaller, "g2"), caller_);
  EXPECT_TRUE(takeOne(5080, "491"));
}

TEST_F(B2buaTest, InfoIsRelayedWithTheAnswerComingBack) {
  auto [inv, ok] = bridged();
  std::string info = callerRequest(ok, "INFO", 2, "", "info1");
  deliver(info, caller_);
  auto relayed = takeOne(5070, "INFO");
  ASSERT_TRUE(relayed);
  deliver(sip::makeResponse(*relayed, 200), {"UDP", "127.0.0.1", 5070});
  auto back = takeOne(5080, "200");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cseq()->method, sip::Method::Info);
}

TEST_F(B2buaTest, InDialogOptionsIsAnsweredLocallyAndUnknownDialogsGet481) {
  auto [inv, ok] = bridged();
  deliver(callerRequest(ok, "OPTIONS", 2, "", "o1"), caller_);
  auto r = takeOne(5080, "200");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header(sip::HeaderId::Allow));
  EXPECT_TRUE(take(5070).empty());
  std::string stray = callerRequest(ok, "BYE", 3, "", "x1");
  stray.replace(stray.find("Call-ID: call-1"), 15, "Call-ID: nope");
  deliver(stray, caller_);
  EXPECT_TRUE(takeOne(5080, "481"));
}

TEST_F(B2buaTest, Our2xxIsRetransmittedUntilAckAndTheCallEndsWithout) {
  auto invites = startCall({5070});
  deliver(answer(invites[0], 200, "at1", kSdpAgent), {"UDP", "127.0.0.1", 5070});
  ASSERT_TRUE(takeOne(5080, "200"));
  const uint64_t key = (events_.last << 4) | 1;
  ASSERT_EQ(env_.timers.at(key), milliseconds(500));
  b2bua_.onTimer(key);
  EXPECT_TRUE(takeOne(5080, "200"));
  EXPECT_EQ(env_.timers.at(key), seconds(1));
  for (int i = 0; i < 20 && env_.timers.contains(key); ++i) b2bua_.onTimer(key);
  EXPECT_EQ(events_.log.back(), "ended:ack_timeout");
  EXPECT_TRUE(takeOne(5070, "BYE"));
}

TEST_F(B2buaTest, LateProvisionalAfterTheAnswerIsIgnored) {
  auto invites = startCall({5070});
  deliver(answer(invites[0], 200, "at1", kSdpAgent), {"UDP", "127.0.0.1", 5070});
  take(5080);
  // Kamailio-style reordering: the 180 arrives after the 200.
  deliver(answer(invites[0], 180, "at1"), {"UDP", "127.0.0.1", 5070});
  EXPECT_TRUE(take(5080).empty());
  EXPECT_EQ(events_.log.back(), "answered:sip:agent@127.0.0.1:5070");
}

TEST_F(B2buaTest, MaxForwardsZeroIs483) {
  std::string inv = invite();
  inv.replace(inv.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  deliver(inv, caller_);
  EXPECT_TRUE(takeOne(5080, "483"));
  EXPECT_TRUE(events_.log.empty());
}

TEST_F(B2buaTest, RejectAnswersTheCallerAndEndsTheCall) {
  events_.on_incoming = [this](CallHandle c) { EXPECT_TRUE(b2bua_.reject(c, 404, "Not Found")); };
  deliver(invite(), caller_);
  EXPECT_TRUE(takeOne(5080, "404"));
  EXPECT_EQ(events_.log.back(), "ended:rejected");
  EXPECT_TRUE(b2bua_.activeCalls().empty());
}

}  // namespace
}  // namespace sb::b2bua
