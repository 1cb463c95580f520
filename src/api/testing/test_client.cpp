// SPDX-License-Identifier: Apache-2.0
#include "api/testing/test_client.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api/auth_routes.h"

namespace sb::api::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// Runs ioc until done or timeout; on timeout calls cancel() and drains.
template <class Cancel>
bool runFor(asio::io_context& ioc, bool& done, std::chrono::milliseconds timeout, Cancel cancel) {
  ioc.restart();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_for(deadline - std::chrono::steady_clock::now());
  }
  if (done) return true;
  cancel();
  ioc.restart();
  while (!done && ioc.run_one_for(1s) > 0) {
  }
  return false;
}

ClientResponse convert(http::response<http::string_body>& res) {
  ClientResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.keep_alive = res.keep_alive();
  for (const auto& f : res) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    out.headers[name] = std::string(f.value());
  }
  return out;
}

}  // namespace

struct HttpClient::Impl {
  asio::io_context ioc;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool ok = false;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }

  template <class F>
  auto withStream(F&& f) {
    if (plain) return f(*plain);
    return f(*secure);
  }
};

HttpClient::HttpClient(std::uint16_t port, bool tls) : impl_(std::make_unique<Impl>()) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  beast::error_code ec;
  if (tls) {
    impl_->ssl_ctx.set_verify_mode(asio::ssl::verify_none);
    impl_->secure.emplace(impl_->ioc, impl_->ssl_ctx);
    beast::get_lowest_layer(*impl_->secure).socket().connect(ep, ec);
    if (!ec) impl_->secure->handshake(asio::ssl::stream_base::client, ec);
  } else {
    impl_->plain.emplace(impl_->ioc);
    impl_->plain->socket().connect(ep, ec);
  }
  impl_->ok = !ec;
}

HttpClient::~HttpClient() = default;

bool HttpClient::connected() const { return impl_->ok; }

bool HttpClient::sendRaw(const std::string& bytes, std::chrono::milliseconds timeout) {
  bool done = false;
  beast::error_code result;
  impl_->withStream([&](auto& s) {
    asio::async_write(s, asio::buffer(bytes), [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    return 0;
  });
  bool finished = runFor(impl_->ioc, done, timeout, [&] { impl_->lowest().cancel(); });
  return finished && !result;
}

ClientResponse HttpClient::readResponse(std::chrono::milliseconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bool done = false;
  beast::error_code result;
  impl_->withStream([&](auto& s) {
    http::async_read(s, impl_->buffer, parser, [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    return 0;
  });
  bool finished = runFor(impl_->ioc, done, timeout, [&] { impl_->lowest().cancel(); });
  if (!finished || result) {
    ClientResponse r;
    r.error = finished ? result.message() : "timeout";
    return r;
  }
  auto res = parser.release();
  return convert(res);
}

ClientResponse HttpClient::request(const std::string& method, const std::string& target,
                                   const std::string& body, const Headers& headers,
                                   std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  bool has_ct = false;
  for (const auto& [k, v] : headers) {
    req.set(k, v);
    if (beast::iequals(k, "content-type")) has_ct = true;
  }
  if (!body.empty() && !has_ct) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  bool done = false;
  beast::error_code result;
  impl_->withStream([&](auto& s) {
    http::async_write(s, req, [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    return 0;
  });
  if (!runFor(impl_->ioc, done, timeout, [&] { impl_->lowest().cancel(); }) || result) {
    ClientResponse r;
    r.error = "write failed: " + result.message();
    return r;
  }
  return readResponse(timeout);
}

bool HttpClient::waitClosed(std::chrono::milliseconds timeout) {
  char byte;
  bool done = false;
  beast::error_code result;
  impl_->lowest().socket().async_read_some(asio::buffer(&byte, 1),
                                           [&](beast::error_code ec, std::size_t) {
                                             result = ec;
                                             done = true;
                                           });
  bool finished = runFor(impl_->ioc, done, timeout, [&] { impl_->lowest().socket().cancel(); });
  return finished && result && result != asio::error::operation_aborted;
}

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  bool is_open = false;
  int status = 0;
  std::string body;
  int close_code = 0;
  bool closed = false;
  beast::flat_buffer buffer;
  std::vector<std::string> pongs;
  int pings = 0;
};

WsClient::WsClient(std::uint16_t port, const std::string& target, const Headers& headers)
    : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type res;
  bool done = false;
  beast::error_code result;
  impl_->ws.async_handshake(res, "127.0.0.1", target, [&](beast::error_code e) {
    result = e;
    done = true;
  });
  runFor(impl_->ioc, done, 5000ms, [&] { beast::get_lowest_layer(impl_->ws).cancel(); });
  impl_->status = static_cast<int>(res.result_int());
  impl_->body = res.body();
  impl_->is_open = done && !result;
  impl_->ws.control_callback(
      [impl = impl_.get()](websocket::frame_type kind, beast::string_view payload) {
        if (kind == websocket::frame_type::pong) impl->pongs.emplace_back(payload);
        if (kind == websocket::frame_type::ping) ++impl->pings;
      });
}

bool WsClient::ping(const std::string& payload) {
  if (!impl_->is_open || impl_->closed) return false;
  bool done = false;
  beast::error_code result;
  impl_->ws.async_ping(websocket::ping_data(payload), [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  return runFor(impl_->ioc, done, 5000ms, [&] { beast::get_lowest_layer(impl_->ws).cancel(); }) &&
         !result;
}

bool WsClient::close(int code, std::chrono::milliseconds timeout) {
  if (!impl_->is_open || impl_->closed) return false;
  bool done = false;
  beast::error_code result;
  impl_->ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                        [&](beast::error_code ec) {
                          result = ec;
                          done = true;
                        });
  bool finished =
      runFor(impl_->ioc, done, timeout, [&] { beast::get_lowest_layer(impl_->ws).cancel(); });
  impl_->closed = true;
  impl_->close_code = impl_->ws.reason().code;
  return finished && !result;
}

const std::vector<std::string>& WsClient::pongs() const { return impl_->pongs; }
int WsClient::pingsReceived() const { return impl_->pings; }

WsClient::~WsClient() = default;
bool WsClient::open() const { return impl_->is_open; }
int WsClient::handshakeStatus() const { return impl_->status; }
std::string WsClient::handshakeBody() const { return impl_->body; }
int WsClient::closeCode() const { return impl_->close_code; }
bool WsClient::closed() const { return impl_->closed; }

std::optional<nlohmann::json> WsClient::next(std::chrono::milliseconds timeout) {
  if (!impl_->is_open || impl_->closed) return std::nullopt;
  bool done = false;
  beast::error_code result;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  bool finished =
      runFor(impl_->ioc, done, timeout, [&] { beast::get_lowest_layer(impl_->ws).cancel(); });
  if (!finished) {
    // A cancelled read leaves a Beast websocket unusable; treat the stream as gone.
    impl_->closed = true;
    return std::nullopt;
  }
  if (result) {
    impl_->closed = true;
    if (result == websocket::error::closed) impl_->close_code = impl_->ws.reason().code;
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return nlohmann::json::parse(text, nullptr, false);
}

TestServer::TestServer(ServerOptions opts, std::size_t replay, int n_loops, bool auth_routes)
    : tokens(credentials, clock,
             TokenOptions{std::chrono::minutes(15), std::chrono::hours(24), std::chrono::hours(24),
                          "switchboard", PasswordParams{1, 64, 1}}),
      options(std::move(opts)) {
  for (int i = 0; i < n_loops; ++i) loops.push_back(std::make_unique<asio::io_context>());
  hub = std::make_unique<EventHub>(loops[0]->get_executor(), clock, replay, &metrics);
  router.setAuthenticator(&tokens);
  auto ok = registerBuiltinRoutes(router, metrics);
  if (ok && auth_routes) ok = registerAuthRoutes(router, tokens, blocking.get_executor());
  if (!ok) throw std::runtime_error(ok.error().toString());
}

void TestServer::start() {
  std::vector<asio::io_context*> raw;
  for (auto& l : loops) raw.push_back(l.get());
  server = std::make_unique<HttpServer>(raw, router, metrics, hub.get(), options);
  auto p = server->start();
  if (!p) throw std::runtime_error(p.error().toString());
  port = *p;
  for (auto& l : loops) {
    guards.push_back(asio::make_work_guard(*l));
    threads.emplace_back([l = l.get()] { l->run(); });
  }
}

void TestServer::stop(Duration deadline) {
  if (stopped || !server) return;
  stopped = true;
  std::promise<void> done;
  server->shutdown(deadline, [&done] { done.set_value(); });
  done.get_future().wait_for(deadline + 5s);
  for (auto& l : loops) l->stop();
  for (auto& t : threads) t.join();
  guards.clear();
}

TestServer::~TestServer() {
  stop();
  blocking.join();
}

std::string TestServer::userToken(const std::string& tenant, std::vector<Role> roles,
                                  const std::string& user_id) {
  Principal p{user_id, user_id, tenant, std::move(roles), AuthMethod::AccessToken};
  return tokens.issueAccessToken(p).value();
}

TestCert makeSelfSignedCert() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
  };
  TestCert cert;
  cert.cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  cert.key_pem =
      pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(key);
  return cert;
}

std::string maskedClientFrame(unsigned char first, std::string_view payload) {
  const char key[4] = {0x37, static_cast<char>(0xfa), 0x21, 0x3d};
  std::string f;
  f.push_back(static_cast<char>(first));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(payload[i] ^ key[i % 4]);
  return f;
}

ServerOptions tlsServerOptions() {
  auto cert = makeSelfSignedCert();
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->use_certificate_chain(asio::buffer(cert.cert_pem));
  ctx->use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  ServerOptions o;
  o.tls = ctx;
  return o;
}

}  // namespace sb::api::testing
