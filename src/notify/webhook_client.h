// SPDX-License-Identifier: Apache-2.0
// WebhookClient: one-shot HTTP/1.1 POSTs to notification URLs (http:// and https://, a fresh
// connection per request, an overall deadline covering resolve, connect, TLS, write and read).
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

class WebhookClient final {
 public:
  // verify_tls: check https certificates against the system roots and the host name.
  WebhookClient(boost::asio::any_io_executor executor, bool verify_tls);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // Calls done exactly once on the executor (never inline).
  void post(PostRequest request, std::function<void(PostResult)> done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sb::notify
