// SPDX-License-Identifier: Apache-2.0
// ws_fanout_client: opens N WebSocket connections to switchboard's event stream, waits until
// the server reports N subscribers, then changes one agent's state over the HTTP API and
// measures, per connection, the time from sending that request to receiving the agent.state
// event.
//
// The client shares two cores with the server, so its own cost per message is part of every
// figure it prints. It is therefore a lean epoll loop over non-blocking sockets with a minimal
// RFC 6455 client (upgrade request, unmasked server frames, masked pongs and close), not a
// general WebSocket library: Beast's per-read completion cost ~20 us here, so 10,000 reads
// alone took ~200 ms of the client's single thread and hid the server's own time. The setup
// requests (subscriber count, current state) are plain blocking HTTP/1.1 and are not measured.
// Usage: ws_fanout_client HOST PORT TOKEN CLIENTS [TENANT USER]
// Last line: clients=<n> p99_ms=<x> (plus p50/max, how many received it and the client's CPU).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU time of every thread of process pid in ms (schedstat is in ns; /proc/PID/stat only has
// 10 ms ticks), or -1 when pid is 0 or unreadable.
double processCpuMs(long pid) {
  if (pid <= 0) return -1;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  double ns = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::FILE* f = std::fopen((dir + "/" + e->d_name + "/schedstat").c_str(), "r");
    if (f == nullptr) continue;
    unsigned long long run = 0;
    if (std::fscanf(f, "%llu", &run) == 1) ns += static_cast<double>(run);
    std::fclose(f);
  }
  ::closedir(d);
  return ns / 1e6;
}

int connectTo(const sockaddr_in& addr, bool nonblocking) {
  int fd = ::socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// One blocking HTTP/1.1 request with Connection: close; returns status and body (-1 on error).
std::pair<int, std::string> request(const sockaddr_in& addr, std::string_view method,
                                    const std::string& target, const std::string& token,
                                    const std::string& body) {
  int fd = connectTo(addr, false);
  if (fd < 0) return {-1, ""};
  std::string req = std::string(method) + " " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " +
                    token + "\r\n";
  if (!body.empty()) {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  std::string in;
  if (sendAll(fd, req)) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  auto head_end = in.find("\r\n\r\n");
  if (in.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) return {-1, in};
  int status = std::atoi(in.c_str() + in.find(' ') + 1);
  std::string rest = in.substr(head_end + 4);
  if (in.substr(0, head_end).find("chunked") == std::string::npos) return {status, rest};
  std::string out;  // de-chunk
  std::size_t pos = 0;
  while (pos < rest.size()) {
    std::size_t eol = rest.find("\r\n", pos);
    if (eol == std::string::npos) break;
    std::size_t len = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
    if (len == 0) break;
    out += rest.substr(eol + 2, len);
    pos = eol + 2 + len + 2;
  }
  return {status, out};
}

double subscribers(const sockaddr_in& addr, const std::string& token) {
  auto [code, text] = request(addr, "GET", "/metrics", token, "");
  auto pos = text.find("\nsb_event_subscribers ");
  if (code != 200 || pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + 22));
}

enum class Phase : std::uint8_t { Connecting, Upgrading, Open, Done, Failed };

struct Conn {
  int fd = -1;
  Phase phase = Phase::Connecting;
  std::string in;  // bytes not yet parsed (handshake response or a partial frame)
};

struct Run {
  std::vector<Conn> conns;
  std::size_t open = 0;
  std::size_t failed = 0;
  bool armed = false;
  Clock::time_point sent{};
  std::vector<double> latencies_ms;
  std::string upgrade;  // the request every connection sends
};

// A masked client frame (RFC 6455 §5.3): the mask may be fixed, this is a load tool.
std::string clientFrame(std::uint8_t opcode, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  f.push_back(static_cast<char>(0x80 | payload.size()));  // control frames: < 126 bytes
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(payload[i] ^ mask[i % 4]);
  return f;
}

// Parses every whole server frame in c.in. Returns false when the connection must close.
bool parseFrames(Run& run, Conn& c) {
  std::size_t pos = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(c.in.data());
  while (c.in.size() - pos >= 2) {
    const unsigned opcode = p[pos] & 0x0f;
    std::uint64_t len = p[pos + 1] & 0x7f;
    std::size_t header = 2;
    if (len == 126) {
      if (c.in.size() - pos < 4) break;
      len = (std::uint64_t{p[pos + 2]} << 8) | p[pos + 3];
      header = 4;
    } else if (len == 127) {
      if (c.in.size() - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[pos + 2 + i];
      header = 10;
    }
    if (c.in.size() - pos - header < len) break;
    std::string_view payload(c.in.data() + pos + header, static_cast<std::size_t>(len));
    pos += header + static_cast<std::size_t>(len);
    if (opcode == 0x8) return false;  // close
    if (opcode == 0x9) {              // ping: answer so the server's keep-alive stays happy
      sendAll(c.fd, clientFrame(0xA, payload));
      continue;
    }
    // Events are single text frames; only the first agent.state after arming counts.
    if (run.armed && payload.find("\"type\":\"agent.state\"") != std::string_view::npos) {
      run.latencies_ms.push_back(msSince(run.sent));
      c.phase = Phase::Done;
      break;
    }
  }
  c.in.erase(0, pos);
  return true;
}

// Reads everything the socket has (edge-triggered) and advances the connection.
void onReadable(Run& run, Conn& c, char* buf, std::size_t cap) {
  for (;;) {
    ssize_t n = ::recv(c.fd, buf, cap, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      if (c.phase == Phase::Upgrading) ++run.failed;
      if (c.phase == Phase::Open) --run.open, ++run.failed;
      c.phase = Phase::Failed;
      return;
    }
    if (c.phase == Phase::Done || c.phase == Phase::Failed) return;  // measured: leave the rest
    c.in.append(buf, static_cast<std::size_t>(n));
    if (c.phase == Phase::Upgrading) {
      auto end = c.in.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
        ++run.failed;
        c.phase = Phase::Failed;
        continue;
      }
      c.in.erase(0, end + 4);
      c.phase = Phase::Open;
      ++run.open;
    }
    if (c.phase == Phase::Open && !parseFrames(run, c)) {
      --run.open, ++run.failed;
      c.phase = Phase::Failed;
    }
    // A short read drained the socket: skip the recv that would only say EAGAIN (more data
    // raises a new edge).
    if (static_cast<std::size_t>(n) < cap) return;
  }
}

void onWritable(Run& run, Conn& c) {
  if (c.phase != Phase::Connecting) return;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0 || !sendAll(c.fd, run.upgrade)) {
    ++run.failed;
    c.phase = Phase::Failed;
    return;
  }
  c.phase = Phase::Upgrading;
}

// One epoll_wait round; the fd's index in run.conns is the event's data.
void poll(Run& run, int ep, int timeout_ms, std::vector<epoll_event>& events,
          std::vector<char>& buf) {
  int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
  for (int i = 0; i < n; ++i) {
    Conn& c = run.conns[events[i].data.u32];
    if (events[i].events & EPOLLOUT) onWritable(run, c);
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      onReadable(run, c, buf.data(), buf.size());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: ws_fanout_client HOST PORT TOKEN CLIENTS [TENANT USER]\n";
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines show up while it runs
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(argv[2])));
  if (::inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
    std::cerr << "HOST must be an IPv4 address\n";
    return 2;
  }
  const std::string token = argv[3];
  const std::size_t n = std::stoul(argv[4]);
  const std::string tenant = argc > 5 ? argv[5] : "demo";
  const std::string user = argc > 6 ? argv[6] : "bob";

  Run run;
  run.conns.resize(n);
  run.latencies_ms.reserve(n);
  run.upgrade = "GET /api/v1/events?access_token=" + token +
                " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const int ep = ::epoll_create1(0);
  std::vector<epoll_event> events(1024);
  std::vector<char> buf(64 * 1024);

  // Connect in batches so the listen backlog never overflows (SYN retries would add 1 s).
  std::size_t started = 0;
  const auto t_connect = Clock::now();
  while (run.open + run.failed < n && msSince(t_connect) < 120'000) {
    while (started < n && started - (run.open + run.failed) < 500) {
      Conn& c = run.conns[started];
      c.fd = connectTo(addr, true);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
      ev.data.u32 = static_cast<std::uint32_t>(started);
      if (c.fd < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
        ++run.failed;
        c.phase = Phase::Failed;
      }
      ++started;
    }
    poll(run, ep, 5, events, buf);
  }
  std::printf("connected=%zu failed=%zu in %.1f s\n", run.open, run.failed,
              msSince(t_connect) / 1000);

  // The server subscribes each session shortly after its handshake: wait until it counts all,
  // reading (and discarding) the events that arrive meanwhile.
  const auto pump = [&](int ms) {
    const auto until = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < until) poll(run, ep, 5, events, buf);
  };
  for (int i = 0; i < 600 && subscribers(addr, token) < static_cast<double>(run.open); ++i) {
    pump(50);
  }
  std::printf("subscribers=%.0f\n", subscribers(addr, token));
  pump(200);

  // Flip the agent between away and available: either is an agent.state event.
  const std::string path = "/api/v1/tenants/" + tenant + "/agents/" + user + "/state";
  auto [gc, cur] = request(addr, "GET", path, token, "");
  const bool away = cur.find("\"requested\":\"away\"") != std::string::npos;
  const std::string body = away ? R"({"state":"available"})" : R"({"state":"away"})";
  const std::string put = "PUT " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Authorization: Bearer " +
                          token + "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  // The state change goes over a blocking socket whose answer is read after the fan-out, so
  // the loop below only reads subscribers.
  int put_fd = connectTo(addr, false);
  const std::size_t expected = run.open;
  // SERVER_PID (optional): the server's CPU over the same phase, to tell its cost from ours.
  const char* server_pid_env = std::getenv("SERVER_PID");
  const long server_pid = server_pid_env != nullptr ? std::atol(server_pid_env) : 0;
  const double server_cpu0 = processCpuMs(server_pid);
  const double cpu0 = cpuSeconds();
  run.armed = true;
  run.sent = Clock::now();
  if (put_fd < 0 || !sendAll(put_fd, put)) {
    std::fprintf(stderr, "state change request could not be sent\n");
    return 1;
  }
  while (run.latencies_ms.size() < expected && msSince(run.sent) < 10'000) {
    poll(run, ep, 1, events, buf);
  }
  const double wall_ms = msSince(run.sent);
  const double cpu_ms = (cpuSeconds() - cpu0) * 1000;
  const double server_cpu_ms = processCpuMs(server_pid) - server_cpu0;
  std::string answer;
  for (;;) {
    ssize_t got = ::recv(put_fd, buf.data(), buf.size(), 0);
    if (got <= 0) break;
    answer.append(buf.data(), static_cast<std::size_t>(got));
  }
  ::close(put_fd);
  if (answer.compare(0, 12, "HTTP/1.1 200") != 0) {
    std::fprintf(stderr, "state change failed: %s\n", answer.c_str());
    return 1;
  }
  // The client's own CPU over the measured phase: near wall_ms means it was the bottleneck.
  std::printf("client_cpu_ms=%.1f over %.1f ms\n", cpu_ms, wall_ms);
  if (server_pid > 0) std::printf("server_cpu_ms=%.1f over the same phase\n", server_cpu_ms);
  auto& l = run.latencies_ms;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    if (l.empty()) return 0.0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(l.size() - 1) + 0.5);
    return l[std::min(i, l.size() - 1)];
  };
  std::printf("received=%zu of %zu first_ms=%.2f p50_ms=%.2f max_ms=%.2f\n", l.size(), expected,
              l.empty() ? 0.0 : l.front(), pct(0.5), l.empty() ? 0.0 : l.back());
  std::printf("clients=%zu p99_ms=%.2f\n", l.size(), pct(0.99));
  for (auto& c : run.conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(ep);
  return l.size() == n ? 0 : 1;
}
