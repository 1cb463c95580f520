// SPDX-License-Identifier: Apache-2.0
#include "sip/transport/request_router.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "common/log.h"

namespace sb::sip {
namespace {

// The order methods are listed in Allow.
constexpr Method kMethodOrder[] = {Method::Invite,  Method::Ack,       Method::Cancel,
                                   Method::Bye,     Method::Options,   Method::Register,
                                   Method::Info,    Method::Update,    Method::Prack,
                                   Method::Message, Method::Subscribe, Method::Notify,
                                   Method::Publish, Method::Refer};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

void RequestHandler::onCancel(RequestRouter& router, TransactionHandle invite_txn) {
  const Message* invite = router.layer().request(invite_txn);
  auto state = router.layer().state(invite_txn);
  if (!invite || !state) return;
  if (*state == TransactionState::Proceeding) {
    (void)router.respond(invite_txn, *invite, 487);  // RFC 3261 §9.2
  }
}

void StaticResponseHandler::onRequest(const IncomingRequest& req) {
  if (req.txn == kNoTransaction) return;  // ACK
  (void)req.router.respond(req.txn, req.request, code_, reason_);
}

RequestRouter::RequestRouter(RequestRouterOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  std::random_device rd;
  tag_seed_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  rebuildPolicy();
}

void RequestRouter::setHandler(Method method, std::unique_ptr<RequestHandler> handler) {
  handlers_[method] = std::move(handler);
  rebuildPolicy();
}

void RequestRouter::rebuildPolicy() {
  policy_.allowed_methods.clear();
  std::vector<std::string> names;
  for (Method m : kMethodOrder) {
    bool allowed = m == Method::Options || m == Method::Ack || m == Method::Cancel ||
                   handlers_.count(m) != 0;
    if (!allowed) continue;
    policy_.allowed_methods.push_back(m);
    names.emplace_back(methodName(m));
  }
  allow_ = join(names);
  std::vector<std::string> tags;
  for (const auto& [m, h] : handlers_) {
    for (auto& t : h->optionTags()) {
      if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(std::move(t));
    }
  }
  policy_.supported = tags;
  supported_ = join(tags);
  policy_.accepted_bodies = options_.accepted_bodies;
  accept_ = join(options_.accepted_bodies);
}

std::string RequestRouter::newTag() {
  // Unique per process and shard; unguessable enough for dialog ids (RFC 3261 §19.3 asks for
  // 32 bits of randomness: the seed provides 64).
  uint64_t v = tag_seed_ ^ (++tag_counter_ * 0x9e3779b97f4a7c15ULL);
  char buf[17];
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHex[v & 0xf];
    v >>= 4;
  }
  buf[16] = 0;
  return std::string(buf, 16);
}

Status RequestRouter::respond(TransactionHandle txn, const Message& request, int code,
                              std::string_view reason,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  Message response = makeResponse(request, code, reason, code == 100 ? std::string_view{} : newTag());
  for (const auto& [name, value] : headers) response.addHeader(name, value);
  return respond(txn, std::move(response));
}

Status RequestRouter::respond(TransactionHandle txn, Message response) {
  if (!options_.server.empty() && !response.header(HeaderId::Server)) {
    response.addHeader("Server", options_.server);
  }
  return layer_->sendResponse(txn, response, clock_.now());
}

void RequestRouter::answerOptions(TransactionHandle txn, const Message& request) {
  // RFC 3261 §11.2: Allow, Accept, Accept-Encoding, Accept-Language and Supported.
  (void)respond(txn, request, 200, {},
                {{"Allow", allow_},
                 {"Accept", accept_},
                 {"Accept-Encoding", "identity"},
                 {"Accept-Language", "en"},
                 {"Supported", supported_}});
}

void RequestRouter::onRequest(TransactionHandle txn, const Message& request,
                              const SendTarget& source) {
  const Method method = request.method();
  if (method == Method::Ack) {
    // Never answered (RFC 3261 §17.2.3). An ACK for a 2xx reaches the INVITE handler.
    if (auto it = handlers_.find(Method::Invite); it != handlers_.end()) {
      it->second->onRequest(IncomingRequest{*this, kNoTransaction, request, source});
    }
    return;
  }
  if (auto rejection = checkRequest(request, policy_)) {
    Message response = makeRejection(request, *rejection, newTag());
    (void)respond(txn, std::move(response));
    return;
  }
  if (method == Method::Cancel) {
    auto invite = layer_->cancelTarget(txn);
    if (!invite) {
      (void)respond(txn, request, 481);  // RFC 3261 §9.2
      return;
    }
    (void)respond(txn, request, 200);
    if (auto it = handlers_.find(Method::Invite); it != handlers_.end()) {
      it->second->onCancel(*this, *invite);
    }
    return;
  }
  auto it = handlers_.find(method);
  if (it == handlers_.end()) {
    if (method == Method::Options) {
      answerOptions(txn, request);
      return;
    }
    // checkRequest passed, so the method is allowed: only ACK/CANCEL/OPTIONS get here unhandled.
    (void)respond(txn, request, 500, "No handler");
    return;
  }
  it->second->onRequest(IncomingRequest{*this, txn, request, source});
}

void RequestRouter::onResponse(TransactionHandle txn, const Message& response) {
  if (client_user_ != nullptr) client_user_->onResponse(txn, response);
}
void RequestRouter::onStrayResponse(const Message& response, const SendTarget& source) {
  if (client_user_ != nullptr) client_user_->onStrayResponse(response, source);
}
void RequestRouter::onTimeout(TransactionHandle txn) {
  SB_LOG_DEBUG("sip transaction {} timed out", txn);
  if (client_user_ != nullptr) client_user_->onTimeout(txn);
}
void RequestRouter::onTransportError(TransactionHandle txn, const Error& error) {
  SB_LOG_DEBUG("sip transaction {} transport error: {}", txn, error.toString());
  if (client_user_ != nullptr) client_user_->onTransportError(txn, error);
}
void RequestRouter::onTerminated(TransactionHandle txn) {
  if (client_user_ != nullptr) client_user_->onTerminated(txn);
}

}  // namespace sb::sip
