// The PostgreSQL sink against a real server: tests/support/pg_server.sh starts one private
// server per test binary; every test gets its own database so that tests see only their records.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include "audit/postgres_sink.h"

namespace cordon::audit {

namespace {

struct ConnectionFinish {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
struct ResultClear {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};

// Runs `command`, returns its stdout without the trailing newline; "" when it failed.
std::string run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return "";
  }
  std::string out;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) {
    out += buffer.data();
  }
  if (pclose(pipe) != 0) {
    return "";
  }
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

// The first column of every row `query` returns, through a connection of its own.
std::vector<std::string> sql(const std::string& url, const std::string& query) {
  const std::unique_ptr<PGconn, ConnectionFinish> conn(PQconnectdb(url.c_str()));
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  const std::unique_ptr<PGresult, ResultClear> result(PQexec(conn.get(), query.c_str()));
  const auto status = PQresultStatus(result.get());
  EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
      << query << ": " << PQresultErrorMessage(result.get());
  std::vector<std::string> rows;
  rows.reserve(static_cast<std::size_t>(PQntuples(result.get())));
  for (int i = 0; i < PQntuples(result.get()); ++i) {
    rows.emplace_back(PQgetvalue(result.get(), i, 0));
  }
  return rows;
}

Record makeRecord(std::string instance, std::uint64_t sequence, std::string tenant = "acme") {
  Record record;
  record.instance = std::move(instance);
  record.sequence = sequence;
  record.time_ms = 1'700'000'000'000 + static_cast<std::int64_t>(sequence);
  record.tenant = std::move(tenant);
  record.outcome = "answered";
  record.hash = std::string(64, 'a');
  return record;
}

std::vector<std::string> readAll(Sink& sink) {
  std::vector<std::string> out;
  const auto read = sink.each([&](std::string_view json) { out.emplace_back(json); });
  EXPECT_TRUE(read.has_value()) << read.error().detail;
  return out;
}

std::vector<std::string> storedForms(const std::vector<Record>& records) {
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const auto& record : records) {
    out.push_back(stored(record));
  }
  return out;
}

constexpr std::string_view kPrefix = "audit sink postgresql: ";
// The server uses trust authentication: it never asks, so any password connects.
constexpr std::string_view kPassword = "s3cr3t-Pa55w0rd";

class PostgresSinkTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    std::string pattern = "/tmp/cordon-pg-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return;
    }
    dir() = pattern;
    // Our pid: the script stops the server should this process die without TearDownTestSuite.
    const std::string url =
        run(fmt::format("{} start {} {}", CORDON_PG_SERVER_SCRIPT, dir(), getpid()));
    // postgresql://cordon@127.0.0.1:PORT/postgres
    const auto at = url.find('@');
    const auto slash = url.rfind('/');
    if (at != std::string::npos && slash != std::string::npos && slash > at) {
      server() = url.substr(at + 1, slash - at - 1);
    }
  }

  static void TearDownTestSuite() {
    if (!dir().empty()) {
      run(fmt::format("{} stop {}", CORDON_PG_SERVER_SCRIPT, dir()));
      rmdir(dir().c_str());
    }
  }

  void SetUp() override {
    ASSERT_FALSE(server().empty()) << "tests/support/pg_server.sh did not start a server";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    database_ = "t_";
    for (const char c : std::string(info->name())) {
      database_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    // The server is new in every run, so the database is too.
    const std::string admin = fmt::format("postgresql://cordon@{}/postgres", server());
    sql(admin, fmt::format("CREATE DATABASE {}", database_));
  }

  static std::string& dir() {
    static std::string value;
    return value;
  }
  static std::string& server() { // 127.0.0.1:PORT
    static std::string value;
    return value;
  }

  std::string url() const { return fmt::format("postgresql://cordon@{}/{}", server(), database_); }
  std::string passwordUrl() const {
    return fmt::format("postgresql://cordon:{}@{}/{}", kPassword, server(), database_);
  }

  std::unique_ptr<Sink> open(const std::string& conninfo) {
    auto sink = openPostgresSink(conninfo);
    EXPECT_TRUE(sink.has_value()) << sink.error().detail;
    return sink ? std::move(*sink) : nullptr;
  }

  std::string database_;
};

TEST_F(PostgresSinkTest, CreatesTheSchemaOnFirstOpenAndReopens) {
  EXPECT_EQ(sql(url(), "SELECT to_regclass('cordon_audit_records') IS NULL"),
            std::vector<std::string>{"t"});
  {
    auto sink = open(url());
    ASSERT_NE(sink, nullptr);
    const std::vector<Record> batch{makeRecord("i1", 0)};
    ASSERT_TRUE(sink->append(batch).has_value());
  }
  EXPECT_EQ(sql(url(), "SELECT column_name || ' ' || data_type FROM information_schema.columns"
                       " WHERE table_name = 'cordon_audit_records' ORDER BY ordinal_position"),
            (std::vector<std::string>{"id bigint", "instance text", "sequence bigint",
                                      "time_ms bigint", "tenant text", "record text"}));
  EXPECT_EQ(sql(url(), "SELECT indexdef FROM pg_indexes WHERE tablename = 'cordon_audit_records'"
                       " AND indexname = 'cordon_audit_records_tenant_time'"),
            std::vector<std::string>{"CREATE INDEX cordon_audit_records_tenant_time ON "
                                     "public.cordon_audit_records USING btree (tenant, time_ms)"});
  EXPECT_EQ(sql(url(), "SELECT count(*) FROM pg_constraint WHERE conname ="
                       " 'cordon_audit_records_instance_sequence_key' AND contype = 'u'"),
            std::vector<std::string>{"1"});

  // The second start finds everything in place and keeps the records.
  auto again = open(url());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(readAll(*again), storedForms({makeRecord("i1", 0)}));
  EXPECT_EQ(sql(url(), "SELECT count(*) FROM pg_indexes WHERE tablename = 'cordon_audit_records'"),
            std::vector<std::string>{"3"}); // primary key, unique, (tenant, time_ms)
}

TEST_F(PostgresSinkTest, ReplicasStartingAtOnceAllCreateTheSchema) {
  constexpr int kReplicas = 6;
  std::vector<std::thread> threads;
  threads.reserve(kReplicas);
  std::array<std::string, kReplicas> errors;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      auto sink = openPostgresSink(url());
      errors.at(i) = sink ? "" : sink.error().detail;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& error : errors) {
    EXPECT_EQ(error, "");
  }
}

TEST_F(PostgresSinkTest, AppendsABatchAndReadsItBackInOrder) {
  auto sink = open(url());
  ASSERT_NE(sink, nullptr);
  // Tenants that an array literal or a naive quoting would mangle.
  const std::vector<std::string> tenants{"acme", "",     "quote\"d",    "back\\slash", "{braces}",
                                         "a,b",  "NULL", "line\nbreak", "Zürich ✓",    " spaced "};
  std::vector<Record> batch;
  for (std::uint64_t i = 0; i < 100; ++i) {
    batch.push_back(makeRecord("gw-1", i, tenants[i % tenants.size()]));
  }
  const auto start = std::chrono::steady_clock::now();
  const auto appended = sink->append(batch);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(appended.has_value()) << appended.error().detail;
  std::printf("[ timing   ] append of a 100-record batch: %.2f ms\n",
              std::chrono::duration<double, std::milli>(elapsed).count());

  EXPECT_EQ(readAll(*sink), storedForms(batch));
  // The columns the gateway queries by are the record's own values.
  const auto tenant_column = sql(url(), "SELECT tenant FROM cordon_audit_records ORDER BY id");
  ASSERT_EQ(tenant_column.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(tenant_column[i], batch[i].tenant);
  }
  EXPECT_EQ(
      sql(url(), "SELECT string_agg(instance || ':' || sequence || ':' || time_ms, ','"
                 " ORDER BY id) FROM cordon_audit_records WHERE sequence < 3"),
      std::vector<std::string>{"gw-1:0:1700000000000,gw-1:1:1700000000001,gw-1:2:1700000000002"});

  // A later batch follows the first.
  const std::vector<Record> next{makeRecord("gw-1", 100), makeRecord("gw-1", 101)};
  ASSERT_TRUE(sink->append(next).has_value());
  auto expected = storedForms(batch);
  expected.push_back(stored(next[0]));
  expected.push_back(stored(next[1]));
  EXPECT_EQ(readAll(*sink), expected);
  EXPECT_TRUE(sink->append({}).has_value());
}

TEST_F(PostgresSinkTest, TwoReplicasAppendingInterleavedBatchesBothLand) {
  auto first = open(url());
  auto second = open(url());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  std::vector<Record> all;
  for (std::uint64_t round = 0; round < 5; ++round) {
    for (auto* sink : {first.get(), second.get()}) {
      const std::string instance = sink == first.get() ? "replica-a" : "replica-b";
      std::vector<Record> batch;
      for (std::uint64_t i = 0; i < 3; ++i) {
        batch.push_back(makeRecord(instance, round * 3 + i));
      }
      const auto appended = sink->append(batch);
      ASSERT_TRUE(appended.has_value()) << appended.error().detail;
      all.insert(all.end(), batch.begin(), batch.end());
    }
  }
  EXPECT_EQ(readAll(*first), storedForms(all));
  EXPECT_EQ(readAll(*second), storedForms(all));
}

TEST_F(PostgresSinkTest, AFailingBatchLeavesNothingBehind) {
  auto sink = open(url());
  ASSERT_NE(sink, nullptr);
  const std::vector<Record> first{makeRecord("gw", 0), makeRecord("gw", 1), makeRecord("gw", 2)};
  ASSERT_TRUE(sink->append(first).has_value());

  // Sequence 2 again (a replayed batch): the records before and after it must not land either.
  const std::vector<Record> replay{makeRecord("gw", 3, "tenant-marker-3"),
                                   makeRecord("gw", 2, "tenant-marker-2"),
                                   makeRecord("gw", 4, "tenant-marker-4")};
  const auto failed = sink->append(replay);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, Errc::Internal);
  EXPECT_TRUE(failed.error().detail.starts_with(kPrefix)) << failed.error().detail;
  EXPECT_NE(failed.error().detail.find("23505"), std::string::npos) << failed.error().detail;
  // PostgreSQL's DETAIL ("Key (instance, sequence)=(gw, 2) already exists") is not repeated.
  EXPECT_EQ(failed.error().detail.find("tenant-marker"), std::string::npos);
  EXPECT_EQ(failed.error().detail.find("(gw, 2)"), std::string::npos) << failed.error().detail;
  EXPECT_EQ(readAll(*sink), storedForms(first));

  // A duplicate inside one batch fails it too.
  const std::vector<Record> twice{makeRecord("gw", 3), makeRecord("gw", 3)};
  EXPECT_FALSE(sink->append(twice).has_value());
  EXPECT_EQ(readAll(*sink), storedForms(first));

  // The connection is fine afterwards: the next good batch lands.
  const std::vector<Record> good{makeRecord("gw", 3), makeRecord("gw", 4)};
  ASSERT_TRUE(sink->append(good).has_value());
  auto expected = storedForms(first);
  for (const auto& text : storedForms(good)) {
    expected.push_back(text);
  }
  EXPECT_EQ(readAll(*sink), expected);
}

TEST_F(PostgresSinkTest, HealthFollowsTheServerAndTheConnectionIsReset) {
  auto sink = open(passwordUrl());
  ASSERT_NE(sink, nullptr);
  const std::vector<Record> before{makeRecord("gw", 0)};
  ASSERT_TRUE(sink->append(before).has_value());
  EXPECT_TRUE(sink->healthy());

  ASSERT_EQ(run(fmt::format("{} halt {}", CORDON_PG_SERVER_SCRIPT, dir())), "");
  EXPECT_FALSE(sink->healthy());
  EXPECT_FALSE(sink->healthy()); // and stays so, without hanging
  const std::vector<Record> during{makeRecord("gw", 1)};
  const auto failed = sink->append(during);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, Errc::Unavailable);
  EXPECT_TRUE(failed.error().detail.starts_with(kPrefix)) << failed.error().detail;
  EXPECT_EQ(failed.error().detail.find(kPassword), std::string::npos) << failed.error().detail;
  std::vector<std::string> ignored;
  const auto read = sink->each([&](std::string_view json) { ignored.emplace_back(json); });
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().detail.find(kPassword), std::string::npos) << read.error().detail;
  const auto reopen = openPostgresSink(passwordUrl());
  ASSERT_FALSE(reopen.has_value());
  EXPECT_TRUE(reopen.error().detail.starts_with(kPrefix)) << reopen.error().detail;
  EXPECT_EQ(reopen.error().detail.find(kPassword), std::string::npos) << reopen.error().detail;

  ASSERT_NE(run(fmt::format("{} start {} {}", CORDON_PG_SERVER_SCRIPT, dir(), getpid())), "");
  EXPECT_TRUE(sink->healthy());
  // The reset connection prepares its insert again.
  ASSERT_TRUE(sink->append(during).has_value());
  EXPECT_EQ(readAll(*sink), storedForms({before[0], during[0]}));
}

TEST_F(PostgresSinkTest, AppendAfterARestartFailsOnceThenReconnects) {
  auto sink = open(url());
  ASSERT_NE(sink, nullptr);
  ASSERT_EQ(run(fmt::format("{} halt {}", CORDON_PG_SERVER_SCRIPT, dir())), "");
  ASSERT_NE(run(fmt::format("{} start {} {}", CORDON_PG_SERVER_SCRIPT, dir(), getpid())), "");
  // The old session is gone; the first append finds out, the next one reconnects.
  const std::vector<Record> batch{makeRecord("gw", 0)};
  EXPECT_FALSE(sink->append(batch).has_value());
  const auto appended = sink->append(batch);
  ASSERT_TRUE(appended.has_value()) << appended.error().detail;
  EXPECT_EQ(readAll(*sink), storedForms(batch));
}

TEST_F(PostgresSinkTest, ErrorsNeverRepeatThePassword) {
  // Nothing listens on port 1.
  const auto refused = openPostgresSink(
      fmt::format("postgresql://cordon:{}@127.0.0.1:1/{}?connect_timeout=5", kPassword, database_));
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().detail.starts_with(kPrefix)) << refused.error().detail;
  EXPECT_EQ(refused.error().detail.find(kPassword), std::string::npos) << refused.error().detail;

  const auto no_database = openPostgresSink(
      fmt::format("postgresql://cordon:{}@{}/no_such_database", kPassword, server()));
  ASSERT_FALSE(no_database.has_value());
  EXPECT_NE(no_database.error().detail.find("no_such_database"), std::string::npos)
      << no_database.error().detail;
  EXPECT_EQ(no_database.error().detail.find(kPassword), std::string::npos);

  // libpq's own parse error quotes the bad token, here the (percent-encoded) password itself.
  const std::string broken = "pa%zzword-XYZ";
  const auto unparsable =
      openPostgresSink(fmt::format("postgresql://cordon:{}@{}/postgres", broken, server()));
  ASSERT_FALSE(unparsable.has_value());
  EXPECT_TRUE(unparsable.error().detail.starts_with(kPrefix)) << unparsable.error().detail;
  EXPECT_EQ(unparsable.error().detail.find("word-XYZ"), std::string::npos)
      << unparsable.error().detail;

  // The password in the query string, percent-encoded in the URL.
  const auto in_query = openPostgresSink(fmt::format(
      "postgresql://cordon@127.0.0.1:1/postgres?password=p%40ss-{}&connect_timeout=5", kPassword));
  ASSERT_FALSE(in_query.has_value());
  EXPECT_EQ(in_query.error().detail.find(kPassword), std::string::npos) << in_query.error().detail;
}

TEST_F(PostgresSinkTest, AVisitorThatThrowsLeavesTheConnectionUsable) {
  auto sink = open(url());
  ASSERT_NE(sink, nullptr);
  std::vector<Record> batch;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    batch.push_back(makeRecord("gw", i));
  }
  ASSERT_TRUE(sink->append(batch).has_value());
  EXPECT_THROW(
      (void)sink->each([](std::string_view /*json*/) { throw std::runtime_error("stop"); }),
      std::runtime_error);
  EXPECT_TRUE(sink->healthy());
  EXPECT_EQ(readAll(*sink).size(), batch.size());
}

} // namespace
} // namespace cordon::audit
