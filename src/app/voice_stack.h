// SPDX-License-Identifier: Apache-2.0
// VoiceStack: the voice path of `serve` — registrar, B2BUA, routing engine and VoiceCenter —
// plugged into one SIP shard's RequestRouter, with that shard's io_context for timers.
// Construct on the main thread; install() runs inside the SipEndpoint constructor (shard 0's
// installer), attach() after it and before SipEndpoint::start(); from then on everything runs
// on the shard's thread, and shutdown() must be posted there too.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "b2bua/b2bua.h"
#include "center/presence_service.h"
#include "center/presence_sip.h"
#include "center/voice_center.h"
#include "common/asio.h"
#include "routing/engine.h"
#include "sip/transport/request_router.h"
#include "sip/transport/transport_types.h"

namespace sb::app {

// One-shot keyed timers on an io_context, for B2buaEnvironment / CenterEnvironment.
class AsioTimers final {
 public:
  using Fire = std::function<void(uint64_t key)>;
  AsioTimers(boost::asio::io_context& io, Fire fire) : io_(io), fire_(std::move(fire)) {}
  void start(uint64_t key, Duration delay);
  void cancel(uint64_t key);
  void cancelAll();

 private:
  struct Armed {
    std::unique_ptr<boost::asio::steady_timer> timer;
    uint64_t generation = 0;
  };
  boost::asio::io_context& io_;
  Fire fire_;
  uint64_t generation_ = 0;
  std::map<uint64_t, Armed> armed_;
};

class VoiceStack final : public b2bua::B2buaEnvironment {
 public:
  VoiceStack(std::shared_ptr<const center::Directory> directory, center::CenterStore& store,
             center::VoiceCenterOptions options);
  ~VoiceStack() override;
  VoiceStack(const VoiceStack&) = delete;
  VoiceStack& operator=(const VoiceStack&) = delete;

  // Registers REGISTER, INVITE, BYE, UPDATE and INFO handlers on `router`.
  void install(sip::RequestRouter& router);
  // Binds timers to the shard's io_context and learns the listeners (for Via and Contact),
  // then loads queues, agents and persisted bindings.
  Status attach(boost::asio::io_context& io, std::vector<sip::TransportAddress> listeners);
  // Hangs up every call (their records are written) and stops the timers. Shard thread.
  void shutdown();

  center::VoiceCenter& center() { return *center_; }
  // Presence of every user (Graph API, SIP SUBSCRIBE/PUBLISH); shard thread, after attach().
  center::PresenceService& presence() { return *presence_; }

  // b2bua::B2buaEnvironment
  std::string viaFor(const sip::SendTarget& to) override;
  std::string contactFor(const sip::SendTarget& to) override;
  std::optional<sip::SendTarget> resolve(std::string_view uri) override;
  void startTimer(uint64_t key, Duration delay) override { b2bua_timers_->start(key, delay); }
  void cancelTimer(uint64_t key) override { b2bua_timers_->cancel(key); }

 private:
  class CenterEnv;
  class Forward;
  const sip::TransportAddress* listenerFor(const sip::SendTarget& to) const;

  std::shared_ptr<const center::Directory> directory_;
  center::CenterStore& store_;
  center::VoiceCenterOptions options_;
  SteadyClock clock_;
  sip::RequestRouter* router_ = nullptr;
  std::vector<sip::TransportAddress> listeners_;
  routing::Engine engine_;
  std::unique_ptr<Forward> forward_;
  std::unique_ptr<b2bua::B2bua> b2bua_;
  std::unique_ptr<CenterEnv> center_env_;
  std::unique_ptr<center::VoiceCenter> center_;
  std::unique_ptr<AsioTimers> b2bua_timers_;
  std::unique_ptr<AsioTimers> center_timers_;
  // Handlers are installed inside the SipEndpoint constructor, before the center exists; they
  // reach the B2BUA and center through these slots, filled before the endpoint starts.
  b2bua::B2bua* b2bua_slot_ = nullptr;
  center::VoiceCenter* center_slot_ = nullptr;
  AsioTimers* center_timers_slot_ = nullptr;
  // Presence: the service reads the center; the SIP agent (created in install()) listens to the
  // service, so it is declared after it and destroyed first.
  std::unique_ptr<center::VoiceCenterPresenceBackend> presence_backend_;
  std::unique_ptr<AsioTimers> presence_timers_;
  std::unique_ptr<AsioTimers> presence_sip_timers_;
  AsioTimers* presence_timers_slot_ = nullptr;
  AsioTimers* presence_sip_timers_slot_ = nullptr;
  std::unique_ptr<CenterEnv> presence_env_;
  std::unique_ptr<CenterEnv> presence_sip_env_;
  std::unique_ptr<center::PresenceService> presence_;
  std::unique_ptr<center::PresenceSip> presence_sip_;
};

}  // namespace sb::app
