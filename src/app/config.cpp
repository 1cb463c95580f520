// SPDX-License-Identifier: Apache-2.0
#include "app/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string_view>

namespace sb::app {

std::string ConfigError::toString() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": " << reason;
  return out.str();
}

namespace {

// Walks YAML nodes and collects errors with their position; never throws.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Node& node, std::string reason) {
    const auto& mark = node.Mark();
    errors_.push_back({file_, mark.line + 1, mark.column + 1, std::move(reason)});
  }

  // A mapping whose keys must all be in `allowed`; unknown keys are reported.
  bool expectMap(const YAML::Node& node, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) {
      error(node, std::string(where) + " must be a mapping");
      return false;
    }
    for (const auto& kv : node) {
      const auto key = kv.first.Scalar();
      bool known = false;
      for (auto a : allowed) known = known || a == key;
      if (!known) error(kv.first, "unknown key '" + key + "' in " + std::string(where));
    }
    return true;
  }

  void readString(const YAML::Node& map, const char* key, std::string& out) {
    const auto node = map[key];
    if (!node) return;
    if (!node.IsScalar()) return error(node, std::string(key) + " must be a string");
    out = node.Scalar();
  }

  void readBool(const YAML::Node& map, const char* key, bool& out) {
    const auto node = map[key];
    if (!node) return;
    const auto& s = node.IsScalar() ? node.Scalar() : std::string();
    if (s == "true" || s == "yes") {
      out = true;
    } else if (s == "false" || s == "no") {
      out = false;
    } else {
      error(node, std::string(key) + " must be true or false");
    }
  }

  template <typename Int>
  void readInt(const YAML::Node& map, const char* key, Int& out, long long min, long long max) {
    const auto node = map[key];
    if (!node) return;
    long long v = 0;
    const auto& s = node.IsScalar() ? node.Scalar() : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      return error(node, std::string(key) + " must be an integer");
    }
    if (v < min || v > max) {
      return error(node, std::string(key) + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max));
    }
    out = static_cast<Int>(v);
  }

  std::vector<ConfigError>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

void readSip(Reader& r, const YAML::Node& node, SipConfig& sip) {
  if (!r.expectMap(node, "sip",
                   {"listen", "tls_certificate", "tls_private_key", "workers", "server_name",
                    "max_udp_message"})) {
    return;
  }
  r.readString(node, "tls_certificate", sip.tls_certificate);
  r.readString(node, "tls_private_key", sip.tls_private_key);
  r.readString(node, "server_name", sip.server_name);
  r.readInt(node, "workers", sip.workers, 1, 64);
  r.readInt(node, "max_udp_message", sip.max_udp_message, 500, 65000);
  const auto listen = node["listen"];
  if (!listen) return;
  if (!listen.IsSequence()) return r.error(listen, "sip.listen must be a list");
  bool has_tls = false;
  for (const auto& item : listen) {
    if (!r.expectMap(item, "sip.listen[]", {"transport", "address", "port"})) continue;
    SipListen l;
    std::string transport = "udp";
    r.readString(item, "transport", transport);
    if (transport == "udp") {
      l.transport = SipTransportKind::Udp;
    } else if (transport == "tcp") {
      l.transport = SipTransportKind::Tcp;
    } else if (transport == "tls") {
      l.transport = SipTransportKind::Tls;
      has_tls = true;
    } else {
      r.error(item["transport"], "transport must be udp, tcp or tls, not '" + transport + "'");
    }
    r.readString(item, "address", l.address);
    r.readInt(item, "port", l.port, 0, 65535);
    sip.listen.push_back(l);
  }
  if (has_tls && (sip.tls_certificate.empty() || sip.tls_private_key.empty())) {
    r.error(node, "a tls listener needs sip.tls_certificate and sip.tls_private_key");
  }
}

void readHttp(Reader& r, const YAML::Node& node, HttpConfig& http) {
  if (!r.expectMap(node, "http", {"address", "port"})) return;
  r.readString(node, "address", http.address);
  r.readInt(node, "port", http.port, 0, 65535);
}

}  // namespace

ConfigResult loadConfigText(const std::string& text, const std::string& name) {
  Reader r(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return std::unexpected(std::vector<ConfigError>{
        {name, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg}});
  }
  Config config;
  config.path = name;
  if (root.IsNull()) {
    return std::unexpected(std::vector<ConfigError>{{name, 1, 1, "the file is empty"}});
  }
  if (r.expectMap(root, "the top level", {"demo", "log_level", "data_dir", "sip", "http"})) {
    r.readBool(root, "demo", config.demo);
    r.readString(root, "log_level", config.log_level);
    r.readString(root, "data_dir", config.data_dir);
    if (root["sip"]) readSip(r, root["sip"], config.sip);
    if (root["http"]) readHttp(r, root["http"], config.http);
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (auto l : kLevels) level_ok = level_ok || l == config.log_level;
  if (!level_ok) r.error(root["log_level"], "log_level must be trace, debug, info, warn, error or off");
  if (!r.errors().empty()) return std::unexpected(std::move(r.errors()));
  return config;
}

ConfigResult loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(std::vector<ConfigError>{{path, 0, 0, "cannot read the file"}});
  std::ostringstream text;
  text << in.rdbuf();
  return loadConfigText(text.str(), path);
}

}  // namespace sb::app
