// The audit on a real PostgreSQL server (tests/support/pg_server.sh, private port and data
// directory): two gateway replicas write their own chains into one store, and a store that goes
// away makes sync mode refuse (503, /readyz) until it is back, then serve again.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "integration/harness.h"

namespace cordon::itest {
namespace {

/// Runs a shell command; its stdout, trailing newline removed.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    out += buffer.data();
  }
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

class AuditPostgresTest : public IntegrationTest {
protected:
  void SetUp() override {
    // Its own directory, traversable: as root the server runs as the postgres user, who cannot
    // enter the test's private (0700) temporary directory.
    std::string pattern = "/tmp/cordon-itest-pg-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    pg_dir = pattern;
    ASSERT_EQ(chmod(pg_dir.c_str(), 0755), 0);
    url = run(script() + " start " + pg_dir + " " + std::to_string(getpid()));
    ASSERT_EQ(url.rfind("postgresql://", 0), 0U) << "pg_server.sh did not start: " << url;
    audit_sink = url;
  }
  void TearDown() override {
    if (!pg_dir.empty()) {
      run(script() + " stop " + pg_dir);
      run("rm -rf " + pg_dir);
    }
  }

  static std::string script() { return CORDON_PG_SERVER_SCRIPT; }

  /// A gateway over its own simulator; its config's path in `config_path`.
  std::uint16_t startReplica(const std::string& name) {
    const auto sim = startSimulator(name);
    config_path = dir.write(name + ".yaml", config(backend(name, "onprem", sim),
                                                   "  assistant: { targets: [" + name + ":m] }\n"));
    return startGateway(readConfig());
  }

  std::string readConfig() const {
    std::FILE* file = std::fopen(config_path.c_str(), "rb");
    std::string text;
    if (file != nullptr) {
      std::array<char, 4096> buffer{};
      for (std::size_t n = 0; (n = std::fread(buffer.data(), 1, buffer.size(), file)) > 0;) {
        text.append(buffer.data(), n);
      }
      std::fclose(file);
    }
    return text;
  }

  std::string pg_dir;
  std::string url;
  std::string config_path;
};

TEST_F(AuditPostgresTest, TwoReplicasTwoIntactChains) {
  const auto first = startReplica("one");
  const auto second = startReplica("two");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(chat(first, kAcmeKey, chatBody("assistant", "Status of release 4.2?")).status, 200);
    EXPECT_EQ(chat(second, kAcmeKey, chatBody("assistant", "Status of release 4.3?")).status, 200);
  }
  Process verify({cordonBinary(), "audit", "verify", "-c", config_path});
  EXPECT_EQ(verify.waitExit(), 0) << verify.stdoutText() << verify.stderrText();
  EXPECT_NE(verify.stdoutText().find("6 records in 2 chains, intact"), std::string::npos)
      << verify.stdoutText();
}

TEST_F(AuditPostgresTest, SyncModeRefusesWhileTheStoreIsDownAndRecovers) {
  const auto port = startReplica("solo");
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "Before the outage.")).status, 200);

  ASSERT_EQ(run(script() + " halt " + pg_dir), "");
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "During the outage.")).status, 503);
  EXPECT_EQ(httpRequest(port, "GET", "/readyz").status, 503);

  ASSERT_NE(run(script() + " start " + pg_dir + " " + std::to_string(getpid())), "");
  // The writer retries what it holds (the refusals' records) and is healthy again.
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = httpRequest(port, "GET", "/readyz").status == 200;
    if (!ready) {
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  }
  ASSERT_TRUE(ready) << "the gateway did not recover after the store came back";
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "After the outage.")).status, 200);

  gatewayProcess().terminate();
  Process verify({cordonBinary(), "audit", "verify", "-c", config_path});
  EXPECT_EQ(verify.waitExit(), 0) << verify.stdoutText() << verify.stderrText();
}

} // namespace
} // namespace cordon::itest
