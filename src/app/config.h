// SPDX-License-Identifier: Apache-2.0
// The switchboard YAML configuration: the typed model and its loader.
// loadConfig() never throws: it returns every problem found, each with file, line and reason,
// and treats unknown keys as errors (a typo must not be silently ignored). Value types.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace sb::app {

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when the file could not be read at all
  int column = 0;
  std::string reason;
  std::string toString() const;  // "demo.yaml:12:5: unknown key 'lisen'"
};

enum class SipTransportKind { Udp, Tcp, Tls };

struct SipListen {
  SipTransportKind transport = SipTransportKind::Udp;
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 5060;               // 0 = any free port (tests)
};

struct SipConfig {
  std::vector<SipListen> listen;
  std::string tls_certificate;  // PEM files; required when a TLS listener is configured
  std::string tls_private_key;
  unsigned workers = 1;            // transaction/call shards
  std::string server_name = "Switchboard";
  uint32_t max_udp_message = 1300;  // RFC 3261 18.1.1: larger requests go over TCP
};

struct HttpConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
};

struct Config {
  std::string path;
  bool demo = false;
  std::string log_level = "info";
  std::string data_dir = "./var";
  SipConfig sip;
  HttpConfig http;
};

using ConfigResult = std::expected<Config, std::vector<ConfigError>>;

// Reads and validates FILE.
ConfigResult loadConfigFile(const std::string& path);
// Validates YAML text; `name` is used in error messages.
ConfigResult loadConfigText(const std::string& text, const std::string& name);

}  // namespace sb::app
