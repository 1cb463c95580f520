// SPDX-License-Identifier: Apache-2.0
#include "app/voice_stack.h"

#include "common/log.h"

namespace sb::app {

namespace {

std::string viaTransport(sip::TransportKind k) {
  switch (k) {
    case sip::TransportKind::Udp: return "UDP";
    case sip::TransportKind::Tcp: return "TCP";
    case sip::TransportKind::Tls: return "TLS";
  }
  return "UDP";
}

std::string hostPort(const std::string& address, uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

bool isIpLiteral(std::string_view host, bool ipv6) {
  if (ipv6) return true;
  if (host.empty()) return false;
  for (char c : host) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  return true;
}

// Forwards the server core's requests to the registrar and the B2BUA.
class RegisterHandler final : public sip::RequestHandler {
 public:
  explicit RegisterHandler(center::VoiceCenter*& center) : center_(center) {}
  void onRequest(const sip::IncomingRequest& req) override {
    center_->handleRegister(req.txn, req.request, req.source);
  }
  std::vector<std::string> optionTags() const override { return {"path"}; }

 private:
  center::VoiceCenter*& center_;
};

class CallHandler final : public sip::RequestHandler {
 public:
  explicit CallHandler(b2bua::B2bua*& b2bua) : b2bua_(b2bua) {}
  void onRequest(const sip::IncomingRequest& req) override {
    b2bua_->onRequest(req.txn, req.request, req.source);
  }
  void onCancel(sip::RequestRouter& /*router*/, sip::TransactionHandle invite_txn) override {
    b2bua_->onCancelled(invite_txn);
  }

 private:
  b2bua::B2bua*& b2bua_;
};

// SUBSCRIBE and PUBLISH for the presence event package.
class PresenceHandler final : public sip::RequestHandler {
 public:
  PresenceHandler(center::PresenceSip& sip, sip::Method method) : sip_(sip), method_(method) {}
  void onRequest(const sip::IncomingRequest& req) override {
    if (method_ == sip::Method::Subscribe) {
      sip_.onSubscribe(req.txn, req.request, req.source);
    } else {
      sip_.onPublish(req.txn, req.request, req.source);
    }
  }

 private:
  center::PresenceSip& sip_;
  sip::Method method_;
};

}  // namespace

void AsioTimers::start(uint64_t key, Duration delay) {
  auto& armed = armed_[key];
  if (!armed.timer) armed.timer = std::make_unique<boost::asio::steady_timer>(io_);
  armed.generation = ++generation_;
  armed.timer->expires_after(delay);
  armed.timer->async_wait([this, key, gen = armed.generation](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = armed_.find(key);
    if (it == armed_.end() || it->second.generation != gen) return;  // re-armed or cancelled
    armed_.erase(it);
    fire_(key);
  });
}

void AsioTimers::cancel(uint64_t key) {
  auto it = armed_.find(key);
  if (it == armed_.end()) return;
  it->second.timer->cancel();
  armed_.erase(it);
}

void AsioTimers::cancelAll() {
  for (auto& [key, armed] : armed_) armed.timer->cancel();
  armed_.clear();
}

class VoiceStack::CenterEnv final : public center::CenterEnvironment {
 public:
  explicit CenterEnv(AsioTimers*& timers) : timers_(timers) {}
  void startTimer(uint64_t key, Duration delay) override { timers_->start(key, delay); }
  void cancelTimer(uint64_t key) override { timers_->cancel(key); }

 private:
  AsioTimers*& timers_;
};

// The B2BUA reports to the center; both are created in attach(), the B2BUA first.
class VoiceStack::Forward final : public b2bua::CallListener {
 public:
  center::VoiceCenter* center = nullptr;
  void onIncomingCall(b2bua::CallHandle c, const sip::Message& m, const sip::SendTarget& s) override {
    center->onIncomingCall(c, m, s);
  }
  void onConnectFailed(b2bua::CallHandle c, int code) override { center->onConnectFailed(c, code); }
  void onAnswered(b2bua::CallHandle c, const std::string& u) override { center->onAnswered(c, u); }
  void onEnded(b2bua::CallHandle c, b2bua::EndReason r) override { center->onEnded(c, r); }
  void onHold(b2bua::CallHandle c, b2bua::Side s, bool on) override { center->onHold(c, s, on); }
};

VoiceStack::VoiceStack(std::shared_ptr<const center::Directory> directory,
                       center::CenterStore& store, center::VoiceCenterOptions options)
    : directory_(std::move(directory)),
      store_(store),
      options_(std::move(options)),
      forward_(std::make_unique<Forward>()) {}

VoiceStack::~VoiceStack() = default;

void VoiceStack::install(sip::RequestRouter& router) {
  router_ = &router;
  b2bua_ = std::make_unique<b2bua::B2bua>(*forward_, *this, clock_);
  b2bua_->attach(router.layer());
  presence_sip_env_ = std::make_unique<CenterEnv>(presence_sip_timers_slot_);
  center::PresenceSipOptions presence_options;
  presence_options.digest = options_.invite_digest;
  // The presence agent owns its NOTIFY transactions and hands every other client event on.
  presence_sip_ = std::make_unique<center::PresenceSip>(router.layer(), *this, *presence_sip_env_,
                                                        clock_, b2bua_.get(), presence_options);
  router.setClientUser(presence_sip_.get());
  for (auto m : {sip::Method::Subscribe, sip::Method::Publish}) {
    router.setHandler(m, std::make_unique<PresenceHandler>(*presence_sip_, m));
  }
  b2bua_slot_ = b2bua_.get();
  router.setHandler(sip::Method::Register, std::make_unique<RegisterHandler>(center_slot_));
  for (auto m : {sip::Method::Invite, sip::Method::Bye, sip::Method::Update, sip::Method::Info}) {
    router.setHandler(m, std::make_unique<CallHandler>(b2bua_slot_));
  }
}

Status VoiceStack::attach(boost::asio::io_context& io,
                          std::vector<sip::TransportAddress> listeners) {
  if (router_ == nullptr) return fail(Errc::Internal, "install() was not called");
  listeners_ = std::move(listeners);
  b2bua_timers_ = std::make_unique<AsioTimers>(io, [this](uint64_t key) { b2bua_->onTimer(key); });
  center_timers_ =
      std::make_unique<AsioTimers>(io, [this](uint64_t key) { center_->onTimer(key); });
  center_timers_slot_ = center_timers_.get();
  center_env_ = std::make_unique<CenterEnv>(center_timers_slot_);
  center_ = std::make_unique<center::VoiceCenter>(directory_, *b2bua_, router_->layer(), engine_,
                                                  *center_env_, store_, clock_, options_);
  forward_->center = center_.get();
  center_slot_ = center_.get();
  presence_timers_ =
      std::make_unique<AsioTimers>(io, [this](uint64_t key) { presence_->onTimer(key); });
  presence_timers_slot_ = presence_timers_.get();
  presence_sip_timers_ =
      std::make_unique<AsioTimers>(io, [this](uint64_t key) { presence_sip_->onTimer(key); });
  presence_sip_timers_slot_ = presence_sip_timers_.get();
  presence_env_ = std::make_unique<CenterEnv>(presence_timers_slot_);
  presence_backend_ = std::make_unique<center::VoiceCenterPresenceBackend>(*center_, clock_);
  presence_ = std::make_unique<center::PresenceService>(*presence_backend_, *presence_env_, clock_);
  presence_sip_->setService(*presence_);
  center_->setPresenceHook(
      [this](const std::string& tenant, const std::string& user) {
        presence_->userChanged(tenant, user);
      });
  SB_TRY(center_->start());
  if (store_.keepsPresence()) presence_->setStore(&store_);
  presence_->start();
  if (store_.keepsPresence()) {
    presence_sip_->setStore(&store_);
    // On the shard once it runs: restoring sends NOTIFYs through the transaction layer.
    boost::asio::post(io, [this] { presence_sip_->restore(); });
  }
  return {};
}

void VoiceStack::shutdown() {
  if (b2bua_) {
    for (auto call : b2bua_->activeCalls()) (void)b2bua_->hangup(call);
  }
  if (b2bua_timers_) b2bua_timers_->cancelAll();
  if (center_timers_) center_timers_->cancelAll();
  if (presence_sip_) presence_sip_->shutdown();
  if (presence_timers_) presence_timers_->cancelAll();
  if (presence_sip_timers_) presence_sip_timers_->cancelAll();
}

const sip::TransportAddress* VoiceStack::listenerFor(const sip::SendTarget& to) const {
  const bool v6 = to.address.find(':') != std::string::npos;
  const sip::TransportAddress* fallback = nullptr;
  for (const auto& l : listeners_) {
    if (viaTransport(l.kind) != to.transport) continue;
    const bool lv6 = l.address.find(':') != std::string::npos;
    if (lv6 == v6) return &l;
    if (fallback == nullptr) fallback = &l;
  }
  if (fallback == nullptr && !listeners_.empty()) fallback = &listeners_.front();
  return fallback;
}

std::string VoiceStack::viaFor(const sip::SendTarget& to) {
  const auto* l = listenerFor(to);
  if (l == nullptr) return "SIP/2.0/" + to.transport + " 127.0.0.1:5060";
  return "SIP/2.0/" + to.transport + " " + hostPort(l->address, l->port);
}

std::string VoiceStack::contactFor(const sip::SendTarget& to) {
  const auto* l = listenerFor(to);
  if (l == nullptr) return "<sip:127.0.0.1:5060>";
  std::string uri = (l->kind == sip::TransportKind::Tls ? "sips:" : "sip:") +
                    hostPort(l->address, l->port);
  if (l->kind == sip::TransportKind::Tcp) uri += ";transport=tcp";
  return "<" + uri + ">";
}

std::optional<sip::SendTarget> VoiceStack::resolve(std::string_view text) {
  auto uri = sip::parseUri(text);
  if (!uri || !uri->isSip() || !isIpLiteral(uri->host, uri->ipv6)) return std::nullopt;
  sip::SendTarget t;
  t.transport = uri->scheme == sip::Scheme::Sips ? "TLS" : "UDP";
  if (auto tp = uri->params.get("transport")) {
    if (sip::iequals(*tp, "tcp")) t.transport = uri->scheme == sip::Scheme::Sips ? "TLS" : "TCP";
    if (sip::iequals(*tp, "tls")) t.transport = "TLS";
  }
  t.address = std::string(uri->host);
  t.port = uri->port ? uri->port : (t.transport == "TLS" ? uint16_t{5061} : uint16_t{5060});
  return t;
}

}  // namespace sb::app
