// SPDX-License-Identifier: Apache-2.0
#include "notify/testing/receiver.h"

#include <future>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/asio.h"

namespace sb::notify::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string tokenOf(const std::string& target) {
  auto p = target.find("validationToken=");
  if (p == std::string::npos) return {};
  auto v = target.substr(p + 16);
  return decode(v.substr(0, v.find('&')));
}

}  // namespace

struct Receiver::Impl : std::enable_shared_from_this<Impl> {
  asio::io_context io{1};
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  Behaviour behaviour;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<ReceivedRequest> got;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;  // `never` connections
  std::size_t accepted = 0;                                  // GUARDED_BY(mu)
  // Kept-alive connections waiting for their next request (io thread only).
  std::map<std::size_t, std::shared_ptr<asio::ip::tcp::socket>> waiting;

  asio::awaitable<void> doSession(asio::ip::tcp::socket socket) {
    auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
    std::size_t conn;
    {
      std::lock_guard lock(mu);
      conn = accepted++;
    }
    try {
      beast::flat_buffer buffer;
      for (;;) {
        http::request<http::string_body> req;
        co_await http::async_read(*sock, buffer, req, asio::use_awaitable);
        waiting.erase(conn);
        ReceivedRequest r;
        r.target = std::string(req.target());
        for (const auto& f : req) {
          std::string name(f.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          r.headers[name] = std::string(f.value());
        }
        r.body = req.body();
        r.at = std::chrono::steady_clock::now();
        r.connection = conn;
        std::size_t index;
        {
          std::lock_guard lock(mu);
          index = got.size();
          got.push_back(r);
        }
        cv.notify_all();
        Reply reply = behaviour ? behaviour(r, index) : echo(r);
        if (reply.never) {
          std::lock_guard lock(mu);
          held.push_back(sock);
          co_return;
        }
        if (reply.delay.count() > 0) {
          asio::steady_timer t(io, reply.delay);
          co_await t.async_wait(asio::use_awaitable);
        }
        http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
        res.set(http::field::content_type, reply.content_type);
        res.body() = reply.body;
        res.prepare_payload();
        res.keep_alive(reply.keep_alive);
        // Idle from the moment the answer can reach the client (dropIdle() may close it then).
        if (reply.keep_alive) waiting[conn] = sock;
        co_await http::async_write(*sock, res, asio::use_awaitable);
        if (reply.keep_alive) continue;
        beast::error_code ec;
        sock->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        break;
      }
    } catch (const std::exception&) {
    }
    waiting.erase(conn);
  }

  asio::awaitable<void> doAccept() {
    for (;;) {
      auto s = co_await acceptor.async_accept(asio::use_awaitable);
      asio::co_spawn(io, doSession(std::move(s)), asio::detached);
    }
  }
};

Reply Receiver::echo(const ReceivedRequest& r) {
  auto token = tokenOf(r.target);
  if (!token.empty()) return {200, "text/plain; charset=utf-8", token};
  return {202, "text/plain", ""};
}

Receiver::Receiver(Behaviour behaviour) : impl_(std::make_shared<Impl>()) {
  impl_->behaviour = std::move(behaviour);
  asio::co_spawn(impl_->io, impl_->doAccept(), asio::detached);
  thread_ = std::thread([impl = impl_] {
    try {
      impl->io.run();
    } catch (const std::exception&) {
    }
  });
}

std::size_t Receiver::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

void Receiver::dropIdle() {
  std::promise<void> done;
  asio::post(impl_->io, [impl = impl_, &done] {
    for (auto& [conn, sock] : impl->waiting) {
      beast::error_code ec;
      sock->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      sock->close(ec);
    }
    impl->waiting.clear();
    done.set_value();
  });
  done.get_future().wait();
}

Receiver::~Receiver() {
  impl_->io.stop();
  thread_.join();
}

std::string Receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + path;
}

std::vector<ReceivedRequest> Receiver::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->got;
}

std::vector<ReceivedRequest> Receiver::notifications() const {
  std::vector<ReceivedRequest> out;
  for (auto& r : requests()) {
    if (r.target.find("validationToken=") == std::string::npos) out.push_back(r);
  }
  return out;
}

bool Receiver::waitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                       std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(impl_->mu);
  for (;;) {
    lock.unlock();
    bool ok = pred(notifications());
    lock.lock();
    if (ok) return true;
    if (impl_->cv.wait_until(lock, deadline) == std::cv_status::timeout) {
      lock.unlock();
      return pred(notifications());
    }
  }
}

}  // namespace sb::notify::testing
