// SPDX-License-Identifier: Apache-2.0
#include "notify/webhook_client.h"

#include <optional>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sb::notify {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct Url {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::string host_header;
  std::string port;
  std::string target;
};

std::optional<Url> parseUrl(const std::string& url) {
  Url u;
  std::string_view s = url;
  if (s.starts_with("https://")) {
    u.tls = true;
    s.remove_prefix(8);
  } else if (s.starts_with("http://")) {
    s.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  auto slash = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? std::string_view{} : s.substr(slash);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  u.target = rest.empty() ? "/" : (rest.front() == '?' ? "/" + std::string(rest) : std::string(rest));
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  u.host = std::string(host);
  u.host_header = std::string(authority);
  u.port = port.empty() ? (u.tls ? "443" : "80") : std::string(port);
  return u;
}

}  // namespace

struct WebhookClient::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  bool verify = true;

  template <typename Stream>
  asio::awaitable<PostResult> exchange(Stream& stream, const Url& u, const PostRequest& r) {
    http::request<http::string_body> req{http::verb::post, u.target, 11};
    req.set(http::field::host, u.host_header);
    req.set(http::field::user_agent, "Switchboard-Webhooks/1");
    req.set(http::field::content_type, r.content_type);
    req.set(http::field::connection, "close");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    req.body() = r.body;
    req.prepare_payload();
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    PostResult out;
    const auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = res.body();
    co_return out;
  }

  asio::awaitable<PostResult> doPost(PostRequest r) {
    auto u = parseUrl(r.url);
    if (!u) co_return PostResult{0, {}, {}, "bad URL"};
    try {
      auto deadline = std::chrono::steady_clock::now() + r.timeout;
      asio::ip::tcp::resolver resolver(executor);
      // The resolver has no deadline of its own; loopback and literal hosts resolve at once.
      auto endpoints = co_await resolver.async_resolve(u->host, u->port, asio::use_awaitable);
      if (!u->tls) {
        beast::tcp_stream stream(executor);
        stream.expires_at(deadline);
        co_await stream.async_connect(endpoints, asio::use_awaitable);
        stream.expires_at(deadline);
        auto res = co_await exchange(stream, *u, r);
        beast::error_code ec;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        co_return res;
      }
      beast::ssl_stream<beast::tcp_stream> stream(executor, ssl);
      if (!SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str())) {
        co_return PostResult{0, {}, {}, "TLS SNI setup failed"};
      }
      if (verify) {
        stream.set_verify_mode(asio::ssl::verify_peer);
        stream.set_verify_callback(asio::ssl::host_name_verification(u->host));
      } else {
        stream.set_verify_mode(asio::ssl::verify_none);
      }
      beast::get_lowest_layer(stream).expires_at(deadline);
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
      co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      auto res = co_await exchange(stream, *u, r);
      co_return res;
    } catch (const boost::system::system_error& e) {
      if (e.code() == beast::error::timeout) co_return PostResult{0, {}, {}, "timeout"};
      co_return PostResult{0, {}, {}, e.code().message()};
    } catch (const std::exception& e) {
      co_return PostResult{0, {}, {}, e.what()};
    }
  }
};

WebhookClient::WebhookClient(asio::any_io_executor executor, bool verify_tls)
    : impl_(std::make_shared<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->verify = verify_tls;
  impl_->ssl.set_default_verify_paths();
  impl_->ssl.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                         asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
}

WebhookClient::~WebhookClient() = default;

void WebhookClient::post(PostRequest request, std::function<void(PostResult)> done) {
  // The coroutine holds the Impl alive; exceptions are caught inside doPost, so the completion
  // only sees a value (or an exception_ptr if the frame itself failed to start).
  asio::co_spawn(impl_->executor,
                 [impl = impl_, r = std::move(request)]() mutable { return impl->doPost(std::move(r)); },
                 [done = std::move(done)](std::exception_ptr ep, PostResult res) {
                   if (ep) res = PostResult{0, {}, {}, "internal error"};
                   done(std::move(res));
                 });
}

}  // namespace sb::notify
