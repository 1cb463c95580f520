// SPDX-License-Identifier: Apache-2.0
// PresenceSip: the SIP face of PresenceService. A presence agent for the `presence` event
// package (RFC 3856 over RFC 6665): SUBSCRIBE creates/refreshes/ends a subscription dialog, a
// NOTIFY with a PIDF body (RFC 3863) follows at once and on every change of the watched user;
// PUBLISH (RFC 3903, SIP-ETag/SIP-If-Match) feeds a user's own session. Subscribers and
// publishers are digest-authenticated users of the tenant (407, like INVITE). Owned by the
// voice shard with the TransactionLayer it sends through; not thread-safe: shard thread only.
// As the client TU of its NOTIFY transactions it forwards other transactions' events to `next`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <tuple>
#include <utility>
#include <vector>

#include "b2bua/b2bua.h"
#include "b2bua/dialog.h"
#include "center/presence_service.h"
#include "center/voice_center.h"
#include "common/clock.h"
#include "sip/auth/digest.h"
#include "sip/transaction/transaction_layer.h"

namespace sb::center {

struct PresenceSipOptions {
  sip::DigestConfig digest;
  // RFC 6665 §4.2.1.1 / RFC 3903 §4: limits for subscription and publication lifetimes.
  uint32_t default_expires = 3600;
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
};

class PresenceSip final : public sip::TransactionUser, public PresenceListener {
 public:
  // `addressing` supplies Via and Contact values (its timers are not used); `timers` is this
  // object's own key space; `next` gets client-transaction events of requests others sent.
  PresenceSip(sip::TransactionLayer& layer, b2bua::B2buaEnvironment& addressing,
              CenterEnvironment& timers, const Clock& clock, sip::TransactionUser* next,
              PresenceSipOptions options = {});
  ~PresenceSip() override;
  PresenceSip(const PresenceSip&) = delete;
  PresenceSip& operator=(const PresenceSip&) = delete;

  // Must be set before requests arrive; registers this object as a listener.
  void setService(PresenceService& service);
  // Where subscriptions are kept across restarts (nullptr: not kept; shutdown() then ends them
  // with reason=deactivated). Before restore().
  void setStore(CenterStore* store);
  // Start-up, after setService() and the presence service's start(): takes back the stored
  // subscriptions that have not expired and sends each a NOTIFY with the current state in its
  // dialog, so watchers need not resubscribe after a restart.
  void restore();

  // A SUBSCRIBE / PUBLISH received on server transaction `txn` from `source` (the response
  // route); each gets exactly one final response through the layer.
  void onSubscribe(sip::TransactionHandle txn, const sip::Message& request,
                   const sip::SendTarget& source);
  void onPublish(sip::TransactionHandle txn, const sip::Message& request,
                 const sip::SendTarget& source);
  void onTimer(uint64_t key);
  // Without a store: ends every subscription with a final NOTIFY (reason=deactivated). With
  // one: keeps them (they are stored; restore() takes them back). Shard thread.
  void shutdown();

  size_t subscriptionCount() const { return subs_.size(); }

  // PresenceListener
  void onPresenceChanged(const std::string& tenant, const presence::Presence& p) override;

  // sip::TransactionUser (client side: NOTIFY transactions; the rest goes to `next`)
  void onRequest(sip::TransactionHandle txn, const sip::Message& request,
                 const sip::SendTarget& source) override;
  void onResponse(sip::TransactionHandle txn, const sip::Message& response) override;
  void onStrayResponse(const sip::Message& response, const sip::SendTarget& source) override;
  void onTimeout(sip::TransactionHandle txn) override;
  void onTransportError(sip::TransactionHandle txn, const Error& error) override;
  void onTerminated(sip::TransactionHandle txn) override;

 private:
  struct Subscription {
    uint64_t id = 0;
    std::string tenant;
    std::string user;    // watched user (local id)
    std::string entity;  // "sip:user@domain"
    std::string event_id;  // Event header id parameter
    b2bua::Dialog dialog;
    sip::SendTarget flow;  // where the SUBSCRIBE came from
    MonoTime expires_at{};
    std::optional<sip::TransactionHandle> pending;  // outstanding NOTIFY
    bool dirty = false;        // a newer state waits for the pending NOTIFY to finish
    bool terminated = false;   // final NOTIFY sent or due
    std::string reason;        // Subscription-State reason once terminated
    // Local CSeq of the copy in the store, if there is one (removed with the subscription).
    std::optional<uint32_t> stored_cseq;
  };
  struct Publication {
    std::string tenant;
    std::string user;
    std::string session_key;
    std::optional<presence::PresencePair> pair;
    MonoTime expires_at{};
  };
  struct Incoming {
    sip::TransactionHandle txn;
    const sip::Message& request;
    const sip::SendTarget& source;
  };
  struct Authenticated {
    const TenantSpec* tenant = nullptr;
    std::string user;
  };

  // Checks the Event package and the caller's digest credentials; answers the request itself
  // (489, 403, 407) and returns nullopt when it may not proceed.
  std::optional<Authenticated> admit(const Incoming& req);
  std::optional<uint32_t> expiresOf(const Incoming& req);
  void onSubscribe(const Incoming& req);
  void onPublish(const Incoming& req);
  void respond(const Incoming& req, int code, std::string_view reason,
               const std::vector<std::pair<std::string, std::string>>& headers = {});
  void sendNotify(Subscription& s);
  void finishTransaction(sip::TransactionHandle txn, bool failed);
  void remove(uint64_t id);
  void armExpiry(const Subscription& s);
  // Indexes a new subscription (by dialog and watched user) and returns it in place.
  Subscription& add(Subscription s);
  // Stores (or re-stores) a live subscription; see kCseqStep in the .cpp.
  void save(Subscription& s);
  SavedWatcher saved(const Subscription& s) const;
  std::string newEtag();

  sip::TransactionLayer& layer_;
  b2bua::B2buaEnvironment& addressing_;
  CenterEnvironment& timers_;
  const Clock& clock_;
  sip::TransactionUser* next_;
  PresenceSipOptions options_;
  sip::DigestAuthenticator auth_;
  PresenceService* service_ = nullptr;
  CenterStore* store_ = nullptr;
  uint64_t next_id_ = 1;
  uint64_t etag_counter_ = 0;
  uint64_t etag_seed_ = 0;
  std::map<uint64_t, Subscription> subs_;
  // (Call-ID, our tag, their tag) -> subscription id
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> by_dialog_;
  std::map<std::string, std::set<uint64_t>> by_user_;  // "tenant/user" -> subscriptions
  std::unordered_map<sip::TransactionHandle, uint64_t> by_txn_;
  std::unordered_map<std::string, Publication> publications_;  // etag -> entry
};

}  // namespace sb::center
