// SPDX-License-Identifier: Apache-2.0
#include "sip/transaction/transaction_layer.h"

#include <gtest/gtest.h>

#include <set>

#include "sip/transaction/testing/fake_transaction_env.h"

namespace sb::sip {
namespace {

using namespace std::chrono_literals;
using testing::FakeTimerService;
using testing::RecordingSender;
using testing::RecordingUser;

std::string crlf(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (auto l : lines) {
    out += l;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

Message parse(const std::string& text) {
  auto m = Message::parse(text);
  EXPECT_TRUE(m) << m.error().toString() << "\n" << text;
  return m ? std::move(*m) : Message();
}

SendTarget udp(std::string address = "192.0.2.10", uint16_t port = 5060) {
  SendTarget t;
  t.address = std::move(address);
  t.port = port;
  return t;
}

SendTarget tcp() {
  SendTarget t = udp();
  t.transport = "TCP";
  t.connection = 7;
  return t;
}

// An incoming request from a peer at 192.0.2.10.
Message inRequest(std::string_view method, std::string_view branch, std::string_view to_tag = {},
                  uint32_t cseq = 1, std::string_view cseq_method = {}, std::string_view from_tag = "ft1") {
  std::string via = "Via: SIP/2.0/UDP 192.0.2.10:5060";
  if (!branch.empty()) via += ";branch=" + std::string(branch);
  std::string to = "To: <sip:bob@example.com>";
  if (!to_tag.empty()) to += ";tag=" + std::string(to_tag);
  std::string cseq_line = "CSeq: " + std::to_string(cseq) + " " +
                          std::string(cseq_method.empty() ? method : cseq_method);
  return parse(crlf({std::string(method) + " sip:bob@example.com SIP/2.0", via, "Max-Forwards: 70",
                     "From: <sip:alice@example.com>;tag=" + std::string(from_tag), to,
                     "Call-ID: call-1@192.0.2.10", cseq_line, "Content-Length: 0"}));
}

// A response to one of our requests (top Via = ours).
Message inResponse(int code, std::string_view branch, std::string_view method, uint32_t cseq = 1,
                   std::string_view to_tag = "tt9") {
  return parse(crlf({"SIP/2.0 " + std::to_string(code) + " " + std::string(defaultReason(code)),
                     "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=" + std::string(branch),
                     "From: <sip:alice@example.com>;tag=ft1",
                     "To: <sip:bob@example.com>;tag=" + std::string(to_tag), "Call-ID: out-1@198.51.100.1",
                     "CSeq: " + std::to_string(cseq) + " " + std::string(method), "Content-Length: 0"}));
}

// An outgoing request built by a TU.
Message outRequest(std::string_view method, std::string_view branch, uint32_t cseq = 1) {
  return parse(crlf({std::string(method) + " sip:bob@example.com SIP/2.0",
                     "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=" + std::string(branch),
                     "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bKupstream",
                     "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>", "Max-Forwards: 69",
                     "From: \"Alice\" <sip:alice@example.com>;tag=ft1", "To: <sip:bob@example.com>",
                     "Call-ID: out-1@198.51.100.1", "CSeq: " + std::to_string(cseq) + " " + std::string(method),
                     "Contact: <sip:alice@198.51.100.1>", "Content-Length: 0"}));
}

class TransactionLayerTest : public ::testing::Test {
 protected:
  explicit TransactionLayerTest(TransactionLayerOptions options = {})
      : timers_(clock_), layer_(tu_, sender_, timers_, options) {}

  Status deliver(const Message& m, const SendTarget& from = udp()) { return layer_.onMessage(m, from, clock_.now()); }
  void advance(Duration d) { timers_.advance(layer_, d); }
  TransactionHandle lastRequestTxn() const {
    for (auto it = tu_.events.rbegin(); it != tu_.events.rend(); ++it) {
      if (it->what == "request") return it->txn;
    }
    return kNoTransaction;
  }

  ManualClock clock_;
  RecordingUser tu_;
  RecordingSender sender_;
  FakeTimerService timers_;
  TransactionLayer layer_;
};

// --- client side ---

TEST_F(TransactionLayerTest, InviteClientBuildsAckForNon2xx) {
  auto h = layer_.sendRequest(outRequest("INVITE", "z9hG4bKc1", 42), udp("198.51.100.9"), clock_.now());
  ASSERT_TRUE(h) << h.error().toString();
  ASSERT_EQ(sender_.sent.size(), 1u);
  ASSERT_TRUE(deliver(inResponse(486, "z9hG4bKc1", "INVITE", 42, "busy-tag")));
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].to.address, "198.51.100.9");
  Message ack = sender_.message(1);
  EXPECT_EQ(ack.method(), Method::Ack);
  EXPECT_EQ(ack.requestUriText(), "sip:bob@example.com");
  auto vias = ack.vias();
  ASSERT_TRUE(vias);
  ASSERT_EQ(vias->size(), 1u) << "only the top Via of the INVITE";
  EXPECT_EQ((*vias)[0].branch, "z9hG4bKc1");
  auto routes = ack.routes();
  ASSERT_TRUE(routes);
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].uri.host, "p1.example.com");
  EXPECT_EQ((*routes)[1].uri.host, "p2.example.com");
  EXPECT_EQ(ack.from()->tag, "ft1");
  EXPECT_EQ(ack.from()->display, "Alice");
  EXPECT_EQ(ack.to()->tag, "busy-tag") << "To comes from the response";
  EXPECT_EQ(*ack.callId(), "out-1@198.51.100.1");
  EXPECT_EQ(ack.cseq()->number, 42u);
  EXPECT_EQ(ack.cseq()->method, Method::Ack);
  EXPECT_EQ(*ack.maxForwards(), 70u);
  EXPECT_EQ(ack.header(HeaderId::Contact), std::nullopt);
  // The TU saw the 486 once; the retransmission only triggers the ACK again.
  ASSERT_TRUE(deliver(inResponse(486, "z9hG4bKc1", "INVITE", 42, "busy-tag")));
  EXPECT_EQ(sender_.sent.size(), 3u);
  EXPECT_EQ(sender_.sent[2].bytes, sender_.sent[1].bytes);
  EXPECT_EQ(tu_.count("response"), 1u);
  EXPECT_EQ(layer_.state(*h), TransactionState::Completed);
  advance(32s);
  EXPECT_FALSE(layer_.state(*h));
  EXPECT_EQ(tu_.events.back().what, "terminated");
  EXPECT_EQ(timers_.armedCount(), 0u);
}

TEST_F(TransactionLayerTest, InviteClient2xxGoesToTuAndLaterCopiesAreStray) {
  auto h = layer_.sendRequest(outRequest("INVITE", "z9hG4bKc2"), udp(), clock_.now());
  ASSERT_TRUE(h);
  ASSERT_TRUE(deliver(inResponse(180, "z9hG4bKc2", "INVITE")));
  ASSERT_TRUE(deliver(inResponse(200, "z9hG4bKc2", "INVITE")));
  ASSERT_EQ(tu_.events.size(), 3u);
  EXPECT_EQ(tu_.events[0].status, 180);
  EXPECT_EQ(tu_.events[1].status, 200);
  EXPECT_EQ(tu_.events[2].what, "terminated");
  EXPECT_EQ(sender_.sent.size(), 1u) << "no ACK from the transaction for a 2xx";
  ASSERT_TRUE(deliver(inResponse(200, "z9hG4bKc2", "INVITE")));
  EXPECT_EQ(tu_.events.back().what, "stray");
  EXPECT_EQ(layer_.size(), 0u);
}

TEST_F(TransactionLayerTest, ResponsesMatchOnBranchAndCSeqMethod) {
  auto inv = layer_.sendRequest(outRequest("INVITE", "z9hG4bKsame"), udp(), clock_.now());
  auto cancel = layer_.sendRequest(outRequest("CANCEL", "z9hG4bKsame"), udp(), clock_.now());
  ASSERT_TRUE(inv);
  ASSERT_TRUE(cancel);
  EXPECT_NE(*inv, *cancel);
  ASSERT_TRUE(deliver(inResponse(200, "z9hG4bKsame", "CANCEL")));
  ASSERT_TRUE(deliver(inResponse(487, "z9hG4bKsame", "INVITE")));
  std::vector<std::pair<TransactionHandle, int>> responses;
  for (const auto& e : tu_.events) {
    if (e.what == "response") responses.emplace_back(e.txn, e.status);
  }
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0], std::make_pair(*cancel, 200));
  EXPECT_EQ(responses[1], std::make_pair(*inv, 487));
  ASSERT_TRUE(deliver(inResponse(200, "z9hG4bKother", "INVITE")));
  EXPECT_EQ(tu_.events.back().what, "stray");
}

TEST_F(TransactionLayerTest, TimerBTimesOutToTu) {
  auto h = layer_.sendRequest(outRequest("INVITE", "z9hG4bKc3"), udp(), clock_.now());
  ASSERT_TRUE(h);
  advance(31999ms);
  EXPECT_EQ(sender_.sent.size(), 7u);
  EXPECT_EQ(tu_.count("timeout"), 0u);
  advance(1ms);
  ASSERT_EQ(tu_.events.size(), 2u);
  EXPECT_EQ(tu_.events[0].what, "timeout");
  EXPECT_EQ(tu_.events[0].txn, *h);
  EXPECT_EQ(tu_.events[1].what, "terminated");
  EXPECT_EQ(timers_.armedCount(), 0u);
}

TEST_F(TransactionLayerTest, NonInviteClientTimerFOverTcpHasNoRetransmissions) {
  auto h = layer_.sendRequest(outRequest("OPTIONS", "z9hG4bKc4"), tcp(), clock_.now());
  ASSERT_TRUE(h);
  EXPECT_FALSE(timers_.armed(*h, TransactionTimer::E));
  advance(32s);
  EXPECT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(tu_.count("timeout"), 1u);
}

TEST_F(TransactionLayerTest, SendRequestValidatesInput) {
  auto ack = layer_.sendRequest(outRequest("ACK", "z9hG4bKa"), udp(), clock_.now());
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error().code, Errc::InvalidArgument);
  auto no_cookie = layer_.sendRequest(outRequest("OPTIONS", "old-branch"), udp(), clock_.now());
  ASSERT_FALSE(no_cookie);
  EXPECT_EQ(no_cookie.error().code, Errc::InvalidArgument);
  ASSERT_TRUE(layer_.sendRequest(outRequest("OPTIONS", "z9hG4bKdup"), udp(), clock_.now()));
  auto dup = layer_.sendRequest(outRequest("OPTIONS", "z9hG4bKdup"), udp(), clock_.now());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
}

TEST_F(TransactionLayerTest, ImmediateSendFailureLeavesNoTransaction) {
  sender_.failNext(Error(Errc::Unavailable, "connection refused"));
  auto h = layer_.sendRequest(outRequest("INVITE", "z9hG4bKfail"), tcp(), clock_.now());
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::Unavailable);
  EXPECT_EQ(layer_.size(), 0u);
  EXPECT_TRUE(tu_.events.empty());
  EXPECT_EQ(timers_.armedCount(), 0u);
}

TEST_F(TransactionLayerTest, AsyncSendErrorIsReportedToTu) {
  auto h = layer_.sendRequest(outRequest("INVITE", "z9hG4bKasync"), tcp(), clock_.now());
  ASSERT_TRUE(h);
  layer_.onSendError(*h, Error(Errc::Unavailable, "reset"), clock_.now());
  ASSERT_EQ(tu_.events.size(), 2u);
  EXPECT_EQ(tu_.events[0].what, "transport-error");
  EXPECT_EQ(tu_.events[1].what, "terminated");
  EXPECT_EQ(timers_.armedCount(), 0u);
  layer_.onSendError(*h, Error(Errc::Unavailable, "again"), clock_.now());  // stale: ignored
  EXPECT_EQ(tu_.events.size(), 2u);
}

TEST_F(TransactionLayerTest, RetransmissionSendFailureTerminatesClient) {
  auto h = layer_.sendRequest(outRequest("OPTIONS", "z9hG4bKrf"), udp(), clock_.now());
  ASSERT_TRUE(h);
  sender_.failNext(Error(Errc::Unavailable, "no route"));
  advance(500ms);
  ASSERT_EQ(tu_.events.size(), 2u);
  EXPECT_EQ(tu_.events[0].what, "transport-error");
  EXPECT_EQ(tu_.events[1].what, "terminated");
  EXPECT_EQ(timers_.armedCount(), 0u);
}

TEST_F(TransactionLayerTest, NewBranchesAreUniqueAndCarryTheCookie) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string b = layer_.newBranch();
    EXPECT_EQ(b.rfind("z9hG4bK", 0), 0u);
    EXPECT_TRUE(seen.insert(b).second);
  }
}

// --- server side ---

TEST_F(TransactionLayerTest, InviteServerSendsTryingAndAbsorbsRetransmissions) {
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKs1")));
  ASSERT_EQ(tu_.count("request"), 1u);
  const TransactionHandle h = lastRequestTxn();
  ASSERT_NE(h, kNoTransaction);
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.message(0).statusCode(), 100);
  EXPECT_EQ(sender_.sent[0].to.address, "192.0.2.10");
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKs1")));
  EXPECT_EQ(tu_.count("request"), 1u) << "retransmission not passed up";
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.message(1).statusCode(), 100);

  Message busy = makeResponse(*layer_.request(h), 486, {}, "srv-tag");
  ASSERT_TRUE(layer_.sendResponse(h, busy, clock_.now()));
  EXPECT_EQ(layer_.state(h), TransactionState::Completed);
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKs1")));
  EXPECT_EQ(sender_.message(sender_.sent.size() - 1).statusCode(), 486);
  advance(500ms);  // Timer G
  EXPECT_EQ(sender_.message(sender_.sent.size() - 1).statusCode(), 486);
  const size_t before_ack = sender_.sent.size();
  ASSERT_TRUE(deliver(inRequest("ACK", "z9hG4bKs1", "srv-tag")));
  EXPECT_EQ(tu_.count("request"), 1u) << "ACK for a non-2xx is absorbed";
  EXPECT_EQ(layer_.state(h), TransactionState::Confirmed);
  advance(10s);
  EXPECT_EQ(sender_.sent.size(), before_ack) << "G stopped by the ACK";
  EXPECT_FALSE(layer_.state(h));
  EXPECT_EQ(tu_.events.back().what, "terminated");
  EXPECT_EQ(tu_.count("timeout"), 0u);
}

TEST_F(TransactionLayerTest, InviteServerTimerHReportsMissingAck) {
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKs2")));
  const TransactionHandle h = lastRequestTxn();
  ASSERT_TRUE(layer_.sendResponse(h, makeResponse(*layer_.request(h), 500), clock_.now()));
  advance(32s);
  EXPECT_EQ(tu_.count("timeout"), 1u);
  EXPECT_EQ(tu_.events.back().what, "terminated");
}

TEST_F(TransactionLayerTest, AckForTwoHundredHasNoTransaction) {
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKs3")));
  const TransactionHandle h = lastRequestTxn();
  ASSERT_TRUE(layer_.sendResponse(h, makeResponse(*layer_.request(h), 200, {}, "t2"), clock_.now()));
  EXPECT_EQ(layer_.state(h), TransactionState::Accepted);
  // INVITE retransmission in Accepted: absorbed, not re-answered, not passed up.
  const size_t sent = sender_.sent.size();
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKs3")));
  EXPECT_EQ(sender_.sent.size(), sent);
  EXPECT_EQ(tu_.count("request"), 1u);
  // The 2xx ACK is a new transaction (new branch): straight to the TU.
  ASSERT_TRUE(deliver(inRequest("ACK", "z9hG4bKs3ack", "t2")));
  EXPECT_EQ(tu_.events.back().what, "request");
  EXPECT_EQ(tu_.events.back().method, "ACK");
  EXPECT_EQ(tu_.events.back().txn, kNoTransaction);
  // An ACK reusing the INVITE branch is matched and passed up from Accepted (RFC 6026).
  ASSERT_TRUE(deliver(inRequest("ACK", "z9hG4bKs3", "t2")));
  EXPECT_EQ(tu_.events.back().txn, h);
  EXPECT_EQ(tu_.events.back().method, "ACK");
  advance(32s);  // Timer L
  EXPECT_FALSE(layer_.state(h));
}

TEST_F(TransactionLayerTest, NonInviteServerRetransmitsFinalAndTimerJEnds) {
  tu_.on_request = [&](TransactionHandle txn, const Message& req) {
    if (txn != kNoTransaction) {
      ASSERT_TRUE(layer_.sendResponse(txn, makeResponse(req, 200, {}, "ok"), clock_.now()));
    }
  };
  ASSERT_TRUE(deliver(inRequest("OPTIONS", "z9hG4bKs4")));
  const TransactionHandle h = lastRequestTxn();
  ASSERT_EQ(sender_.sent.size(), 1u) << "answered synchronously from inside onRequest";
  EXPECT_EQ(layer_.state(h), TransactionState::Completed);
  ASSERT_TRUE(deliver(inRequest("OPTIONS", "z9hG4bKs4")));
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].bytes, sender_.sent[0].bytes);
  EXPECT_EQ(tu_.count("request"), 1u);
  auto again = layer_.sendResponse(h, makeResponse(*layer_.request(h), 500), clock_.now());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::Conflict);
  advance(32s);
  EXPECT_FALSE(layer_.state(h));
  EXPECT_FALSE(layer_.sendResponse(h, makeResponse(inRequest("OPTIONS", "z9hG4bKs4"), 200), clock_.now()));
}

TEST_F(TransactionLayerTest, ReliableNonInviteServerEndsOnFinalResponse) {
  ASSERT_TRUE(deliver(inRequest("BYE", "z9hG4bKs5", "x"), tcp()));
  const TransactionHandle h = lastRequestTxn();
  ASSERT_TRUE(layer_.sendResponse(h, makeResponse(*layer_.request(h), 200), clock_.now()));
  EXPECT_FALSE(layer_.state(h));
  EXPECT_EQ(sender_.sent[0].to.connection, 7u);
  EXPECT_EQ(tu_.events.back().what, "terminated");
}

TEST_F(TransactionLayerTest, ServerSendFailureReportsTransportError) {
  ASSERT_TRUE(deliver(inRequest("MESSAGE", "z9hG4bKs6")));
  const TransactionHandle h = lastRequestTxn();
  sender_.failNext(Error(Errc::Unavailable, "gone"));
  auto st = layer_.sendResponse(h, makeResponse(*layer_.request(h), 200), clock_.now());
  EXPECT_FALSE(st);
  ASSERT_GE(tu_.events.size(), 3u);
  EXPECT_EQ(tu_.events[tu_.events.size() - 2].what, "transport-error");
  EXPECT_EQ(tu_.events.back().what, "terminated");
  EXPECT_EQ(timers_.armedCount(), 0u);
}

TEST_F(TransactionLayerTest, ServerMatchingUsesSentBy) {
  ASSERT_TRUE(deliver(inRequest("OPTIONS", "z9hG4bKsb")));
  // Same branch from another sent-by: a different transaction (§17.2.3).
  Message other = parse(crlf({"OPTIONS sip:bob@example.com SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKsb",
                              "From: <sip:carol@example.com>;tag=c1", "To: <sip:bob@example.com>",
                              "Call-ID: other@192.0.2.99", "CSeq: 1 OPTIONS", "Content-Length: 0"}));
  ASSERT_TRUE(deliver(other));
  EXPECT_EQ(tu_.count("request"), 2u);
  EXPECT_EQ(layer_.size(), 2u);
}

TEST_F(TransactionLayerTest, CancelIsOwnTransactionAndFindsTheInvite) {
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKinv")));
  const TransactionHandle invite = lastRequestTxn();
  ASSERT_TRUE(deliver(inRequest("CANCEL", "z9hG4bKinv")));
  const TransactionHandle cancel = lastRequestTxn();
  EXPECT_NE(cancel, invite);
  EXPECT_EQ(tu_.events.back().method, "CANCEL");
  EXPECT_EQ(layer_.cancelTarget(cancel), invite);
  EXPECT_EQ(layer_.findInviteFor(inRequest("CANCEL", "z9hG4bKinv")), invite);
  EXPECT_EQ(layer_.cancelTarget(invite), std::nullopt) << "not a CANCEL";
  // A CANCEL with another branch cancels nothing (the TU answers 481).
  ASSERT_TRUE(deliver(inRequest("CANCEL", "z9hG4bKelse", {}, 1, {}, "ft-other")));
  EXPECT_EQ(tu_.events.back().method, "CANCEL");
  EXPECT_EQ(layer_.cancelTarget(lastRequestTxn()), std::nullopt);
  // Typical flow: 200 to the CANCEL, 487 to the INVITE.
  ASSERT_TRUE(layer_.sendResponse(cancel, makeResponse(*layer_.request(cancel), 200), clock_.now()));
  ASSERT_TRUE(layer_.sendResponse(invite, makeResponse(*layer_.request(invite), 487, {}, "t"), clock_.now()));
  EXPECT_EQ(layer_.state(invite), TransactionState::Completed);
  // Once the INVITE transaction is gone the CANCEL finds nothing.
  advance(40s);
  EXPECT_FALSE(layer_.state(invite));
  EXPECT_FALSE(layer_.state(cancel));
  EXPECT_EQ(layer_.findInviteFor(inRequest("CANCEL", "z9hG4bKinv")), std::nullopt);
}

TEST_F(TransactionLayerTest, Rfc2543RequestsMatchWithoutMagicCookie) {
  // No branch at all (RFC 2543 peer).
  ASSERT_TRUE(deliver(inRequest("INVITE", "")));
  const TransactionHandle h = lastRequestTxn();
  ASSERT_NE(h, kNoTransaction);
  ASSERT_TRUE(deliver(inRequest("INVITE", "")));
  EXPECT_EQ(tu_.count("request"), 1u) << "retransmission matched by Request-URI/tags/Call-ID/CSeq/Via";
  EXPECT_EQ(layer_.findInviteFor(inRequest("CANCEL", "", {}, 1, "CANCEL")), h);
  // A different CSeq is a new request.
  ASSERT_TRUE(deliver(inRequest("INVITE", "", {}, 2, {}, "ft2")));
  EXPECT_EQ(tu_.count("request"), 2u);

  ASSERT_TRUE(layer_.sendResponse(h, makeResponse(*layer_.request(h), 404, {}, "nf-tag"), clock_.now()));
  // ACK with a To tag other than the response's: not ours, goes to the TU.
  ASSERT_TRUE(deliver(inRequest("ACK", "", "other-tag")));
  EXPECT_EQ(tu_.events.back().method, "ACK");
  EXPECT_EQ(tu_.events.back().txn, kNoTransaction);
  EXPECT_EQ(layer_.state(h), TransactionState::Completed);
  // The right ACK (CSeq number same, method ACK, To tag of the 404) confirms.
  const size_t requests = tu_.count("request");
  ASSERT_TRUE(deliver(inRequest("ACK", "", "nf-tag")));
  EXPECT_EQ(tu_.count("request"), requests);
  EXPECT_EQ(layer_.state(h), TransactionState::Confirmed);
}

TEST_F(TransactionLayerTest, Rfc2543BranchWithoutCookieUsesFallback) {
  ASSERT_TRUE(deliver(inRequest("OPTIONS", "1234abcd")));
  ASSERT_TRUE(deliver(inRequest("OPTIONS", "1234abcd")));
  EXPECT_EQ(tu_.count("request"), 1u);
}

TEST_F(TransactionLayerTest, MergedRequestGets482) {
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKpath1")));
  const TransactionHandle first = lastRequestTxn();
  const size_t sent = sender_.sent.size();
  // The same request forked back to us through another proxy: new branch, same From tag,
  // Call-ID and CSeq, no To tag.
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKpath2")));
  EXPECT_EQ(tu_.count("request"), 1u);
  ASSERT_EQ(sender_.sent.size(), sent + 1);
  EXPECT_EQ(sender_.message(sent).statusCode(), 482);
  // Its retransmission gets the 482 again; the original is untouched.
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKpath2")));
  EXPECT_EQ(sender_.message(sender_.sent.size() - 1).statusCode(), 482);
  EXPECT_EQ(layer_.state(first), TransactionState::Proceeding);
  // A request in a dialog (To tag) is never "merged".
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKpath3", "dlg")));
  EXPECT_EQ(tu_.count("request"), 2u);
}

TEST_F(TransactionLayerTest, MergedKeyFreedWhenTransactionEnds) {
  ASSERT_TRUE(deliver(inRequest("MESSAGE", "z9hG4bKm1")));
  const TransactionHandle h = lastRequestTxn();
  ASSERT_TRUE(layer_.sendResponse(h, makeResponse(*layer_.request(h), 200), clock_.now()));
  advance(32s);
  ASSERT_TRUE(deliver(inRequest("MESSAGE", "z9hG4bKm2")));
  EXPECT_EQ(tu_.count("request"), 2u);
}

class NoMergeDetectionTest : public TransactionLayerTest {
 protected:
  NoMergeDetectionTest() : TransactionLayerTest(options()) {}
  static TransactionLayerOptions options() {
    TransactionLayerOptions o;
    o.detect_merged_requests = false;
    o.auto_100_trying = false;
    o.rfc6026 = false;
    return o;
  }
};

TEST_F(NoMergeDetectionTest, ProxyModeDeliversBothCopiesWithout100) {
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKp1")));
  ASSERT_TRUE(deliver(inRequest("INVITE", "z9hG4bKp2")));
  EXPECT_EQ(tu_.count("request"), 2u);
  EXPECT_TRUE(sender_.sent.empty());
  const TransactionHandle h = lastRequestTxn();
  ASSERT_TRUE(layer_.sendResponse(h, makeResponse(*layer_.request(h), 200, {}, "x"), clock_.now()));
  EXPECT_FALSE(layer_.state(h)) << "RFC 3261: 2xx terminates the INVITE server transaction";
}

TEST_F(TransactionLayerTest, MalformedRequestIsRejected) {
  Message no_via = parse(crlf({"OPTIONS sip:bob@example.com SIP/2.0", "From: <sip:a@example.com>;tag=1",
                               "To: <sip:bob@example.com>", "Call-ID: x", "CSeq: 1 OPTIONS", "Content-Length: 0"}));
  auto st = deliver(no_via);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::NotFound);
  EXPECT_TRUE(tu_.events.empty());
  EXPECT_EQ(layer_.size(), 0u);
}

TEST(MaxForwardsTest, ZeroIsExhausted) {
  auto with = [](std::string_view mf) {
    std::string text = "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";
    if (!mf.empty()) text += "Max-Forwards: " + std::string(mf) + "\r\n";
    text += "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    return *Message::parse(text);
  };
  EXPECT_TRUE(maxForwardsExhausted(with("0")));
  EXPECT_FALSE(maxForwardsExhausted(with("1")));
  EXPECT_FALSE(maxForwardsExhausted(with("70")));
  EXPECT_FALSE(maxForwardsExhausted(with("")));
}

TEST(MakeNon2xxAckTest, RequiresViaAndTo) {
  Message invite = *Message::parse(std::string(
      "INVITE sip:b@example.com SIP/2.0\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
      "Call-ID: c\r\nCSeq: 1 INVITE\r\n\r\n"));
  Message resp = Message::response(486);
  auto ack = makeNon2xxAck(invite, resp);
  ASSERT_FALSE(ack);
  EXPECT_EQ(ack.error().field, "Via");
}

}  // namespace
}  // namespace sb::sip
