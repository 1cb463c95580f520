// SPDX-License-Identifier: Apache-2.0
// HttpClient: the relying party's one seam to the network (discovery, JWKS, token endpoint).
// BeastHttpClient does blocking HTTP/1.1 over TCP or TLS (certificate and host name verified),
// with a deadline and a response size cap; call it from a blocking pool, never an event loop.
// Tests substitute a fake. send() may be called concurrently from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace sb::oidc {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target;  // path plus query, at least "/"
};
// Absolute http(s) URLs only; no userinfo. InvalidArgument otherwise.
Result<Url> parseUrl(std::string_view url);
// localhost, 127.0.0.0/8 and ::1: where plain http is tolerated (tests, local providers).
bool isLoopbackHost(std::string_view host);

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Unavailable when the peer cannot be reached or the exchange fails, Timeout past the
  // deadline. Any HTTP status is a successful reply.
  virtual Result<HttpReply> send(const HttpCall& call) = 0;
};

struct BeastHttpClientOptions {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_body = 1024 * 1024;
  std::string ca_file;  // empty: the system trust store
};

class BeastHttpClient final : public HttpClient {
 public:
  explicit BeastHttpClient(BeastHttpClientOptions options = {}) : options_(std::move(options)) {}
  Result<HttpReply> send(const HttpCall& call) override;

 private:
  BeastHttpClientOptions options_;
};

// application/x-www-form-urlencoded encoding of one value (RFC 3986 unreserved kept).
std::string formEncode(std::string_view value);
std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace sb::oidc
