// SPDX-License-Identifier: Apache-2.0
#include "notify/webhook_client.h"

#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

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
  using Tls = beast::ssl_stream<beast::tcp_stream>;
  // One connection: plain or TLS. Kept in `idle` between requests when the receiver allows
  // keep-alive (HTTP/1.1's default), keyed by scheme, host and port.
  struct Conn {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<Tls> tls;
    std::chrono::steady_clock::time_point idle_since{};
    beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
  };

  asio::any_io_executor executor;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  bool verify = true;
  KeepAlive keep_alive;
  std::map<std::string, std::vector<Conn>> idle;  // newest last
  std::size_t connections_opened = 0;
  std::function<void()> on_opened;

  void opened() {
    ++connections_opened;
    if (on_opened) on_opened();
  }

  static std::string keyOf(const Url& u) {
    return (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
  }

  // Drops idle connections older than the idle timeout (the receiver may have closed them).
  void sweep(std::chrono::steady_clock::time_point now) {
    for (auto it = idle.begin(); it != idle.end();) {
      std::erase_if(it->second,
                    [&](const Conn& c) { return now - c.idle_since >= keep_alive.idle_timeout; });
      it = it->second.empty() ? idle.erase(it) : std::next(it);
    }
  }

  std::optional<Conn> take(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return std::nullopt;
    Conn c = std::move(it->second.back());
    it->second.pop_back();
    if (it->second.empty()) idle.erase(it);
    return c;
  }

  void putBack(const std::string& key, Conn c) {
    auto& list = idle[key];
    if (list.size() >= keep_alive.max_idle_per_host) return;  // closed as it goes out of scope
    c.lowest().expires_never();
    c.idle_since = std::chrono::steady_clock::now();
    list.push_back(std::move(c));
  }

  asio::awaitable<Conn> open(const Url& u, std::chrono::steady_clock::time_point deadline) {
    asio::ip::tcp::resolver resolver(executor);
    // The resolver has no deadline of its own; loopback and literal hosts resolve at once.
    auto endpoints = co_await resolver.async_resolve(u.host, u.port, asio::use_awaitable);
    Conn c;
    if (!u.tls) {
      c.plain = std::make_unique<beast::tcp_stream>(executor);
      c.plain->expires_at(deadline);
      co_await c.plain->async_connect(endpoints, asio::use_awaitable);
      opened();
      co_return c;
    }
    c.tls = std::make_unique<Tls>(executor, ssl);
    if (!SSL_set_tlsext_host_name(c.tls->native_handle(), u.host.c_str())) {
      throw std::runtime_error("TLS SNI setup failed");
    }
    if (verify) {
      c.tls->set_verify_mode(asio::ssl::verify_peer);
      c.tls->set_verify_callback(asio::ssl::host_name_verification(u.host));
    } else {
      c.tls->set_verify_mode(asio::ssl::verify_none);
    }
    c.lowest().expires_at(deadline);
    co_await c.lowest().async_connect(endpoints, asio::use_awaitable);
    co_await c.tls->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    opened();
    co_return c;
  }

  // One request and its response; `reusable` says whether the receiver keeps the connection.
  template <typename Stream>
  asio::awaitable<PostResult> exchange(Stream& stream, const Url& u, const PostRequest& r,
                                       bool& reusable) {
    http::request<http::string_body> req{http::verb::post, u.target, 11};
    req.set(http::field::host, u.host_header);
    req.set(http::field::user_agent, "Switchboard-Webhooks/1");
    req.set(http::field::content_type, r.content_type);
    if (!keep_alive.enabled) req.set(http::field::connection, "close");
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
    // Bytes after the response would belong to nothing: such a connection is not reused.
    reusable = keep_alive.enabled && res.keep_alive() && buffer.size() == 0;
    co_return out;
  }

  // A pooled connection the receiver closed while idle fails before any response arrives.
  static bool closedWhileIdle(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
  }

  asio::awaitable<PostResult> doPost(PostRequest r) {
    auto u = parseUrl(r.url);
    if (!u) co_return PostResult{0, {}, {}, "bad URL"};
    const std::string key = keyOf(*u);
    const auto deadline = std::chrono::steady_clock::now() + r.timeout;
    sweep(std::chrono::steady_clock::now());
    // At most two tries: a pooled connection, then (only if it turned out closed) a new one.
    // Receivers already tolerate a repeated batch (at-least-once delivery).
    for (int attempt = 0;; ++attempt) {
      std::optional<Conn> pooled = attempt == 0 ? take(key) : std::nullopt;
      const bool reused = pooled.has_value();
      try {
        // No co_await inside a conditional expression: GCC 12 miscompiles that.
        Conn c;
        if (reused) {
          c = std::move(*pooled);
        } else {
          c = co_await open(*u, deadline);
        }
        c.lowest().expires_at(deadline);
        bool reusable = false;
        PostResult res;
        if (c.plain) {
          res = co_await exchange(*c.plain, *u, r, reusable);
        } else {
          res = co_await exchange(*c.tls, *u, r, reusable);
        }
        if (reusable) {
          putBack(key, std::move(c));
        } else if (c.plain) {
          beast::error_code ec;
          c.plain->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        }
        co_return res;
      } catch (const boost::system::system_error& e) {
        if (reused && closedWhileIdle(e.code())) continue;
        if (e.code() == beast::error::timeout) co_return PostResult{0, {}, {}, "timeout"};
        co_return PostResult{0, {}, {}, e.code().message()};
      } catch (const std::exception& e) {
        co_return PostResult{0, {}, {}, e.what()};
      }
    }
  }
};

WebhookClient::WebhookClient(asio::any_io_executor executor, bool verify_tls, KeepAlive keep_alive)
    : impl_(std::make_shared<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->verify = verify_tls;
  impl_->keep_alive = keep_alive;
  impl_->ssl.set_default_verify_paths();
  impl_->ssl.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                         asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
}

WebhookClient::~WebhookClient() = default;

std::size_t WebhookClient::connectionsOpened() const { return impl_->connections_opened; }

void WebhookClient::onConnectionOpened(std::function<void()> f) { impl_->on_opened = std::move(f); }

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
