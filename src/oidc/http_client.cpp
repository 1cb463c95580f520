// SPDX-License-Identifier: Apache-2.0
#include "oidc/http_client.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <utility>  // before Asio: see common/asio.h

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>

#include "common/asio.h"

namespace sb::oidc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;

namespace {

using Response = http::response<http::string_body>;

template <typename Stream>
asio::awaitable<void> exchange(Stream& stream, http::request<http::string_body>& req,
                               std::size_t max_body, Response& out, beast::error_code& ec) {
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  out = parser.release();
}

}  // namespace

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

Result<Url> parseUrl(std::string_view url) {
  Url out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.scheme = "https";
    out.port = 443;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    out.scheme = "http";
    out.port = 80;
    rest = url.substr(7);
  } else {
    return fail(Errc::InvalidArgument, "URL must start with http:// or https://", "url");
  }
  auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (auto hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (out.target.empty() || out.target[0] == '?') out.target.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return fail(Errc::InvalidArgument, "URL needs a host and no userinfo", "url");
  }
  std::string_view port_text;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(Errc::InvalidArgument, "bad IPv6 host", "url");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail(Errc::InvalidArgument, "bad host", "url");
      port_text = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return fail(Errc::InvalidArgument, "URL has no host", "url");
  if (!port_text.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || p == 0 || p > 65535) {
      return fail(Errc::InvalidArgument, "bad port in URL", "url");
    }
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

std::string formEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += formEncode(k) + "=" + formEncode(v);
  }
  return out;
}

Result<HttpReply> BeastHttpClient::send(const HttpCall& call) {
  auto url = parseUrl(call.url);
  if (!url) return std::unexpected(url.error());
  http::request<http::string_body> req;
  req.method_string(call.method);
  req.target(url->target);
  req.version(11);
  const bool default_port =
      (url->scheme == "https" && url->port == 443) || (url->scheme == "http" && url->port == 80);
  std::string host_header =
      url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
  if (!default_port) host_header += ":" + std::to_string(url->port);
  req.set(http::field::host, host_header);
  req.set(http::field::user_agent, "Switchboard-OIDC/1");
  req.set(http::field::accept, "application/json");
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : call.headers) req.set(k, v);
  if (!call.body.empty() || call.method == "POST") {
    req.body() = call.body;
    req.prepare_payload();
  }

  asio::io_context io;
  beast::error_code ec;
  Response res;
  bool timed_out = false;
  std::string stage = "connect";
  std::optional<ssl::context> tls;
  if (url->scheme == "https") {
    tls.emplace(ssl::context::tls_client);
    tls->set_verify_mode(ssl::verify_peer);
    if (options_.ca_file.empty()) {
      tls->set_default_verify_paths();
    } else {
      boost::system::error_code ca_ec;
      tls->load_verify_file(options_.ca_file, ca_ec);
      if (ca_ec) return fail(Errc::InvalidArgument, "cannot load CA file " + options_.ca_file);
    }
  }
  auto run = [&]() -> asio::awaitable<void> {
    asio::ip::tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(url->host, std::to_string(url->port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(io, *tls);
      beast::get_lowest_layer(stream).expires_after(options_.timeout);
      // RFC 6125 host check and SNI.
      if (!SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str())) {
        ec =
            beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
        co_return;
      }
      stream.set_verify_callback(ssl::host_name_verification(url->host));
      co_await beast::get_lowest_layer(stream).async_connect(
          endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      stage = "TLS handshake";
      co_await stream.async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      stage = "exchange";
      co_await exchange(stream, req, options_.max_body, res, ec);
      timed_out = ec == beast::error::timeout;
    } else {
      beast::tcp_stream stream(io);
      stream.expires_after(options_.timeout);
      co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        timed_out = ec == beast::error::timeout;
        co_return;
      }
      stage = "exchange";
      co_await exchange(stream, req, options_.max_body, res, ec);
      timed_out = ec == beast::error::timeout;
    }
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  if (timed_out) return fail(Errc::Timeout, call.url + ": no answer in time");
  if (ec) return fail(Errc::Unavailable, call.url + ": " + stage + " failed: " + ec.message());
  HttpReply reply;
  reply.status = static_cast<int>(res.result_int());
  reply.content_type = std::string(res[http::field::content_type]);
  reply.body = std::move(res.body());
  return reply;
}

}  // namespace sb::oidc
