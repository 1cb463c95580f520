// SPDX-License-Identifier: Apache-2.0
// `switchboard serve`: binds the SIP listeners from config, prints where it listens, runs the
// SIP endpoint on its worker threads and stops cleanly on SIGINT/SIGTERM.
#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <memory>

#include "app/center_store.h"
#include "app/commands.h"
#include "app/config_store.h"
#include "app/http_api.h"
#include "app/voice_config.h"
#include "app/voice_stack.h"
#include "common/asio.h"
#include "common/log.h"
#include "common/metrics.h"
#include "sip/transport/sip_endpoint.h"
#include "store/sqlite/sqlite_store.h"

namespace sb::app {
namespace {

sip::TransportKind toKind(SipTransportKind k) {
  switch (k) {
    case SipTransportKind::Udp:
      return sip::TransportKind::Udp;
    case SipTransportKind::Tcp:
      return sip::TransportKind::Tcp;
    case SipTransportKind::Tls:
      return sip::TransportKind::Tls;
  }
  return sip::TransportKind::Udp;
}

// Handlers until the B2BUA and registrar plug in: INVITE is a method a contact center accepts,
// but no call handling exists yet (480); BYE can match no dialog (481, RFC 3261 §15.1.2).
void installHandlers(sip::RequestRouter& router, unsigned /*shard*/) {
  router.setHandler(sip::Method::Invite,
                    std::make_unique<sip::StaticResponseHandler>(480, "Temporarily Unavailable"));
  router.setHandler(sip::Method::Bye, std::make_unique<sip::StaticResponseHandler>(
                                          481, "Call/Transaction Does Not Exist"));
}

}  // namespace

int runServe(const Config& config, const ServeOptions& options) {
  log::init(config.log_level);
  SB_LOG_INFO("switchboard {} starting", kVersion);

  // Before any thread starts, so every thread inherits the handler set up here.
  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signo) {
    SB_LOG_INFO("signal {}: stopping", signo);
    io.stop();
  });

  bool voice = !config.tenants.empty();
  if (voice && config.sip.workers > 1) {
    // The voice path (B2BUA, registrar, routing engine) lives on one shard; see THREADING.md.
    std::cerr << config.path << ": sip.workers must be 1 when tenants are configured\n";
    return 1;
  }

  // The store: embedded SQLite under data_dir, for the voice path and the API.
  std::unique_ptr<store::Store> db;
  std::unique_ptr<AsyncCenterStore> center_store;
  std::unique_ptr<VoiceStack> voice_stack;
  if (voice || config.http.enabled) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    const std::string path = (std::filesystem::path(config.data_dir) / "switchboard.db").string();
    auto opened = store::openSqliteStore(path);
    if (!opened) {
      std::cerr << "switchboard: cannot open the store " << path << ": "
                << opened.error().toString() << "\n";
      return 1;
    }
    db = std::move(*opened);
    std::cout << "Store: sqlite " << path << std::endl;
  }
  // Tenant configuration lives in the store; the YAML tenants are a seed imported once
  // (docs/config.md). The voice path's directory is built from the store.
  std::shared_ptr<const center::Directory> directory;
  const DirectoryOptions directory_options{options.open_trunk};
  if (db) {
    auto imported = importConfig(config, *db, std::chrono::system_clock::now());
    if (!imported) {
      std::cerr << "switchboard: cannot import the configured tenants into the store: "
                << imported.error().toString() << "\n";
      return 1;
    }
    for (const auto& id : *imported) SB_LOG_INFO("tenant {} imported from {}", id, config.path);
    auto built = buildDirectoryFromStore(*db, config, directory_options);
    if (!built) {
      std::cerr << "switchboard: cannot read the tenants from the store: "
                << built.error().toString() << "\n";
      return 1;
    }
    directory = std::move(*built);
    // With a store the voice path always runs (on one shard), even with no tenant yet: a
    // tenant created through the API later reaches it through ConfigService and
    // VoiceCenter::applyDirectory, which needs the stack to exist.
    if (config.sip.workers == 1) {
      voice = true;
    } else if (!config.tenants.empty() || !directory->tenants().empty()) {
      SB_LOG_WARN("sip.workers is {}: the voice path needs 1, tenants get no voice service",
                  config.sip.workers);
    } else {
      SB_LOG_WARN("sip.workers is {}: tenants created through the API get no voice service",
                  config.sip.workers);
    }
  }
  if (voice) {
    center_store = std::make_unique<AsyncCenterStore>(*db);
    center::VoiceCenterOptions vo;
    std::vector<sip::DigestAlgorithm> algorithms;
    for (const auto& a : config.sip.digest_algorithms) {
      algorithms.push_back(a == "md5" ? sip::DigestAlgorithm::Md5 : sip::DigestAlgorithm::Sha256);
    }
    vo.registrar.digest.algorithms = algorithms;
    vo.registrar.min_expires = config.sip.min_expires;
    const auto& af = config.sip.auth_failures;
    vo.registrar.limiter.window = std::chrono::seconds(af.window_s);
    vo.registrar.limiter.delay_after = af.delay_after;
    vo.registrar.limiter.delay = std::chrono::milliseconds(af.delay_ms);
    vo.registrar.limiter.block_after = af.block_after;
    vo.registrar.limiter.block_for = std::chrono::seconds(af.block_s);
    vo.registrar.max_expires = config.sip.max_expires;
    vo.invite_digest.algorithms = algorithms;
    voice_stack = std::make_unique<VoiceStack>(directory, *center_store, vo);
  }

  metrics::Registry registry;  // /metrics: SIP shards and the API count into it
  sip::SipEndpointOptions so;
  so.metrics = &registry;
  so.workers = config.sip.workers;
  so.router.server =
      config.sip.server_name.empty() ? std::string() : config.sip.server_name + "/" + kVersion;
  so.transport.tls_certificate = config.sip.tls_certificate;
  so.transport.tls_private_key = config.sip.tls_private_key;
  so.transport.max_udp_message = config.sip.max_udp_message;
  sip::SipEndpoint endpoint(so, [&](sip::RequestRouter& router, unsigned shard) {
    if (voice_stack && shard == 0) {
      voice_stack->install(router);
    } else {
      installHandlers(router, shard);
    }
  });
  for (const auto& l : config.sip.listen) {
    auto bound = endpoint.listen(toKind(l.transport), l.address, l.port);
    if (!bound) {
      std::cerr << "switchboard: cannot listen on "
                << sip::TransportAddress{toKind(l.transport), l.address, l.port}.toString() << ": "
                << bound.error().message << "\n";
      return 1;
    }
    std::cout << "SIP listening on " << bound->toString() << std::endl;
  }
  if (voice_stack) {
    if (auto attached = voice_stack->attach(endpoint.shardIo(0), endpoint.listeners()); !attached) {
      std::cerr << "switchboard: cannot start the voice path: " << attached.error().toString()
                << "\n";
      return 1;
    }
    // Agent state history (before the shard thread starts: nothing races).
    voice_stack->center().addObserver(center_store.get());
  }
  std::unique_ptr<ConfigService> config_service;
  std::unique_ptr<HttpApi> http;
  if (config.http.enabled) {
    http =
        std::make_unique<HttpApi>(config, voice_stack.get(),
                                  voice_stack ? &endpoint.shardIo(0) : nullptr, db.get(), registry);
    if (voice_stack) {
      // A configuration change committed through the API is rebuilt from the store on the
      // API's blocking pool and swapped in on the voice shard.
      config_service = std::make_unique<ConfigService>(
          *db, config, directory_options,
          [&endpoint, stack = voice_stack.get()](std::shared_ptr<const center::Directory> d) {
            boost::asio::post(endpoint.shardIo(0), [stack, d = std::move(d)]() mutable {
              if (auto applied = stack->center().applyDirectory(std::move(d)); !applied) {
                SB_LOG_WARN("configuration applied with errors: {}", applied.error().toString());
              }
            });
          });
      http->setConfigChanged(
          [svc = config_service.get()](const std::string& tenant) { (void)svc->reload(tenant); });
    }
    auto port = http->start();
    if (!port) {
      std::cerr << "switchboard: cannot start the HTTP API on " << config.http.address << ":"
                << config.http.port << ": " << port.error().toString() << "\n";
      return 1;
    }
    std::cout << "HTTP listening on " << (config.http.tls_certificate.empty() ? "http" : "https")
              << "://" << config.http.address << ":" << *port << std::endl;
  }
  endpoint.start();

  io.run();
  if (http) http->stop();
  if (voice_stack) {
    // Hang up what is still up on the shard's thread, so every call's record is written.
    std::promise<void> done;
    boost::asio::post(endpoint.shardIo(0), [&] {
      voice_stack->shutdown();
      done.set_value();
    });
    done.get_future().wait_for(std::chrono::seconds(5));
  }
  endpoint.stop();
  if (center_store) center_store->close();
  SB_LOG_INFO("switchboard stopped");
  return 0;
}

}  // namespace sb::app
