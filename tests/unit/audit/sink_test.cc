// The sqlite and jsonl sinks, and verify() over each of them: intact chains, and chains broken
// the way someone with access to the file would break them (an edited byte, a deleted record,
// two records swapped), found and named.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "cordon/audit/record.h"
#include "cordon/common/sha256.h"
#include "unit/audit/support.h"

namespace cordon::audit {
namespace {

using testing::answered;
using testing::TempDir;

/// Reaches into a sink's storage behind its back, as an attacker (or a broken disk) would.
/// Records are addressed by storage position, 0-based.
class Storage {
public:
  virtual ~Storage() = default;
  virtual std::string spec() const = 0;
  virtual std::vector<std::string> texts() = 0;
  virtual void replace(std::size_t index, const std::string& text) = 0;
  virtual void remove(std::size_t index) = 0;
  virtual void swap(std::size_t a, std::size_t b) = 0;
};

class JsonlStorage final : public Storage {
public:
  explicit JsonlStorage(std::string path) : path_(std::move(path)) {}
  std::string spec() const override { return "jsonl:" + path_; }
  std::vector<std::string> texts() override {
    std::ifstream in(path_, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    return lines;
  }
  void replace(std::size_t index, const std::string& text) override {
    auto lines = texts();
    lines.at(index) = text;
    write(lines);
  }
  void remove(std::size_t index) override {
    auto lines = texts();
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(index));
    write(lines);
  }
  void swap(std::size_t a, std::size_t b) override {
    auto lines = texts();
    std::swap(lines.at(a), lines.at(b));
    write(lines);
  }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void appendRaw(std::string_view bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out << bytes;
  }

private:
  void write(const std::vector<std::string>& lines) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    for (const std::string& line : lines) {
      out << line << '\n';
    }
  }
  std::string path_;
};

class SqliteStorage final : public Storage {
public:
  explicit SqliteStorage(std::string path) : path_(std::move(path)) {}
  std::string spec() const override { return "sqlite:" + path_; }
  std::vector<std::string> texts() override {
    std::vector<std::string> out;
    for (const auto& [id, text] : rows()) {
      out.push_back(text);
    }
    return out;
  }
  void replace(std::size_t index, const std::string& text) override {
    run("UPDATE audit_records SET record = ?1 WHERE id = ?2", text, rows().at(index).first);
  }
  void remove(std::size_t index) override {
    run("DELETE FROM audit_records WHERE id = ?2", "", rows().at(index).first);
  }
  void swap(std::size_t a, std::size_t b) override {
    const auto all = rows();
    run("UPDATE audit_records SET record = ?1 WHERE id = ?2", all.at(b).second, all.at(a).first);
    run("UPDATE audit_records SET record = ?1 WHERE id = ?2", all.at(a).second, all.at(b).first);
  }
  /// Runs `sql` and returns the first column of every row as text.
  std::vector<std::string> query(const std::string& sql) {
    std::vector<std::string> out;
    withDb([&](sqlite3* db) {
      sqlite3_stmt* statement = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      while (sqlite3_step(statement) == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
        out.emplace_back(text == nullptr ? "NULL" : text);
      }
      sqlite3_finalize(statement);
    });
    return out;
  }

private:
  template <class Body> void withDb(Body&& body) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    body(db);
    sqlite3_close(db);
  }
  std::vector<std::pair<std::int64_t, std::string>> rows() {
    std::vector<std::pair<std::int64_t, std::string>> out;
    withDb([&](sqlite3* db) {
      sqlite3_stmt* statement = nullptr;
      sqlite3_prepare_v2(db, "SELECT id, record FROM audit_records ORDER BY id", -1, &statement,
                         nullptr);
      while (sqlite3_step(statement) == SQLITE_ROW) {
        out.emplace_back(sqlite3_column_int64(statement, 0),
                         reinterpret_cast<const char*>(sqlite3_column_text(statement, 1)));
      }
      sqlite3_finalize(statement);
    });
    return out;
  }
  void run(const char* sql, const std::string& text, std::int64_t id) {
    withDb([&](sqlite3* db) {
      sqlite3_stmt* statement = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK);
      if (sqlite3_bind_parameter_count(statement) == 2) {
        sqlite3_bind_text(statement, 1, text.c_str(), -1, SQLITE_TRANSIENT);
      }
      sqlite3_bind_int64(statement, 2, id);
      EXPECT_EQ(sqlite3_step(statement), SQLITE_DONE) << sqlite3_errmsg(db);
      sqlite3_finalize(statement);
    });
  }
  std::string path_;
};

class SinkTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (GetParam() == "jsonl") {
      storage_ = std::make_unique<JsonlStorage>(dir_.file("audit.jsonl"));
    } else {
      storage_ = std::make_unique<SqliteStorage>(dir_.file("audit.db"));
    }
  }

  std::unique_ptr<Sink> open(OpenMode mode = OpenMode::Append) {
    auto sink = openSink(storage_->spec(), mode);
    EXPECT_TRUE(sink) << sink.error().detail;
    return sink ? std::move(*sink) : nullptr;
  }

  /// Two gateway instances, "a" (6 records) and "b" (4), interleaved a b a b ..., appended in
  /// batches of three: storage positions 0..9 hold a0 b0 a1 b1 a2 b2 a3 b3 a4 a5.
  void writeTwoChains() {
    Chain a("a");
    Chain b("b");
    std::vector<Record> all;
    for (int i = 0; i < 6; ++i) {
      Record ra = answered("acme", i);
      a.link(ra);
      all.push_back(ra);
      if (i < 4) {
        Record rb = answered("globex", 100 + i);
        b.link(rb);
        all.push_back(rb);
      }
    }
    auto sink = open();
    for (std::size_t at = 0; at < all.size(); at += 3) {
      const std::size_t n = std::min<std::size_t>(3, all.size() - at);
      auto appended = sink->append(std::span<const Record>(all).subspan(at, n));
      ASSERT_TRUE(appended) << appended.error().detail;
    }
  }

  VerifyReport verified() {
    auto sink = open(OpenMode::Read);
    if (!sink) {
      return {};
    }
    auto report = verify(*sink);
    EXPECT_TRUE(report) << report.error().detail;
    return report ? *report : VerifyReport{};
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(SinkTest, EachSeesRecordsInAppendOrderAcrossReopens) {
  Chain chain("gw");
  std::vector<Record> records{answered("acme", 1), answered("acme", 2), answered("", 3)};
  for (Record& record : records) {
    chain.link(record);
  }
  {
    auto sink = open();
    EXPECT_TRUE(sink->healthy());
    ASSERT_TRUE(sink->append(std::span<const Record>(records).first(2)));
    ASSERT_TRUE(sink->append({}));
  }
  auto sink = open();
  ASSERT_TRUE(sink->append(std::span<const Record>(records).subspan(2)));
  std::vector<std::string> seen;
  ASSERT_TRUE(sink->each([&](std::string_view text) { seen.emplace_back(text); }));
  ASSERT_EQ(seen.size(), 3U);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], stored(records[i]));
  }
  EXPECT_EQ(storage_->texts(), seen);
}

TEST_P(SinkTest, ReadModeNeverCreates) {
  auto missing = openSink(storage_->spec(), OpenMode::Read);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().detail.find("audit.") /* names the file */, std::string::npos)
      << missing.error().detail;
  EXPECT_FALSE(std::filesystem::exists(storage_->spec().substr(storage_->spec().find(':') + 1)));
}

TEST_P(SinkTest, IntactChainsVerify) {
  writeTwoChains();
  const VerifyReport report = verified();
  EXPECT_TRUE(report.intact()) << report.problem;
  EXPECT_EQ(report.records, 10U);
  EXPECT_EQ(report.chains, 2U);
}

TEST_P(SinkTest, EmptySinkIsIntact) {
  open();
  const VerifyReport report = verified();
  EXPECT_TRUE(report.intact()) << report.problem;
  EXPECT_EQ(report.records, 0U);
  EXPECT_EQ(report.chains, 0U);
}

TEST_P(SinkTest, EditedByteIsFound) {
  writeTwoChains();
  std::string text = storage_->texts()[5]; // b2
  text.replace(text.find("globex"), 6, "globez");
  storage_->replace(5, text);
  const VerifyReport report = verified();
  EXPECT_EQ(report.problem, "instance b record 2: edited (hash mismatch)");
  EXPECT_EQ(report.records, 10U);
  EXPECT_EQ(report.chains, 2U);
}

TEST_P(SinkTest, EditedSequenceIsAnEditNotAGap) {
  writeTwoChains();
  std::string text = storage_->texts()[4]; // a2
  text.replace(text.find("\"sequence\":2"), 12, "\"sequence\":7");
  storage_->replace(4, text);
  EXPECT_EQ(verified().problem, "instance a record 7: edited (hash mismatch)");
}

TEST_P(SinkTest, RehashedEditIsFoundAtTheNextRecord) {
  writeTwoChains();
  auto record = parseStored(storage_->texts()[2]); // a1
  ASSERT_TRUE(record);
  record->tokens_out = 1; // an edit that also recomputes the hash
  record->hash = toHex(sha256(canonical(*record)));
  storage_->replace(2, stored(*record));
  EXPECT_EQ(verified().problem,
            "instance a record 2: edited (prev_hash is not the previous record's hash)");
}

TEST_P(SinkTest, DeletedRecordIsFound) {
  writeTwoChains();
  storage_->remove(4); // a2
  EXPECT_EQ(verified().problem, "instance a record 3: missing record 2");
}

TEST_P(SinkTest, DeletedRecordsAreNamedAsARange) {
  writeTwoChains();
  storage_->remove(6); // a3
  storage_->remove(4); // a2
  const VerifyReport report = verified();
  EXPECT_EQ(report.problem, "instance a record 4: missing records 2-3");
  EXPECT_EQ(report.records, 8U);
}

TEST_P(SinkTest, DeletedFirstRecordIsFound) {
  writeTwoChains();
  storage_->remove(1); // b0
  EXPECT_EQ(verified().problem, "instance b record 1: missing record 0");
}

TEST_P(SinkTest, SwappedRecordsAreOutOfOrder) {
  writeTwoChains();
  storage_->swap(2, 4); // a1 <-> a2
  EXPECT_EQ(verified().problem, "instance a record 2: out of order (record 1 is stored after it)");
}

TEST_P(SinkTest, SwappedAcrossChainsStillVerifies) {
  // Each chain is ordered on its own: records of different instances may interleave freely.
  writeTwoChains();
  storage_->swap(2, 3); // a1 <-> b1
  EXPECT_TRUE(verified().intact());
}

TEST_P(SinkTest, RepeatedRecordIsFound) {
  writeTwoChains();
  storage_->replace(6, storage_->texts()[4]); // a3 replaced by a copy of a2
  EXPECT_EQ(verified().problem,
            "instance a record 2: repeated or out of order (stored after record 2)");
}

TEST_P(SinkTest, GarbageIsNotARecord) {
  writeTwoChains();
  storage_->replace(3, "{\"hello\":1}");
  const VerifyReport report = verified();
  EXPECT_EQ(report.problem.rfind("stored record 4: not a record (", 0), 0U) << report.problem;
  EXPECT_EQ(report.records, 10U);
}

TEST_P(SinkTest, FirstProblemInStorageOrderIsNamed) {
  writeTwoChains();
  storage_->remove(8);                     // a4: found at a5, position 8 after the removal
  std::string text = storage_->texts()[7]; // b3, stored before a5
  text.replace(text.find("globex"), 6, "globez");
  storage_->replace(7, text);
  EXPECT_EQ(verified().problem, "instance b record 3: edited (hash mismatch)");
}

INSTANTIATE_TEST_SUITE_P(Sinks, SinkTest, ::testing::Values("jsonl", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(JsonlSink, TornLastLineIsIgnoredAndCutOffOnReopen) {
  TempDir dir;
  JsonlStorage storage(dir.file("audit.jsonl"));
  Chain chain("gw");
  std::vector<Record> records{answered("acme", 1), answered("acme", 2)};
  for (Record& record : records) {
    chain.link(record);
  }
  {
    auto sink = openSink(storage.spec());
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->append(std::span<const Record>(records).first(1)));
  }
  const std::string torn = stored(records[1]).substr(0, 50);
  storage.appendRaw(torn); // a crash in the middle of a write
  {
    auto reader = openSink(storage.spec(), OpenMode::Read);
    ASSERT_TRUE(reader);
    auto report = verify(**reader);
    ASSERT_TRUE(report);
    EXPECT_TRUE(report->intact()) << report->problem;
    EXPECT_EQ(report->records, 1U);
    EXPECT_NE(storage.contents().find(torn), std::string::npos); // reading changes nothing
  }
  auto sink = openSink(storage.spec());
  ASSERT_TRUE(sink);
  EXPECT_EQ(storage.contents(), stored(records[0]) + "\n");
  ASSERT_TRUE((*sink)->append(std::span<const Record>(records).subspan(1)));
  auto report = verify(**sink);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->intact()) << report->problem;
  EXPECT_EQ(report->records, 2U);
}

TEST(JsonlSink, FileWithoutAnyNewlineIsEmptiedOnOpen) {
  TempDir dir;
  JsonlStorage storage(dir.file("audit.jsonl"));
  storage.appendRaw(std::string(10000, 'x'));
  auto sink = openSink(storage.spec());
  ASSERT_TRUE(sink);
  EXPECT_EQ(storage.contents(), "");
}

TEST(JsonlSink, ReadOnlySinkRefusesToAppend) {
  TempDir dir;
  JsonlStorage storage(dir.file("audit.jsonl"));
  ASSERT_TRUE(openSink(storage.spec()));
  auto sink = openSink(storage.spec(), OpenMode::Read);
  ASSERT_TRUE(sink);
  const Record record = answered("acme", 1);
  EXPECT_FALSE((*sink)->append(std::span<const Record>(&record, 1)));
}

TEST(SqliteSink, SchemaColumnsAndWal) {
  TempDir dir;
  SqliteStorage storage(dir.file("audit.db"));
  auto sink = openSink(storage.spec());
  ASSERT_TRUE(sink);
  Record record = answered("acme", 1);
  Chain("gw-9", 4, std::string(64, 'b')).link(record);
  ASSERT_TRUE((*sink)->append(std::span<const Record>(&record, 1)));
  EXPECT_EQ(storage.query("SELECT instance || '|' || sequence || '|' || time_ms || '|' || tenant "
                          "FROM audit_records"),
            std::vector<std::string>{"gw-9|4|1767225601000|acme"});
  EXPECT_EQ(storage.query("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(storage.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE "
                          "'sqlite_autoindex%'"),
            std::vector<std::string>{"audit_records_tenant_time"});
}

TEST(SqliteSink, AFailedBatchLeavesNothing) {
  TempDir dir;
  SqliteStorage storage(dir.file("audit.db"));
  auto sink = openSink(storage.spec());
  ASSERT_TRUE(sink);
  Chain chain("gw");
  std::vector<Record> records{answered("acme", 1), answered("acme", 2)};
  chain.link(records[0]);
  chain.link(records[1]);
  ASSERT_TRUE((*sink)->append(std::span<const Record>(records).first(1)));
  // The second batch repeats sequence 0: UNIQUE(instance, sequence) refuses it, and the whole
  // batch (its good record included) must not be committed.
  std::vector<Record> batch{records[1], records[0]};
  auto appended = (*sink)->append(batch);
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, Errc::Unavailable);
  EXPECT_EQ(storage.query("SELECT count(*) FROM audit_records"), std::vector<std::string>{"1"});
  EXPECT_TRUE((*sink)->healthy());
  ASSERT_TRUE((*sink)->append(std::span<const Record>(records).subspan(1)));
  EXPECT_EQ(storage.query("SELECT count(*) FROM audit_records"), std::vector<std::string>{"2"});
}

TEST(SqliteSink, ReadModeRefusesAFileThatIsNotAnAuditDatabase) {
  TempDir dir;
  { std::ofstream out(dir.file("other.db")); }
  SqliteStorage storage(dir.file("other.db"));
  storage.query("CREATE TABLE t (x)");
  auto sink = openSink("sqlite:" + dir.file("other.db"), OpenMode::Read);
  ASSERT_FALSE(sink);
  EXPECT_NE(sink.error().detail.find("audit_records"), std::string::npos) << sink.error().detail;
}

struct SpecCase {
  const char* name;
  std::string spec;
  std::string problem;
};

class SinkSpecs : public ::testing::TestWithParam<SpecCase> {};

TEST_P(SinkSpecs, AreRefusedWithAReason) {
  auto sink = openSink(GetParam().spec);
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, Errc::BadRequest);
  EXPECT_NE(sink.error().detail.find(GetParam().problem), std::string::npos) << sink.error().detail;
  EXPECT_EQ(sink.error().detail.find("secret"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Specs, SinkSpecs,
    ::testing::Values(SpecCase{"empty", "", "must be"},
                      SpecCase{"unknown_scheme", "mysql://u:secret@h/db", "must be"},
                      SpecCase{"sqlite_without_path", "sqlite:", "names no file"},
                      SpecCase{"jsonl_without_path", "jsonl:", "names no file"},
                      SpecCase{"no_colon", "audit.db", "must be"}),
    [](const ::testing::TestParamInfo<SpecCase>& info) { return std::string(info.param.name); });

TEST(SinkSpecs, PostgresErrorsNeverRepeatTheUrl) {
  // Whatever the PostgreSQL sink answers (nothing listens on port 1), the password stays out.
  auto sink = openSink("postgresql://cordon:secret@127.0.0.1:1/audit?connect_timeout=2");
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().detail.find("secret"), std::string::npos) << sink.error().detail;
}

TEST(SinkSpecs, UnopenableFileIsUnavailable) {
  for (const char* spec : {"sqlite:/nonexistent-dir/x/audit.db", "jsonl:/nonexistent-dir/x/a"}) {
    auto sink = openSink(spec);
    ASSERT_FALSE(sink);
    EXPECT_EQ(sink.error().code, Errc::Unavailable);
    EXPECT_NE(sink.error().detail.find("/nonexistent-dir/x/a"), std::string::npos)
        << sink.error().detail;
  }
}

} // namespace
} // namespace cordon::audit
