// SPDX-License-Identifier: Apache-2.0
// WebhookClient: HTTP/1.1 POSTs to notification URLs (http:// and https://) with an overall
// deadline covering resolve, connect, TLS, write and read. Connections are kept alive and
// reused per scheme, host and port (a TLS handshake per delivery is what a busy receiver would
// otherwise pay); a kept connection the receiver closed while idle is replaced by a new one and
// the request sent again.
// Owned by SubscriptionService; post() and the callbacks run on the executor given at
// construction (single-threaded use).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"

namespace sb::notify {

struct PostRequest {
  std::string url;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration timeout = std::chrono::seconds(3);
};

struct PostResult {
  int status = 0;  // 0: no HTTP answer (error says why)
  std::string content_type;
  std::string body;  // at most 64 KiB are read
  std::string error;
  bool ok() const { return status >= 200 && status < 300; }
};

struct KeepAlive {
  bool enabled = true;
  Duration idle_timeout = std::chrono::seconds(30);  // a kept connection idle longer is closed
  std::size_t max_idle_per_host = 4;
};

class WebhookClient final {
 public:
  // verify_tls: check https certificates against the system roots and the host name.
  WebhookClient(boost::asio::any_io_executor executor, bool verify_tls, KeepAlive keep_alive = {});
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // Calls done exactly once on the executor (never inline).
  void post(PostRequest request, std::function<void(PostResult)> done);
  // Connections opened so far (tests: reuse means fewer connections than requests).
  std::size_t connectionsOpened() const;
  // Called on the executor each time a new connection is opened (metrics). Set before use.
  void onConnectionOpened(std::function<void()> f);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sb::notify
