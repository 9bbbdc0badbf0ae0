// The audit through the real binary: every request leaves a record (answered, refused, rejected,
// failed), records hold no request text, `cordon audit verify` finds an edited or removed record,
// and a sink that cannot be written makes sync mode refuse (503) and /readyz say not ready.
#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "cordon/audit/record.h"
#include "cordon/common/sha256.h"
#include "integration/harness.h"

namespace cordon::itest {
namespace {

constexpr std::string_view kAdminKey = "sk-itest-compliance-officer";

class AuditTest : public IntegrationTest {
protected:
  /// Starts local (on-prem) and us (cloud) simulators and a gateway on config().
  void startAll() {
    const auto local = startSimulator("local");
    const auto us = startSimulator("us");
    config_path = dir.write(
        "audited.yaml", config(backend("local", "onprem", local) + backend("us", "us-cloud", us),
                               "  assistant: { targets: [us:m, local:m] }\n"
                               "  cloudonly: { targets: [us:m] }\n") +
                            "admin_keys:\n  - { name: compliance, sha256: \"" +
                            toHex(sha256(kAdminKey)) + "\" }\n");
    port = startGateway(readFile(config_path));
  }

  static std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

  /// Runs `cordon audit verify -c CONFIG`; its exit code, output in `out`.
  int verify(std::string& out) {
    Process process({cordonBinary(), "audit", "verify", "-c", config_path});
    const auto code = process.waitExit();
    out = process.stdoutText() + process.stderrText();
    return code.value_or(-1);
  }

  /// A mix of outcomes: answered on the cloud, answered on-prem (detected e-mail address),
  /// refused by policy, rejected (bad key, unknown model).
  void sendMix() {
    EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "Summarise release 4.2.1.")).status, 200);
    EXPECT_EQ(
        chat(port, kAcmeKey, chatBody("assistant", "Write to jane.roe@example.com today.")).status,
        200);
    EXPECT_EQ(
        chat(port, kAcmeKey, chatBody("cloudonly", "Card 4111 1111 1111 1111 declined.")).status,
        403);
    EXPECT_EQ(chat(port, "sk-wrong", chatBody("assistant", "hello")).status, 401);
    EXPECT_EQ(chat(port, kAcmeKey, chatBody("nosuchmodel", "hello")).status, 404);
  }

  std::string config_path;
  std::uint16_t port = 0;
};

TEST_F(AuditTest, EveryRequestLeavesOneRecordAndTheChainIsIntact) {
  startAll();
  sendMix();
  gatewayProcess().terminate();
  std::string out;
  EXPECT_EQ(verify(out), 0) << out;
  // Five requests and the seal the gateway wrote when it stopped.
  EXPECT_NE(out.find("6 records"), std::string::npos) << out;
  EXPECT_NE(out.find("intact"), std::string::npos) << out;
  EXPECT_EQ(out.find("not sealed"), std::string::npos) << out;
}

TEST_F(AuditTest, RecordsHoldNoRequestText) {
  audit_sink = "jsonl:" + dir.path() + "/audit.jsonl";
  startAll();
  sendMix();
  gatewayProcess().terminate();
  const std::string records = readFile(dir.path() + "/audit.jsonl");
  ASSERT_FALSE(records.empty());
  // Card digits with their spaces: "4111" alone turns up by chance in the records' hex hashes.
  for (const std::string_view text :
       {"jane.roe", "example.com", "4111 1111", "Summarise", "declined", "sk-wrong", "hello"}) {
    EXPECT_EQ(records.find(text), std::string::npos) << text << " is in the audit";
  }
  EXPECT_NE(records.find("EMAIL_ADDRESS"), std::string::npos) << records;
  EXPECT_NE(records.find("CREDIT_CARD"), std::string::npos) << records;
}

TEST_F(AuditTest, VerifyNamesAnEditedOrMissingRecord) {
  audit_sink = "jsonl:" + dir.path() + "/audit.jsonl";
  startAll();
  sendMix();
  gatewayProcess().terminate();
  const std::string path = dir.path() + "/audit.jsonl";
  const std::string intact = readFile(path);
  std::vector<std::string> lines;
  std::istringstream split(intact);
  for (std::string line; std::getline(split, line);) {
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 6U); // five requests and the seal
  const auto write = [&](const std::vector<std::string>& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (const auto& line : content) {
      out << line << '\n';
    }
  };

  // Edited: the refusal's outcome rewritten as an answer.
  std::vector<std::string> edited = lines;
  const auto at = edited[2].find("\"refused\"");
  ASSERT_NE(at, std::string::npos) << edited[2];
  edited[2].replace(at, 9, "\"answered\"");
  write(edited);
  std::string out;
  EXPECT_NE(verify(out), 0) << out;
  EXPECT_NE(out.find('2'), std::string::npos) << out;
  EXPECT_NE(out.find("edited"), std::string::npos) << out;

  // Missing: the second record removed.
  std::vector<std::string> missing = lines;
  missing.erase(missing.begin() + 1);
  write(missing);
  EXPECT_NE(verify(out), 0) << out;
  EXPECT_NE(out.find("missing"), std::string::npos) << out;

  // Truncated: the last records (the seal among them) cut off.
  write(std::vector<std::string>(lines.begin(), lines.begin() + 4));
  EXPECT_EQ(verify(out), 0) << out;
  EXPECT_NE(out.find("not sealed"), std::string::npos) << out;

  write(lines);
  EXPECT_EQ(verify(out), 0) << out;
  EXPECT_EQ(out.find("not sealed"), std::string::npos) << out;
}

TEST_F(AuditTest, AdminFlowsAnswersWhereTheDataWent) {
  startAll();
  sendMix();
  const Headers admin{{"authorization", "Bearer " + std::string(kAdminKey)}};
  const HttpResponse flows = httpRequest(port, "GET", "/admin/flows?tenant=acme", admin);
  ASSERT_EQ(flows.status, 200) << flows.body;
  const auto report = boost::json::parse(flows.body);
  EXPECT_EQ(str(report, "/tenants/0/tenant"), "acme") << flows.body;
  EXPECT_EQ(report.at_pointer("/tenants/0/requests").to_number<int>(), 4) << flows.body;
  EXPECT_EQ(report.at_pointer("/tenants/0/outcomes/answered").to_number<int>(), 2) << flows.body;
  EXPECT_EQ(report.at_pointer("/tenants/0/outcomes/refused").to_number<int>(), 1) << flows.body;
  EXPECT_NE(flows.body.find("us-cloud"), std::string::npos) << flows.body;
  EXPECT_NE(flows.body.find("onprem"), std::string::npos) << flows.body;

  const HttpResponse table =
      httpRequest(port, "GET", "/admin/flows?tenant=acme&format=table", admin);
  EXPECT_EQ(table.status, 200) << table.body;
  EXPECT_NE(table.body.find("acme"), std::string::npos) << table.body;

  const Headers tenant{{"authorization", "Bearer " + std::string(kAcmeKey)}};
  EXPECT_EQ(httpRequest(port, "GET", "/admin/flows", tenant).status, 403);
  EXPECT_EQ(httpRequest(port, "GET", "/admin/flows").status, 401);
  EXPECT_EQ(httpRequest(port, "GET", "/admin/flows?since=yesterday", admin).status, 400);
}

TEST_F(AuditTest, KilledUnderLoadEveryAnsweredRequestHasItsRecord) {
  startAll();
  std::mutex mutex;
  std::set<std::string> answered;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  clients.reserve(4);
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      while (!stop.load()) {
        HttpResponse response;
        try {
          response = chat(port, kAcmeKey, chatBody("assistant", "Load test."), {},
                          std::chrono::milliseconds{3000});
        } catch (const std::system_error&) {
          return; // connect() refused: the gateway is gone, the load is over
        }
        if (response.status == 200) {
          const std::lock_guard lock(mutex);
          answered.insert(response.header("x-cordon-request-id"));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds{700});
  gatewayProcess().signal(SIGKILL);
  stop = true;
  for (auto& client : clients) {
    client.join();
  }
  ASSERT_GT(answered.size(), 5U) << "the load did not get going";

  // The chain is intact up to the kill, and every answer that was released has its record
  // (sync mode released none before its record was durable).
  std::string out;
  EXPECT_EQ(verify(out), 0) << out;
  auto sink = audit::openSink(audit_sink, audit::OpenMode::Read);
  ASSERT_TRUE(sink) << sink.error().detail;
  std::set<std::string> recorded;
  ASSERT_TRUE((*sink)->each([&](std::string_view stored) {
    if (auto record = audit::parseStored(stored)) {
      recorded.insert(record->request_id);
    }
  }));
  for (const auto& id : answered) {
    EXPECT_EQ(recorded.count(id), 1U) << "answered request " << id << " has no record";
  }

  // A new gateway on the same store starts its own chain; both verify.
  port = startGateway(readFile(config_path));
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "After the crash.")).status, 200);
  gatewayProcess().terminate();
  EXPECT_EQ(verify(out), 0) << out;
  EXPECT_NE(out.find("2 chains"), std::string::npos) << out;
}

TEST_F(AuditTest, ASinkThatCannotBeWrittenMakesSyncModeRefuse) {
  audit_sink = "jsonl:/dev/full"; // every write fails with ENOSPC
  startAll();
  const HttpResponse first =
      chat(port, kAcmeKey, chatBody("assistant", "Summarise release 4.2.1."));
  EXPECT_EQ(first.status, 503) << first.body;
  EXPECT_EQ(expectOpenAiError(first, 503), "api_error");
  EXPECT_NE(first.body.find("audit"), std::string::npos) << first.body;
  // From now on requests are refused before any backend is called, and readiness says so.
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "Another one.")).status, 503);
  EXPECT_EQ(httpRequest(port, "GET", "/readyz").status, 503);
  EXPECT_EQ(httpRequest(port, "GET", "/healthz").status, 200);
}

TEST_F(AuditTest, AsyncModeKeepsServingWhileTheSinkFails) {
  audit_sink = "jsonl:/dev/full";
  audit_durability = "async";
  startAll();
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "Summarise release 4.2.1.")).status, 200);
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "And again.")).status, 200);
}

TEST_F(AuditTest, AuditOffServesAndSaysThereIsNothingToAsk) {
  audit_sink = "none";
  startAll();
  EXPECT_EQ(chat(port, kAcmeKey, chatBody("assistant", "Summarise release 4.2.1.")).status, 200);
  EXPECT_EQ(httpRequest(port, "GET", "/readyz").status, 200);
  const Headers admin{{"authorization", "Bearer " + std::string(kAdminKey)}};
  const HttpResponse flows = httpRequest(port, "GET", "/admin/flows", admin);
  EXPECT_EQ(flows.status, 503) << flows.body;
  EXPECT_NE(flows.body.find("audit is off"), std::string::npos) << flows.body;
  std::string out;
  EXPECT_NE(verify(out), 0) << out;
  EXPECT_NE(out.find("audit is off"), std::string::npos) << out;
  EXPECT_NE(gatewayProcess().stderrText().find("audit: OFF"), std::string::npos);
}

} // namespace
} // namespace cordon::itest
