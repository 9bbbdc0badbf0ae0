// `cordon audit verify` and `cordon audit flows` run as the binary against sinks written with the
// audit library: their output and exit codes are part of the product (PRODUCT.md §4).
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cordon/audit/record.h"
#include "integration/harness.h"

namespace cordon::itest {
namespace {

class AuditCliTest : public IntegrationTest {
protected:
  /// A config whose audit sink is `sink`; returns its path.
  std::string configWith(const std::string& sink) {
    audit_sink = sink;
    return dir.write("cordon.yaml", config(backend("local", "onprem", refusedPort()),
                                           "  assistant: { targets: [local:llama] }\n"));
  }

  /// Writes a chain of three records (two of acme, one refused of euco) to `sink`.
  static void writeRecords(const std::string& sink) {
    auto opened = audit::openSink(sink);
    ASSERT_TRUE(opened) << opened.error().detail;
    audit::Chain chain("gw-1");
    std::vector<audit::Record> records(3);
    for (std::size_t i = 0; i < records.size(); ++i) {
      audit::Record& record = records[i];
      record.request_id = "r" + std::to_string(i);
      record.time_ms = 1767225600000 + static_cast<std::int64_t>(i) * 86400000; // Jan 1, 2, 3
      record.tenant = i == 2 ? "euco" : "acme";
      record.level = i == 2 ? "restricted" : "internal";
      record.target = i == 2 ? "" : "local:llama";
      record.boundary = i == 2 ? "" : "onprem";
      record.region = i == 2 ? "" : "eu-de";
      record.outcome = i == 2 ? "refused" : "answered";
      record.reason = i == 2 ? "deny PRIVATE_KEY" : "allowed";
      chain.link(record);
    }
    ASSERT_TRUE((*opened)->append(records));
  }

  struct Run {
    int exit_code = -1;
    std::string out;
    std::string err;
  };

  static Run cordon(const std::vector<std::string>& args) {
    std::vector<std::string> command{cordonBinary()};
    command.insert(command.end(), args.begin(), args.end());
    Process process(command);
    Run run;
    run.exit_code = process.waitExit(kStartTimeout).value_or(-1);
    run.out = process.stdoutText();
    run.err = process.stderrText();
    return run;
  }
};

TEST_F(AuditCliTest, VerifyIntactChain) {
  const std::string sink = "jsonl:" + dir.path() + "/audit.jsonl";
  writeRecords(sink);
  const Run run = cordon({"audit", "verify", "-c", configWith(sink)});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "audit: 3 records in 1 chain, intact\n"
                     "audit: not sealed (the gateway is running, stopped without draining, or "
                     "records were cut from the end): gw-1 (last record 2)\n");
}

TEST_F(AuditCliTest, VerifyNamesTheBrokenRecord) {
  const std::string path = dir.path() + "/audit.jsonl";
  writeRecords("jsonl:" + path);
  std::vector<std::string> lines;
  {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
  }
  {
    std::ofstream out(path, std::ios::trunc);
    out << lines[0] << '\n' << lines[2] << '\n'; // record 1 deleted
  }
  const Run run = cordon({"audit", "verify", "-c", configWith("jsonl:" + path)});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.out, "audit: broken: instance gw-1 record 2: missing record 1\n"
                     "audit: 2 records in 1 chain read\n");
}

TEST_F(AuditCliTest, VerifyMissingSinkIsAnErrorNotAnEmptyChain) {
  const std::string sink = "sqlite:" + dir.path() + "/typo.db";
  const Run run = cordon({"audit", "verify", "-c", configWith(sink)});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("no such file"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST_F(AuditCliTest, FlowsTableAndJson) {
  const std::string sink = "sqlite:" + dir.path() + "/audit.db";
  writeRecords(sink);
  const std::string config_path = configWith(sink);
  const Run table = cordon({"audit", "flows", "-c", config_path, "--tenant", "acme"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out,
            "tenant:  acme\n"
            "period:  all records (records from 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z)\n"
            "totals:  2 requests: 2 answered\n"
            "\n"
            "tenant acme: 2 requests (2 answered)\n"
            "  BOUNDARY  REGION  BACKEND  LEVEL     REQUESTS  PSEUDONYMIZED\n"
            "  onprem    eu-de   local    internal         2              0\n");
  const Run json = cordon(
      {"audit", "flows", "-c", config_path, "--since", "2026-01-02T00:00:00Z", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find(R"("since_ms":1767312000000,)"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find(R"("records":2,)"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find(R"("refusals":{"deny PRIVATE_KEY":1})"), std::string::npos) << json.out;
}

TEST_F(AuditCliTest, FlowsBadOptionsExit2) {
  const std::string sink = "jsonl:" + dir.path() + "/audit.jsonl";
  writeRecords(sink);
  const std::string config_path = configWith(sink);
  const Run since = cordon({"audit", "flows", "-c", config_path, "--since", "last week"});
  EXPECT_EQ(since.exit_code, 2);
  EXPECT_NE(since.err.find("--since must be"), std::string::npos) << since.err;
  const Run format = cordon({"audit", "flows", "-c", config_path, "--format", "csv"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.err.find("--format must be table or json"), std::string::npos) << format.err;
}

} // namespace
} // namespace cordon::itest
