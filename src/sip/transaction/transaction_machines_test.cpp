// SPDX-License-Identifier: Apache-2.0
#include "sip/transaction/transaction_machines.h"

#include <gtest/gtest.h>

#include <map>

#include "common/clock.h"

namespace sb::sip {
namespace {

using namespace std::chrono_literals;
using Kind = TransactionAction::Kind;
using T = TransactionTimer;
using S = TransactionState;

// Carries out a machine's actions against a ManualClock: armed timers fire in deadline order.
struct Harness {
  ManualClock clock;
  MonoTime t0 = clock.now();
  std::map<T, MonoTime> armed;
  std::vector<std::pair<Duration, std::string>> sends;  // (time since t0, bytes)
  int passed = 0;
  int timeouts = 0;
  int transport_errors = 0;
  bool terminated = false;

  void apply(const TransactionActions& actions) {
    for (const auto& a : actions) {
      ASSERT_FALSE(terminated) << "action after Terminated";
      switch (a.kind) {
        case Kind::Send: sends.emplace_back(clock.now() - t0, a.bytes); break;
        case Kind::StartTimer: armed[a.timer] = clock.now() + a.delay; break;
        case Kind::CancelTimer: armed.erase(a.timer); break;
        case Kind::PassToTu: ++passed; break;
        case Kind::Timeout: ++timeouts; break;
        case Kind::TransportError: ++transport_errors; break;
        case Kind::Terminated:
          terminated = true;
          EXPECT_TRUE(armed.empty()) << "timers left armed at termination";
          break;
      }
    }
  }
  void apply(const Result<TransactionActions>& actions) {
    ASSERT_TRUE(actions) << actions.error().toString();
    apply(*actions);
  }
  // Advances by `d`, firing due timers (ties in enum order, which never matters here).
  void runFor(TransactionMachine& m, Duration d) {
    const MonoTime end = clock.now() + d;
    while (!armed.empty()) {
      auto next = armed.begin();
      for (auto it = armed.begin(); it != armed.end(); ++it) {
        if (it->second < next->second) next = it;
      }
      if (next->second > end) break;
      const T timer = next->first;
      clock.advance(next->second - clock.now());
      armed.erase(next);
      apply(m.onTimer(timer));
    }
    clock.advance(end - clock.now());
  }
  std::vector<Duration> sendTimes() const {
    std::vector<Duration> out;
    for (const auto& s : sends) out.push_back(s.first);
    return out;
  }
  bool isArmed(T t) const { return armed.count(t) != 0; }
};

std::vector<Duration> ms(std::initializer_list<int> values) {
  std::vector<Duration> out;
  for (int v : values) out.push_back(std::chrono::milliseconds(v));
  return out;
}

const TransactionTimers kTimers{};

// --- INVITE client ---

TEST(InviteClientTransactionTest, TimerARetransmitsWithDoubling) {
  Harness h;
  InviteClientTransaction m(kTimers, /*reliable=*/false);
  h.apply(m.start("INVITE"));
  EXPECT_EQ(m.state(), S::Calling);
  h.runFor(m, 31999ms);
  // T1, 2T1, 4T1, ... with no T2 cap (RFC 3261 §17.1.1.2).
  EXPECT_EQ(h.sendTimes(), ms({0, 500, 1500, 3500, 7500, 15500, 31500}));
  for (const auto& s : h.sends) EXPECT_EQ(s.second, "INVITE");
  EXPECT_EQ(h.timeouts, 0);
  EXPECT_FALSE(h.terminated);
}

TEST(InviteClientTransactionTest, TimerBFiresAt64T1AndTimesOut) {
  Harness h;
  InviteClientTransaction m(kTimers, false);
  h.apply(m.start("INVITE"));
  h.runFor(m, 31999ms);
  EXPECT_EQ(h.timeouts, 0);
  h.runFor(m, 1ms);
  EXPECT_EQ(h.timeouts, 1);
  EXPECT_TRUE(h.terminated);
  EXPECT_EQ(m.state(), S::Terminated);
}

TEST(InviteClientTransactionTest, CustomT1ScalesTimers) {
  Harness h;
  TransactionTimers timers;
  timers.t1 = 100ms;
  InviteClientTransaction m(timers, false);
  h.apply(m.start("INVITE"));
  h.runFor(m, 6400ms);
  EXPECT_EQ(h.sendTimes(), ms({0, 100, 300, 700, 1500, 3100, 6300}));
  EXPECT_EQ(h.timeouts, 1);
}

TEST(InviteClientTransactionTest, ProvisionalStopsRetransmissionsAndTimerB) {
  Harness h;
  InviteClientTransaction m(kTimers, false);
  h.apply(m.start("INVITE"));
  h.runFor(m, 600ms);
  h.apply(m.onResponse(180, [] { return std::string("ACK"); }));
  EXPECT_EQ(m.state(), S::Proceeding);
  EXPECT_EQ(h.passed, 1);
  h.runFor(m, 120s);
  EXPECT_EQ(h.sends.size(), 2u);
  EXPECT_EQ(h.timeouts, 0);
  EXPECT_EQ(m.state(), S::Proceeding);
  h.apply(m.onResponse(183, [] { return std::string("ACK"); }));
  EXPECT_EQ(h.passed, 2);
}

TEST(InviteClientTransactionTest, TwoHundredPassesToTuAndTerminates) {
  Harness h;
  InviteClientTransaction m(kTimers, false);
  h.apply(m.start("INVITE"));
  h.apply(m.onResponse(100, [] { return std::string("ACK"); }));
  int acks_built = 0;
  h.apply(m.onResponse(200, [&] {
    ++acks_built;
    return std::string("ACK");
  }));
  EXPECT_EQ(acks_built, 0) << "the TU ACKs a 2xx, not the transaction";
  EXPECT_EQ(h.passed, 2);
  EXPECT_TRUE(h.terminated);
  EXPECT_EQ(h.sends.size(), 1u);
}

TEST(InviteClientTransactionTest, Non2xxSendsAckAndTimerDAbsorbsRetransmissions) {
  Harness h;
  InviteClientTransaction m(kTimers, false);
  h.apply(m.start("INVITE"));
  h.runFor(m, 700ms);  // one retransmission at 500 ms
  int acks_built = 0;
  auto build = [&] {
    ++acks_built;
    return std::string("ACK-486");
  };
  h.apply(m.onResponse(486, build));
  EXPECT_EQ(m.state(), S::Completed);
  EXPECT_EQ(h.passed, 1);
  ASSERT_EQ(h.sends.size(), 3u);
  EXPECT_EQ(h.sends[2].second, "ACK-486");
  EXPECT_TRUE(h.isArmed(T::D));
  EXPECT_FALSE(h.isArmed(T::A));
  EXPECT_FALSE(h.isArmed(T::B));
  // Retransmitted 486: the same ACK again, nothing to the TU.
  h.runFor(m, 10s);
  h.apply(m.onResponse(486, build));
  EXPECT_EQ(acks_built, 1);
  EXPECT_EQ(h.passed, 1);
  ASSERT_EQ(h.sends.size(), 4u);
  EXPECT_EQ(h.sends[3].second, "ACK-486");
  h.runFor(m, 21999ms);  // D = 32 s after the first 486
  EXPECT_FALSE(h.terminated);
  h.runFor(m, 1ms);
  EXPECT_TRUE(h.terminated);
  EXPECT_EQ(h.timeouts, 0);
}

TEST(InviteClientTransactionTest, ReliableTransportHasNoTimerAAndZeroTimerD) {
  Harness h;
  InviteClientTransaction m(kTimers, /*reliable=*/true);
  h.apply(m.start("INVITE"));
  EXPECT_FALSE(h.isArmed(T::A));
  EXPECT_TRUE(h.isArmed(T::B));
  h.runFor(m, 10s);
  EXPECT_EQ(h.sends.size(), 1u);
  h.apply(m.onResponse(503, [] { return std::string("ACK"); }));
  EXPECT_EQ(h.sends.size(), 2u);
  EXPECT_EQ(h.passed, 1);
  EXPECT_TRUE(h.terminated) << "Timer D is zero over reliable transports";
}

TEST(InviteClientTransactionTest, ReliableTimerBStillTimesOut) {
  Harness h;
  InviteClientTransaction m(kTimers, true);
  h.apply(m.start("INVITE"));
  h.runFor(m, 32s);
  EXPECT_EQ(h.timeouts, 1);
  EXPECT_TRUE(h.terminated);
}

TEST(InviteClientTransactionTest, TransportErrorInformsTuAndTerminates) {
  Harness h;
  InviteClientTransaction m(kTimers, false);
  h.apply(m.start("INVITE"));
  h.apply(m.onTransportError());
  EXPECT_EQ(h.transport_errors, 1);
  EXPECT_TRUE(h.terminated);
  EXPECT_TRUE(m.onTransportError().empty());
  EXPECT_TRUE(m.onTimer(T::A).empty());
}

TEST(InviteClientTransactionTest, StaleTimerIsIgnored) {
  Harness h;
  InviteClientTransaction m(kTimers, false);
  h.apply(m.start("INVITE"));
  h.apply(m.onResponse(180, [] { return std::string(); }));
  EXPECT_TRUE(m.onTimer(T::A).empty());
  EXPECT_TRUE(m.onTimer(T::B).empty());
  EXPECT_TRUE(m.onTimer(T::D).empty());
}

// --- non-INVITE client ---

TEST(NonInviteClientTransactionTest, TimerEDoublesCappedAtT2) {
  Harness h;
  NonInviteClientTransaction m(kTimers, false);
  h.apply(m.start("OPTIONS"));
  h.runFor(m, 31999ms);
  EXPECT_EQ(h.sendTimes(), ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
  EXPECT_EQ(h.timeouts, 0);
}

TEST(NonInviteClientTransactionTest, TimerFTimesOutAt64T1) {
  Harness h;
  NonInviteClientTransaction m(kTimers, false);
  h.apply(m.start("OPTIONS"));
  h.runFor(m, 32s);
  EXPECT_EQ(h.timeouts, 1);
  EXPECT_TRUE(h.terminated);
}

TEST(NonInviteClientTransactionTest, ProceedingRetransmitsAtT2) {
  Harness h;
  NonInviteClientTransaction m(kTimers, false);
  h.apply(m.start("BYE"));
  h.runFor(m, 700ms);  // sends at 0 and 500; E now due at 1500
  h.apply(m.onResponse(100));
  EXPECT_EQ(m.state(), S::Proceeding);
  EXPECT_EQ(h.passed, 1);
  h.runFor(m, 20s);  // until 20.7 s
  // The pending E fires at 1.5 s, then every T2 (§17.1.2.2).
  EXPECT_EQ(h.sendTimes(), ms({0, 500, 1500, 5500, 9500, 13500, 17500}));
}

TEST(NonInviteClientTransactionTest, TimerFTimesOutInProceeding) {
  Harness h;
  NonInviteClientTransaction m(kTimers, false);
  h.apply(m.start("BYE"));
  h.apply(m.onResponse(180));
  h.runFor(m, 32s);
  EXPECT_EQ(h.timeouts, 1);
  EXPECT_TRUE(h.terminated);
}

TEST(NonInviteClientTransactionTest, FinalResponseThenTimerKAbsorbsRetransmissions) {
  Harness h;
  NonInviteClientTransaction m(kTimers, false);
  h.apply(m.start("REGISTER"));
  h.apply(m.onResponse(200));
  EXPECT_EQ(m.state(), S::Completed);
  EXPECT_EQ(h.passed, 1);
  EXPECT_FALSE(h.isArmed(T::E));
  EXPECT_FALSE(h.isArmed(T::F));
  h.apply(m.onResponse(200));
  EXPECT_EQ(h.passed, 1) << "retransmitted final absorbed";
  h.runFor(m, 4999ms);  // K = T4
  EXPECT_FALSE(h.terminated);
  EXPECT_EQ(h.sends.size(), 1u);
  h.runFor(m, 1ms);
  EXPECT_TRUE(h.terminated);
}

TEST(NonInviteClientTransactionTest, ReliableHasNoTimerEAndZeroTimerK) {
  Harness h;
  NonInviteClientTransaction m(kTimers, true);
  h.apply(m.start("BYE"));
  EXPECT_FALSE(h.isArmed(T::E));
  EXPECT_TRUE(h.isArmed(T::F));
  h.runFor(m, 10s);
  EXPECT_EQ(h.sends.size(), 1u);
  h.apply(m.onResponse(481));
  EXPECT_EQ(h.passed, 1);
  EXPECT_TRUE(h.terminated);
}

// --- INVITE server ---

TEST(InviteServerTransactionTest, ProceedingResendsLastProvisionalOnRetransmission) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start("100"));
  EXPECT_EQ(m.state(), S::Proceeding);
  h.apply(m.onRequestRetransmit());
  h.apply(m.sendResponse(180, "180"));
  h.apply(m.onRequestRetransmit());
  ASSERT_EQ(h.sends.size(), 4u);
  EXPECT_EQ(h.sends[1].second, "100");
  EXPECT_EQ(h.sends[3].second, "180");
  EXPECT_EQ(h.passed, 0);
}

TEST(InviteServerTransactionTest, NoProvisionalMeansRetransmissionAbsorbed) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.onRequestRetransmit());
  EXPECT_TRUE(h.sends.empty());
}

TEST(InviteServerTransactionTest, TimerGRetransmitsFinalCappedAtT2) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(486, "486"));
  EXPECT_EQ(m.state(), S::Completed);
  h.runFor(m, 31999ms);
  EXPECT_EQ(h.sendTimes(), ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
  for (const auto& s : h.sends) EXPECT_EQ(s.second, "486");
  EXPECT_EQ(h.timeouts, 0);
}

TEST(InviteServerTransactionTest, TimerHWithoutAckInformsTu) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(404, "404"));
  h.runFor(m, 32s);
  EXPECT_EQ(h.timeouts, 1);
  EXPECT_TRUE(h.terminated);
}

TEST(InviteServerTransactionTest, RequestRetransmissionInCompletedResendsFinal) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start("100"));
  h.apply(m.sendResponse(603, "603"));
  h.apply(m.onRequestRetransmit());
  ASSERT_EQ(h.sends.size(), 3u);
  EXPECT_EQ(h.sends[2].second, "603");
}

TEST(InviteServerTransactionTest, AckConfirmsAndTimerITerminates) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(486, "486"));
  h.runFor(m, 600ms);
  h.apply(m.onAck());
  EXPECT_EQ(m.state(), S::Confirmed);
  EXPECT_FALSE(h.isArmed(T::G));
  EXPECT_FALSE(h.isArmed(T::H));
  EXPECT_TRUE(h.isArmed(T::I));
  EXPECT_EQ(h.passed, 0) << "the ACK of a non-2xx is absorbed";
  h.apply(m.onAck());
  h.apply(m.onRequestRetransmit());
  const size_t sends = h.sends.size();
  h.runFor(m, 4999ms);  // I = T4
  EXPECT_FALSE(h.terminated);
  EXPECT_EQ(h.sends.size(), sends);
  h.runFor(m, 1ms);
  EXPECT_TRUE(h.terminated);
  EXPECT_EQ(h.timeouts, 0);
}

TEST(InviteServerTransactionTest, TwoXxGoesToAcceptedWithRfc6026) {
  Harness h;
  InviteServerTransaction m(kTimers, false, /*rfc6026=*/true);
  h.apply(m.start("100"));
  h.apply(m.sendResponse(200, "200"));
  EXPECT_EQ(m.state(), S::Accepted);
  EXPECT_TRUE(h.isArmed(T::L));
  h.apply(m.onRequestRetransmit());
  EXPECT_EQ(h.sends.size(), 2u) << "INVITE retransmissions are absorbed in Accepted";
  h.apply(m.sendResponse(200, "200-again"));
  EXPECT_EQ(h.sends.size(), 3u) << "TU retransmits its 2xx through the transaction";
  EXPECT_FALSE(m.sendResponse(486, "486"));
  h.apply(m.onAck());
  EXPECT_EQ(h.passed, 1) << "the ACK is passed to the TU";
  h.runFor(m, 31999ms);
  EXPECT_FALSE(h.terminated);
  h.runFor(m, 1ms);
  EXPECT_TRUE(h.terminated);
  EXPECT_EQ(h.timeouts, 0);
}

TEST(InviteServerTransactionTest, TwoXxTerminatesWithoutRfc6026) {
  Harness h;
  InviteServerTransaction m(kTimers, false, /*rfc6026=*/false);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(200, "200"));
  EXPECT_TRUE(h.terminated);
  EXPECT_EQ(h.sends.size(), 1u);
}

TEST(InviteServerTransactionTest, ReliableHasNoTimerGAndZeroTimerI) {
  Harness h;
  InviteServerTransaction m(kTimers, true, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(480, "480"));
  EXPECT_FALSE(h.isArmed(T::G));
  EXPECT_TRUE(h.isArmed(T::H));
  h.runFor(m, 10s);
  EXPECT_EQ(h.sends.size(), 1u);
  h.apply(m.onAck());
  EXPECT_TRUE(h.terminated) << "Timer I is zero over reliable transports";
}

TEST(InviteServerTransactionTest, ReliableTimerHStillTimesOut) {
  Harness h;
  InviteServerTransaction m(kTimers, true, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(480, "480"));
  h.runFor(m, 32s);
  EXPECT_EQ(h.timeouts, 1);
}

TEST(InviteServerTransactionTest, SecondFinalResponseIsRejected) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(486, "486"));
  auto again = m.sendResponse(200, "200");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Conflict);
  EXPECT_FALSE(m.sendResponse(180, "180"));
}

TEST(InviteServerTransactionTest, TransportErrorTerminates) {
  Harness h;
  InviteServerTransaction m(kTimers, false, true);
  h.apply(m.start(std::nullopt));
  h.apply(m.sendResponse(486, "486"));
  h.apply(m.onTransportError());
  EXPECT_EQ(h.transport_errors, 1);
  EXPECT_TRUE(h.terminated);
}

// --- non-INVITE server ---

TEST(NonInviteServerTransactionTest, TryingAbsorbsRetransmissions) {
  Harness h;
  NonInviteServerTransaction m(kTimers, false);
  EXPECT_EQ(m.state(), S::Trying);
  h.apply(m.onRequestRetransmit());
  EXPECT_TRUE(h.sends.empty());
}

TEST(NonInviteServerTransactionTest, ProceedingAndCompletedResendLastResponse) {
  Harness h;
  NonInviteServerTransaction m(kTimers, false);
  h.apply(m.sendResponse(100, "100"));
  EXPECT_EQ(m.state(), S::Proceeding);
  h.apply(m.onRequestRetransmit());
  h.apply(m.sendResponse(200, "200"));
  EXPECT_EQ(m.state(), S::Completed);
  h.apply(m.onRequestRetransmit());
  EXPECT_EQ(h.sendTimes().size(), 4u);
  EXPECT_EQ(h.sends[1].second, "100");
  EXPECT_EQ(h.sends[3].second, "200");
  auto late = m.sendResponse(500, "500");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::Conflict);
}

TEST(NonInviteServerTransactionTest, TimerJKeepsFinalFor64T1) {
  Harness h;
  NonInviteServerTransaction m(kTimers, false);
  h.apply(m.sendResponse(200, "200"));
  EXPECT_TRUE(h.isArmed(T::J));
  h.runFor(m, 31999ms);
  EXPECT_FALSE(h.terminated);
  EXPECT_EQ(h.sends.size(), 1u) << "no timer-driven retransmission of non-INVITE responses";
  h.runFor(m, 1ms);
  EXPECT_TRUE(h.terminated);
}

TEST(NonInviteServerTransactionTest, ReliableTimerJIsZero) {
  Harness h;
  NonInviteServerTransaction m(kTimers, true);
  h.apply(m.sendResponse(200, "200"));
  EXPECT_TRUE(h.terminated);
}

TEST(TransactionTypesTest, ReliabilityFollowsTransportToken) {
  SendTarget t;
  EXPECT_FALSE(t.reliable());
  t.transport = "udp";
  EXPECT_FALSE(t.reliable());
  for (const char* token : {"TCP", "TLS", "WS", "WSS", "SCTP"}) {
    t.transport = token;
    EXPECT_TRUE(t.reliable()) << token;
  }
  EXPECT_EQ(timerName(T::L), "L");
  EXPECT_EQ(stateName(S::Accepted), "Accepted");
  EXPECT_EQ(kTimers.timeout(), 32s);
}

}  // namespace
}  // namespace sb::sip
