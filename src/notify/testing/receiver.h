// SPDX-License-Identifier: Apache-2.0
// Receiver: a real HTTP server on 127.0.0.1 for webhook tests. It records every request and
// answers as the behaviour function says (status, content type, body, delay, or never).
// Runs its own thread; requests() and the behaviour may be used from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sb::notify::testing {

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at;
  std::size_t connection = 0;  // which accepted connection carried it (0, 1, ...)
};

struct Reply {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::chrono::milliseconds delay{0};
  bool never = false;  // keep the connection open without answering
  bool keep_alive = false;  // answer with keep-alive and read the next request on it
};

class Receiver {
 public:
  // behaviour(request, index of the request) -> reply. Default: echo validationToken, 202
  // otherwise.
  using Behaviour = std::function<Reply(const ReceivedRequest&, std::size_t)>;
  explicit Receiver(Behaviour behaviour = {});
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::string url(const std::string& path = "/hook") const;
  std::vector<ReceivedRequest> requests() const;
  // Requests that are not validation handshakes.
  std::vector<ReceivedRequest> notifications() const;
  // Waits until pred(notifications()) or timeout; returns pred's last value.
  bool waitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
               std::chrono::milliseconds timeout) const;

  static Reply echo(const ReceivedRequest& r);  // the correct handshake answer, or 202
  std::size_t connections() const;              // accepted so far
  // Closes every kept-alive connection that is waiting for its next request (as a server
  // does after its idle timeout).
  void dropIdle();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace sb::notify::testing
