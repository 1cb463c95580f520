// SPDX-License-Identifier: Apache-2.0
#include "sip/transaction/transaction_layer.h"

#include <cctype>
#include <unordered_set>
#include <vector>

#include "common/assert.h"
#include "sip/transaction/transaction_machines.h"

namespace sb::sip {
namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";
constexpr char kSep = '\x1f';

bool hasMagicCookie(std::string_view branch) {
  return branch.size() > kMagicCookie.size() && branch.substr(0, kMagicCookie.size()) == kMagicCookie;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// What matching needs from a request, extracted once.
struct RequestInfo {
  std::string_view branch;
  std::string sent_by;  // lower(host):port
  std::string_view top_via_raw;
  std::string_view method;  // start-line method text
  bool is_ack = false;
  bool is_invite = false;
  std::string_view call_id;
  std::string_view from_tag;
  std::string_view to_tag;
  uint32_t cseq = 0;
  std::string_view cseq_method;
  std::string_view request_uri;
};

Result<RequestInfo> requestInfo(const Message& m) {
  RequestInfo info;
  auto via = m.topVia();
  if (!via) return std::unexpected(via.error());
  auto cseq = m.cseq();
  if (!cseq) return std::unexpected(cseq.error());
  auto call_id = m.callId();
  if (!call_id) return std::unexpected(call_id.error());
  auto from = m.from();
  if (!from) return std::unexpected(from.error());
  auto to = m.to();
  if (!to) return std::unexpected(to.error());
  info.branch = via->branch;
  info.sent_by = lower(via->host) + ":" + std::to_string(via->port);
  info.top_via_raw = via->raw;
  info.method = m.methodName();
  info.is_ack = m.method() == Method::Ack;
  info.is_invite = m.method() == Method::Invite;
  info.call_id = *call_id;
  info.from_tag = from->tag;
  info.to_tag = to->tag;
  info.cseq = cseq->number;
  info.cseq_method = cseq->method_name;
  info.request_uri = m.requestUriText();
  return info;
}

// RFC 3261 §17.2.3: branch + sent-by + method, with ACK matching the INVITE.
std::string serverKey(const RequestInfo& r, std::string_view method) {
  std::string k(r.branch);
  k += kSep;
  k += r.sent_by;
  k += kSep;
  k += method;
  return k;
}

// RFC 3261 §17.2.3 fallback for RFC 2543 peers: Request-URI, From tag, Call-ID, CSeq number
// and top Via (To tag checked separately), plus the method the transaction was created by.
std::string legacyKey(const RequestInfo& r, std::string_view method) {
  std::string k(r.request_uri);
  k += kSep;
  k += r.from_tag;
  k += kSep;
  k += r.call_id;
  k += kSep;
  k += std::to_string(r.cseq);
  k += kSep;
  k += r.top_via_raw;
  k += kSep;
  k += method;
  return k;
}

std::string lookupKey(const RequestInfo& r, std::string_view method) {
  return hasMagicCookie(r.branch) ? serverKey(r, method) : legacyKey(r, method);
}

// RFC 3261 §8.2.2.2: From tag, Call-ID and CSeq identify a request across forks.
std::string mergedKey(const RequestInfo& r) {
  std::string k(r.from_tag);
  k += kSep;
  k += r.call_id;
  k += kSep;
  k += std::to_string(r.cseq);
  k += kSep;
  k += r.cseq_method;
  return k;
}

std::string clientKey(std::string_view branch, std::string_view cseq_method) {
  std::string k(branch);
  k += kSep;
  k += cseq_method;
  return k;
}

}  // namespace

struct TransactionLayer::Impl {
  enum class Kind : uint8_t { InviteClient, NonInviteClient, InviteServer, NonInviteServer };

  struct Txn {
    TransactionHandle handle = kNoTransaction;
    Kind kind = Kind::NonInviteClient;
    std::unique_ptr<TransactionMachine> machine;
    Message request;
    SendTarget target;
    std::string key;         // in clients_ or servers_
    std::string merged_key;  // in merged_, or empty
    bool legacy = false;     // matched by RFC 2543 rules
    std::string request_to_tag;
    std::string response_to_tag;  // To tag of the final response sent (RFC 2543 ACK match)
    bool announced = false;       // the TU knows this handle
    bool dead = false;
    Error last_error;

    bool isClient() const { return kind == Kind::InviteClient || kind == Kind::NonInviteClient; }
  };

  Impl(TransactionUser& tu_in, TransactionSender& sender_in, TransactionTimerService& timers_in,
       TransactionLayerOptions opts)
      : tu(tu_in), sender(sender_in), timers(timers_in), options(opts) {}

  TransactionUser& tu;
  TransactionSender& sender;
  TransactionTimerService& timers;
  TransactionLayerOptions options;
  TransactionHandle next_handle = 1;
  uint64_t branch_counter = 0;
  std::unordered_map<TransactionHandle, std::unique_ptr<Txn>> txns;
  std::unordered_map<std::string, TransactionHandle> clients;
  std::unordered_map<std::string, TransactionHandle> servers;
  std::unordered_map<std::string, TransactionHandle> merged;
  std::vector<TransactionHandle> graveyard;
  int depth = 0;

  Txn* find(TransactionHandle h) const {
    auto it = txns.find(h);
    return it == txns.end() || it->second->dead ? nullptr : it->second.get();
  }

  Txn& create(Kind kind, const Message& request, const SendTarget& target) {
    auto t = std::make_unique<Txn>();
    t->handle = next_handle++;
    t->kind = kind;
    t->request = request;
    t->target = target;
    const bool reliable = target.reliable();
    switch (kind) {
      case Kind::InviteClient:
        t->machine = std::make_unique<InviteClientTransaction>(options.timers, reliable);
        break;
      case Kind::NonInviteClient:
        t->machine = std::make_unique<NonInviteClientTransaction>(options.timers, reliable);
        break;
      case Kind::InviteServer:
        t->machine = std::make_unique<InviteServerTransaction>(options.timers, reliable, options.rfc6026);
        break;
      case Kind::NonInviteServer:
        t->machine = std::make_unique<NonInviteServerTransaction>(options.timers, reliable);
        break;
    }
    Txn& ref = *t;
    txns.emplace(ref.handle, std::move(t));
    return ref;
  }

  // Unindexes a terminated transaction and tells the TU; the object itself is freed when the
  // outermost layer call returns, so callers up the stack may still hold a Txn&.
  void finish(Txn& t) {
    if (t.dead) return;
    t.dead = true;
    auto& index = t.isClient() ? clients : servers;
    if (auto it = index.find(t.key); it != index.end() && it->second == t.handle) index.erase(it);
    if (!t.merged_key.empty()) {
      if (auto it = merged.find(t.merged_key); it != merged.end() && it->second == t.handle) merged.erase(it);
    }
    graveyard.push_back(t.handle);
    if (t.announced) tu.onTerminated(t.handle);
  }

  void collect() {
    if (depth != 0) return;
    for (auto h : graveyard) txns.erase(h);
    graveyard.clear();
  }

  // Carries out a machine's actions. `message`/`source` are what PassToTu hands to the TU.
  // Returns the error of a failed send (the transaction is then terminated).
  Status run(Txn& t, TransactionActions actions, const Message* message, const SendTarget* source) {
    std::optional<Error> send_error;
    bool terminated = false;
    for (auto& a : actions) {
      switch (a.kind) {
        case TransactionAction::Kind::Send:
          if (!send_error) {
            if (auto st = sender.send(t.handle, t.target, a.bytes); !st) send_error = st.error();
          }
          break;
        case TransactionAction::Kind::StartTimer:
          timers.startTimer({t.handle, a.timer}, a.delay);
          break;
        case TransactionAction::Kind::CancelTimer:
          timers.cancelTimer({t.handle, a.timer});
          break;
        case TransactionAction::Kind::PassToTu:
          if (message == nullptr) break;
          if (t.isClient()) {
            tu.onResponse(t.handle, *message);
          } else {
            tu.onRequest(t.handle, *message, source != nullptr ? *source : t.target);
          }
          break;
        case TransactionAction::Kind::Timeout:
          if (t.announced) tu.onTimeout(t.handle);
          break;
        case TransactionAction::Kind::TransportError:
          if (t.announced) tu.onTransportError(t.handle, t.last_error);
          break;
        case TransactionAction::Kind::Terminated:
          terminated = true;
          break;
      }
    }
    if (send_error) {
      t.last_error = *send_error;
      if (!t.machine->terminated()) {
        (void)run(t, t.machine->onTransportError(), nullptr, nullptr);
      } else if (t.announced) {
        tu.onTransportError(t.handle, *send_error);
      }
    }
    if (terminated) finish(t);
    if (send_error) return std::unexpected(*send_error);
    return {};
  }

  struct DepthGuard {
    Impl& impl;
    explicit DepthGuard(Impl& i) : impl(i) { ++impl.depth; }
    ~DepthGuard() {
      --impl.depth;
      impl.collect();
    }
  };

  Status onRequest(const Message& m, const SendTarget& source);
  Status onResponse(const Message& m, const SendTarget& source);
  Txn* findServer(const RequestInfo& info, std::string_view method) const;
};

TransactionLayer::Impl::Txn* TransactionLayer::Impl::findServer(const RequestInfo& info,
                                                                std::string_view method) const {
  auto it = servers.find(lookupKey(info, method));
  if (it == servers.end()) return nullptr;
  return find(it->second);
}

Status TransactionLayer::Impl::onRequest(const Message& m, const SendTarget& source) {
  auto parsed = requestInfo(m);
  if (!parsed) return std::unexpected(parsed.error());
  const RequestInfo& info = *parsed;
  const bool legacy = !hasMagicCookie(info.branch);

  if (Txn* t = findServer(info, info.is_ack ? std::string_view("INVITE") : info.method)) {
    if (info.is_ack) {
      if (t->kind != Kind::InviteServer) return {};
      // RFC 3261 §17.2.3: a 2543 ACK must carry the To tag of the response we sent.
      if (t->legacy && info.to_tag != t->response_to_tag) {
        tu.onRequest(kNoTransaction, m, source);
        return {};
      }
      auto* machine = static_cast<InviteServerTransaction*>(t->machine.get());
      return run(*t, machine->onAck(), &m, &source);
    }
    if (!t->legacy || info.to_tag == t->request_to_tag) {
      TransactionActions actions;
      if (t->kind == Kind::InviteServer) {
        actions = static_cast<InviteServerTransaction*>(t->machine.get())->onRequestRetransmit();
      } else if (t->kind == Kind::NonInviteServer) {
        actions = static_cast<NonInviteServerTransaction*>(t->machine.get())->onRequestRetransmit();
      }
      return run(*t, std::move(actions), nullptr, nullptr);
    }
  }

  if (info.is_ack) {
    // An ACK for a 2xx is its own end-to-end request (§17.1.1.3): no transaction.
    tu.onRequest(kNoTransaction, m, source);
    return {};
  }

  const Kind kind = info.is_invite ? Kind::InviteServer : Kind::NonInviteServer;
  std::string mkey;
  bool is_merged = false;
  if (info.to_tag.empty()) {
    mkey = mergedKey(info);
    if (options.detect_merged_requests) {
      auto it = merged.find(mkey);
      is_merged = it != merged.end() && find(it->second) != nullptr;
    }
  }

  Txn& t = create(kind, m, source);
  t.key = lookupKey(info, info.method);
  t.legacy = legacy;
  t.request_to_tag = std::string(info.to_tag);
  servers[t.key] = t.handle;
  const TransactionHandle h = t.handle;

  if (is_merged) {
    // §8.2.2.2: the same request reached us by another path; refuse this copy. The
    // transaction absorbs its retransmissions; the TU never sees it.
    Message loop = makeResponse(m, 482, "Loop Detected");
    Result<TransactionActions> actions = kind == Kind::InviteServer
        ? static_cast<InviteServerTransaction*>(t.machine.get())->sendResponse(482, loop.serialize())
        : static_cast<NonInviteServerTransaction*>(t.machine.get())->sendResponse(482, loop.serialize());
    if (auto to = loop.to(); to) t.response_to_tag = std::string(to->tag);
    if (actions) return run(t, std::move(*actions), nullptr, nullptr);
    return {};
  }
  if (!mkey.empty()) {
    t.merged_key = mkey;
    merged[mkey] = h;
  }

  if (kind == Kind::InviteServer) {
    std::optional<std::string> trying;
    if (options.auto_100_trying) trying = makeResponse(m, 100).serialize();
    auto* machine = static_cast<InviteServerTransaction*>(t.machine.get());
    if (auto st = run(t, machine->start(std::move(trying)), nullptr, nullptr); !st) {
      return {};  // could not even send 100 Trying; the transaction is gone, unannounced
    }
  }
  if (Txn* live = find(h)) {
    live->announced = true;
    tu.onRequest(h, m, source);
  }
  return {};
}

Status TransactionLayer::Impl::onResponse(const Message& m, const SendTarget& source) {
  auto via = m.topVia();
  auto cseq = m.cseq();
  if (!via || !cseq) {
    return fail(Errc::InvalidArgument, "response without a usable top Via or CSeq",
                !via ? "Via" : "CSeq");
  }
  auto it = clients.find(clientKey(via->branch, cseq->method_name));
  Txn* t = it == clients.end() ? nullptr : find(it->second);
  if (t == nullptr) {
    tu.onStrayResponse(m, source);
    return {};
  }
  const int status = m.statusCode();
  if (t->kind == Kind::InviteClient) {
    auto* machine = static_cast<InviteClientTransaction*>(t->machine.get());
    const Message& invite = t->request;
    auto build_ack = [&]() -> std::string {
      auto ack = makeNon2xxAck(invite, m);
      return ack ? ack->serialize() : std::string();
    };
    return run(*t, machine->onResponse(status, build_ack), &m, &source);
  }
  auto* machine = static_cast<NonInviteClientTransaction*>(t->machine.get());
  return run(*t, machine->onResponse(status), &m, &source);
}

// --- TransactionLayer ---

TransactionLayer::TransactionLayer(TransactionUser& tu, TransactionSender& sender,
                                   TransactionTimerService& timers, TransactionLayerOptions options)
    : impl_(std::make_unique<Impl>(tu, sender, timers, options)) {}

TransactionLayer::~TransactionLayer() = default;

Status TransactionLayer::onMessage(const Message& message, const SendTarget& source, MonoTime /*now*/) {
  Impl::DepthGuard guard(*impl_);
  return message.isRequest() ? impl_->onRequest(message, source) : impl_->onResponse(message, source);
}

void TransactionLayer::onTimer(TransactionTimerKey key, MonoTime /*now*/) {
  Impl::DepthGuard guard(*impl_);
  Impl::Txn* t = impl_->find(key.txn);
  if (t == nullptr) return;
  (void)impl_->run(*t, t->machine->onTimer(key.timer), nullptr, nullptr);
}

void TransactionLayer::onSendError(TransactionHandle txn, const Error& error, MonoTime /*now*/) {
  Impl::DepthGuard guard(*impl_);
  Impl::Txn* t = impl_->find(txn);
  if (t == nullptr) return;
  t->last_error = error;
  (void)impl_->run(*t, t->machine->onTransportError(), nullptr, nullptr);
}

Result<TransactionHandle> TransactionLayer::sendRequest(const Message& request, const SendTarget& to,
                                                        MonoTime /*now*/) {
  Impl::DepthGuard guard(*impl_);
  if (!request.isRequest()) return fail(Errc::InvalidArgument, "not a request");
  if (request.method() == Method::Ack) {
    return fail(Errc::InvalidArgument, "ACK has no client transaction; use sendStateless", "Method");
  }
  auto via = request.topVia();
  if (!via) return std::unexpected(via.error());
  if (!hasMagicCookie(via->branch)) {
    return fail(Errc::InvalidArgument, "top Via needs a z9hG4bK branch (RFC 3261 §8.1.1.7)", "Via");
  }
  auto cseq = request.cseq();
  if (!cseq) return std::unexpected(cseq.error());
  std::string key = clientKey(via->branch, cseq->method_name);
  if (auto it = impl_->clients.find(key); it != impl_->clients.end() && impl_->find(it->second)) {
    return fail(Errc::AlreadyExists, "a client transaction with this branch exists", "Via");
  }
  const bool invite = request.method() == Method::Invite;
  Impl::Txn& t = impl_->create(invite ? Impl::Kind::InviteClient : Impl::Kind::NonInviteClient, request, to);
  const TransactionHandle h = t.handle;
  std::string bytes = request.serialize();
  TransactionActions actions =
      invite ? static_cast<InviteClientTransaction*>(t.machine.get())->start(std::move(bytes))
             : static_cast<NonInviteClientTransaction*>(t.machine.get())->start(std::move(bytes));
  // The first action is the initial send; a failure there leaves no transaction behind.
  SB_RELEASE_ASSERT(!actions.empty() && actions.front().kind == TransactionAction::Kind::Send,
                    "client transactions start by sending");
  if (auto st = impl_->sender.send(h, to, actions.front().bytes); !st) {
    t.dead = true;
    impl_->graveyard.push_back(h);
    return fail(Errc::Unavailable, st.error().message, st.error().field);
  }
  actions.erase(actions.begin());
  t.key = std::move(key);
  t.announced = true;
  impl_->clients[t.key] = h;
  (void)impl_->run(t, std::move(actions), nullptr, nullptr);
  return h;
}

Status TransactionLayer::sendResponse(TransactionHandle txn, const Message& response, MonoTime /*now*/) {
  Impl::DepthGuard guard(*impl_);
  Impl::Txn* t = impl_->find(txn);
  if (t == nullptr || t->isClient()) return fail(Errc::NotFound, "no such server transaction");
  if (response.isRequest()) return fail(Errc::InvalidArgument, "not a response");
  const int status = response.statusCode();
  Result<TransactionActions> actions =
      t->kind == Impl::Kind::InviteServer
          ? static_cast<InviteServerTransaction*>(t->machine.get())->sendResponse(status, response.serialize())
          : static_cast<NonInviteServerTransaction*>(t->machine.get())->sendResponse(status, response.serialize());
  if (!actions) return std::unexpected(actions.error());
  if (status >= 200) {
    if (auto to = response.to(); to) t->response_to_tag = std::string(to->tag);
  }
  return impl_->run(*t, std::move(*actions), nullptr, nullptr);
}

Status TransactionLayer::sendStateless(const Message& message, const SendTarget& to) {
  return impl_->sender.send(kNoTransaction, to, message.serialize());
}

std::optional<TransactionHandle> TransactionLayer::findInviteFor(const Message& cancel) const {
  auto info = requestInfo(cancel);
  if (!info) return std::nullopt;
  Impl::Txn* t = impl_->findServer(*info, "INVITE");
  if (t == nullptr || t->kind != Impl::Kind::InviteServer) return std::nullopt;
  // RFC 3261 §9.2: a 2543 CANCEL also carries the To tag of the INVITE.
  if (t->legacy && info->to_tag != t->request_to_tag) return std::nullopt;
  return t->handle;
}

std::optional<TransactionHandle> TransactionLayer::cancelTarget(TransactionHandle cancel_txn) const {
  Impl::Txn* t = impl_->find(cancel_txn);
  if (t == nullptr || t->kind != Impl::Kind::NonInviteServer || t->request.method() != Method::Cancel) {
    return std::nullopt;
  }
  return findInviteFor(t->request);
}

std::string TransactionLayer::newBranch() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = splitMix64(impl_->options.branch_seed ^ splitMix64(++impl_->branch_counter));
  std::string out(kMagicCookie);
  for (int i = 0; i < 16; ++i) {
    out += kHex[v & 0xf];
    v >>= 4;
  }
  return out;
}

std::optional<TransactionState> TransactionLayer::state(TransactionHandle txn) const {
  Impl::Txn* t = impl_->find(txn);
  if (t == nullptr) return std::nullopt;
  return t->machine->state();
}

const Message* TransactionLayer::request(TransactionHandle txn) const {
  Impl::Txn* t = impl_->find(txn);
  return t == nullptr ? nullptr : &t->request;
}

size_t TransactionLayer::size() const noexcept {
  return impl_->txns.size() - impl_->graveyard.size();
}

bool maxForwardsExhausted(const Message& request) noexcept {
  auto mf = request.maxForwards();
  return mf && *mf == 0;
}

Result<Message> makeNon2xxAck(const Message& invite, const Message& response) {
  auto vias = invite.headers(HeaderId::Via);
  if (vias.empty()) return fail(Errc::InvalidArgument, "INVITE has no Via", "Via");
  auto cseq = invite.cseq();
  if (!cseq) return std::unexpected(cseq.error());
  auto call_id = invite.header(HeaderId::CallId);
  auto from = invite.header(HeaderId::From);
  auto to = response.header(HeaderId::To);
  if (!call_id || !from) return fail(Errc::InvalidArgument, "INVITE lacks Call-ID or From", "Call-ID");
  if (!to) return fail(Errc::InvalidArgument, "response has no To", "To");
  Message ack = Message::request("ACK", invite.requestUriText());
  ack.addHeader("Via", vias.front());  // §17.1.1.3: the top Via only
  for (auto route : invite.headers(HeaderId::Route)) ack.addHeader("Route", route);
  ack.addHeader("Max-Forwards", "70");
  ack.addHeader("From", *from);
  ack.addHeader("To", *to);
  ack.addHeader("Call-ID", *call_id);
  ack.addHeader("CSeq", std::to_string(cseq->number) + " ACK");
  ack.addHeader("Content-Length", "0");
  return ack;
}

}  // namespace sb::sip
