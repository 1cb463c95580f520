// SPDX-License-Identifier: Apache-2.0
// Acknowledged writes survive SIGKILL: a forked child writes interaction records as fast as
// it can and reports each acknowledged id through a pipe; the parent kills it with SIGKILL in
// the middle of the burst, reopens the database and checks every acknowledged id is there.
#include <chrono>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.h"

namespace sb::store::testing {
namespace {

using namespace std::chrono_literals;

template <typename Backend>
class StoreDurabilityTest : public StoreTest<Backend> {};
TYPED_TEST_SUITE(StoreDurabilityTest, Backends, BackendNames);

// Runs in the forked child: never returns, never runs the parent's destructors.
template <typename Backend>
[[noreturn]] void writeUntilKilled(Backend& backend, const TenantId& tenant, int fd) {
  auto store = backend.open();
  if (!store) _exit(3);
  for (std::uint32_t i = 0;; ++i) {
    InteractionRecord r;
    r.tenant_id = tenant;
    r.id = InteractionId("ack-" + std::to_string(i));
    r.caller = "sip:burst@example.com";
    r.arrived_at = WallTime{std::chrono::seconds(1'700'000'000 + i)};
    r.disposition = Disposition::Answered;
    if (!(*store)->interactions().create(r)) _exit(4);
    // Only now, after create() returned success, is the write acknowledged.
    if (write(fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

TYPED_TEST(StoreDurabilityTest, AcknowledgedWritesSurviveSigkill) {
  const Tenant tenant = this->makeTenant("durable");
  this->store_.reset();  // the child opens its own; fork with no store threads running

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    writeUntilKilled(this->backend_, tenant.id, fds[1]);
  }
  close(fds[1]);

  // Kill it mid-burst: after a few hundred acknowledgements, or after 10 s at the latest.
  constexpr std::size_t kKillAfter = 300;
  std::vector<std::uint32_t> acked;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool killed = false;
  for (;;) {
    if (!killed && (acked.size() >= kKillAfter || std::chrono::steady_clock::now() > deadline)) {
      kill(child, SIGKILL);
      killed = true;
    }
    std::uint32_t id = 0;
    const ssize_t n = read(fds[0], &id, sizeof id);
    if (n == sizeof id) {
      acked.push_back(id);
      continue;
    }
    if (n == 0) break;  // every write end closed: the child is gone, the pipe drained
    if (n < 0 && errno == EINTR) continue;
    FAIL() << "pipe read failed";
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited on its own (status " << status << "): it failed to write";
  ASSERT_GE(acked.size(), 20u) << "too few writes acknowledged before the kill";

  this->reopen();
  ASSERT_TRUE(this->store_);
  std::size_t missing = 0;
  for (std::uint32_t id : acked) {
    auto got =
        this->store().interactions().get(tenant.id, InteractionId("ack-" + std::to_string(id)));
    if (!got) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged writes";
  // The store is still usable after the crash.
  InteractionRecord after;
  after.tenant_id = tenant.id;
  EXPECT_TRUE(this->store().interactions().create(after));
}

}  // namespace
}  // namespace sb::store::testing
