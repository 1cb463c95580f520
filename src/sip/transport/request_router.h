// SPDX-License-Identifier: Apache-2.0
// RequestRouter: the server core, a TransactionUser that validates each new request (RFC 3261
// §8.2 via sip/validate.h) and hands it to the RequestHandler registered for its method;
// OPTIONS is answered here (§11.2), CANCEL matched to its INVITE (§9.2), ACK never answered.
// The registrar and the B2BUA plug in as handlers. One router per shard, owned by the
// SipEndpoint; it and its handlers run on that shard's thread only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "sip/message.h"
#include "sip/transaction/transaction_layer.h"
#include "sip/validate.h"

namespace sb::sip {

class RequestRouter;

// One validated request on its server transaction. Valid for the onRequest call; keep `txn`
// to answer later (on the same shard thread) through RequestRouter::respond().
struct IncomingRequest {
  RequestRouter& router;
  TransactionHandle txn;
  const Message& request;
  const SendTarget& source;  // the response route (RFC 3261 §18.2.2)
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // A request of the handler's method that passed validation. Must lead to exactly one final
  // response on req.txn (now or later). ACK handlers get txn == kNoTransaction and answer nothing.
  virtual void onRequest(const IncomingRequest& req) = 0;
  // The INVITE `invite_txn` was cancelled (CANCEL already answered 200). The default answers
  // 487 Request Terminated if no final response was sent yet.
  virtual void onCancel(RequestRouter& router, TransactionHandle invite_txn);
  // Option tags this handler implements (merged into Supported and the 420 check).
  virtual std::vector<std::string> optionTags() const { return {}; }
};

// Answers every request with a fixed final response (e.g. 480 until a B2BUA is configured).
class StaticResponseHandler final : public RequestHandler {
 public:
  StaticResponseHandler(int code, std::string reason) : code_(code), reason_(std::move(reason)) {}
  void onRequest(const IncomingRequest& req) override;

 private:
  int code_;
  std::string reason_;
};

struct RequestRouterOptions {
  std::string server;  // Server header value on every response we generate; empty = none
  std::vector<std::string> accepted_bodies{"application/sdp"};
};

class RequestRouter final : public TransactionUser {
 public:
  RequestRouter(RequestRouterOptions options, const Clock& clock);
  RequestRouter(const RequestRouter&) = delete;
  RequestRouter& operator=(const RequestRouter&) = delete;

  // Must be called once before the layer delivers messages.
  void attach(TransactionLayer& layer) noexcept { layer_ = &layer; }
  // The TU of the client transactions that handlers start (the B2BUA): responses, stray
  // responses, timeouts, transport errors and terminations are forwarded to it. Server
  // transaction events are forwarded too; it ignores handles it does not know.
  void setClientUser(TransactionUser* user) noexcept { client_user_ = user; }
  TransactionLayer& layer() noexcept { return *layer_; }

  // Registers the handler for `method` (replacing any; OPTIONS is built in, ACK/CANCEL are
  // handled here unless a handler is set). Allow, Supported and validation follow the set.
  void setHandler(Method method, std::unique_ptr<RequestHandler> handler);

  // Sends a response built from `request` (To tag added on non-100 responses, Server added)
  // through server transaction `txn`. Errors as TransactionLayer::sendResponse.
  Status respond(TransactionHandle txn, const Message& request, int code,
                 std::string_view reason = {},
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Sends a fully built response through `txn` (Server added when absent).
  Status respond(TransactionHandle txn, Message response);

  // The validation policy in force (allowed methods = registered handlers + ACK + CANCEL).
  const UasPolicy& policy() const noexcept { return policy_; }
  // "INVITE, ACK, CANCEL, OPTIONS, ..." as sent in Allow.
  const std::string& allowHeader() const noexcept { return allow_; }
  const std::string& supportedHeader() const noexcept { return supported_; }
  // A fresh To tag.
  std::string newTag();
  MonoTime now() const { return clock_.now(); }
  const RequestRouterOptions& options() const noexcept { return options_; }

  // TransactionUser
  void onRequest(TransactionHandle txn, const Message& request, const SendTarget& source) override;
  void onResponse(TransactionHandle txn, const Message& response) override;
  void onStrayResponse(const Message& response, const SendTarget& source) override;
  void onTimeout(TransactionHandle txn) override;
  void onTransportError(TransactionHandle txn, const Error& error) override;
  void onTerminated(TransactionHandle txn) override;

 private:
  void rebuildPolicy();
  void answerOptions(TransactionHandle txn, const Message& request);

  RequestRouterOptions options_;
  const Clock& clock_;
  TransactionLayer* layer_ = nullptr;
  TransactionUser* client_user_ = nullptr;
  std::map<Method, std::unique_ptr<RequestHandler>> handlers_;
  UasPolicy policy_;
  std::string allow_;
  std::string supported_;
  std::string accept_;
  uint64_t tag_counter_ = 0;
  uint64_t tag_seed_ = 0;
};

}  // namespace sb::sip
