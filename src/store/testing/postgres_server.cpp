// SPDX-License-Identifier: Apache-2.0
#include "store/testing/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

namespace sb::store::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string envOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string tail(const std::string& path, std::size_t max_chars = 1500) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  return s;
}

struct Identity {
  uid_t uid;
  gid_t gid;
};

// Forks and execs argv as `who`, stdout+stderr appended to `log`. With `tie_to_parent` the
// child is SIGKILLed when this thread exits, so a crashed test leaves no server behind.
Result<pid_t> spawn(const Identity& who, const std::vector<std::string>& argv,
                    const std::string& log, bool tie_to_parent) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return fail(Errc::Internal, "fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    // Order matters: setuid() clears the parent-death signal, so set it afterwards.
    if (getuid() == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(who.gid) != 0 || setuid(who.uid) != 0) _exit(126);
    }
    if (tie_to_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(125);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` until `deadline`; returns its wait status, or nullopt on timeout.
std::optional<int> waitUntil(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

Result<int> freeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return fail(Errc::Internal, "socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return fail(Errc::Internal, "cannot bind a loopback port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string conninfoFor(int port, const std::string& dbname) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=sb dbname=" + dbname +
         " connect_timeout=5";
}

// Runs argv as `who` to completion within `timeout`; output goes to `log`.
Status runToCompletion(const Identity& who, const std::vector<std::string>& argv,
                       const std::string& log, std::chrono::seconds timeout) {
  auto pid = spawn(who, argv, log, true);
  if (!pid) return std::unexpected(pid.error());
  const auto st = waitUntil(*pid, Clock::now() + timeout);
  if (!st) {
    kill(*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return fail(Errc::Unavailable, argv[0] + " timed out:\n" + tail(log));
  }
  if (!WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
    return fail(Errc::Unavailable, argv[0] + " failed:\n" + tail(log));
  }
  return {};
}

Status initdb(const Identity& who, const std::string& bin, const std::string& data,
              const std::string& log) {
  return runToCompletion(who,
                         {bin + "/initdb", "-D", data, "-A", "trust", "-U", "sb", "-E", "UTF8",
                          "--locale=C", "--no-sync"},
                         log, 60s);
}

// initdb costs 0.5-2 s, which every test process would pay (ctest runs each test in its
// own process), so a pristine cluster is made once per machine, under a lock, and copied
// (cp -a, ~50 ms). Any trouble with the template falls back to a plain initdb.
Status prepareDataDir(const Identity& who, const std::string& bin, const std::string& data,
                      const std::string& log) {
  const std::string tmpl = "/tmp/sb-pg-template-" + std::to_string(who.uid) + "-" +
                           std::to_string(std::hash<std::string>{}(bin));
  const int lock = open((tmpl + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lock < 0) return initdb(who, bin, data, log);
  const auto deadline = Clock::now() + 90s;
  while (flock(lock, LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() > deadline) {
      close(lock);
      return initdb(who, bin, data, log);
    }
    std::this_thread::sleep_for(50ms);
  }
  Status st;
  std::error_code ec;
  if (!std::filesystem::exists(tmpl + ".ok", ec)) {
    std::filesystem::remove_all(tmpl, ec);
    st = initdb(who, bin, tmpl, log);
    if (st) std::ofstream(tmpl + ".ok") << "complete\n";
  }
  if (st) st = runToCompletion(who, {"/bin/cp", "-a", tmpl, data}, log, 60s);
  if (!st) {
    // A broken template: drop it so the next run rebuilds it, and initdb directly now.
    std::filesystem::remove(tmpl + ".ok", ec);
    std::filesystem::remove_all(data, ec);
    st = initdb(who, bin, data, log);
  }
  flock(lock, LOCK_UN);
  close(lock);
  return st;
}

}  // namespace

Result<std::unique_ptr<PostgresServer>> PostgresServer::start() {
  const std::string bin = envOr("SB_PG_BIN", "/usr/lib/postgresql/15/bin");
  const std::string user = envOr("SB_PG_USER", "postgres");
  if (access((bin + "/postgres").c_str(), X_OK) != 0) {
    return fail(Errc::Unavailable, "PostgreSQL binaries not found in " + bin +
                                       " (install Debian postgresql-15 or set SB_PG_BIN)");
  }
  Identity who{getuid(), getgid()};
  if (getuid() == 0) {
    const passwd* pw = getpwnam(user.c_str());
    if (!pw) {
      return fail(Errc::Unavailable, "running as root and user '" + user +
                                         "' does not exist; PostgreSQL refuses to run as root");
    }
    who = Identity{pw->pw_uid, pw->pw_gid};
  }

  char tmpl[] = "/tmp/sb-pg-XXXXXX";
  if (!mkdtemp(tmpl)) return fail(Errc::Internal, "mkdtemp failed");
  const std::string dir = tmpl;
  auto cleanup = [&] { std::error_code ec; std::filesystem::remove_all(dir, ec); };
  if (chown(dir.c_str(), who.uid, who.gid) != 0 || chmod(dir.c_str(), 0700) != 0) {
    cleanup();
    return fail(Errc::Internal, "cannot hand " + dir + " to user " + user);
  }

  const std::string log = dir + "/server.log";
  if (auto st = prepareDataDir(who, bin, dir + "/data", log); !st) {
    cleanup();
    return std::unexpected(st.error());
  }

  // A port found free may be taken before postgres binds it: retry a few times.
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto port = freeLoopbackPort();
    if (!port) {
      cleanup();
      return std::unexpected(port.error());
    }
    auto pid = spawn(who,
                     {bin + "/postgres", "-D", dir + "/data", "-p", std::to_string(*port), "-k",
                      dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=60",
                      "-c", "shared_buffers=16MB"},
                     log, true);
    if (!pid) {
      cleanup();
      return std::unexpected(pid.error());
    }
    std::unique_ptr<PostgresServer> server(new PostgresServer(dir, *pid, *port));
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(*pid, &status, WNOHANG) == *pid) {
        server->pid_ = -1;  // already reaped
        break;
      }
      try {
        pqxx::connection probe(conninfoFor(*port, "postgres"));
        if (probe.is_open()) return server;
      } catch (const std::exception& e) {
        last_error = e.what();
      }
      std::this_thread::sleep_for(50ms);
    }
    if (server->pid_ > 0) {
      last_error = "postgres did not accept connections within 30 s: " + last_error;
      server->dir_.clear();  // keep the data dir for the next attempt
      server->stop();
      break;
    }
    server->dir_.clear();
  }
  const std::string msg = "postgres failed to start: " + last_error + "\n" + tail(log);
  cleanup();
  return fail(Errc::Unavailable, msg);
}

PostgresServer::~PostgresServer() { stop(); }

void PostgresServer::stop() {
  if (pid_ > 0) {
    // Immediate shutdown (no checkpoint): the data dir is deleted next, and a checkpoint's
    // fsyncs can take seconds on a busy disk.
    kill(pid_, SIGQUIT);
    if (!waitUntil(pid_, Clock::now() + 10s)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

std::string PostgresServer::conninfo(const std::string& dbname) const {
  return conninfoFor(port_, dbname);
}

Result<std::string> PostgresServer::createDatabase(const std::string& name) {
  try {
    pqxx::connection admin(conninfo("postgres"));
    pqxx::nontransaction txn(admin);
    txn.exec("CREATE DATABASE " + txn.quote_name(name));
  } catch (const std::exception& e) {
    return fail(Errc::Unavailable, std::string("CREATE DATABASE failed: ") + e.what());
  }
  return conninfo(name);
}

Result<std::string> PostgresServer::createSchema(const std::string& name) {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      return fail(Errc::InvalidArgument, "schema name must be [A-Za-z0-9_]+", "name");
    }
  }
  try {
    pqxx::connection admin(conninfo("postgres"));
    pqxx::nontransaction txn(admin);
    txn.exec("CREATE SCHEMA " + name);
  } catch (const std::exception& e) {
    return fail(Errc::Unavailable, std::string("CREATE SCHEMA failed: ") + e.what());
  }
  return conninfo("postgres") + " options='-c search_path=" + name + "'";
}

}  // namespace sb::store::testing
